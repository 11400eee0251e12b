import ConvNet
import Foundation
import Imaging
import TensorFile
import Testing
@testable import Methods

/// FSRCNN, FSRCNN-s, ESPCN and the Keras variants (on the bicubic image) in the registry: their
/// files, checked by kind, scale and spec, and their resolvers, which upscale by the file's scale
/// and run in strips.
@Suite struct LRSpaceMethodTests {
    static let methods: [(MethodName, @Sendable (Int) -> NetworkSpec)] = [
        (.fsrcnn, { .fsrcnn(scale: $0) }), (.fsrcnnSmall, { .fsrcnnSmall(scale: $0) }), (.espcn, { .espcn(scale: $0) }),
        (.expandedSRCNN, { .expandedSRCNN(scale: $0) }), (.denoisingSRCNN, { .denoisingSRCNN(scale: $0) }),
        (.resNetSR, { .resNetSR(scale: $0) }),
    ]

    /// A model file whose outputs vary (the deconvolution's N(0, 0.001²) start gives ~0 everywhere).
    static func file(_ spec: NetworkSpec) -> SafeTensorsFile {
        var parameters = spec.initialParameters(seed: 11)
        let last = parameters.count - 2   // the last layer's weight and bias
        parameters[last] = parameters[last].map { $0 * (spec.layers.last!.summary.hasPrefix("deconv") ? 400 : 1) }
        parameters[last + 1] = parameters[last + 1].map { _ in 0.5 }
        return SequentialModel(spec: spec, parameters: parameters).safeTensors()
    }

    @Test func eachMethodBuildsAResolverThatUpscalesByTheFilesScale() throws {
        let low = Plane(width: 9, height: 7, values: (0..<63).map { 0.3 + 0.4 * sin(Double($0) / 5) })
        for (method, spec) in Self.methods {
            for scale in SRProtocol.scales {
                let path = try written(Self.file(spec(scale)), "\(method.rawValue)_x\(scale).safetensors")
                let resolver = try method.resolver(model: path, scale: scale)
                let out = resolver.upscale(lowRes: low)
                #expect(resolver.scale == scale && out.width == 9 * scale && out.height == 7 * scale, "\(method) x\(scale)")
                #expect(resolver.modelPath == path && resolver.contextRadius != nil)
                #expect(try ModelFile.inspect(path).kind == method.entry.model)
            }
        }
        #expect(Set(MethodName.withModels).isSuperset(of: [.fsrcnn, .fsrcnnSmall, .espcn, .expandedSRCNN, .denoisingSRCNN, .resNetSR]))
    }

