import Foundation
import Imaging
import LinearAlgebra

extension SRCNN {
    /// The network on a whole plane: same size out, each layer's input edge-replicated at the
    /// image border. The image is cut into tiles (`tileSize`, or one band per thread when that
    /// gives fewer tiles than threads) that overlap by the halo Σ(k−1)/2 (+2 per Winograd layer) and are padded only
    /// where they touch the true border, so the result equals the untiled one; tiles run in
    /// parallel, one BLAS thread each, and each streams through the layers a few rows at a time
    /// so its activations stay in cache and memory stays bounded. `progress` counts output pixels.
    public func apply(to input: Plane, progress: ProgressHook? = nil) -> Plane { apply(to: input, progress: progress, clock: nil) }

    /// `apply`, adding each layer's thread CPU seconds (summed over the threads) to `clock`
    /// (`SRCNNBenchmark.inferenceLayers`).
    func apply(to input: Plane, progress: ProgressHook? = nil, clock: LayerClock?) -> Plane {
        var output = Plane(width: input.width, height: input.height)
        guard input.width > 0, input.height > 0 else { return output }
        let threads = max(1, ConvNetThreads.count)
        let tiles = SRCNNForward.tiles(width: input.width, height: input.height, tileSize: tileSize, minimumCount: threads)
        let model = self
        let counter = WorkCounter(total: input.width * input.height, hook: progress)
        output.values.withUnsafeMutableBufferPointer { out in
            let target = UncheckedSendable(out.baseAddress!)
            if threads == 1 || tiles.count == 1 {
                let forward = SRCNNForward(model)
                for t in tiles { forward.run(input, tile: t, output: target.value, progress: counter, clock: clock) }
                return
            }
            ConvNetThreads.count = 1
            BLASThreads.with(1) { DispatchQueue.concurrentPerform(iterations: min(threads, tiles.count)) { worker in
                let forward = SRCNNForward(model)
                for t in stride(from: worker, to: tiles.count, by: threads) {
                    forward.run(input, tile: tiles[t], output: target.value, progress: counter, clock: clock)
                }
            } }
            ConvNetThreads.count = threads
        }
        return output
    }
}

/// Streaming inference, one tile at a time (see `TileRun`). Each layer's input is a window of
/// rows (already padded left and right where the tile touches the border); rows are pushed in a
/// band at a time, each layer computes every output row its window allows, passes them on with
/// bias, ReLU and padding applied, and keeps only the k − 1 rows the next band still needs.
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

    /// Runs the network on one tile, writing its core pixels into `output` (an image-sized plane).
    func run(_ input: Plane, tile: Tile, output: UnsafeMutablePointer<Double>, progress: WorkCounter? = nil,
             clock: LayerClock? = nil) {
        var run = TileRun(self, input: input, tile: tile, output: output)
        run.progress = progress
        run.clock = clock
        input.values.withUnsafeBufferPointer { run.stream(from: $0.baseAddress!) }
    }
}

extension SRCNNForward {
    /// Workspace slots the tile run keeps its windows and buffers in.
    enum Slot {
        static let scratch = 3
        static let windows = 10            // + layer
        static let raw = 13                // + layer
        static let rowIn = 16
        static let winogradKernels = 17    // + layer
        static let partialMaps = 20
        static let partialMapWeights = 21
        static let channelMajorInput = 22
        static let winograd9Scratch = 23
    }

    /// The last layer run channel-major (9-1-5 and 9-5-5). Its input arrives as a [channels × pixels] matrix, so
    /// the partial-map product reads it untransposed (in OpenBLAS about 25% faster than NHWC's
    /// transposed read), and the partial maps Z of each input row are computed once and kept
    /// across bands instead of recomputed for the k − 1 rows each band shares with the next. Per
    /// pixel the arithmetic is NHWC's, in the same order, so results are unchanged.
    struct ChannelMajorLastLayer {
        var input: PlanarWindow
        var partialMaps: PlanarWindow                   // k² planes, one per kernel offset (dy, dx)
        let weights: UnsafeMutablePointer<Float>        // [k² × inChannels]
        let kernel: Int, inChannels: Int

