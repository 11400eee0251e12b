import Foundation
import SeededRandom
import Testing
@testable import ConvNet

/// The inference windows' ways in must give the same window, padding included: for the channel-major
/// one, planes given channel-major (OpenBLAS's 1×1 layer) and pixels given pixel-major (the
/// small-products 1×1 layer, transposed in ConvKernels); for the NHWC one, rows a row at a time and
/// rows written in place many at once (the 9×9 Winograd kernel's into 9-5-5's middle window).
@Suite struct InferenceWindowTests {
    @Test(arguments: [(planes: 32, interior: 29, pad: 2), (planes: 32, interior: 8, pad: 0), (planes: 12, interior: 13, pad: 1)])
    func pixelMajorRowsGiveTheSameWindowAsChannelMajorOnes(planes: Int, interior: Int, pad: Int) {
        var rng = Xoshiro256(seed: 11)
        let rows = 3, width = interior + 2 * pad
        let pixelMajor = (0..<(rows * interior * planes)).map { _ in Float.random(in: -1...1, using: &rng) }
        let bias = (0..<planes).map { _ in Float.random(in: -0.3...0.3, using: &rng) }
        // The same rows channel-major: plane c of row r at (c · rows + r) · interior.
        var channelMajor = [Float](repeating: 0, count: pixelMajor.count)
        for r in 0..<rows {
            for x in 0..<interior {
                for c in 0..<planes { channelMajor[(c * rows + r) * interior + x] = pixelMajor[(r * interior + x) * planes + c] }
            }
        }
        func fill(_ append: (inout SRCNNForward.PlanarWindow, Int) -> Void) -> [Float] {
            let capacity = rows + 2
            var buffer = [Float](repeating: .nan, count: capacity * width * planes)
            buffer.withUnsafeMutableBufferPointer { data in
                var window = SRCNNForward.PlanarWindow(data: data.baseAddress!, width: width, planes: planes,
                                                       capacity: capacity, padLeft: pad, padRight: pad)
                for r in 0..<rows { append(&window, r) }
                #expect(window.count == rows)
            }
            // Only the rows appended: the rest of each plane is untouched.
            return (0..<planes).flatMap { c in buffer[(c * capacity * width)..<(c * capacity * width + rows * width)] }
        }
        let viaPlanes = channelMajor.withUnsafeBufferPointer { source in
            bias.withUnsafeBufferPointer { b in
                fill { window, r in
                    window.append(source.baseAddress! + r * interior, sourceStride: rows * interior, biasReLU: b.baseAddress!)
                }
            }
        }
        let viaPixels = pixelMajor.withUnsafeBufferPointer { source in
            bias.withUnsafeBufferPointer { b in
                fill { window, r in window.append(pixelMajor: source.baseAddress! + r * interior * planes, biasReLU: b.baseAddress!) }
            }
        }
        #expect(viaPixels == viaPlanes)
        #expect(viaPixels.allSatisfy { $0 >= 0 && !$0.isNaN })
        #expect(viaPixels.contains(0) && viaPixels.contains { $0 > 0 })
    }

    @Test(arguments: [(topPadding: 2, pad: 2, kept: 0), (topPadding: 0, pad: 1, kept: 3), (topPadding: 0, pad: 0, kept: 5)])
    func rowsWrittenInPlaceGiveTheSameWindowAsRowsAppendedOneByOne(topPadding: Int, pad: Int, kept: Int) {
        var rng = Xoshiro256(seed: 12)
        let channels = 4, interior = 7, width = interior + 2 * pad, rows = 5, capacity = 12
        let earlier = (0..<(kept * interior * channels)).map { _ in Float.random(in: -1...1, using: &rng) }
        let new = (0..<(rows * interior * channels)).map { _ in Float.random(in: -1...1, using: &rng) }
        func fill(_ appendNew: (inout SRCNNForward.Window) -> Void) -> [Float] {
            var buffer = [Float](repeating: .nan, count: capacity * width * channels)
            return buffer.withUnsafeMutableBufferPointer { data in
                var window = SRCNNForward.Window(data: data.baseAddress!, width: width, channels: channels,
                                                 capacity: capacity, padLeft: pad, padRight: pad)
                // Rows from an earlier band, most of them dropped, so the new ones must move them back.
                earlier.withUnsafeBufferPointer { e in
                    for r in 0..<kept { window.append(e.baseAddress! + r * interior * channels) }
                }
                window.dropFirst(max(0, kept - 1))
                appendNew(&window)
                return Array(UnsafeBufferPointer(start: window.data, count: window.count * width * channels))
            }
        }
        let oneByOne = new.withUnsafeBufferPointer { n in
            fill { window in
                for r in 0..<rows {
                    window.append(n.baseAddress! + r * interior * channels)
                    if r == 0 && topPadding > 0 { window.repeatFirstRowAtTop(topPadding) }
                }
            }
        }
        let inPlace = new.withUnsafeBufferPointer { n in
            fill { window in
                window.appendRows(rows, topPadding: topPadding) { first, rowStride in
                    for r in 0..<rows {
                        (first + r * rowStride).update(from: n.baseAddress! + r * interior * channels, count: interior * channels)
                    }
                }
            }
        }
        #expect(inPlace == oneByOne)
        #expect(inPlace.count == (min(kept, 1) + topPadding + rows) * width * channels)
        #expect(!inPlace.contains { $0.isNaN })
    }
}
