import ConvKernels
import Dispatch
import Foundation
import Imaging
import LinearAlgebra

/// Forward-only inference of a sequential `NetworkSpec` on a whole LR plane, as `SRCNN.apply`
/// runs SRCNN: the image is cut into tiles that overlap by the steps' reach and are padded only
/// where they touch the true border (so the result is the untiled one up to float rounding); tiles
/// run in parallel, one BLAS thread each, and each streams through the steps (`StreamingPlan`) a
/// band of rows at a time, so activations stay in cache, bias and activation are applied in the
/// pass that hands rows on, and 1×1 convolutions are one GEMM on the rows as they are.
/// nil for a spec without a plan (`SequentialModel` then runs `SequentialNetwork`).
public final class StreamingInference: @unchecked Sendable {
    let plan: StreamingPlan
    /// Tiles are column strips about this wide (0: the whole width), cut in rows too when there
    /// are fewer strips than threads. With `band`, what keeps a step's rows in the 1 MB L2 cache:
    /// 128 × 4 measured fastest among 64–256 × 1–32 for FSRCNN on 2 Zen 4 cores (`srlab bench lrspace`).
    public var tileWidth = 128
    /// LR rows pushed through the steps at a time: 4, or 8 for a plan with a Winograd step (ESPCN),
    /// whose steps then compute two rows of 4×4 tiles at a time, so each of its 36 GEMMs per batch
    /// takes twice the tiles. With OpenBLAS's Haswell kernels (AVX2) that cut ESPCN ×3's CPU time
    /// per frame by ~5 % (bands of 12 and 16 ran the same); with AVX-512 it changed nothing.
    public var band: Int
    /// When set, each `apply` adds every step's seconds (summed over threads) to it; nil in normal use.
    public var stageSeconds: [Double]?
    /// Whether a plan that can run channel-major does (`StreamingPlan.channelMajor`); tests turn
    /// it off to hold the NHWC form to the same results.
    var allowChannelMajor = true
    private let lock = NSLock()

    public convenience init?(spec: NetworkSpec, parameters: [[Float]]) {
        self.init(spec: spec, parameters: parameters, directKernels: true)
    }

    /// `directKernels: false` keeps ConvKernels' direct kernels out (`StreamingPlan.directKernels`; tests).
    init?(spec: NetworkSpec, parameters: [[Float]], directKernels: Bool) {
        guard parameters.map(\.count) == spec.parameterTensors.map(\.count),
              let plan = StreamingPlan(spec: spec, parameters: parameters, directKernels: directKernels) else { return nil }
        self.plan = plan
        band = plan.stages.contains { $0.rowsPerTile > 1 } ? 8 : 4
    }

    /// The spec's layers (0-based) each step runs, and the steps' names (e.g. "conv 1×1 56→12 pad 0 + prelu 12").
    public var stageLayers: [[Int]] { plan.stages.map(\.layers) }
    public var stageSummaries: [String] { plan.stages.map(\.summary) }

