/// The row windows tiled inference (SRCNN's, and `StreamingInference`'s for any sequential spec)
/// streams each layer's input through: padded at the image border by edge replication (or zeros),
/// appended a row at a time, dropped from the top once used.
import ConvKernels

extension SRCNNForward {
    /// A window of padded rows of one layer's input. Dropping rows from the top only moves the
    /// window's start down its buffer; the kept rows move back to the buffer's start when a new
    /// row would not fit below them (copying them after every band cost ESPCN's streaming ~2 % of
    /// its CPU time, 64 channels wide).
    struct Window {
        /// The buffer (`capacity` rows), and the first row in use.
        private let buffer: UnsafeMutablePointer<Float>
        private var start = 0
        var width: Int, channels: Int, count = 0, capacity: Int
        var padLeft: Int, padRight: Int
        /// Pad with zeros rather than copies of the edge pixels (`padAbove`, `padBelow`, `appendRow`).
        var zeroPadding = false
        var rowLength: Int { width * channels }
        var interior: Int { width - padLeft - padRight }
        /// The window's first row; valid until the next append or padding.
        var data: UnsafeMutablePointer<Float> { buffer + start * rowLength }

        init(data: UnsafeMutablePointer<Float>, width: Int, channels: Int, capacity: Int, padLeft: Int, padRight: Int) {
            buffer = data
            self.width = width
            self.channels = channels
            self.capacity = capacity
            self.padLeft = padLeft
            self.padRight = padRight
        }

        /// Makes room for `rows` more rows below the window's, moving them to the buffer's start if needed.
        private mutating func reserve(_ rows: Int) {
            precondition(count + rows <= capacity, "inference window overflow")
            guard start + count + rows > capacity else { return }
            buffer.update(from: data, count: count * rowLength)
            start = 0
        }

        /// Appends one row of `interior` pixels, replicating its edge pixels into the padding.
        mutating func append(_ source: UnsafePointer<Float>) {
            let count = interior * channels
            appendRow { $0.update(from: source, count: count) }
        }

        /// `append` of max(0, source + bias), bias per channel.
        mutating func append(_ source: UnsafePointer<Float>, biasReLU bias: UnsafePointer<Float>) {
            let (pixels, channels) = (interior, channels)
            appendRow { biasReLUCopyFloat($0, source, pixels: pixels, channels: channels, bias: bias) }
        }

        /// Fills the next row's interior with `fill`, then its padding: copies of its edge pixels, or zeros.
        mutating func appendRow(_ fill: (UnsafeMutablePointer<Float>) -> Void) {
            reserve(1)
            let row = data + count * rowLength
            fill(row + padLeft * channels)
            padEdges(of: row)
            count += 1
        }

        /// Appends `rows` rows at once: `fill` writes their interiors (given the first row's first
        /// interior pixel and the row stride in floats), then each row gets its padding; with
        /// `topPadding` (only into an empty window: the image's top) that many copies of the first
        /// row go above them, as `repeatFirstRowAtTop` would add.
        mutating func appendRows(_ rows: Int, topPadding: Int = 0, _ fill: (UnsafeMutablePointer<Float>, Int) -> Void) {
            guard rows > 0 else { return }
            precondition(topPadding == 0 || count == 0, "top padding goes above the window's first row")
            reserve(topPadding + rows)
            let first = data + (count + topPadding) * rowLength
            fill(first + padLeft * channels, rowLength)
            for r in 0..<rows { padEdges(of: first + r * rowLength) }
            for i in 0..<topPadding { (data + (count + i) * rowLength).update(from: first, count: rowLength) }
            count += topPadding + rows
        }

        /// A row's padding from its interior: copies of its edge pixels, or zeros.
        private func padEdges(of row: UnsafeMutablePointer<Float>) {
            let first = row + padLeft * channels, last = first + (interior - 1) * channels
            if zeroPadding {
                row.update(repeating: 0, count: padLeft * channels)
                (row + (width - padRight) * channels).update(repeating: 0, count: padRight * channels)
            } else {
                for x in 0..<padLeft { (row + x * channels).update(from: first, count: channels) }
                for x in (width - padRight)..<width { (row + x * channels).update(from: last, count: channels) }
            }
        }

        /// Called right after the first row was appended: `times` rows of padding above it.
        mutating func padAbove(_ times: Int) {
            guard zeroPadding else { return repeatFirstRowAtTop(times) }
            guard times > 0 else { return }
            precondition(count == 1 && count + times <= capacity, "top padding must follow the first row")
            reserve(times)
            (data + times * rowLength).update(from: data, count: rowLength)
            data.update(repeating: 0, count: times * rowLength)
            count += times
        }

        /// `times` rows of padding below the last row.
        mutating func padBelow(_ times: Int) {
            guard zeroPadding else { return repeatLastRow(times) }
            reserve(times)
            (data + count * rowLength).update(repeating: 0, count: times * rowLength)
            count += times
        }

        mutating func repeatLastRow(_ times: Int) {
            precondition(count > 0 || times == 0, "bottom padding needs a row to repeat")
            for _ in 0..<times {
                reserve(1)
                (data + count * rowLength).update(from: data + (count - 1) * rowLength, count: rowLength)
                count += 1
            }
        }

