import Imaging

/// Square patches as the release cuts and stores them: a patch of side p at top-left (x, y) is a
/// vector of p² values in MATLAB's column-major order, element r + p·c being pixel (x + c, y + r).
public enum Patches {
    /// Top-left corners along one axis of length `length`, as `ScSR.m` lays them out (1-based there):
    /// `grid = 3 : p − overlap : length − p − 2; grid = [grid, length − p − 2]`. The last position is
    /// therefore listed twice when the stride divides the span (always for overlap p − 1), so
    /// those patches count double in the average; this keeps that weighting. Returned 0-based with
    /// each position's multiplicity.
    public static func grid(length: Int, patchSize p: Int, overlap: Int) -> [(position: Int, weight: Int)] {
        let last = length - p - 3 // 0-based form of MATLAB's length − p − 2
        guard last >= 2 else { return [] }
        var positions = Array(stride(from: 2, through: last, by: max(1, p - overlap)))
        positions.append(last)
        var out: [(position: Int, weight: Int)] = []
        for x in positions {
            if let end = out.last, end.position == x { out[out.count - 1].weight += 1 } else { out.append((x, 1)) }
        }
        return out
    }

    /// The patch at top-left (x, y) as a column-major vector, written into `into` at `offset`.
    @inline(__always)
    public static func extract(_ plane: Plane, x: Int, y: Int, size p: Int,
                               into buffer: inout [Double], offset: Int) {
        for c in 0..<p {
            for r in 0..<p { buffer[offset + r + p * c] = plane.values[(y + r) * plane.width + x + c] }
        }
    }

    /// Adds `weight`·patch (column-major) at top-left (x, y) into `sum` and `weight` into `count`.
    @inline(__always)
    public static func accumulate(_ patch: UnsafePointer<Double>, x: Int, y: Int, size p: Int, weight: Double,
                                  sum: inout Plane, count: inout Plane) {
        for c in 0..<p {
            for r in 0..<p {
                let i = (y + r) * sum.width + x + c
                sum.values[i] += weight * patch[r + p * c]
                count.values[i] += weight
            }
        }
    }

    /// sum / count where something was accumulated, `fallback` elsewhere (the release keeps the
    /// bicubic value where no patch reaches).
    public static func average(sum: Plane, count: Plane, fallback: Plane) -> Plane {
        var out = fallback
        for i in out.values.indices where count.values[i] > 0 { out.values[i] = sum.values[i] / count.values[i] }
        return out
    }
}
