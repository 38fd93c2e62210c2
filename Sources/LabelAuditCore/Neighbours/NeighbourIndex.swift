import Foundation

/// How closeness between latents is measured.
public enum DistanceMetric: String, Sendable, Codable, CaseIterable {
    /// 1 - cos(angle): the default, because GAN latents are compared by direction.
    case cosine
    /// Euclidean distance.
    case l2
}

/// One neighbour of a row: its row index and distance (smaller is closer).
public struct Neighbour: Sendable, Equatable, Codable {
    public let row: Int
    public let distance: Float
    public init(row: Int, distance: Float) {
        self.row = row
        self.distance = distance
    }
}

/// The k nearest neighbours of every row (self excluded), in one contiguous buffer.
public struct NeighbourGraph: Sendable, Equatable {
    public let rows: Int
    public let k: Int
    public let metric: DistanceMetric
    /// `rows * k` neighbour rows, nearest first; -1 where a row has fewer than k others.
    public let indices: [Int32]
    /// `rows * k` distances matching `indices` (+infinity where missing).
    public let distances: [Float]

    public init(rows: Int, k: Int, metric: DistanceMetric, indices: [Int32], distances: [Float]) {
        precondition(indices.count == rows * k && distances.count == rows * k)
        self.rows = rows
        self.k = k
        self.metric = metric
        self.indices = indices
        self.distances = distances
    }

    /// The neighbours of `row`, nearest first.
    public func neighbours(of row: Int) -> [Neighbour] {
        (0 ..< k).compactMap { slot in
            let index = indices[row * k + slot]
            return index < 0 ? nil : Neighbour(row: Int(index), distance: distances[row * k + slot])
        }
    }
}

/// Exact nearest-neighbour search over the rows of a `LatentMatrix`.
///
/// The rows are copied once into a zero-padded buffer (dimension rounded up to 16, unit length
/// for cosine) so every kernel runs whole `SIMD16<Float>` steps. Exact: every distance is
/// computed; no approximation, no pruning that could drop a true neighbour.
public struct NeighbourIndex: Sendable {
    public let metric: DistanceMetric
    public let rows: Int
    public let dim: Int
    /// Padded row length (multiple of 16).
    let stride: Int
    /// `rows * stride` prepared values.
    let prepared: [Float]
    /// Squared norms of the prepared rows (used by L2).
    let squaredNorms: [Float]

    /// O(rows * dim).
    public init(_ matrix: LatentMatrix, metric: DistanceMetric = .cosine) {
        self.metric = metric
        rows = matrix.rows
        dim = matrix.dim
        let stride = max(16, (matrix.dim + 15) / 16 * 16)
        self.stride = stride
        var prepared = [Float](repeating: 0, count: matrix.rows * stride)
        var norms = [Float](repeating: 0, count: matrix.rows)
        matrix.values.withUnsafeBufferPointer { src in
            prepared.withUnsafeMutableBufferPointer { dst in
                for r in 0 ..< matrix.rows {
                    let from = src.baseAddress! + r * matrix.dim
                    let to = dst.baseAddress! + r * stride
                    to.update(from: from, count: matrix.dim)
                    var n = VectorKernels.dot(to, to, matrix.dim)
                    if metric == .cosine {
                        // A zero vector has no direction: it stays zero and sits at distance 1 from all.
                        if n > 0 {
                            let scale = 1 / n.squareRoot()
                            for c in 0 ..< matrix.dim { to[c] *= scale }
                            n = 1
                        }
                    }
                    norms[r] = n
                }
            }
        }
        self.prepared = prepared
        squaredNorms = norms
    }

    /// The distance between two prepared rows. O(dim).
    public func distance(_ a: Int, _ b: Int) -> Float {
        prepared.withUnsafeBufferPointer { p in
            let dot = VectorKernels.dot(p.baseAddress! + a * stride, p.baseAddress! + b * stride, stride)
            return finish(dot: dot, a: squaredNorms[a], b: squaredNorms[b])
        }
    }