    /// The HR output for the LR `input` (one channel on [0, 1] for the SR networks).
    public func apply(to input: Plane) -> Plane {
        let r = plan.shuffle
        guard input.width > 0, input.height > 0 else { return Plane(width: input.width * r, height: input.height * r) }
        let threads = max(1, ConvNetThreads.count)
        let tiles = Self.tiles(width: input.width, height: input.height, tileWidth: tileWidth, threads: threads)
        var nextTile = 0
        // Left uninitialised: the tiles' cores cover the frame, so every HR pixel is written once
        // (zeroing a 1080p frame first cost ~0.5 ms).
        let count = input.width * r * input.height * r
        let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
            input.values.withUnsafeBufferPointer { source in
                let target = UncheckedSendable(out.baseAddress!), from = UncheckedSendable(source.baseAddress!)
                // Each worker takes the next tile until none is left.
                let work = { [self] in
                    let workspace = WorkspacePool.shared.take()
                    defer { WorkspacePool.shared.give(workspace) }
                    var seconds = stageSeconds.map { [Double](repeating: 0, count: $0.count) }
                    while true {
                        lock.lock()
                        let t = nextTile
                        nextTile += 1
                        lock.unlock()
                        guard t < tiles.count else { break }
                        var run = StreamingTileRun(plan, tile: tiles[t], imageWidth: input.width, imageHeight: input.height,
                                                   band: band, channelMajor: plan.channelMajor && allowChannelMajor,
                                                   output: target.value, workspace: workspace)
                        run.seconds = seconds
                        run.stream(from: from.value)
                        seconds = run.seconds
                    }
                    if let seconds {
                        lock.lock()
                        for i in seconds.indices { stageSeconds![i] += seconds[i] }
                        lock.unlock()
                    }
                }
                if threads == 1 || tiles.count == 1 {
                    work()
                } else {
                    let task = UncheckedSendable(work)
                    ConvNetThreads.with(1) { BLASThreads.with(1) {
                        DispatchQueue.concurrentPerform(iterations: min(threads, tiles.count)) { _ in task.value() }
                    } }
                }
            }
            initialized = count
        }
        return Plane(width: input.width * r, height: input.height * r, values: values)
    }

    /// Column strips of at most about `tileWidth` (all of the same width ±1), each cut into as many
    /// row bands as it takes to give every thread a tile. More strips than threads come in a
    /// multiple of the thread count, so that every thread gets as many (5 strips of a 640-pixel
    /// frame on 2 threads would leave one thread idle while the other runs the fifth).
    static func tiles(width: Int, height: Int, tileWidth: Int, threads: Int) -> [(rows: Range<Int>, columns: Range<Int>)] {
        var across = tileWidth > 0 ? max(1, (width + tileWidth - 1) / tileWidth) : 1
        if across > threads { across = (across + threads - 1) / threads * threads }
        across = min(width, across)
        let down = min(height, across >= threads ? 1 : (threads + across - 1) / across)
        var tiles: [(rows: Range<Int>, columns: Range<Int>)] = []
        for i in 0..<down {
            for j in 0..<across {
                tiles.append((height * i / down..<height * (i + 1) / down, width * j / across..<width * (j + 1) / across))
            }
        }
        return tiles
    }
}

/// One tile streaming through the steps. Source rows are pushed a band at a time; each step then
/// computes every output row its window allows and hands it on (bias, activation and border
/// padding applied) to the next step's window, keeping only the k − 1 rows the next band needs;
/// the last step's partial maps go through its shuffle into the HR output.
struct StreamingTileRun {
    let stages: [StreamingStage]
    let workspace: Workspace<Float>
    let coreRows: Range<Int>, coreColumns: Range<Int>
    let rows: Range<Int>, columns: Range<Int>      // source region read: the core plus its reach
    let atTop: Bool, atBottom: Bool
    /// Image row and column of the last step's first output.
    let origin: (y: Int, x: Int)
    let imageWidth: Int, band: Int, shuffle: Int
    let output: UnsafeMutablePointer<Double>       // the HR plane
    let channelMajor: Bool                          // activations in `planes` rather than `windows`
    let directKernels: Bool                         // StreamingPlan.directKernels

    var windows: [SRCNNForward.Window] = []         // each step's input rows (NHWC, padded)
    var planes: [SRCNNForward.PlanarWindow] = []    // the same channel-major
    var maps: SRCNNForward.PlanarWindow             // the last step's partial maps, one plane per tap
    var emitted: [Int]                              // rows each step has produced
    let raw: UnsafeMutablePointer<Float>            // a step's output rows before bias
    let rowIn: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>
    var seconds: [Double]?

    /// Workspace slots (conv2dForward's im2col and the Winograd engine use 0 to 3).
    enum Slot {
        static let maps = 60, raw = 61, rowIn = 62, sums = 63
        static let windows = 100   // + step
    }

