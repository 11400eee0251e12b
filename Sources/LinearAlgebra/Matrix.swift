/// A dense matrix stored column-major, as BLAS, LAPACK and MATLAB store it: element (i, j) is
/// `elements[i + j * rows]`. Column-major keeps the dictionaries of the sparse-coding release
/// (MATLAB `Dh`, `Dl`) byte-compatible and lets every call pass the leading dimension unchanged.
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var elements: [Scalar]

    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "negative matrix shape")
        self.rows = rows
        self.columns = columns
        self.elements = [Scalar](repeating: value, count: rows * columns)
    }

    /// Wraps column-major `elements`; their count must be `rows * columns`.
    public init(rows: Int, columns: Int, elements: [Scalar]) {
        precondition(elements.count == rows * columns,
                     "Matrix(\(rows)x\(columns)) needs \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    @inlinable public subscript(row: Int, column: Int) -> Scalar {
        get { elements[row + column * rows] }
        set { elements[row + column * rows] = newValue }
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Scalar] {
        Array(elements[(j * rows)..<((j + 1) * rows)])
    }

    /// The columns listed in `indices`, in that order.
    public func columns(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: rows, columns: indices.count)
        for (k, j) in indices.enumerated() {
            out.elements.replaceSubrange((k * rows)..<((k + 1) * rows),
                                         with: elements[(j * rows)..<((j + 1) * rows)])
        }
        return out
    }

    /// A matrix filled from row-major values (the order of safetensors and NumPy).
    public static func fromRowMajor(rows: Int, columns: Int, _ values: [Scalar]) -> Matrix {
        precondition(values.count == rows * columns,
                     "Matrix(\(rows)x\(columns)) needs \(rows * columns) elements, got \(values.count)")
        var m = Matrix(rows: rows, columns: columns)
        for i in 0..<rows { for j in 0..<columns { m[i, j] = values[i * columns + j] } }
        return m
    }

    /// The elements in row-major order.
    public var rowMajor: [Scalar] {
        var out = [Scalar](repeating: 0, count: rows * columns)
        for i in 0..<rows { for j in 0..<columns { out[i * columns + j] = self[i, j] } }
        return out
    }

    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for j in 0..<columns { for i in 0..<rows { t[j, i] = self[i, j] } }
        return t
    }
}

extension Matrix where Scalar == Double {
    public func converted() -> Matrix<Float> {
        Matrix<Float>(rows: rows, columns: columns, elements: elements.map { Float($0) })
    }
}

extension Matrix where Scalar == Float {
    public func converted() -> Matrix<Double> {
        Matrix<Double>(rows: rows, columns: columns, elements: elements.map { Double($0) })
    }
}