    @inline(__always)
    func finish(dot: Float, a: Float, b: Float) -> Float {
        switch metric {
        case .cosine: return max(0, 1 - dot)
        case .l2: return max(0, a + b - 2 * dot).squareRoot()
        }
    }

    // MARK: single query

    /// The k nearest rows to `row` (itself excluded). O(rows * dim / workers).
    public func nearest(toRow row: Int, k: Int) -> [Neighbour] {
        let query = Array(prepared[row * stride ..< (row + 1) * stride])
        return search(prepared: query, norm: squaredNorms[row], k: k, excluding: row)
    }

    /// The k nearest rows to an arbitrary vector of length `dim`. O(rows * dim / workers).
    public func nearest(to vector: [Float], k: Int) -> [Neighbour] {
        precondition(vector.count == dim, "query length must equal the latent dimension")
        var query = [Float](repeating: 0, count: stride)
        for c in 0 ..< dim { query[c] = vector[c] }
        var n = query.withUnsafeBufferPointer { VectorKernels.dot($0.baseAddress!, $0.baseAddress!, stride) }
        if metric == .cosine, n > 0 {
            let scale = 1 / n.squareRoot()
            for c in 0 ..< dim { query[c] *= scale }
            n = 1
        }
        return search(prepared: query, norm: n, k: k, excluding: nil)
    }

    private func search(prepared query: [Float], norm: Float, k: Int, excluding: Int?) -> [Neighbour] {
        let k = max(0, min(k, rows - (excluding == nil ? 0 : 1)))
        if k == 0 { return [] }
        // Small sets are not worth a thread hop.
        let workers = rows * stride >= 1 << 20 ? Parallelism.workers : 1
        let chunk = (rows + workers - 1) / workers
        var lists = [TopK](repeating: TopK(k: k), count: workers)
        let shared = UncheckedSendable(lists.withUnsafeMutableBufferPointer { $0.baseAddress! })
        prepared.withUnsafeBufferPointer { data in
            query.withUnsafeBufferPointer { q in
                let base = UncheckedSendable(data.baseAddress!)
                let qp = UncheckedSendable(q.baseAddress!)
                Parallelism.run(workers: workers) { w in
                    var top = TopK(k: k)
                    let start = w * chunk, end = min(rows, start + chunk)
                    if start < end {
                        for r in start ..< end where r != excluding {
                            let dot = VectorKernels.dot(qp.value, base.value + r * stride, stride)
                            let d = finish(dot: dot, a: norm, b: squaredNorms[r])
                            top.insert(d, Int32(r))
                        }
                    }
                    shared.value[w] = top
                }
            }
        }
        var merged = TopK(k: k)
        for list in lists { merged.merge(list) }
        return merged.neighbours
    }

    // MARK: all pairs

