import Foundation
import Testing
import Imaging
import TensorFile
import LinearAlgebra
@testable import ConvNet

@Suite struct SRCNNModelTests {
    /// A small network with weights large enough that every layer matters.
    static func smallModel(seed: UInt64 = 7) -> SRCNN {
        SRCNN(architecture: SRCNNArchitecture(f1: 5, f2: 3, f3: 3, n1: 8, n2: 4), seed: seed, standardDeviation: 0.3)
    }

    static func randomPlane(width: Int, height: Int, seed: UInt64) -> Plane {
        Plane(width: width, height: height, values: randomValues(width * height, seed: seed).map { ($0 + 1) / 2 })
    }

    /// Same-size SRCNN straight from the definition: replicate-pad, naive valid convolution, in Double.
    static func referenceApply(_ model: SRCNN, _ input: Plane) -> [Double] {
        var x = input.values
        let (h, w) = (input.height, input.width)
        for (i, l) in model.architecture.layers.enumerated() {
            let p = (l.kernel - 1) / 2
            var padded = [Double](repeating: 0, count: (h + 2 * p) * (w + 2 * p) * l.inChannels)
            replicatePad(output: &padded, input: x, batch: 1, height: h, width: w, channels: l.inChannels,
                         top: p, bottom: p, left: p, right: p)
            var y = [Double](repeating: 0, count: h * w * l.outChannels)
            conv2dForwardNaive(output: &y, input: padded, weight: model.parameters[2 * i].map(Double.init),
                               bias: model.parameters[2 * i + 1].map(Double.init), batch: 1,
                               inChannels: l.inChannels, outChannels: l.outChannels,
                               height: h + 2 * p, width: w + 2 * p, kernel: l.kernel, relu: i < 2)
            x = y
        }
        return x
    }

    @Test(arguments: [SRCNNArchitecture(f1: 5, f2: 3, f3: 3, n1: 8, n2: 4),
                      SRCNNArchitecture(f1: 5, f2: 1, f3: 3, n1: 8, n2: 4)])
    func sameSizeOutputMatchesTheDefinition(_ arch: SRCNNArchitecture) {
        let model = SRCNN(architecture: arch, seed: 7, standardDeviation: 0.3)
        let input = Self.randomPlane(width: 23, height: 17, seed: 3)
        let out = model.apply(to: input)
        #expect(out.width == 23 && out.height == 17)
        #expect(maxAbsDifference(out.values, Self.referenceApply(model, input)) < 1e-5)
    }

    /// Tiles overlap by the halo and pad only at the true border, so each output pixel sees the
    /// same inputs. Bit-identity further needs a GEMM whose per-element summation order does not
    /// depend on the matrix size: true of OpenBLAS's SkylakeX kernel (what srlab runs here), not of
    /// its generic Prescott or Haswell kernels, where tiles may differ by a float rounding.
    @Test(arguments: [(1, 1), (2, 5), (7, 1), (3, 3), (12, 2)])
    func tinyImagesMatchTheDefinition(_ size: (Int, Int)) {
        let model = Self.smallModel()
        let input = Self.randomPlane(width: size.0, height: size.1, seed: 9)
        let out = model.apply(to: input)
        #expect(out.width == size.0 && out.height == size.1)
        #expect(maxAbsDifference(out.values, Self.referenceApply(model, input)) < 1e-5)
    }

    @Test(arguments: [1, 5, 8, 13, 40])
    func tilingGivesTheIdenticalResult(tileSize: Int) {
        var model = Self.smallModel()
        let input = Self.randomPlane(width: 37, height: 29, seed: 4)
        model.tileSize = 10_000
        let whole = model.apply(to: input)
        model.tileSize = tileSize
        Self.expectIdentical(model.apply(to: input), whole)
    }