        /// Whether the last layer can run channel-major: one map out of partial maps, after a 1×1
        /// middle layer (which then takes the first layer's rows straight, `pointwiseMiddle`) or
        /// a 5×5 Winograd one (whose pixel-major rows go into the planes transposed).
        static func applies(to layers: [(kernel: Int, inChannels: Int, outChannels: Int)], winograd: [Bool]) -> Bool {
            layers[0].inChannels == 1 && layers[0].kernel > 1 && (layers[1].kernel == 1 || winograd[1])
                && layers[2].kernel > 1 && layers[2].outChannels == 1 && !winograd[2]
                && ConvAlgorithm.shiftInvariant.resolved(kernel: layers[2].kernel, inChannels: layers[2].inChannels,
                                                         outChannels: 1) == .partialMaps
        }

        /// `width`, `padLeft`, `padRight`: the layer's input window, as its NHWC window would be.
        init(kernel k: Int, inChannels: Int, weight: [Float], width: Int, padLeft: Int, padRight: Int,
             capacity: Int, workspace: Workspace<Float>) {
            kernel = k
            self.inChannels = inChannels
            input = PlanarWindow(data: workspace.buffer(Slot.channelMajorInput, count: capacity * width * inChannels),
                                 width: width, planes: inChannels, capacity: capacity, padLeft: padLeft, padRight: padRight)
            partialMaps = PlanarWindow(data: workspace.buffer(Slot.partialMaps, count: capacity * width * k * k),
                                       width: width, planes: k * k, capacity: capacity, padLeft: 0, padRight: 0)
            weights = workspace.buffer(Slot.partialMapWeights, count: k * k * inChannels)
            weight.withUnsafeBufferPointer {
                partialMapWeights($0.baseAddress!, into: weights, inChannels: inChannels, outChannels: 1, kernel: k)
            }
        }

        /// Moves the input rows that arrived into partial maps, appended to the kept ones.
        mutating func mapArrivedRows() {
            guard input.count > 0 else { return }
            precondition(partialMaps.count + input.count <= partialMaps.capacity, "inference window overflow")
            // Small products where the CPU runs them: their bits do not depend on the rows' width, so
            // tiles agree to the bit whatever BLAS kernel the machine has.
            smallProducts(points: 1, m: kernel * kernel, n: input.count * partialMaps.width, k: inChannels, a: weights,
                          aPoint: 0, lda: inChannels, b: input.data, bPoint: 0, ldb: input.planeStride, accumulate: false,
                          c: partialMaps.data + partialMaps.count * partialMaps.width, cPoint: 0,
                          ldc: partialMaps.planeStride, level: SmallProducts.level)
            partialMaps.count += input.count
            input.count = 0
        }

        /// Every output row whose k input rows are in, into `output`: y = Σ_{dy,dx} Z[(dy,dx)]
        /// shifted, as in conv2dForwardPartialMaps. Returns the rows written and their width.
        func sumShiftedMaps(into output: UnsafeMutablePointer<Float>) -> (rows: Int, width: Int) {
            let k = kernel
            guard partialMaps.count >= k else { return (0, 0) }
            let rows = partialMaps.count - k + 1, width = partialMaps.width - k + 1
            for i in 0..<rows {
                let dst = output + i * width
                for j in 0..<width { dst[j] = 0 }
                for dy in 0..<k {
                    for dx in 0..<k {
                        let src = partialMaps.data + (dy * k + dx) * partialMaps.planeStride + (i + dy) * partialMaps.width + dx
                        for j in 0..<width { dst[j] += src[j] }
                    }
                }
            }
            return (rows, width)
        }
    }

