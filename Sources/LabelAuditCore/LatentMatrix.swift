/// A row-major `rows x dim` matrix of Float32 in one contiguous buffer.
///
/// Latents are the hot data of every kernel (neighbours, models, scores), so they live in a
/// single allocation that SIMD loops can stream through without pointer chasing.
public struct LatentMatrix: Sendable, Equatable {
    public let rows: Int
    public let dim: Int
    /// `rows * dim` values, row `i` at `[i * dim ..< (i + 1) * dim]`.
    public var values: [Float]

    public init(rows: Int, dim: Int, values: [Float]) {
        precondition(rows >= 0 && dim >= 0 && values.count == rows * dim, "LatentMatrix: values.count must be rows * dim")
        self.rows = rows
        self.dim = dim
        self.values = values
    }

    public init(rows: Int, dim: Int, repeating value: Float = 0) {
        self.init(rows: rows, dim: dim, values: [Float](repeating: value, count: rows * dim))
    }

    /// O(dim): copies one row out.
    public func row(_ index: Int) -> [Float] {
        Array(values[index * dim..<(index + 1) * dim])
    }

    /// O(k * dim): the rows at `indices`, in that order, as a new matrix.
    package func selecting(rows indices: [Int]) -> LatentMatrix {
        var out = [Float](repeating: 0, count: indices.count * dim)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (k, i) in indices.enumerated() {
                    let from = src.baseAddress! + i * dim
                    (dst.baseAddress! + k * dim).update(from: from, count: dim)
                }
            }
        }
        return LatentMatrix(rows: indices.count, dim: dim, values: out)
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * dim + column] }
        set { values[row * dim + column] = newValue }
    }
}