    init(_ plan: StreamingPlan, tile: (rows: Range<Int>, columns: Range<Int>), imageWidth: Int, imageHeight: Int,
         band: Int, channelMajor: Bool, output: UnsafeMutablePointer<Double>, workspace: Workspace<Float>) {
        let stages = plan.stages
        self.channelMajor = channelMajor
        directKernels = plan.directKernels
        self.stages = stages
        self.workspace = workspace
        self.imageWidth = imageWidth
        self.band = max(1, band)
        shuffle = plan.shuffle
        self.output = output
        coreRows = tile.rows
        coreColumns = tile.columns
        let reachBefore = stages.reduce(0) { $0 + $1.before }, reachAfter = stages.reduce(0) { $0 + $1.after }
        rows = max(0, tile.rows.lowerBound - reachBefore)..<min(imageHeight, tile.rows.upperBound + reachAfter)
        columns = max(0, tile.columns.lowerBound - reachBefore)..<min(imageWidth, tile.columns.upperBound + reachAfter)
        atTop = rows.lowerBound == 0
        atBottom = rows.upperBound == imageHeight
        let atLeft = columns.lowerBound == 0, atRight = columns.upperBound == imageWidth
        origin = (atTop ? 0 : rows.lowerBound + reachBefore, atLeft ? 0 : columns.lowerBound + reachBefore)

        // A band plus the rows kept from the previous one and every step's padding.
        let capacity = self.band + stages.reduce(4) { $0 + $1.kernel + $1.before + $1.after }
        var interior = columns.count, widest = 0, lastWidth = 0
        for (l, stage) in stages.enumerated() {
            let (padLeft, padRight) = (atLeft ? stage.before : 0, atRight ? stage.after : 0)
            let width = interior + padLeft + padRight
            let data = workspace.buffer(Slot.windows + l, count: capacity * width * stage.inChannels)
            if channelMajor {
                var window = SRCNNForward.PlanarWindow(data: data, width: width, planes: stage.inChannels, capacity: capacity,
                                                       padLeft: padLeft, padRight: padRight)
                window.zeroPadding = stage.zeroPadding
                planes.append(window)
            } else {
                var window = SRCNNForward.Window(data: data, width: width, channels: stage.inChannels, capacity: capacity,
                                                 padLeft: padLeft, padRight: padRight)
                window.zeroPadding = stage.zeroPadding
                windows.append(window)
            }
            lastWidth = width
            interior = width - stage.kernel + 1
            widest = max(widest, interior * stage.computedChannels)
        }
        let last = stages.last!
        maps = SRCNNForward.PlanarWindow(data: workspace.buffer(Slot.maps, count: (capacity + last.kernel) * lastWidth * last.taps.count),
                                         width: lastWidth, planes: last.taps.count, capacity: capacity + last.kernel,
                                         padLeft: 0, padRight: 0)
        emitted = [Int](repeating: 0, count: stages.count)
        raw = workspace.buffer(Slot.raw, count: (capacity + 1) * widest)
        rowIn = workspace.buffer(Slot.rowIn, count: columns.count)
        sums = workspace.buffer(Slot.sums, count: tile.columns.count)
    }