        /// Drops the first `n` rows.
        mutating func dropFirst(_ n: Int) {
            guard n > 0 else { return }
            precondition(n <= count, "dropping more rows than the window holds")
            count -= n
            start = count == 0 ? 0 : start + n
        }

        /// Called right after the first row was appended: adds `times` copies of it above it.
        mutating func repeatFirstRowAtTop(_ times: Int) {
            guard times > 0 else { return }
            precondition(count == 1 && count + times <= capacity, "top padding must follow the first row")
            reserve(times)
            for i in 1...times { (data + i * rowLength).update(from: data, count: rowLength) }
            count += times
        }
    }

    /// A window of padded rows held channel-major: plane c holds channel c's rows, `capacity`
    /// rows apart, so a run of rows is a [channels × pixels] matrix with leading dimension
    /// `planeStride` that a GEMM can read or write in place.
    struct PlanarWindow {
        var data: UnsafeMutablePointer<Float>
        var width: Int, planes: Int, count = 0, capacity: Int
        var padLeft: Int, padRight: Int
        /// Pad with zeros rather than copies of the edge pixels (`appendRow`, `padAbove`, `padBelow`).
        var zeroPadding = false
        var planeStride: Int { capacity * width }
        var interior: Int { width - padLeft - padRight }

        /// Appends max(0, x + bias[c]) of one row given channel-major (plane c at
        /// `source + c · sourceStride`), replicating its edge pixels into the padding.
        mutating func append(_ source: UnsafePointer<Float>, sourceStride: Int, biasReLU bias: UnsafePointer<Float>) {
            precondition(count < capacity, "inference window overflow")
            for c in 0..<planes {
                let row = data + c * planeStride + count * width
                biasReLUPlaneFloat(row + padLeft, source + c * sourceStride, count: interior, bias: bias[c])
                for x in 0..<padLeft { row[x] = row[padLeft] }
                for x in (width - padRight)..<width { row[x] = row[width - padRight - 1] }
            }
            count += 1
        }

        /// The same for a row given pixel-major (channel c of pixel x at `source[x · planes + c]`).
        mutating func append(pixelMajor source: UnsafePointer<Float>, biasReLU bias: UnsafePointer<Float>) {
            precondition(count < capacity, "inference window overflow")
            let row = data + count * width
            if srlab_pixels_to_planes_bias_relu(row + padLeft, planeStride, source, interior, Int32(planes), bias) == 0 {
                for c in 0..<planes {
                    for x in 0..<interior { row[c * planeStride + padLeft + x] = max(0, source[x * planes + c] + bias[c]) }
                }
            }
            for c in 0..<planes {
                let plane = row + c * planeStride
                for x in 0..<padLeft { plane[x] = plane[padLeft] }
                for x in (width - padRight)..<width { plane[x] = plane[width - padRight - 1] }
            }
            count += 1
        }

        /// Appends one row: `fill(c, interior)` writes plane c's interior pixels, then its padding
        /// is filled with copies of its edge pixels, or zeros.
        mutating func appendRow(_ fill: (Int, UnsafeMutablePointer<Float>) -> Void) {
            precondition(count < capacity, "inference window overflow")
            for c in 0..<planes {
                let row = data + c * planeStride + count * width
                fill(c, row + padLeft)
                let left: Float = zeroPadding ? 0 : row[padLeft], right: Float = zeroPadding ? 0 : row[width - padRight - 1]
                for x in 0..<padLeft { row[x] = left }
                for x in (width - padRight)..<width { row[x] = right }
            }
            count += 1
        }

        /// Called right after the first row was appended: `times` rows of padding above it.
        mutating func padAbove(_ times: Int) {
            guard zeroPadding else { return repeatFirstRowAtTop(times) }
            guard times > 0 else { return }
            precondition(count == 1 && count + times <= capacity, "top padding must follow the first row")
            for c in 0..<planes {
                let plane = data + c * planeStride
                (plane + times * width).update(from: plane, count: width)
                plane.update(repeating: 0, count: times * width)
            }
            count += times
        }

        /// `times` rows of padding below the last row.
        mutating func padBelow(_ times: Int) {
            guard zeroPadding else { return repeatLastRow(times) }
            precondition(count + times <= capacity, "inference window overflow")
            for c in 0..<planes { (data + c * planeStride + count * width).update(repeating: 0, count: times * width) }
            count += times
        }

        /// Called right after the first row was appended: adds `times` copies of it above it.
        mutating func repeatFirstRowAtTop(_ times: Int) {
            guard times > 0 else { return }
            precondition(count == 1 && count + times <= capacity, "top padding must follow the first row")
            for c in 0..<planes {
                let plane = data + c * planeStride
                for i in 1...times { (plane + i * width).update(from: plane, count: width) }
            }
            count += times
        }

        mutating func repeatLastRow(_ times: Int) {
            guard times > 0 else { return }
            precondition(count > 0 && count + times <= capacity, "bottom padding needs a row to repeat")
            for c in 0..<planes {
                let last = data + c * planeStride + (count - 1) * width
                for i in 1...times { (last + i * width).update(from: last, count: width) }
            }
            count += times
        }

        /// Drops the first `n` rows.
        mutating func dropFirst(_ n: Int) {
            guard n > 0 else { return }
            for c in 0..<planes {
                let plane = data + c * planeStride
                plane.update(from: plane + n * width, count: (count - n) * width)
            }
            count -= n
        }
    }
}
