import COpenBLAS
import Foundation
import Imaging

extension SRCNN {
    /// The network on a whole plane: same size out, each layer's input edge-replicated at the
    /// image border. The image is cut into tiles (`tileSize`, or one band per thread when that
    /// gives fewer tiles than threads) that overlap by the halo Σ(k−1)/2 (+2 per Winograd layer) and are padded only
    /// where they touch the true border, so the result equals the untiled one; tiles run in
    /// parallel, one BLAS thread each, and each streams through the layers a few rows at a time
    /// so its activations stay in cache and memory stays bounded.
    public func apply(to input: Plane) -> Plane {
        var output = Plane(width: input.width, height: input.height)
        guard input.width > 0, input.height > 0 else { return output }
        let threads = max(1, ConvNetThreads.count)
        let tiles = SRCNNForward.tiles(width: input.width, height: input.height, tileSize: tileSize, minimumCount: threads)
        let model = self
        output.values.withUnsafeMutableBufferPointer { out in
            let target = UncheckedSendable(out.baseAddress!)
            if threads == 1 || tiles.count == 1 {
                let forward = SRCNNForward(model)
                for t in tiles { forward.run(input, tile: t, output: target.value) }
                return
            }
            let savedBLAS = openblas_get_num_threads()
            openblas_set_num_threads(1)
            ConvNetThreads.count = 1
            DispatchQueue.concurrentPerform(iterations: min(threads, tiles.count)) { worker in
                let forward = SRCNNForward(model)
                for t in stride(from: worker, to: tiles.count, by: threads) {
                    forward.run(input, tile: tiles[t], output: target.value)
                }
            }
            ConvNetThreads.count = threads
            openblas_set_num_threads(savedBLAS)
        }
        return output
    }
}

/// Streaming inference of one tile. Each layer's input is a window of rows (already padded
/// left and right where the tile touches the border); rows are pushed in a band at a time, each
/// layer computes every output row its window allows, passes them on with bias, ReLU and
/// padding applied, and keeps only the k − 1 rows the next band still needs.
final class SRCNNForward {
    struct Tile: Sendable {
        var rows: Range<Int>, columns: Range<Int>          // source region incl. halo
        var coreRows: Range<Int>, coreColumns: Range<Int>  // pixels this tile writes
    }

    let architecture: SRCNNArchitecture
    let parameters: [[Float]]
    let workspace = WorkspacePool.shared.take()

    deinit { WorkspacePool.shared.give(workspace) }

    init(_ model: SRCNN) {
        precondition(model.architecture.layers.allSatisfy { $0.kernel % 2 == 1 },
                     "same-size inference needs odd kernels, got \(model.architecture)")
        architecture = model.architecture
        parameters = model.parameters
    }

    /// A grid of tiles of side `tileSize`; if that gives fewer than `minimumCount`, horizontal
    /// bands instead so every thread has one.
    static func tiles(width: Int, height: Int, tileSize: Int, minimumCount: Int) -> [Tile] {
        precondition(tileSize > 0, "tile size must be positive")
        var tileHeight = tileSize
        let across = (width + tileSize - 1) / tileSize
        if across * ((height + tileSize - 1) / tileSize) < minimumCount {
            tileHeight = max(1, (height + minimumCount / across - 1) / max(1, minimumCount / across))
        }
        var result: [Tile] = []
        for y0 in stride(from: 0, to: height, by: tileHeight) {
            for x0 in stride(from: 0, to: width, by: tileSize) {
                let y1 = min(height, y0 + tileHeight), x1 = min(width, x0 + tileSize)
                result.append(Tile(rows: y0..<y1, columns: x0..<x1, coreRows: y0..<y1, coreColumns: x0..<x1))
            }
        }
        return result
    }