    /// Streams the source region through the steps, a band of rows at a time.
    mutating func stream(from source: UnsafePointer<Double>) {
        var y = rows.lowerBound
        while y < rows.upperBound {
            let end = min(rows.upperBound, y + band)
            push(y..<end, from: source)
            y = end
            let inputComplete = y == rows.upperBound
            for l in stages.indices {
                let start = seconds == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                drain(step: l, inputComplete: inputComplete)
                // A step whose input is complete has emitted its last row: pad below it.
                if inputComplete && atBottom && l + 1 < stages.count {
                    if channelMajor { planes[l + 1].padBelow(stages[l + 1].after) } else { windows[l + 1].padBelow(stages[l + 1].after) }
                }
                if seconds != nil { seconds![l] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            }
        }
    }

    /// Appends source rows `band` to the first step's window, padding it at the border.
    mutating func push(_ band: Range<Int>, from source: UnsafePointer<Double>) {
        let before = stages[0].before, after = stages[0].after, width = columns.count
        for y in band {
            let line = source + y * imageWidth + columns.lowerBound
            if channelMajor {
                planes[0].appendRow { _, row in for x in 0..<width { row[x] = Float(line[x]) } }
                if y == 0 && atTop { planes[0].padAbove(before) }
            } else {
                for x in 0..<width { rowIn[x] = Float(line[x]) }
                windows[0].append(rowIn)
                if y == 0 && atTop { windows[0].padAbove(before) }
            }
        }
        if band.upperBound == rows.upperBound && atBottom {
            if channelMajor { planes[0].padBelow(after) } else { windows[0].padBelow(after) }
        }
    }

    /// Computes every row step l's window allows and hands the rows on. A Winograd step computes
    /// whole tiles of rows, the last ones alone once its input is complete.
    mutating func drain(step l: Int, inputComplete: Bool) {
        let stage = stages[l]
        if stage.form == .partialMaps { return drainLastStep() }
        let k = stage.kernel
        let (count, width) = channelMajor ? (planes[l].count, planes[l].width) : (windows[l].count, windows[l].width)
        guard count >= k else { return }
        var outRows = count - k + 1
        let outWidth = width - k + 1
        if !inputComplete {
            outRows -= outRows % stage.rowsPerTile
            guard outRows > 0 else { return }
        }
        if directKernels, !channelMajor, let activation = stage.directActivation, l + 1 < stages.count,
           srlab_conv1_nhwc_activated_runs(0, Int32(width), Int32(k), Int32(stage.outChannels)) != 0 {
            appendDirect(step: l, outRows: outRows, activation: activation)
            windows[l].dropFirst(outRows)
            emitted[l] += outRows
            return
        }
        if channelMajor {
            computeChannelMajor(step: l, outRows: outRows, outWidth: outWidth)
            planes[l].dropFirst(outRows)
        } else {
            computeNHWC(step: l, outRows: outRows)
            windows[l].dropFirst(outRows)
        }
        if stage.upscales { return shuffleOut(step: l, outRows: outRows, outWidth: outWidth) }
        let next = stages[l + 1], raw = raw
        if channelMajor {
            let pixels = outRows * outWidth
            for r in 0..<outRows {
                planes[l + 1].appendRow { c, row in stage.biasActivationPlane(row, raw + c * pixels + r * outWidth, count: outWidth, channel: c) }
                if emitted[l] == 0 && r == 0 && atTop { planes[l + 1].padAbove(next.before) }
            }
        } else {
            let rowLength = outWidth * stage.outChannels
            stage.bias.withUnsafeBufferPointer { b in
                stage.slope.withUnsafeBufferPointer { a in
                    for r in 0..<outRows {
                        windows[l + 1].appendRow {
                            stage.biasActivationCopy($0, raw + r * rowLength, pixels: outWidth, bias: b.baseAddress!, slope: a.baseAddress,
                                                     direct: directKernels)
                        }
                        if emitted[l] == 0 && r == 0 && atTop { windows[l + 1].padAbove(next.before) }
                    }
                }
            }
        }
        emitted[l] += outRows
    }

    /// A single-channel step's `outRows` output rows straight into the next step's window, the bias
    /// and activation applied as the direct kernel stores them (ConvKernels' `srlab_conv1_nhwc_activated`):
    /// no pass over `raw`, no patch matrix. ESPCN's conv 5×5 1→64 + tanh.
    mutating func appendDirect(step l: Int, outRows: Int, activation: Int32) {
        let stage = stages[l], window = windows[l], k = Int32(stage.kernel), next = stages[l + 1]
        stage.weight.withUnsafeBufferPointer { w in
            stage.bias.withUnsafeBufferPointer { b in
                for r in 0..<outRows {
                    windows[l + 1].appendRow { row in
                        let ran = srlab_conv1_nhwc_activated(0, row, 0, window.data + r * window.width, w.baseAddress!, k,
                                                             Int32(window.width), k, Int32(stage.outChannels), b.baseAddress,
                                                             activation)
                        precondition(ran != 0, "the direct kernel declined a shape it had accepted")
                    }
                    if emitted[l] == 0 && r == 0 && atTop { windows[l + 1].padAbove(next.before) }
                }
            }
        }
    }

    /// Step l's first `outRows` output rows, NHWC, into `raw` (a 1×1 or im2col step computes all
    /// its window allows).
    func computeNHWC(step l: Int, outRows: Int) {
        let stage = stages[l], window = windows[l], k = stage.kernel
        stage.weight.withUnsafeBufferPointer { w in
            let w = w.baseAddress!
            switch stage.form {
            case .pointwise:
                rowMajorGemm(m: window.count * window.width, n: stage.outChannels, k: stage.inChannels, a: window.data,
                             lda: stage.inChannels, b: w, ldb: stage.outChannels, beta: 0, c: raw, ldc: stage.outChannels)
            case .singleChannel:
                conv2dForwardSingleChannelFloat(output: raw, input: window.data, weight: w, outChannels: stage.outChannels,
                                                height: window.count, width: window.width, kernel: k, workspace: workspace)
            case .winogradF4x3, .winogradShuffle:
                conv2dForwardWinograd(output: raw, input: window.data, weight: w, bias: nil, batch: 1,
                                      inChannels: stage.inChannels, outChannels: stage.computedChannels, height: outRows + 2,
                                      width: window.width, kernel: 3, largeTiles: true, relu: false, kernels: w,
                                      tilesPerChunk: StreamingStage.winogradTilesPerChunk,
                                      wideTransforms: true, workspace: workspace)
            case .im2col, .partialMaps:
                conv2dForward(output: raw, input: window.data, weight: w, bias: nil, batch: 1, inChannels: stage.inChannels,
                              outChannels: stage.outChannels, height: window.count, width: window.width, kernel: k,
                              algorithm: .im2col, workspace: workspace)
            }
        }
    }

    /// Step l's `outRows` output rows, channel-major ([O × outRows·outWidth]), into `raw`: the
    /// weights transposed on the left, so the thin side of the product is its row count.
    func computeChannelMajor(step l: Int, outRows: Int, outWidth: Int) {
        let stage = stages[l], window = planes[l], k = stage.kernel
        let (c, o) = (stage.inChannels, stage.outChannels), pixels = outRows * outWidth
        stage.weight.withUnsafeBufferPointer { w in
            let w = w.baseAddress!
            switch stage.form {
            case .pointwise:
                rowMajorGemm(transposeA: true, m: o, n: pixels, k: c, a: w, lda: o, b: window.data, ldb: window.planeStride,
                             beta: 0, c: raw, ldc: pixels)
            case .singleChannel:
                conv2dForwardSingleChannelFloat(output: raw, input: window.data, weight: w, outChannels: o, height: window.count,
                                                width: window.width, kernel: k, channelMajor: true, workspace: workspace)
            case .im2col:
                // Patch matrix [(dy, dx, c) × pixels], HWIO's row order: row (dy, dx, c) is plane c shifted.
                let columns = workspace.buffer(0, count: k * k * c * pixels)
                for dy in 0..<k {
                    for dx in 0..<k {
                        for ci in 0..<c {
                            let row = columns + ((dy * k + dx) * c + ci) * pixels
                            let plane = window.data + ci * window.planeStride + dy * window.width + dx
                            for i in 0..<outRows { (row + i * outWidth).update(from: plane + i * window.width, count: outWidth) }
                        }
                    }
                }
                rowMajorGemm(transposeA: true, m: o, n: pixels, k: k * k * c, a: w, lda: o, b: columns, ldb: pixels,
                             beta: 0, c: raw, ldc: pixels)
            case .winogradF4x3, .winogradShuffle, .partialMaps:
                preconditionFailure("\(stage.form) does not run channel-major")
            }
        }
    }

    /// A `.winogradShuffle` step's `outRows` rows of maps in `raw` (NHWC, `computedChannels` per
    /// pixel) to the HR output: in the tile's core, map (ry, rx) of LR pixel (y, x), plus its bias
    /// and through the activation, lands on HR pixel (y·r + ry, x·r + rx).
    mutating func shuffleOut(step l: Int, outRows: Int, outWidth: Int) {
        let stage = stages[l], r = shuffle, maps = stage.computedChannels, outputWidth = imageWidth * r
        let x0 = coreColumns.lowerBound - origin.x, width = coreColumns.count
        for i in 0..<outRows {
            let y = origin.y + emitted[l] + i
            guard coreRows.contains(y) else { continue }
            let source = raw + (i * outWidth + x0) * maps
            // HR row y·r + ry takes maps ry·r ..< ry·r + r of each pixel in turn: written in order.
            for ry in 0..<r {
                let dst = output + (y * r + ry) * outputWidth + coreColumns.lowerBound * r
                stage.bias.withUnsafeBufferPointer { b in
                    let bias = b.baseAddress! + ry * r, from = source + ry * r
                    if stage.activation == .identity && r == 3 {
                        // ×3, the common case, unrolled: the loop over rx cost as much as the copy.
                        let (b0, b1, b2) = (bias[0], bias[1], bias[2])
                        for j in 0..<width {
                            let s = from + j * maps, d = dst + j * 3
                            d[0] = Double(s[0] + b0)
                            d[1] = Double(s[1] + b1)
                            d[2] = Double(s[2] + b2)
                        }
                    } else if stage.activation == .identity {
                        for j in 0..<width {
                            for rx in 0..<r { dst[j * r + rx] = Double(from[j * maps + rx] + bias[rx]) }
                        }
                    } else {
                        for j in 0..<width {
                            for rx in 0..<r {
                                let slope = stage.slope.isEmpty ? 0 : stage.slope[ry * r + rx]
                                dst[j * r + rx] = Double(StreamingStage.activate(from[j * maps + rx] + bias[rx], stage.activation,
                                                                                 slope: slope))
                            }
                        }
                    }
                }
            }
        }
        emitted[l] += outRows
    }

    /// The last step: the arrived input rows into partial maps (one GEMM), then every output row
    /// in the tile's core: each map sums its taps' shifted rows, adds its bias, and lands on its
    /// phase (ry, rx) of the HR rows.
    mutating func drainLastStep() {
        let l = stages.count - 1, stage = stages[l], k = stage.kernel
        let arrived = channelMajor ? planes[l].count : windows[l].count
        if arrived > 0 {
            precondition(maps.count + arrived <= maps.capacity, "inference window overflow")
            let target = maps.data + maps.count * maps.width
            stage.weight.withUnsafeBufferPointer { w in
                if channelMajor {
                    let window = planes[l]
                    rowMajorGemm(m: stage.taps.count, n: arrived * window.width, k: stage.inChannels, a: w.baseAddress!,
                                 lda: stage.inChannels, b: window.data, ldb: window.planeStride, beta: 0, c: target,
                                 ldc: maps.planeStride)
                } else {
                    let window = windows[l]
                    rowMajorGemm(transposeB: true, m: stage.taps.count, n: arrived * window.width, k: stage.inChannels,
                                 a: w.baseAddress!, lda: stage.inChannels, b: window.data, ldb: stage.inChannels, beta: 0,
                                 c: target, ldc: maps.planeStride)
                }
            }
            maps.count += arrived
            if channelMajor { planes[l].dropFirst(arrived) } else { windows[l].dropFirst(arrived) }
        }
        guard maps.count >= k else { return }
        let outRows = maps.count - k + 1
        let r = shuffle, outputWidth = imageWidth * r, width = coreColumns.count
        let x0 = coreColumns.lowerBound - origin.x
        for i in 0..<outRows {
            let y = origin.y + emitted[l] + i
            guard coreRows.contains(y) else { continue }
            for map in 0..<stage.outChannels {
                var first = true
                for (t, tap) in stage.taps.enumerated() where tap.map == map {
                    let src = maps.data + t * maps.planeStride + (i + tap.my) * maps.width + tap.mx + x0
                    if first {
                        sums.update(from: src, count: width)
                        first = false
                    } else {
                        for j in 0..<width { sums[j] += src[j] }
                    }
                }
                if first { sums.update(repeating: 0, count: width) }
                let (ry, rx) = (map / r, map % r)
                let bias = stage.bias[map], slope = stage.slope.isEmpty ? 0 : stage.slope[map]
                let dst = output + (y * r + ry) * outputWidth + coreColumns.lowerBound * r + rx
                if stage.activation == .identity {
                    for j in 0..<width { dst[j * r] = Double(sums[j] + bias) }
                } else {
                    for j in 0..<width { dst[j * r] = Double(StreamingStage.activate(sums[j] + bias, stage.activation, slope: slope)) }
                }
            }
        }
        maps.dropFirst(outRows)
        emitted[l] += outRows
    }
}
