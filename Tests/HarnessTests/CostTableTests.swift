import ConvNet
import Testing
@testable import Harness

/// The multiply-add counts notebook 7 teaches with, checked against hand counts of the papers'
/// architectures at ×3.
@Suite struct CostTableTests {
    @Test func networksCostWhatTheirLayersSay() {
        let rows = Dictionary(uniqueKeysWithValues: CostTable.rows(scale: 3, configuration: nil).map { ($0.method, $0.multiplyAddsPerHRPixel) })
        // Hand counts: Σ k²·C·O of each layer.
        let srcnn955: Double = 5184 + 51200 + 800, srcnn915: Double = 5184 + 2048 + 800
        // LR-space: per LR pixel, over 9 HR pixels.
        let espcn: Double = 1600 + 18432 + 2592, fsrcnn: Double = 1400 + 672 + 5184 + 672 + 4536
        let fsrcnnSmall: Double = 800 + 160 + 225 + 160 + 2592
        #expect(rows["SRCNN 9-5-5"] == srcnn955)
        #expect(rows["SRCNN 9-1-5"] == srcnn915)
        #expect(rows["ESPCN"] == espcn / 9)
        #expect(rows["FSRCNN(56,12,4)"] == fsrcnn / 9)
        #expect(rows["FSRCNN-s(32,5,1)"] == fsrcnnSmall / 9)
        #expect(rows["A+"] == nil, "no configuration, no example-based rows")
        // The order the notebook prints: dearest first.
        let order = CostTable.rows(scale: 3, configuration: nil).map(\.method)
        #expect(order == ["SRCNN 9-5-5", "SRCNN 9-1-5", "ESPCN", "FSRCNN(56,12,4)", "FSRCNN-s(32,5,1)"])
    }

    /// The Keras variants, by hand: the ones on the bicubic image per HR pixel, ResNet SR's LR
    /// layers over the 9 HR pixels of an LR pixel plus its two convolutions after the upsampling.
    @Test func kerasVariantsCostWhatTheirLayersSay() {
        let rows = Dictionary(uniqueKeysWithValues: CostTable.rows(scale: 3, configuration: nil, kerasVariants: true)
            .map { ($0.method, $0.multiplyAddsPerHRPixel) })
        let expanded: Double = 5184 + 64 * 32 * (1 + 9 + 25) + 25 * 32
        let denoising: Double = 9 * 64 + 3 * 9 * 64 * 64 + 25 * 64
        let resNet: Double = (9 * 64 + 12 * 9 * 64 * 64) / 9 + 9 * 64 * 64 + 9 * 64
        let student: Double = (9 * 32 + 2 * 9 * 32 * 32) / 9 + 9 * 32 * 32 + 9 * 32
        #expect(rows["Keras variant: Expanded SRCNN"] == expanded)
        #expect(rows["Keras variant: Denoising AE SRCNN"] == denoising)
        #expect(rows["Keras variant: ResNet SR"] == resNet)
        #expect(rows["Keras variant: Distilled ResNet SR"] == student)
        #expect(rows["SRCNN 9-5-5"] != nil && CostTable.rows(scale: 3, configuration: nil).count + 5 == rows.count)
    }

    @Test func aDeconvolutionCountsPerLRPixelAndAShuffleMovesToTheFinerGrid() {
        let deconv = NetworkSpec(name: "d", layers: [.deconv(kernel: 9, inChannels: 4, outChannels: 1, stride: 2, padding: 3)])
        #expect(deconv.multiplyAddsPerInputPixel == 324)
        let after = NetworkSpec(name: "s", layers: [.conv(kernel: 1, inChannels: 1, outChannels: 4, padding: 0), .pixelShuffle(factor: 2),
                                                    .conv(kernel: 3, inChannels: 1, outChannels: 1, padding: 1)])
        #expect(after.multiplyAddsPerInputPixel == 40)
        #expect(after.multiplyAddsPerOutputPixel == 10)
    }
}