    /// One tile streaming through the three layers. Rows of the source region are pushed in a
    /// band at a time; each layer then drains its window — computes every output row it can —
    /// and emits those rows to the next layer (bias, ReLU and border padding applied) or, after
    /// the last layer, to the output.
    struct TileRun {
        let layers: [(kernel: Int, inChannels: Int, outChannels: Int)]
        let parameters: [[Float]]
        let workspace: Workspace<Float>
        let tile: Tile
        let imageWidth: Int
        let output: UnsafeMutablePointer<Double>

        // Geometry
        let rows: Range<Int>, columns: Range<Int>    // source region read: the core plus its reach
        let atTop: Bool, atBottom: Bool, atLeft: Bool, atRight: Bool
        let origin: (y: Int, x: Int)                 // image position of the last layer's first output
        /// Image row and column of layer l's first output (at the border, padding makes it 0).
        let firstOutputRow: [Int], firstOutputColumn: [Int]
        let band: Int

        // Winograd layers (nil elsewhere): transformed weights, once per tile rather than per band.
        let transformedKernels: [UnsafePointer<Float>?]
        /// A 9×9 single-channel first layer's V for `WinogradNineByNine`, where it runs.
        let firstLayerKernels: UnsafePointer<Float>?
        /// A channel-major run whose 1×1 middle layer takes the first layer's rows as they come
        /// (channel-major, or pixel-major from `WinogradNineByNine`), with their bias and ReLU.
        let pointwiseMiddle: Bool
        /// Whether the middle layer's rows reach the last layer's planes pixel-major, transposed on
        /// the way: a Winograd layer's, or a 1×1 layer's run as small products on the first
        /// layer's pixel-major rows; else OpenBLAS writes them channel-major.
        let middleLayerPixelMajor: Bool

        // Buffers
        /// Layer l's input rows, padded left/right by (k − 1)/2 at the border. With a
        /// channel-major last layer, its input lives in `channelMajor.input` instead and this
        /// holds only layers 0 and 1.
        var windows: [Window]
        let raw: [UnsafeMutablePointer<Float>]       // layer l's output rows before bias
        let rowIn: UnsafeMutablePointer<Float>       // one source row, as Float
        var channelMajor: ChannelMajorLastLayer?
        var emitted = [0, 0, 0]                      // rows each layer has produced
        var progress: WorkCounter?                   // told of the core pixels written
        var clock: LayerClock?                       // per-layer CPU time, when profiled