    func run(_ input: Plane, tile: Tile, output: UnsafeMutablePointer<Double>) {
        let layers = architecture.layers, halo = architecture.halo
        // A Winograd layer computes 3×3 output tiles on a grid anchored at image coordinates that
        // are multiples of 3, so a pixel's arithmetic is the same in every tiling; the grid tiles at
        // the edges of its window need up to 2 more input pixels on each side than the halo gives.
        let winograd = layers.map {
            ConvAlgorithm.automatic.resolved(kernel: $0.kernel, inChannels: $0.inChannels, outChannels: $0.outChannels) == .winograd
        }
        let reach = halo + 2 * winograd.filter { $0 }.count
        let rows = max(0, tile.coreRows.lowerBound - reach)..<min(input.height, tile.coreRows.upperBound + reach)
        let columns = max(0, tile.coreColumns.lowerBound - reach)..<min(input.width, tile.coreColumns.upperBound + reach)
        let atTop = rows.lowerBound == 0, atBottom = rows.upperBound == input.height
        let atLeft = columns.lowerBound == 0, atRight = columns.upperBound == input.width
        // Image row and column of layer l's first output (at the border, padding makes it 0).
        let shrink = layers.indices.map { l in layers[0...l].reduce(0) { $0 + ($1.kernel - 1) / 2 } }
        let firstOutputRow = shrink.map { atTop ? 0 : rows.lowerBound + $0 }
        let firstOutputColumn = shrink.map { atLeft ? 0 : columns.lowerBound + $0 }
        // Winograd layers' transformed weights, once per tile rather than once per band.
        let kernels: [UnsafePointer<Float>?] = layers.indices.map { l in
            guard winograd[l] else { return nil }
            let count = WinogradF3x5.points * layers[l].inChannels * layers[l].outChannels
            let u = workspace.buffer(17 + l, count: count)
            parameters[2 * l].withUnsafeBufferPointer { w in
                winogradKernels(w.baseAddress!, into: u, channels: count / WinogradF3x5.points,
                                tmp: workspace.buffer(3, count: 35 * count / WinogradF3x5.points))
            }
            return UnsafePointer(u)
        }
        /// How far past the first output (at image coordinate `first`) the Winograd grid starts.
        func phase(_ first: Int) -> Int { (3 - first % 3) % 3 }
        let band = max(4, 4096 / max(1, columns.count))
        // Windows: layer l's input, padded left/right by (k−1)/2 at the border.
        var windows: [Window] = []
        var interior = columns.count
        for (l, layer) in layers.enumerated() {
            let p = (layer.kernel - 1) / 2
            let (pl, pr) = (atLeft ? p : 0, atRight ? p : 0)
            let width = interior + pl + pr
            let capacity = band + 40
            windows.append(Window(data: workspace.buffer(10 + l, count: capacity * width * layer.inChannels),
                                  width: width, channels: layer.inChannels, capacity: capacity,
                                  padLeft: pl, padRight: pr))
            interior = width - layer.kernel + 1
        }
        let widest = max(architecture.n1, architecture.n2)
        let rawBuffers = (0..<3).map { workspace.buffer(13 + $0, count: (band + 40) * (columns.count + 8) * widest) }
        let rowIn = workspace.buffer(16, count: columns.count)
        // 9-1-5 (single-channel first layer, 1×1 middle layer, one-map partial-map last layer) runs
        // channel-major: the last layer's partial-map GEMM then reads its input untransposed
        // (about 25% faster in OpenBLAS than NHWC's transposed read), and its partial maps Z are
        // computed once per input row and kept across bands (`partial`) instead of recomputed for
        // the k − 1 rows each band shares with the next. Per pixel the arithmetic is NHWC's, in
        // the same order, so results are unchanged.
        let planar = layers[0].inChannels == 1 && layers[0].kernel > 1 && layers[1].kernel == 1
            && layers[2].kernel > 1 && layers[2].outChannels == 1 && !winograd[2]
            && ConvAlgorithm.shiftInvariant.resolved(kernel: layers[2].kernel, inChannels: layers[2].inChannels,
                                                     outChannels: 1) == .partialMaps
        var planarInput = PlanarWindow(data: rowIn, width: 0, planes: 0, capacity: 0, padLeft: 0, padRight: 0)
        var partial = planarInput
        var partialWeights = rowIn
        if planar {
            let (k, w) = (layers[2].kernel, windows[2].width)
            planarInput = PlanarWindow(data: workspace.buffer(22, count: (band + 40) * w * layers[2].inChannels), width: w,
                                       planes: layers[2].inChannels, capacity: band + 40,
                                       padLeft: windows[2].padLeft, padRight: windows[2].padRight)
            partial = PlanarWindow(data: workspace.buffer(20, count: (band + 40) * w * k * k), width: w, planes: k * k,
                                   capacity: band + 40, padLeft: 0, padRight: 0)
            partialWeights = workspace.buffer(21, count: k * k * layers[2].inChannels)
            parameters[4].withUnsafeBufferPointer {
                partialMapWeights($0.baseAddress!, into: partialWeights, inChannels: layers[2].inChannels, outChannels: 1, kernel: k)
            }
        }
        var emitted = [0, 0, 0]           // rows each layer has produced
        var finalRow = 0
        let originY = rows.lowerBound + (atTop ? 0 : halo)
        let originX = columns.lowerBound + (atLeft ? 0 : halo)

        // Hands on `count` rows (`width` pixels each, no bias yet) that layer l produced: bias
        // and ReLU, then into the next layer's window — or straight through the next layer when
        // it is 1×1 and needs no window — or, after the last layer, into the output.
        func emit(_ l: Int, _ raw: UnsafeMutablePointer<Float>, count: Int, width: Int) {
            let layer = layers[l]
            let bias = parameters[2 * l + 1]
            defer { emitted[l] += count }
            if l == 2 {
                for r in 0..<count {
                    let y = originY + finalRow + r
                    guard tile.coreRows.contains(y) else { continue }
                    let row = raw + r * width
                    for x in tile.coreColumns { output[y * input.width + x] = Double(row[x - originX] + bias[0]) }
                }
                finalRow += count
                return
            }
            let next = layers[l + 1]
            if planar {
                let pixels = count * width
                bias.withUnsafeBufferPointer { b in
                    if l == 0 {
                        for c in 0..<layer.outChannels { biasReLUPlaneFloat(raw + c * pixels, raw + c * pixels, count: pixels, bias: b[c]) }
                    } else {
                        for r in 0..<count {
                            planarInput.append(raw + r * width, sourceStride: pixels, biasReLU: b.baseAddress!)
                            if emitted[l] == 0 && r == 0 && atTop { planarInput.repeatFirstRowAtTop((next.kernel - 1) / 2) }
                        }
                    }
                }
                guard l == 0 else { return }
                parameters[2].withUnsafeBufferPointer { w in
                    rowMajorGemm(transposeA: true, m: next.outChannels, n: pixels, k: next.inChannels, a: w.baseAddress!,
                                 lda: next.outChannels, b: raw, ldb: pixels, beta: 0, c: rawBuffers[1], ldc: pixels)
                }
                emit(1, rawBuffers[1], count: count, width: width)
                return
            }
            if next.kernel == 1 {
                bias.withUnsafeBufferPointer { b in
                    biasReLUFloat(raw, rows: count * width, channels: layer.outChannels, bias: b.baseAddress!, relu: true)
                }
                parameters[2 * l + 2].withUnsafeBufferPointer { w in
                    conv2dForward(output: rawBuffers[l + 1], input: raw, weight: w.baseAddress!, bias: nil, batch: 1,
                                  inChannels: next.inChannels, outChannels: next.outChannels, height: count,
                                  width: width, kernel: 1, workspace: workspace)
                }
                emit(l + 1, rawBuffers[l + 1], count: count, width: width)
                return
            }
            let pad = (next.kernel - 1) / 2
            for r in 0..<count {
                // Bias and ReLU on the way into the window: one pass over the rows instead of two.
                bias.withUnsafeBufferPointer { windows[l + 1].append(raw + r * width * layer.outChannels, biasReLU: $0.baseAddress!) }
                if emitted[l] == 0 && r == 0 && atTop { windows[l + 1].repeatFirstRowAtTop(pad) }
            }
        }

        // Computes every row layer l's window allows — for a Winograd layer, only whole rows of
        // grid tiles until its input is `complete`, keeping the rest for the next band.
        func drain(_ l: Int, complete: Bool) {
            let layer = layers[l]
            let k = layer.kernel
            if planar && l == 2 {
                // Partial maps of the rows that arrived, appended to the kept ones; then every
                // output row whose k input rows are in: y = Σ_{dy,dx} Z[(dy,dx)] shifted, as in
                // conv2dForwardPartialMaps.
                if planarInput.count > 0 {
                    precondition(partial.count + planarInput.count <= partial.capacity, "inference window overflow")
                    rowMajorGemm(m: k * k, n: planarInput.count * partial.width, k: layer.inChannels, a: partialWeights,
                                 lda: layer.inChannels, b: planarInput.data, ldb: planarInput.planeStride, beta: 0,
                                 c: partial.data + partial.count * partial.width, ldc: partial.planeStride)
                    partial.count += planarInput.count
                    planarInput.count = 0
                }
                guard partial.count >= k else { return }
                let outRows = partial.count - k + 1, outWidth = partial.width - k + 1
                let acc = rawBuffers[2]
                for i in 0..<outRows {
                    let dst = acc + i * outWidth
                    for j in 0..<outWidth { dst[j] = 0 }
                    for dy in 0..<k {
                        for dx in 0..<k {
                            let src = partial.data + (dy * k + dx) * partial.planeStride + (i + dy) * partial.width + dx
                            for j in 0..<outWidth { dst[j] += src[j] }
                        }
                    }
                }
                emit(2, acc, count: outRows, width: outWidth)
                partial.dropFirst(outRows)
                return
            }
            guard windows[l].count >= k else { return }
            var outRows = windows[l].count - k + 1
            let outWidth = windows[l].width - k + 1
            let rowPhase = phase(firstOutputRow[l] + emitted[l])
            if winograd[l] && !complete { outRows = outRows < rowPhase ? 0 : outRows - (outRows - rowPhase) % 3 }
            guard outRows > 0 else { return }
            parameters[2 * l].withUnsafeBufferPointer { w in
                if winograd[l] {
                    conv2dForwardWinograd(output: rawBuffers[l], input: windows[l].data, weight: w.baseAddress!, bias: nil,
                                          batch: 1, inChannels: layer.inChannels, outChannels: layer.outChannels,
                                          height: outRows + k - 1, width: windows[l].width, relu: false,
                                          phase: (rowPhase, phase(firstOutputColumn[l])), kernels: kernels[l],
                                          workspace: workspace)
                } else if layer.inChannels == 1 {
                    conv2dForwardSingleChannelFloat(output: rawBuffers[l], input: windows[l].data, weight: w.baseAddress!,
                                                    outChannels: layer.outChannels, height: windows[l].count,
                                                    width: windows[l].width, kernel: k, channelMajor: planar,
                                                    workspace: workspace)
                } else {
                    conv2dForward(output: rawBuffers[l], input: windows[l].data, weight: w.baseAddress!, bias: nil, batch: 1,
                                  inChannels: layer.inChannels, outChannels: layer.outChannels,
                                  height: windows[l].count, width: windows[l].width, kernel: k,
                                  relu: false, algorithm: .shiftInvariant, workspace: workspace)
                }
            }
            emit(l, rawBuffers[l], count: outRows, width: outWidth)
            windows[l].dropFirst(outRows)
        }

        let p0 = (layers[0].kernel - 1) / 2
        var y = rows.lowerBound
        input.values.withUnsafeBufferPointer { src in
            while y < rows.upperBound {
                let end = min(rows.upperBound, y + band)
                for yy in y..<end {
                    let line = src.baseAddress! + yy * input.width + columns.lowerBound
                    for x in 0..<columns.count { rowIn[x] = Float(line[x]) }
                    windows[0].append(rowIn)
                    if yy == 0 && atTop { windows[0].repeatFirstRowAtTop(p0) }
                }
                if end == rows.upperBound && atBottom { windows[0].repeatLastRow(p0) }
                y = end
                for l in 0..<3 {
                    drain(l, complete: y == rows.upperBound)
                    // A layer whose input is complete has emitted its last row: pad below it.
                    if y == rows.upperBound && l < 2 && atBottom {
                        if planar && l == 1 {
                            planarInput.repeatLastRow((layers[2].kernel - 1) / 2)
                        } else {
                            windows[l + 1].repeatLastRow((layers[l + 1].kernel - 1) / 2)
                        }
                    }
                }
            }
        }
    }
}
