import LinearAlgebra

/// Dlᵀ·f for blocks of features, the correlations every method but GR starts from. Computed a
/// tile of columns at a time, so that the K scores of a tile stay in cache while they are used
/// (a K × n matrix for a whole block would be written to memory and read back).
enum DictionaryScores {
    static let tile = 128

    /// Calls `body(first, count, scores)` for consecutive tiles of the columns of `features`
    /// (d × n), `scores` being Dᵀ·features[:, first..<first+count] (K × count, column-major).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func forEachTile<T: BLASScalar>(_ dictionary: Matrix<T>, _ features: Matrix<T>,
                                           _ body: (_ first: Int, _ count: Int, _ scores: UnsafePointer<T>) -> Void) {
        let d = dictionary.rows, k = dictionary.columns
        precondition(features.rows == d, "features have \(features.rows) rows, the dictionary \(d)")
        let buffer = UnsafeMutablePointer<T>.allocate(capacity: k * tile)
        defer { buffer.deallocate() }
        dictionary.elements.withUnsafeBufferPointer { dl in
            features.elements.withUnsafeBufferPointer { f in
                for first in stride(from: 0, to: features.columns, by: tile) {
                    let count = min(tile, features.columns - first)
                    T.gemm(true, false, k, count, d, 1, dl.baseAddress!, d,
                                f.baseAddress! + first * d, d, 0, buffer, k)
                    body(first, count, UnsafePointer(buffer))
                }
            }
        }
    }

    /// The first index of the largest magnitude among `values[0..<count]`.
    ///
    /// On the bit patterns with the sign cleared, which order like the magnitudes (for numbers;
    /// a NaN would rank above infinity): integer maxima vectorise where a float loop keeping the
    /// first maximum does not, and this search is a large part of the anchors' cost.
    static func argmaxAbs(_ values: UnsafePointer<Float>, count: Int) -> Int {
        values.withMemoryRebound(to: UInt32.self, capacity: count) { firstLargest($0, count: count, mask: 0x7FFF_FFFF) }
    }

    static func argmaxAbs(_ values: UnsafePointer<Double>, count: Int) -> Int {
        values.withMemoryRebound(to: UInt64.self, capacity: count) { firstLargest($0, count: count, mask: 0x7FFF_FFFF_FFFF_FFFF) }
    }

    /// The first index of the largest `bits[i] & mask`: the maxima of blocks of 16 (a loop of
    /// fixed length, which vectorises), the first block whose maximum is the largest, the first
    /// index in it.
    @inline(__always)
    private static func firstLargest<U: FixedWidthInteger & UnsignedInteger>(_ bits: UnsafePointer<U>, count: Int, mask: U) -> Int {
        var largest: U = 0, block = 0, start = 0
        while start + 16 <= count {
            var m: U = 0
            for j in 0..<16 { m = Swift.max(m, bits[start + j] & mask) }
            if m > largest { largest = m; block = start }
            start += 16
        }
        for i in start..<count where bits[i] & mask > largest { largest = bits[i] & mask; block = start }
        for i in block..<count where bits[i] & mask == largest { return i }
        return 0
    }
}

/// Indices of the `count` largest magnitudes in a stable descending order: equal magnitudes keep
/// their index order (NumPy's stable argsort of −|v|, MATLAB's `sort(…, 'descend')`).
enum StableTopK {
    static func largestMagnitudes(_ values: UnsafePointer<Double>, length: Int, count: Int) -> [Int] {
        var indices = [Int](repeating: 0, count: count)
        var magnitudes = [Double](repeating: -1, count: count)
        var kept = 0
        for index in 0..<length {
            let m = abs(values[index])
            if kept == count && !(m > magnitudes[count - 1]) { continue }
            // After every kept magnitude ≥ m: a later equal value ranks below earlier ones.
            var at = kept < count ? kept : count - 1
            while at > 0 && magnitudes[at - 1] < m {
                magnitudes[at] = magnitudes[at - 1]
                indices[at] = indices[at - 1]
                at -= 1
            }
            magnitudes[at] = m
            indices[at] = index
            if kept < count { kept += 1 }
        }
        return Array(indices.prefix(kept))
    }

    static func largestMagnitudes(_ values: [Double], count: Int) -> [Int] {
        values.withUnsafeBufferPointer { largestMagnitudes($0.baseAddress!, length: values.count, count: min(count, values.count)) }
    }
}