        init(_ forward: SRCNNForward, input: Plane, tile: Tile, output: UnsafeMutablePointer<Double>) {
            let layers = forward.architecture.layers, halo = forward.architecture.halo
            let parameters = forward.parameters, workspace = forward.workspace
            self.layers = layers
            self.parameters = parameters
            self.workspace = workspace
            self.tile = tile
            imageWidth = input.width
            self.output = output

            // A Winograd layer computes 3×3 output tiles on a grid anchored at image coordinates
            // that are multiples of 3, so a pixel's arithmetic is the same in every tiling; the
            // grid tiles at the edges of its window need up to 2 more input pixels on each side
            // than the halo gives. Only 5×5 layers: 3×3 ones (F(2×2, 3×3), a 2×2 grid) keep the
            // shift-invariant formulations here.
            let winograd = layers.map {
                $0.kernel == 5 && ConvAlgorithm.automatic.resolved(kernel: $0.kernel, inChannels: $0.inChannels,
                                                                   outChannels: $0.outChannels) == .winograd
            }
            // SRCNN's 9×9 first layer runs F(3×3, 3×3) on its sub-kernels, on the same kind of grid.
            let first = layers[0]
            let firstLayerWinograd = WinogradNineByNine.applies(kernel: first.kernel, inChannels: first.inChannels,
                                                                outChannels: first.outChannels)
            let reach = halo + 2 * (winograd.filter { $0 }.count + (firstLayerWinograd ? 1 : 0))
            let rows = max(0, tile.coreRows.lowerBound - reach)..<min(input.height, tile.coreRows.upperBound + reach)
            let columns = max(0, tile.coreColumns.lowerBound - reach)..<min(input.width, tile.coreColumns.upperBound + reach)
            let atTop = rows.lowerBound == 0, atLeft = columns.lowerBound == 0
            let atRight = columns.upperBound == input.width
            self.rows = rows
            self.columns = columns
            self.atTop = atTop
            self.atLeft = atLeft
            self.atRight = atRight
            atBottom = rows.upperBound == input.height
            origin = (rows.lowerBound + (atTop ? 0 : halo), columns.lowerBound + (atLeft ? 0 : halo))
            let shrink = layers.indices.map { l in layers[0...l].reduce(0) { $0 + ($1.kernel - 1) / 2 } }
            firstOutputRow = shrink.map { atTop ? 0 : rows.lowerBound + $0 }
            firstOutputColumn = shrink.map { atLeft ? 0 : columns.lowerBound + $0 }
            let band = max(4, 4096 / max(1, columns.count))
            self.band = band

            transformedKernels = layers.indices.map { l in
                guard winograd[l] else { return nil }
                let count = WinogradF3x5.points * layers[l].inChannels * layers[l].outChannels
                let u = workspace.buffer(Slot.winogradKernels + l, count: count)
                parameters[2 * l].withUnsafeBufferPointer { w in
                    winogradKernels(WinogradF3x5.self, w.baseAddress!, into: u, channels: count / WinogradF3x5.points,
                                    tmp: workspace.buffer(Slot.scratch, count: 35 * count / WinogradF3x5.points))
                }
                return UnsafePointer(u)
            }

            firstLayerKernels = firstLayerWinograd ? {
                let v = workspace.buffer(Slot.winogradKernels + 0, count: 9 * 25 * first.outChannels)
                parameters[0].withUnsafeBufferPointer {
                    WinogradNineByNine.transformKernels($0.baseAddress!, channels: first.outChannels, into: v)
                }
                return UnsafePointer(v)
            }() : nil

            // A band plus the rows kept from the previous one and the border padding, with room to spare.
            let capacity = band + 40
            let channelMajorLastLayer = ChannelMajorLastLayer.applies(to: layers, winograd: winograd)
            var windows: [Window] = []
            var channelMajor: ChannelMajorLastLayer?
            var interior = columns.count
            for (l, layer) in layers.enumerated() {
                let p = (layer.kernel - 1) / 2
                let (padLeft, padRight) = (atLeft ? p : 0, atRight ? p : 0)
                let width = interior + padLeft + padRight
                if l == 2 && channelMajorLastLayer {
                    channelMajor = ChannelMajorLastLayer(kernel: layer.kernel, inChannels: layer.inChannels,
                                                         weight: parameters[4], width: width, padLeft: padLeft,
                                                         padRight: padRight, capacity: capacity, workspace: workspace)
                } else {
                    windows.append(Window(data: workspace.buffer(Slot.windows + l, count: capacity * width * layer.inChannels),
                                          width: width, channels: layer.inChannels, capacity: capacity,
                                          padLeft: padLeft, padRight: padRight))
                }
                interior = width - layer.kernel + 1
            }
            self.windows = windows
            self.channelMajor = channelMajor
            pointwiseMiddle = channelMajor != nil && layers[1].kernel == 1
            middleLayerPixelMajor = channelMajor != nil
                && (!pointwiseMiddle || (firstLayerWinograd && SmallProducts.level != nil))
            let widest = max(forward.architecture.n1, forward.architecture.n2)
            raw = (0..<3).map { workspace.buffer(Slot.raw + $0, count: capacity * (columns.count + 8) * widest) }
            rowIn = workspace.buffer(Slot.rowIn, count: columns.count)
        }

