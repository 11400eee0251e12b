// Float fast paths for the elementwise passes. The generic loops compile to scalar code with a
// branch per element, and ReLU's branch is a coin flip; these use SIMD max/select instead.

typealias Vector = SIMD4<Float>

@inline(__always) func loadVector(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always) func storeVector(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

/// y[p, c] = max(0, y[p, c] + b[c]) (bias optional, ReLU optional) over `rows` rows of `channels`.
func biasReLUFloat(_ y: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
                   bias: UnsafePointer<Float>?, relu: Bool) {
    let lanes = Vector.scalarCount
    let zero = Vector()
    if channels % lanes == 0 && channels <= 256 {
        // Bias vectors from the stack (Winograd calls this per tile row: a heap array each call
        // cost more than the pass).
        let groups = channels / lanes
        withUnsafeTemporaryAllocation(of: Vector.self, capacity: groups) { b in
            for g in 0..<groups { b[g] = bias.map { loadVector($0 + g * lanes) } ?? zero }
            for r in 0..<rows {
                let row = y + r * channels
                for g in 0..<groups {
                    var v = loadVector(row + g * lanes) + b[g]
                    if relu { v = pointwiseMax(v, zero) }
                    storeVector(v, row + g * lanes)
                }
            }
        }
        return
    }
    if bias == nil && relu {
        let count = rows * channels
        var i = 0
        while i + lanes <= count { storeVector(pointwiseMax(loadVector(y + i), zero), y + i); i += lanes }
        while i < count { y[i] = Swift.max(y[i], 0); i += 1 }
        return
    }
    for r in 0..<rows {
        let row = y + r * channels
        for c in 0..<channels {
            var v = row[c] + (bias?[c] ?? 0)
            if relu { v = v > 0 ? v : 0 }
            row[c] = v
        }
    }
}

/// dst[p, c] = max(0, src[p, c] + b[c]) over `pixels` pixels of `channels` (the biasReLUFloat
/// pass fused with a copy).
func biasReLUCopyFloat(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, pixels: Int, channels: Int,
                       bias: UnsafePointer<Float>) {
    let lanes = Vector.scalarCount
    let zero = Vector()
    guard channels % lanes == 0 else {
        for p in 0..<pixels {
            for c in 0..<channels {
                let v = src[p * channels + c] + bias[c]
                dst[p * channels + c] = v > 0 ? v : 0
            }
        }
        return
    }
    for p in 0..<pixels {
        for g in stride(from: 0, to: channels, by: lanes) {
            let i = p * channels + g
            storeVector(pointwiseMax(loadVector(src + i) + loadVector(bias + g), zero), dst + i)
        }
    }
}

/// dst[i] = max(0, src[i] + bias) over one channel's plane (dst may be src).
func biasReLUPlaneFloat(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int, bias: Float) {
    let lanes = Vector.scalarCount
    let zero = Vector(), b = Vector(repeating: bias)
    var i = 0
    while i + lanes <= count { storeVector(pointwiseMax(loadVector(src + i) + b, zero), dst + i); i += lanes }
    while i < count {
        let v = src[i] + bias
        dst[i] = v > 0 ? v : 0
        i += 1
    }
}

/// dx = output > 0 ? dy : 0, elementwise (dx may be dy).
func reluBackwardFloat(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>,
                       _ output: UnsafePointer<Float>, count: Int) {
    let lanes = Vector.scalarCount
    let zero = Vector()
    var i = 0
    while i + lanes <= count {
        let mask = loadVector(output + i) .> zero
        storeVector(zero.replacing(with: loadVector(dy + i), where: mask), dx + i)
        i += lanes
    }
    while i < count { dx[i] = output[i] > 0 ? dy[i] : 0; i += 1 }
}

/// im2col of one output row when a patch row is short (k·C < 32 floats, the first layer's
/// single-channel input): vector copies instead of a memmove call per patch row.
func im2colShortRunsFloat(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>,
                          rowLength: Int, channels: Int, kernel: Int, outW: Int) {
    let run = kernel * channels
    let lanes = Vector.scalarCount
    var out = dst
    for j in 0..<outW {
        for dy in 0..<kernel {
            let from = src + dy * rowLength + j * channels
            var e = 0
            while e + lanes <= run { storeVector(loadVector(from + e), out + e); e += lanes }
            while e < run { out[e] = from[e]; e += 1 }
            out += run
        }
    }
}

/// PReLU forward over `pixels` rows of `channels` (a multiple of the vector width):
/// y = x where x > 0, else slope·x, as the generic loop computes it.
func preluForwardFloat(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, slope: UnsafePointer<Float>,
                       pixels: Int, channels: Int) {
    let lanes = Vector.scalarCount, zero = Vector()
    for p in 0..<pixels {
        let row = p * channels
        for g in stride(from: 0, to: channels, by: lanes) {
            let v = loadVector(x + row + g)
            storeVector((loadVector(slope + g) * v).replacing(with: v, where: v .> zero), y + row + g)
        }
    }
}

/// PReLU backward over one block of `pixels` rows (`channels` a multiple of the vector width):
/// dx = dy where x > 0, else slope·dy; slopeSums[c] += dy·x over the pixels where x ≤ 0, pixel by
/// pixel in order (each lane is one channel's running sum, as in the generic loop).
func preluBackwardFloat(dInput: UnsafeMutablePointer<Float>, slopeSums: UnsafeMutablePointer<Float>,
                        dOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, slope: UnsafePointer<Float>,
                        pixels: Int, channels: Int) {
    let lanes = Vector.scalarCount, zero = Vector()
    for p in 0..<pixels {
        for g in stride(from: 0, to: channels, by: lanes) {
            let i = p * channels + g
            let x = loadVector(input + i), dy = loadVector(dOutput + i)
            let positive = x .> zero
            storeVector((loadVector(slope + g) * dy).replacing(with: dy, where: positive), dInput + i)
            storeVector(loadVector(slopeSums + g) + (dy * x).replacing(with: zero, where: positive), slopeSums + g)
        }
    }
}

/// dst[e] += src[e] for e < count: a short run (a kernel row), element by element in order.
@inline(__always)
func addRun<T: BinaryFloatingPoint>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, count: Int) {
    if T.self == Float.self {
        let d = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self)
        let a = UnsafeRawPointer(src).assumingMemoryBound(to: Float.self)
        var e = 0
        while e + 4 <= count { storeVector(loadVector(d + e) + loadVector(a + e), d + e); e += 4 }
        while e < count { d[e] += a[e]; e += 1 }
        return
    }
    for e in 0..<count { dst[e] += src[e] }
}

/// dst[e] = src[e] for e < count: a short run, without a memmove call.
@inline(__always)
func copyRun<T: BinaryFloatingPoint>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, count: Int) {
    if T.self == Float.self {
        let d = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self)
        let a = UnsafeRawPointer(src).assumingMemoryBound(to: Float.self)
        var e = 0
        while e + 4 <= count { storeVector(loadVector(a + e), d + e); e += 4 }
        while e < count { d[e] = a[e]; e += 1 }
        return
    }
    for e in 0..<count { dst[e] = src[e] }
}