    /// Tiled equals untiled: bit for bit under the SkylakeX kernel these tests are tuned on, or
    /// Cooperlake, its superset that OpenBLAS picks on an AMD Zen 4 (other
    /// kernels may block GEMMs by size, so there only to float rounding).
    static func expectIdentical(_ tiled: Plane, _ whole: Plane) {
        if ["SkylakeX", "Cooperlake"].contains(BLASRuntime.kernel) {
            let differing = zip(tiled.values, whole.values).filter { $0 != $1 }.count
            #expect(differing == 0, "\(differing) pixels differ, max by \(maxAbsDifference(tiled.values, whole.values))")
        } else {
            #expect(maxAbsDifference(tiled.values, whole.values) < 1e-5)
        }
    }

    /// A 1×1 middle layer (9-1-5's shape) makes inference run channel-major, with the last
    /// layer's partial maps kept across bands: the same checks on that path.
    static let oneByOneArchitecture = SRCNNArchitecture(f1: 5, f2: 1, f3: 3, n1: 8, n2: 4)

    @Test(arguments: [(1, 1), (2, 5), (7, 1), (3, 3), (12, 2), (37, 29)])
    func channelMajorMatchesTheDefinition(_ size: (Int, Int)) {
        let model = SRCNN(architecture: Self.oneByOneArchitecture, seed: 7, standardDeviation: 0.3)
        let input = Self.randomPlane(width: size.0, height: size.1, seed: 9)
        let out = model.apply(to: input)
        #expect(out.width == size.0 && out.height == size.1)
        #expect(maxAbsDifference(out.values, Self.referenceApply(model, input)) < 1e-5)
    }

    @Test(arguments: [1, 2, 5, 8, 13, 40])
    func channelMajorTilingGivesTheIdenticalResult(tileSize: Int) {
        var model = SRCNN(architecture: Self.oneByOneArchitecture, seed: 7, standardDeviation: 0.3)
        let input = Self.randomPlane(width: 37, height: 29, seed: 4)
        model.tileSize = 10_000
        let whole = model.apply(to: input)
        model.tileSize = tileSize
        Self.expectIdentical(model.apply(to: input), whole)
    }

    /// A middle layer that runs as Winograd F(3×3, 5×5): its 3×3 tiles sit on a grid anchored in
    /// image coordinates, so tiles and bands of any size still give the identical result.
    static let winogradArchitecture = SRCNNArchitecture(f1: 3, f2: 5, f3: 3, n1: 16, n2: 16)

    @Test(arguments: [1, 2, 5, 8, 13, 40])
    func winogradTilingGivesTheIdenticalResult(tileSize: Int) {
        Self.checkTiling(Self.winogradArchitecture, tileSize: tileSize)
    }

    /// A 3×3 middle layer with many maps trains by Winograd F(2×2, 3×3), but tiled inference keeps
    /// the shift-invariant formulation for it: tiles still give the identical result.
    @Test(arguments: [1, 5, 13])
    func threeByThreeManyMapTilingGivesTheIdenticalResult(tileSize: Int) {
        Self.checkTiling(SRCNNArchitecture(f1: 3, f2: 3, f3: 3, n1: 16, n2: 16), tileSize: tileSize)
    }

    /// A 9×9 first layer into 64 maps runs F(3×3, 3×3) on its sub-kernels where the CPU has AVX2
    /// (WinogradNineByNine), on a grid anchored like the middle layer's: channel-major (9-1-5's
    /// shape) and NHWC, the latter with a Winograd middle layer too.
    /// With 32 maps in the middle (SRCNN's), its layer runs as small products (SmallProducts.c) and
    /// its rows reach the last layer's planes pixel-major, transposed.
    @Test(arguments: [SRCNNArchitecture(f1: 9, f2: 1, f3: 5, n1: 64, n2: 8),
                      SRCNNArchitecture(f1: 9, f2: 5, f3: 5, n1: 64, n2: 8),
                      SRCNNArchitecture(f1: 9, f2: 1, f3: 5, n1: 64, n2: 32),
                      SRCNNArchitecture(f1: 9, f2: 5, f3: 5, n1: 64, n2: 32)], [1, 4, 13, 40])
    func nineByNineFirstLayerTilingGivesTheIdenticalResult(_ architecture: SRCNNArchitecture, tileSize: Int) {
        Self.checkTiling(architecture, tileSize: tileSize)
    }