    /// A Keras variant's file is refused by the other variant, by SRCNN and by FSRCNN, and its
    /// scale is checked, each error naming the file; a file of the right kind whose spec is not
    /// the variant's is refused too.
    @Test func aKerasVariantsFileIsRefusedAsAnotherKind() throws {
        let expanded = try written(Self.file(.expandedSRCNN(scale: 2)), "expanded-srcnn_x2.safetensors")
        #expect(throws: ModelFileError.wrongKind(path: expanded, kind: "expanded-srcnn", expected: "denoising-srcnn", byTensors: false)) {
            try MethodName.denoisingSRCNN.resolver(model: expanded, scale: 2)
        }
        #expect(throws: ModelFileError.wrongKind(path: expanded, kind: "expanded-srcnn", expected: "srcnn", byTensors: false)) {
            try MethodName.srcnn.resolver(model: expanded, scale: 2)
        }
        #expect(throws: ModelFileError.wrongScale(path: expanded, kind: "expanded-srcnn", trained: 2, requested: 3)) {
            try MethodName.expandedSRCNN.resolver(model: expanded, scale: 3)
        }
        let fsrcnn = try written(Self.file(.fsrcnn(scale: 2)), "fsrcnn_x2.safetensors")
        #expect(throws: ModelFileError.wrongKind(path: fsrcnn, kind: "fsrcnn", expected: "denoising-srcnn", byTensors: false)) {
            try MethodName.denoisingSRCNN.resolver(model: fsrcnn, scale: 2)
        }
        // The LR-space layers of the same tensors would not do: the zero-padded spec is accepted,
        // a spec without the bicubic upscaling is not.
        var lrSpace = NetworkSpec.denoisingSRCNN(scale: 2)
        lrSpace.bicubicUpscale = nil
        let mislabelled = try written(Self.file(lrSpace), "mislabelled.safetensors") { $0.metadata["scale"] = "2" }
        do {
            _ = try MethodName.denoisingSRCNN.resolver(model: mislabelled, scale: 2)
            Issue.record("a denoising-srcnn file without the bicubic upscaling was accepted")
        } catch {
            #expect("\(error)".hasPrefix("\(mislabelled): not a usable network model"))
        }
        let zero = try written(Self.file(.denoisingSRCNN(scale: 2, padding: .zero)), "zero.safetensors")
        #expect(try MethodName.denoisingSRCNN.resolver(model: zero, scale: 2).scale == 2)
    }

    @Test func theWrongKindOrScaleIsRefusedNamingTheFile() throws {
        let x3 = try written(Self.file(.fsrcnn(scale: 3)), "fsrcnn_x3.safetensors")
        #expect(throws: ModelFileError.wrongScale(path: x3, kind: "fsrcnn", trained: 3, requested: 2)) {
            try MethodName.fsrcnn.resolver(model: x3, scale: 2)
        }
        #expect(throws: ModelFileError.wrongKind(path: x3, kind: "fsrcnn", expected: "espcn", byTensors: false)) {
            try MethodName.espcn.resolver(model: x3, scale: 3)
        }
        // The file's spec is checked too: a ×2 spec in a file that says ×3 …
        let lying = try written(Self.file(.fsrcnn(scale: 2)), "lying.safetensors") { $0.metadata["scale"] = "3" }
        #expect(throws: (any Error).self) { try MethodName.fsrcnn.resolver(model: lying, scale: 3) }
        do { _ = try MethodName.fsrcnn.resolver(model: lying, scale: 3) } catch {
            #expect("\(error)".hasPrefix("\(lying): not a usable network model: it is FSRCNN(56,12,4) x2, for x2"))
        }
        // … and a kind that does not match the layers (FSRCNN-s's layers in an "fsrcnn" file).
        let relabelled = try written(Self.file(.fsrcnnSmall(scale: 3)), "relabelled.safetensors") { $0.metadata["kind"] = "fsrcnn" }
        do {
            _ = try MethodName.fsrcnn.resolver(model: relabelled, scale: 3)
            Issue.record("an FSRCNN-s file labelled fsrcnn was accepted")
        } catch {
            #expect("\(error)".contains(relabelled))
        }
    }

    /// `contextRadius` covers the receptive field: strips give the whole image's result, while a
    /// resolver that claims no context does not.
    @Test func stripsGiveTheWholeImage() throws {
        for (method, spec) in Self.methods {
            let path = try written(Self.file(spec(3)), "\(method.rawValue).safetensors")
            let resolver = try method.resolver(model: path, scale: 3)
            // Gray, so that only the network's Y can differ between strips (chroma is bicubic).
            let bytes = (0..<(20 * 26)).map { UInt8(truncatingIfNeeded: ($0 * 37 + $0 / 20 * 11) % 256) }
            let image = Image8(width: 20, height: 26, channels: 1, bytes: bytes)
            let whole = try StripUpscale.upscale(image, with: resolver, coreRows: 26)
            let strips = try StripUpscale.upscale(image, with: resolver, coreRows: 8)
            #expect(maxDifference(whole, strips) <= 1, "\(method)")
            let blind = try StripUpscale.upscale(image, with: Blind(inner: resolver), coreRows: 8)
            #expect(maxDifference(whole, blind) > 1, "\(method): the test cannot tell a short halo")
        }
    }

    func maxDifference(_ a: Image8, _ b: Image8) -> Int {
        zip(a.bytes, b.bytes).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    /// The same network, claiming to read no context.
    struct Blind: SuperResolver {
        let inner: any SuperResolver
        var name: String { inner.name }
        var scale: Int { inner.scale }
        var contextRadius: Int? { -3 * inner.scale }
        func upscale(lowRes: Plane) -> Plane { inner.upscale(lowRes: lowRes) }
    }
}