        /// Streams the source region through the layers, a band of rows at a time.
        mutating func stream(from source: UnsafePointer<Double>) {
            var y = rows.lowerBound
            while y < rows.upperBound {
                let end = min(rows.upperBound, y + band)
                push(y..<end, from: source)
                y = end
                let inputComplete = y == rows.upperBound
                for l in 0..<3 {
                    drain(layer: l, inputComplete: inputComplete)
                    // A layer whose input is complete has emitted its last row: pad below it.
                    if inputComplete && l < 2 && atBottom { padBelowInput(ofLayer: l + 1) }
                }
            }
        }

        /// Appends source rows `band` to the first layer's window, padding it at the border.
        mutating func push(_ band: Range<Int>, from source: UnsafePointer<Double>) {
            let start = clock?.now()
            defer { clock?.add(since: start, layer: 0) }
            let pad = (layers[0].kernel - 1) / 2
            for y in band {
                let line = source + y * imageWidth + columns.lowerBound
                for x in 0..<columns.count { rowIn[x] = Float(line[x]) }
                windows[0].append(rowIn)
                if y == 0 && atTop { windows[0].repeatFirstRowAtTop(pad) }
            }
            if band.upperBound == rows.upperBound && atBottom { windows[0].repeatLastRow(pad) }
        }

        mutating func padBelowInput(ofLayer l: Int) {
            let pad = (layers[l].kernel - 1) / 2
            if l == 2 && channelMajor != nil {
                channelMajor!.input.repeatLastRow(pad)
            } else {
                windows[l].repeatLastRow(pad)
            }
        }

        /// Computes every row layer l's window allows — for a Winograd layer, only whole rows of
        /// grid tiles until its input is complete, keeping the rest for the next band.
        mutating func drain(layer l: Int, inputComplete: Bool) {
            if l == 2 && channelMajor != nil { return drainChannelMajorLastLayer() }
            let layer = layers[l]
            let k = layer.kernel
            guard windows[l].count >= k else { return }
            var outRows = windows[l].count - k + 1
            let outWidth = windows[l].width - k + 1
            let winograd = transformedKernels[l] != nil || (l == 0 && firstLayerKernels != nil)
            let rowPhase = Self.phase(firstOutputRow[l] + emitted[l])
            if winograd && !inputComplete { outRows = outRows < rowPhase ? 0 : outRows - (outRows - rowPhase) % 3 }
            guard outRows > 0 else { return }
            let start = clock?.now()
            if l == 0, let v = firstLayerKernels, !pointwiseMiddle {
                // Straight into the middle layer's window, biased and rectified: no rows to copy.
                let input = windows[0].data, width = windows[0].width, maps = layer.outChannels
                let phase = (rowPhase, Self.phase(firstOutputColumn[0]))
                let topPadding = emitted[0] == 0 && atTop ? (layers[1].kernel - 1) / 2 : 0
                let scratch = workspace.buffer(Slot.winograd9Scratch, count: WinogradNineByNine.scratchCount(
                    height: outRows + k - 1, width: width, channels: maps))
                parameters[1].withUnsafeBufferPointer { b in
                    let bias = b.baseAddress!
                    windows[1].appendRows(outRows, topPadding: topPadding) { first, rowStride in
                        WinogradNineByNine.forward(output: first, outputRowStride: rowStride, input: input, kernels: v,
                                                   height: outRows + k - 1, width: width, channels: maps, phase: phase,
                                                   bias: bias, relu: true, scratch: scratch)
                    }
                }
                emitted[0] += outRows
                clock?.add(since: start, layer: 0)
                windows[0].dropFirst(outRows)
                return
            }
            parameters[2 * l].withUnsafeBufferPointer { w in
                if l == 0, let v = firstLayerKernels {
                    // Before the pointwise middle layer: the bias and ReLU come with it (emitChannelMajor), as below.
                    let height = outRows + k - 1, width = windows[l].width
                    let scratch = workspace.buffer(Slot.winograd9Scratch, count: WinogradNineByNine.scratchCount(
                        height: height, width: width, channels: layer.outChannels))
                    parameters[1].withUnsafeBufferPointer { b in
                        WinogradNineByNine.forward(output: raw[l], input: windows[l].data, kernels: v, height: height,
                                                   width: width, channels: layer.outChannels,
                                                   phase: (rowPhase, Self.phase(firstOutputColumn[l])),
                                                   bias: b.baseAddress, relu: true, scratch: scratch)
                    }
                } else if winograd {
                    conv2dForwardWinograd(output: raw[l], input: windows[l].data, weight: w.baseAddress!, bias: nil,
                                          batch: 1, inChannels: layer.inChannels, outChannels: layer.outChannels,
                                          height: outRows + k - 1, width: windows[l].width, kernel: k, relu: false,
                                          phase: (rowPhase, Self.phase(firstOutputColumn[l])), kernels: transformedKernels[l],
                                          workspace: workspace)
                } else if layer.inChannels == 1 {
                    // Before a pointwise middle layer: channel-major, with the bias and ReLU (emitChannelMajor).
                    parameters[2 * l + 1].withUnsafeBufferPointer { b in
                        conv2dForwardSingleChannelFloat(output: raw[l], input: windows[l].data, weight: w.baseAddress!,
                                                        outChannels: layer.outChannels, height: windows[l].count,
                                                        width: windows[l].width, kernel: k, channelMajor: pointwiseMiddle,
                                                        workspace: workspace, bias: pointwiseMiddle ? b.baseAddress : nil,
                                                        relu: pointwiseMiddle)
                    }
                } else {
                    conv2dForward(output: raw[l], input: windows[l].data, weight: w.baseAddress!, bias: nil, batch: 1,
                                  inChannels: layer.inChannels, outChannels: layer.outChannels,
                                  height: windows[l].count, width: windows[l].width, kernel: k,
                                  relu: false, algorithm: .shiftInvariant, workspace: workspace)
                }
            }
            clock?.add(since: start, layer: l)
            emit(layer: l, raw[l], count: outRows, width: outWidth)
            windows[l].dropFirst(outRows)
        }