    /// Images smaller than a tile of the 9×9 first layer's grid, or than its kernel.
    @Test(arguments: [(1, 1), (2, 5), (7, 1), (3, 3), (12, 2), (20, 9)])
    func nineByNineFirstLayerOnTinyImagesMatchesTheDefinition(_ size: (Int, Int)) {
        for architecture in [SRCNNArchitecture(f1: 9, f2: 1, f3: 5, n1: 64, n2: 8),
                             SRCNNArchitecture(f1: 9, f2: 5, f3: 5, n1: 64, n2: 8),
                             SRCNNArchitecture(f1: 9, f2: 1, f3: 5, n1: 64, n2: 32),
                             SRCNNArchitecture(f1: 9, f2: 5, f3: 5, n1: 64, n2: 32)] {
            let model = SRCNN(architecture: architecture, seed: 7, standardDeviation: 0.1)
            let input = Self.randomPlane(width: size.0, height: size.1, seed: 9)
            let out = model.apply(to: input)
            #expect(out.width == size.0 && out.height == size.1)
            Self.expectNearTheDefinition(out, model, input)
        }
    }

    /// Within float32 rounding of the Double definition: 1e-5 of the output's largest magnitude (at
    /// least 1e-5). F(3×3, 5×5) errs by up to ~5e-6 of it on a 64 → 32 layer (WinogradF3x5.swift).
    static func expectNearTheDefinition(_ out: Plane, _ model: SRCNN, _ input: Plane) {
        let reference = referenceApply(model, input)
        let scale = max(1, reference.map(abs).max() ?? 0)
        #expect(maxAbsDifference(out.values, reference) < 1e-5 * scale)
    }

    static func checkTiling(_ architecture: SRCNNArchitecture, tileSize: Int) {
        var model = SRCNN(architecture: architecture, seed: 7, standardDeviation: 0.1)
        let input = Self.randomPlane(width: 37, height: 29, seed: 4)
        model.tileSize = 10_000
        let whole = model.apply(to: input)
        Self.expectNearTheDefinition(whole, model, input)
        model.tileSize = tileSize
        Self.expectIdentical(model.apply(to: input), whole)
    }

    @Test func fileRoundTripKeepsParametersAndMetadata() throws {
        var model = Self.smallModel()
        model.metadata["scale"] = "3"
        let back = try SRCNN(file: SafeTensorsFile(data: model.safeTensors().serialized()))
        #expect(back.architecture == model.architecture)
        #expect(back.parameters == model.parameters)
        #expect(back.metadata["scale"] == "3" && back.metadata["arch"] == "5-3-3:8-4")
    }

    @Test func oihwConversionIsAPermutation() {
        let w: [Float] = (0..<300).map { Float($0) }
        let hwio = WeightLayout.hwio(fromOIHW: w, outChannels: 4, inChannels: 3, kernel: 5)
        // OIHW [o=1][c=2][dy=3][dx=4] → HWIO [3][4][2][1]
        let hwioIndex: Int = ((3 * 5 + 4) * 3 + 2) * 4 + 1
        let oihwIndex: Int = ((1 * 3 + 2) * 5 + 3) * 5 + 4
        #expect(hwio[hwioIndex] == w[oihwIndex])
        #expect(WeightLayout.oihw(fromHWIO: hwio, outChannels: 4, inChannels: 3, kernel: 5) == w)
    }