    /// The k nearest neighbours of every row, computed once for all pairs.
    ///
    /// Complexity: O(rows² * dim / 2 / workers) time, O(workers * rows * k) memory. Each pair
    /// is computed once (symmetry) in 64 x 64 row tiles so both tiles stay in cache while a
    /// 2 x 2 register kernel streams them; block rows are dealt to workers in snake order so
    /// the triangle's uneven rows balance out. Each worker keeps its own top-k lists, merged
    /// at the end, so there is no locking and the result does not depend on the thread count.
    /// Returns nil when `isCancelled` turns true.
    public func allPairs(k requested: Int, progress: (@Sendable (Double) -> Void)? = nil,
                         isCancelled: (@Sendable () -> Bool)? = nil) -> NeighbourGraph? {
        let k = max(0, min(requested, rows - 1))
        if k == 0 || rows < 2 {
            let width = max(requested, 0)
            return NeighbourGraph(rows: rows, k: width, metric: metric,
                                  indices: [Int32](repeating: -1, count: rows * width),
                                  distances: [Float](repeating: .infinity, count: rows * width))
        }
        let tile = 64
        let blocks = (rows + tile - 1) / tile
        let workers = rows >= 256 ? Parallelism.workers : 1
        // Snake order: worker w gets block rows w, 2W-1-w, 2W+w, ...
        var assignment = [[Int]](repeating: [], count: workers)
        for (position, block) in (0 ..< blocks).enumerated() {
            let round = position / workers, offset = position % workers
            assignment[round % 2 == 0 ? offset : workers - 1 - offset].append(block)
        }
        let totalTiles = blocks * (blocks + 1) / 2
        var states = [AllPairsState](repeating: AllPairsState(rows: 0, k: k), count: workers)
        let statesPointer = UncheckedSendable(states.withUnsafeMutableBufferPointer { $0.baseAddress! })
        let cancelledFlag = UncheckedSendable(UnsafeMutablePointer<Bool>.allocate(capacity: 1))
        cancelledFlag.value.initialize(to: false)
        defer { cancelledFlag.value.deallocate() }
        let rows = self.rows, stride = self.stride, metric = self.metric
        let assignmentCopy = assignment
        prepared.withUnsafeBufferPointer { data in
            squaredNorms.withUnsafeBufferPointer { norms in
                let base = UncheckedSendable(data.baseAddress!)
                let normBase = UncheckedSendable(norms.baseAddress!)
                Parallelism.run(workers: workers) { w in
                    var state = AllPairsState(rows: rows, k: k)
                    var done = 0
                    for block in assignmentCopy[w] {
                        if let isCancelled, isCancelled() { cancelledFlag.value.pointee = true; break }
                        let iStart = block * tile, iEnd = min(rows, iStart + tile)
                        var jStart = iStart
                        while jStart < rows {
                            let jEnd = min(rows, jStart + tile)
                            state.tile(base.value, normBase.value, stride: stride, metric: metric,
                                       iRange: iStart ..< iEnd, jRange: jStart ..< jEnd)
                            jStart = jEnd
                        }
                        done += blocks - block
                        if w == 0, let progress { progress(min(1, Double(done * workers) / Double(totalTiles))) }
                    }
                    statesPointer.value[w] = state
                }
            }
        }
        if cancelledFlag.value.pointee { return nil }
        var indices = [Int32](repeating: -1, count: rows * k)
        var distances = [Float](repeating: .infinity, count: rows * k)
        for r in 0 ..< rows {
            var merged = TopK(k: k)
            for state in states { merged.merge(state.list(r)) }
            for (slot, n) in merged.entries.enumerated() {
                indices[r * k + slot] = n.1
                distances[r * k + slot] = n.0
            }
        }
        progress?(1)
        return NeighbourGraph(rows: rows, k: k, metric: metric, indices: indices, distances: distances)
    }
}

/// A bounded sorted list of the k smallest (distance, row) pairs; ties go to the lower row so
/// results never depend on scan order.
struct TopK: Sendable {
    let k: Int
    var entries: [(Float, Int32)] = []

    init(k: Int) {
        self.k = k
        entries.reserveCapacity(k + 1)
    }

    @inline(__always)
    static func less(_ a: (Float, Int32), _ b: (Float, Int32)) -> Bool {
        a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
    }

    mutating func insert(_ distance: Float, _ row: Int32) {
        let item = (distance, row)
        if entries.count == k {
            guard TopK.less(item, entries[k - 1]) else { return }
            entries.removeLast()
        }
        var position = entries.count
        while position > 0 && TopK.less(item, entries[position - 1]) { position -= 1 }
        entries.insert(item, at: position)
    }

    mutating func merge(_ other: TopK) {
        for e in other.entries { insert(e.0, e.1) }
    }

    var neighbours: [Neighbour] { entries.map { Neighbour(row: Int($0.1), distance: $0.0) } }
}

