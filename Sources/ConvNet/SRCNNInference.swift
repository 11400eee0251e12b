import Imaging

extension SRCNN {
    /// The network on a whole plane: same size out, each layer's input edge-replicated at the
    /// image border. Runs tile by tile (`tileSize`) so memory stays bounded; tiles overlap by the
    /// halo Σ(k−1)/2 and are padded only where they touch the true border, so the result is the
    /// same as for the untiled image.
    public func apply(to input: Plane) -> Plane {
        SRCNNForward(self).apply(input, tileSize: tileSize)
    }
}

/// Inference scratch reused across tiles. Not thread-safe; `SRCNN.apply` makes one per call.
final class SRCNNForward {
    let architecture: SRCNNArchitecture
    let parameters: [[Float]]
    let workspace = Workspace<Float>()

    init(_ model: SRCNN) {
        precondition(model.architecture.layers.allSatisfy { $0.kernel % 2 == 1 },
                     "same-size inference needs odd kernels, got \(model.architecture)")
        architecture = model.architecture
        parameters = model.parameters
    }

    func apply(_ input: Plane, tileSize: Int) -> Plane {
        precondition(tileSize > 0, "tile size must be positive")
        var output = Plane(width: input.width, height: input.height)
        guard input.width > 0, input.height > 0 else { return output }
        let halo = architecture.halo
        let maxSide = min(max(input.width, input.height), tileSize) + 2 * halo
        let maxPad = architecture.layers.map { $0.kernel - 1 }.max()!
        let widest = max(architecture.n1, architecture.n2)
        // Buffer slots 10… leave 0… to the convolutions.
        let current = workspace.buffer(10, count: maxSide * maxSide * widest)
        let next = workspace.buffer(11, count: maxSide * maxSide * widest)
        let padded = workspace.buffer(12, count: (maxSide + maxPad) * (maxSide + maxPad) * widest)
        for y0 in stride(from: 0, to: input.height, by: tileSize) {
            for x0 in stride(from: 0, to: input.width, by: tileSize) {
                let y1 = min(input.height, y0 + tileSize), x1 = min(input.width, x0 + tileSize)
                let top = max(0, y0 - halo), bottom = min(input.height, y1 + halo)
                let left = max(0, x0 - halo), right = min(input.width, x1 + halo)
                runTile(input, rows: top..<bottom, columns: left..<right, output: &output,
                        core: (y0..<y1, x0..<x1), buffers: (current, next, padded))
            }
        }
        return output
    }

    private func runTile(_ input: Plane, rows: Range<Int>, columns: Range<Int>, output: inout Plane,
                         core: (rows: Range<Int>, columns: Range<Int>),
                         buffers: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)) {
        var (a, b, padded) = buffers
        let atTop = rows.lowerBound == 0, atBottom = rows.upperBound == input.height
        let atLeft = columns.lowerBound == 0, atRight = columns.upperBound == input.width
        var h = rows.count, w = columns.count
        input.values.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let row = src.baseAddress! + (rows.lowerBound + y) * input.width + columns.lowerBound
                for x in 0..<w { a[y * w + x] = Float(row[x]) }
            }
        }
        for (index, layer) in architecture.layers.enumerated() {
            let p = (layer.kernel - 1) / 2
            let (pt, pb, pl, pr) = (atTop ? p : 0, atBottom ? p : 0, atLeft ? p : 0, atRight ? p : 0)
            var source = UnsafePointer(a)
            if pt + pb + pl + pr > 0 {
                replicatePad(output: padded, input: a, batch: 1, height: h, width: w,
                             channels: layer.inChannels, top: pt, bottom: pb, left: pl, right: pr)
                source = UnsafePointer(padded)
            }
            let inH = h + pt + pb, inW = w + pl + pr
            parameters[2 * index].withUnsafeBufferPointer { weight in
                parameters[2 * index + 1].withUnsafeBufferPointer { bias in
                    conv2dForward(output: b, input: source, weight: weight.baseAddress!, bias: bias.baseAddress!,
                                  batch: 1, inChannels: layer.inChannels, outChannels: layer.outChannels,
                                  height: inH, width: inW, kernel: layer.kernel,
                                  relu: index < 2, workspace: workspace)
                }
            }
            h = inH - layer.kernel + 1
            w = inW - layer.kernel + 1
            swap(&a, &b)
        }
        // `a` now covers image rows from rows.lowerBound (+ halo where the tile did not pad).
        let originY = rows.lowerBound + (atTop ? 0 : architecture.halo)
        let originX = columns.lowerBound + (atLeft ? 0 : architecture.halo)
        for y in core.rows {
            for x in core.columns {
                output.values[y * output.width + x] = Double(a[(y - originY) * w + (x - originX)])
            }
        }
    }
}