    @Test func badFilesAreRejectedNamingTheFile() throws {
        let good = Self.smallModel().safeTensors()
        func reason(_ edit: (inout SafeTensorsFile) -> Void) -> String? {
            var f = good
            edit(&f)
            do { _ = try SRCNN(file: f, path: "bad.safetensors"); return nil } catch { return "\(error)" }
        }
        let missing = reason { $0.tensors["conv2.bias"] = nil }
        #expect(missing?.contains("bad.safetensors") == true && missing?.contains("conv2.bias") == true)
        let shape = reason { $0.tensors["conv2.bias"] = Tensor(shape: [5], floats: [0, 0, 0, 0, 0]) }
        #expect(shape?.contains("conv2.bias") == true)
        let nan = reason { $0.tensors["conv3.bias"] = Tensor(shape: [1], floats: [.nan]) }
        #expect(nan?.contains("NaN") == true)
        let arch = reason { $0.metadata["arch"] = "9-1-5" }
        #expect(arch?.contains("9-1-5") == true)
        #expect(reason { _ in } == nil)
    }

    @Test func aModelForAnotherScaleIsRefused() throws {
        var model = Self.smallModel()
        model.metadata["scale"] = "3"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.write(to: path)
        #expect(try SRCNN(contentsOf: path, scale: 3).parameters == model.parameters)
        #expect(throws: ModelFileError.wrongScale(path: path, kind: "srcnn", trained: 3, requested: 4)) { try SRCNN(contentsOf: path, scale: 4) }
    }

    @Test func initialisationsHaveTheirStatedSpread() {
        func std(_ v: [Float]) -> Double {
            let mean = v.reduce(0) { $0 + Double($1) } / Double(v.count)
            return (v.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)).squareRoot()
        }
        let paper = SRCNN(architecture: .srcnn955, seed: 1)
        let he = SRCNN(architecture: .srcnn955, heInitialisationSeed: 1)
        #expect(abs(std(paper.parameters[2]) / 0.001 - 1) < 0.05)
        #expect(abs(std(he.parameters[0]) / (2.0 / 81).squareRoot() - 1) < 0.1)
        #expect(abs(std(he.parameters[2]) / (2.0 / 1600).squareRoot() - 1) < 0.05)
        #expect(he.parameters[1].allSatisfy { $0 == 0 } && paper.parameters[5] == [0])
    }

    @Test func architectureNamesParse() {
        #expect(SRCNNArchitecture("9-5-5") == .srcnn955)
        #expect(SRCNNArchitecture("9-1-5:64-32") == .srcnn915)
        #expect(SRCNNArchitecture("9-5") == nil && SRCNNArchitecture("a-b-c") == nil)
        #expect(SRCNNArchitecture.srcnn955.halo == 8 && SRCNNArchitecture.srcnn915.validShrink == 12)
    }
}

@Suite struct BenchmarkSmokeTests {
    @Test func benchmarksRunOnTinyInputs() {
        let ms = SRCNNBenchmark.inferenceMilliseconds(architecture: .srcnn915, size: 24, repeats: 2)
        #expect(ms > 0 && ms.isFinite)
        let rate = SRCNNBenchmark.trainingSamplesPerSecond(architecture: .srcnn915, batch: 2, steps: 1, threads: 1)
        #expect(rate > 0 && rate.isFinite)
    }

    /// The per-layer profile: every layer timed (each part of a band's work lands in one), with
    /// its multiply-adds and a name that says which algorithm ran.
    @Test func layerProfileCoversEveryLayer() {
        let layers = SRCNNBenchmark.inferenceLayers(architecture: .srcnn915, size: 48, repeats: 2)
        #expect(layers.count == 3)
        #expect(layers.allSatisfy { $0.milliseconds > 0 && $0.milliseconds.isFinite })
        let expected: [Double] = [81 * 64 * 48 * 48, 64 * 32 * 48 * 48, 25 * 32 * 48 * 48]
        #expect(layers.map(\.macs) == expected)
        #expect(layers[0].layer.hasPrefix("conv 9×9 1→64 + ReLU") && layers[2].layer == "conv 5×5 32→1")
    }
}