/// One worker's top-k lists for every row, flat: `rows * k` slots plus a fill count per row.
struct AllPairsState: Sendable {
    let k: Int
    var distances: [Float]
    var indices: [Int32]
    var counts: [Int32]

    init(rows: Int, k: Int) {
        self.k = k
        distances = [Float](repeating: .infinity, count: rows * k)
        indices = [Int32](repeating: -1, count: rows * k)
        counts = [Int32](repeating: 0, count: rows)
    }

    func list(_ row: Int) -> TopK {
        var top = TopK(k: k)
        for slot in 0 ..< Int(counts[row]) {
            top.entries.append((distances[row * k + slot], indices[row * k + slot]))
        }
        return top
    }

    @inline(__always)
    mutating func push(_ row: Int, _ distance: Float, _ other: Int32) {
        let base = row * k
        var count = Int(counts[row])
        if count == k {
            let worst = distances[base + k - 1]
            if distance > worst || (distance == worst && other > indices[base + k - 1]) { return }
            count -= 1
        } else {
            counts[row] += 1
        }
        var position = count
        while position > 0 {
            let d = distances[base + position - 1]
            if d < distance || (d == distance && indices[base + position - 1] < other) { break }
            distances[base + position] = d
            indices[base + position] = indices[base + position - 1]
            position -= 1
        }
        distances[base + position] = distance
        indices[base + position] = other
    }

    /// All pairs (i, j) with i in iRange, j in jRange and j > i: distances pushed to both rows.
    mutating func tile(_ data: UnsafePointer<Float>, _ norms: UnsafePointer<Float>, stride: Int,
                       metric: DistanceMetric, iRange: Range<Int>, jRange: Range<Int>) {
        @inline(__always) func finish(_ dot: Float, _ i: Int, _ j: Int) -> Float {
            metric == .cosine ? max(0, 1 - dot) : max(0, norms[i] + norms[j] - 2 * dot).squareRoot()
        }
        var i = iRange.lowerBound
        while i < iRange.upperBound {
            let twoRows = i + 1 < iRange.upperBound
            let a0 = UnsafeRawPointer(data + i * stride)
            let a1 = UnsafeRawPointer(data + (twoRows ? i + 1 : i) * stride)
            var j = max(jRange.lowerBound, i + 1)
            while j < jRange.upperBound {
                let twoCols = j + 1 < jRange.upperBound
                let b0 = UnsafeRawPointer(data + j * stride)
                let b1 = UnsafeRawPointer(data + (twoCols ? j + 1 : j) * stride)
                var s00 = SIMD16<Float>(), s01 = SIMD16<Float>(), s10 = SIMD16<Float>(), s11 = SIMD16<Float>()
                var offset = 0
                let bytes = stride * 4
                while offset < bytes {
                    let x0 = a0.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                    let x1 = a1.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                    let y0 = b0.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                    let y1 = b1.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                    s00 += x0 * y0
                    s01 += x0 * y1
                    s10 += x1 * y0
                    s11 += x1 * y1
                    offset += 64
                }
                let d00 = finish(s00.sum(), i, j)
                push(i, d00, Int32(j)); push(j, d00, Int32(i))
                if twoCols {
                    let d01 = finish(s01.sum(), i, j + 1)
                    push(i, d01, Int32(j + 1)); push(j + 1, d01, Int32(i))
                }
                if twoRows {
                    let i1 = i + 1
                    if j > i1 {
                        let d10 = finish(s10.sum(), i1, j)
                        push(i1, d10, Int32(j)); push(j, d10, Int32(i1))
                    }
                    if twoCols && j + 1 > i1 {
                        let d11 = finish(s11.sum(), i1, j + 1)
                        push(i1, d11, Int32(j + 1)); push(j + 1, d11, Int32(i1))
                    }
                }
                j += 2
            }
            // Row i+1 also pairs with j == i+1's successors only; the j loop started at i+1, so
            // the pair (i+1, i+1) was skipped by `j > i1` and nothing is missed.
            i += 2
        }
    }
}