        /// How far past the first output (at image coordinate `first`) the Winograd grid starts.
        static func phase(_ first: Int) -> Int { (3 - first % 3) % 3 }

        mutating func drainChannelMajorLastLayer() {
            let start = clock?.now()
            channelMajor!.mapArrivedRows()
            let (count, width) = channelMajor!.sumShiftedMaps(into: raw[2])
            clock?.add(since: start, layer: 2)
            guard count > 0 else { return }
            emit(layer: 2, raw[2], count: count, width: width)
            channelMajor!.partialMaps.dropFirst(count)
        }

        /// Hands on `count` rows (`width` pixels each, no bias yet) that layer l produced: bias
        /// and ReLU, then into the next layer's window — or straight through the next layer when
        /// it is 1×1 and needs no window — or, after the last layer, into the output.
        mutating func emit(layer l: Int, _ rows: UnsafeMutablePointer<Float>, count: Int, width: Int) {
            defer { emitted[l] += count }
            if l == 2 { return writeOutput(rows, count: count, width: width) }
            if (l == 0 && pointwiseMiddle) || (l == 1 && channelMajor != nil) {
                return emitChannelMajor(layer: l, rows, count: count, width: width)
            }
            let layer = layers[l], next = layers[l + 1]
            let bias = parameters[2 * l + 1]
            if next.kernel == 1 {
                var start = clock?.now()
                bias.withUnsafeBufferPointer { b in
                    biasReLUFloat(rows, rows: count * width, channels: layer.outChannels, bias: b.baseAddress!, relu: true)
                }
                clock?.add(since: start, layer: l)
                start = clock?.now()
                parameters[2 * l + 2].withUnsafeBufferPointer { w in
                    conv2dForward(output: raw[l + 1], input: rows, weight: w.baseAddress!, bias: nil, batch: 1,
                                  inChannels: next.inChannels, outChannels: next.outChannels, height: count,
                                  width: width, kernel: 1, workspace: workspace)
                }
                clock?.add(since: start, layer: l + 1)
                return emit(layer: l + 1, raw[l + 1], count: count, width: width)
            }
            let pad = (next.kernel - 1) / 2
            let start = clock?.now()
            defer { clock?.add(since: start, layer: l) }
            for r in 0..<count {
                // Bias and ReLU on the way into the window: one pass over the rows instead of two.
                bias.withUnsafeBufferPointer { windows[l + 1].append(rows + r * width * layer.outChannels, biasReLU: $0.baseAddress!) }
                if emitted[l] == 0 && r == 0 && atTop { windows[l + 1].repeatFirstRowAtTop(pad) }
            }
        }

        /// `emit` on the channel-major path: layer 0's rows (biased and rectified already) go through
        /// the 1×1 layer as one product, layer 1's into the last layer's planes.
        mutating func emitChannelMajor(layer l: Int, _ rows: UnsafeMutablePointer<Float>, count: Int, width: Int) {
            let next = layers[l + 1]
            let bias = parameters[2 * l + 1]
            let pixels = count * width
            if l == 0 {
                // Its bias and ReLU were applied as the first layer stored its rows (drain), as
                // planes, or as pixels where the Winograd kernel ran.
                let pixelMajor = firstLayerKernels != nil
                let start = clock?.now()
                parameters[2].withUnsafeBufferPointer { w in
                    if middleLayerPixelMajor {
                        smallProducts(points: 1, m: pixels, n: next.outChannels, k: next.inChannels, a: rows, aPoint: 0,
                                      lda: next.inChannels, b: w.baseAddress!, bPoint: 0, ldb: next.outChannels,
                                      accumulate: false, c: raw[1], cPoint: 0, ldc: next.outChannels,
                                      level: SmallProducts.level)
                        return
                    }
                    rowMajorGemm(transposeA: true, transposeB: pixelMajor, m: next.outChannels, n: pixels,
                                 k: next.inChannels, a: w.baseAddress!, lda: next.outChannels, b: rows,
                                 ldb: pixelMajor ? next.inChannels : pixels, beta: 0, c: raw[1], ldc: pixels)
                }
                clock?.add(since: start, layer: 1)
                return emit(layer: 1, raw[1], count: count, width: width)
            }
            let start = clock?.now()
            defer { clock?.add(since: start, layer: 1) }
            bias.withUnsafeBufferPointer { b in
                for r in 0..<count {
                    if middleLayerPixelMajor {
                        channelMajor!.input.append(pixelMajor: rows + r * width * next.inChannels, biasReLU: b.baseAddress!)
                    } else {
                        channelMajor!.input.append(rows + r * width, sourceStride: pixels, biasReLU: b.baseAddress!)
                    }
                    if emitted[l] == 0 && r == 0 && atTop { channelMajor!.input.repeatFirstRowAtTop((next.kernel - 1) / 2) }
                }
            }
        }

        /// The last layer's rows plus its bias into the output, those in the tile's core.
        func writeOutput(_ rows: UnsafeMutablePointer<Float>, count: Int, width: Int) {
            let start = clock?.now()
            defer { clock?.add(since: start, layer: 2) }
            let bias = parameters[5]
            var written = 0
            for r in 0..<count {
                let y = origin.y + emitted[2] + r
                guard tile.coreRows.contains(y) else { continue }
                let row = rows + r * width
                for x in tile.coreColumns { output[y * imageWidth + x] = Double(row[x - origin.x] + bias[0]) }
                written += 1
            }
            progress?.add(written * tile.coreColumns.count)
        }
    }
}

/// Thread CPU seconds per layer, summed over the threads that add to it (profiling only).
final class LayerClock: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var seconds: [Double]

    init(layers: Int) { seconds = [Double](repeating: 0, count: layers) }

    func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func add(since start: Double?, layer: Int) {
        guard let start else { return }
        let elapsed = now() - start
        lock.lock()
        seconds[layer] += elapsed
        lock.unlock()
    }
}
