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
        (0..<k).compactMap { slot in
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
    /// The prepared rows in bfloat16 (the top half of each Float32), two to a word: element 2j
    /// in the low half, 2j+1 in the high half. Built for large sets only (see `coarseMinimum`):
    /// a single query is bound by memory bandwidth, and this copy is half the bytes.
    let coarse: [UInt32]

    /// Sets of at least this many prepared values get the bfloat16 copy (8,192 rows of 512).
    static let coarseMinimum = 1 << 22

    /// O(rows * dim).
    public init(_ matrix: LatentMatrix, metric: DistanceMetric = .cosine) {
        self.init(matrix, metric: metric, coarseMinimum: Self.coarseMinimum)
    }

    /// `coarseMinimum` lets tests take the two-pass path on small sets.
    init(_ matrix: LatentMatrix, metric: DistanceMetric, coarseMinimum: Int) {
        self.metric = metric
        rows = matrix.rows
        dim = matrix.dim
        let stride = max(16, (matrix.dim + 15) / 16 * 16)
        self.stride = stride
        var prepared = [Float](repeating: 0, count: matrix.rows * stride)
        var norms = [Float](repeating: 0, count: matrix.rows)
        matrix.values.withUnsafeBufferPointer { src in
            prepared.withUnsafeMutableBufferPointer { dst in
                for r in 0..<matrix.rows {
                    let from = src.baseAddress! + r * matrix.dim
                    let to = dst.baseAddress! + r * stride
                    to.update(from: from, count: matrix.dim)
                    var n = VectorKernels.dot(to, to, matrix.dim)
                    if metric == .cosine {
                        // A zero vector has no direction: it stays zero and sits at distance 1 from all.
                        if n > 0 {
                            let scale = 1 / n.squareRoot()
                            for c in 0..<matrix.dim { to[c] *= scale }
                            n = 1
                        }
                    }
                    norms[r] = n
                }
            }
        }
        self.prepared = prepared
        squaredNorms = norms
        coarse = prepared.count >= coarseMinimum ? Self.bfloat16Pairs(prepared) : []
    }

    /// Float32 -> bfloat16 with round-to-nearest-even (relative error <= 2^-9), packed in pairs.
    static func bfloat16Pairs(_ values: [Float]) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: values.count / 2)
        values.withUnsafeBufferPointer { source in
            words.withUnsafeMutableBufferPointer { target in
                @inline(__always) func half(_ value: Float) -> UInt32 {
                    let bits = value.bitPattern
                    return (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
                }
                for j in 0..<target.count {
                    target[j] = half(source[2 * j]) | (half(source[2 * j + 1]) << 16)
                }
            }
        }
        return words
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
        let query = Array(prepared[row * stride..<(row + 1) * stride])
        return search(prepared: query, norm: squaredNorms[row], k: k, excluding: row)
    }

    /// The k nearest rows to an arbitrary vector of length `dim`. O(rows * dim / workers).
    public func nearest(to vector: [Float], k: Int) -> [Neighbour] {
        precondition(vector.count == dim, "query length must equal the latent dimension")
        var query = [Float](repeating: 0, count: stride)
        for c in 0..<dim { query[c] = vector[c] }
        var n = query.withUnsafeBufferPointer { VectorKernels.dot($0.baseAddress!, $0.baseAddress!, stride) }
        if metric == .cosine, n > 0 {
            let scale = 1 / n.squareRoot()
            for c in 0..<dim { query[c] *= scale }
            n = 1
        }
        return search(prepared: query, norm: n, k: k, excluding: nil)
    }

    private func search(prepared query: [Float], norm: Float, k: Int, excluding: Int?) -> [Neighbour] {
        let k = max(0, min(k, rows - (excluding == nil ? 0 : 1)))
        if k == 0 { return [] }
        if !coarse.isEmpty { return coarseThenExact(prepared: query, norm: norm, k: k, excluding: excluding) }
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
                    let start = w * chunk
                    let end = min(rows, start + chunk)
                    if start < end {
                        for r in start..<end where r != excluding {
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

    /// Exact top-k in two passes, for large sets. Pass 1 reads the bfloat16 copy (half the
    /// bytes of the Float32 rows) and bounds every row's distance: the bfloat16 dot differs
    /// from the Float32 one by at most (2^-9 + 2 * stride * 2^-24) * |q| * |x| (rounding of
    /// the rows, then of both sums). The k smallest upper bounds give a threshold T that the
    /// true k-th distance cannot exceed; pass 2 computes the Float32 distance, with the same
    /// kernel as the plain scan, for the rows whose lower bound is at most T (usually k and a
    /// few more). The result is the plain scan's, ties included.
    /// O(rows * dim / workers) reading rows * dim * 2 bytes, plus O(candidates * dim).
    private func coarseThenExact(prepared query: [Float], norm: Float, k: Int, excluding: Int?) -> [Neighbour] {
        let vectors = stride / 16  // SIMD8<UInt32> per row: 8 words of 2 values
        var even = [SIMD8<Float>](repeating: .zero, count: vectors)
        var odd = [SIMD8<Float>](repeating: .zero, count: vectors)
        for v in 0..<vectors {
            for lane in 0..<8 {
                even[v][lane] = query[2 * (8 * v + lane)]
                odd[v][lane] = query[2 * (8 * v + lane) + 1]
            }
        }
        let relativeError = Float(1.0 / 512.0) + 2 * Float(stride) * Float(1.0 / 16_777_216.0)
        let queryLength = norm.squareRoot()
        // Bounds in the metric's ordering space: 1 - dot for cosine, the squared distance for L2.
        let dotScale: Float = metric == .cosine ? 1 : 2
        /// How far a row's bfloat16 distance can be from its Float32 one.
        @Sendable func slack(_ rowNorm: Float) -> Float {
            dotScale * relativeError * queryLength * rowNorm.squareRoot() + 1e-6
        }
        var approximate = [Float](repeating: .infinity, count: rows)
        let workers = Parallelism.workers
        let chunk = (rows + workers - 1) / workers
        var lists = [TopK](repeating: TopK(k: k), count: workers)
        let sharedLists = UncheckedSendable(lists.withUnsafeMutableBufferPointer { $0.baseAddress! })
        let sharedApproximate = UncheckedSendable(approximate.withUnsafeMutableBufferPointer { $0.baseAddress! })
        coarse.withUnsafeBufferPointer { words in
            even.withUnsafeBufferPointer { evenBuffer in
                odd.withUnsafeBufferPointer { oddBuffer in
                    squaredNorms.withUnsafeBufferPointer { normsBuffer in
                        let base = UncheckedSendable(
                            UnsafeRawPointer(words.baseAddress!).assumingMemoryBound(to: SIMD8<UInt32>.self))
                        let evenQuery = UncheckedSendable(evenBuffer.baseAddress!)
                        let oddQuery = UncheckedSendable(oddBuffer.baseAddress!)
                        let norms = UncheckedSendable(normsBuffer.baseAddress!)
                        Parallelism.run(workers: workers) { w in
                            var top = TopK(k: k)
                            let mask = SIMD8<UInt32>(repeating: 0xFFFF_0000)
                            let start = w * chunk
                            let end = min(rows, start + chunk)
                            var r = start
                            while r < end {
                                defer { r += 1 }
                                if r == excluding { continue }
                                let row = base.value + r * vectors
                                var accEven = SIMD8<Float>.zero
                                var accOdd = SIMD8<Float>.zero
                                for v in 0..<vectors {
                                    let pair = row[v]
                                    accEven += unsafeBitCast(pair &<< 16, to: SIMD8<Float>.self) * evenQuery.value[v]
                                    accOdd += unsafeBitCast(pair & mask, to: SIMD8<Float>.self) * oddQuery.value[v]
                                }
                                let dot = (accEven + accOdd).sum()
                                let rowNorm = norms.value[r]
                                let distance = metric == .cosine ? 1 - dot : norm + rowNorm - 2 * dot
                                sharedApproximate.value[r] = distance
                                top.insert(distance + slack(rowNorm), Int32(r))
                            }
                            sharedLists.value[w] = top
                        }
                    }
                }
            }
        }
        var upper = TopK(k: k)
        for list in lists { upper.merge(list) }
        let threshold = upper.entries[k - 1].0
        var exact = TopK(k: k)
        prepared.withUnsafeBufferPointer { data in
            query.withUnsafeBufferPointer { q in
                for r in 0..<rows where approximate[r] - slack(squaredNorms[r]) <= threshold {
                    let dot = VectorKernels.dot(q.baseAddress!, data.baseAddress! + r * stride, stride)
                    exact.insert(finish(dot: dot, a: norm, b: squaredNorms[r]), Int32(r))
                }
            }
        }
        return exact.neighbours
    }

    // MARK: all pairs

    /// The k nearest neighbours of every row, computed once for all pairs.
    ///
    /// Complexity: O(rows² * dim / 2 / workers) time, O(rows * dim + workers * rows * k) memory.
    /// GEMM-style: the rows are packed once into panels of 16 rows stored dimension-major, so a
    /// register kernel (`AllPairsKernel`: 2 x 16, or 6 x 16 with the native flag) broadcasts one
    /// value of each query row and multiplies it with one `SIMD16<Float>` load of the panel:
    /// 32 (96) dot products advance per step with no horizontal sums. Each pair is computed once
    /// (symmetry: only panels at or after the query block) and offered to both rows' lists; a
    /// 16-wide comparison with each row's current k-th distance lets only possible entrants
    /// through. Panel chunks of 128 rows (256 KB) stay in L2 while a query block of 64 (60) rows
    /// walks them. Block rows are dealt to workers in snake order so the triangle's uneven rows
    /// balance out; each worker keeps its own top-k lists, merged at the end, so there is no
    /// locking and the result does not depend on the thread count or kernel shape (ties go to
    /// the lower row). Returns nil when `isCancelled` turns true.
    public func allPairs(
        k requested: Int, progress: (@Sendable (Double) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) -> NeighbourGraph? {
        allPairs(k: requested, kernelRows: AllPairsKernel.preferredRows, progress: progress, isCancelled: isCancelled)
    }

    /// `kernelRows` (2 or 6) lets tests run the other build's kernel shape.
    func allPairs(
        k requested: Int, kernelRows: Int, progress: (@Sendable (Double) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) -> NeighbourGraph? {
        precondition(AllPairsKernel.shapes.contains(kernelRows))
        let k = max(0, min(requested, rows - 1))
        if k == 0 || rows < 2 {
            let width = max(requested, 0)
            return NeighbourGraph(
                rows: rows, k: width, metric: metric,
                indices: [Int32](repeating: -1, count: rows * width),
                distances: [Float](repeating: .infinity, count: rows * width))
        }
        let panels = PackedPanels(prepared, rows: rows, stride: stride)
        let block = kernelRows * (64 / kernelRows)  // query rows per block: 64, or 60 in groups of 6
        let blocks = (rows + block - 1) / block
        let workers = rows >= 256 ? Parallelism.workers : 1
        // Snake order: worker w gets block rows w, 2W-1-w, 2W+w, ...
        var assignment = [[Int]](repeating: [], count: workers)
        for position in 0..<blocks {
            let round = position / workers
            let offset = position % workers
            assignment[round % 2 == 0 ? offset : workers - 1 - offset].append(position)
        }
        let totalWork = Double(blocks * (blocks + 1) / 2)
        let rows = self.rows
        let stride = self.stride
        let metric = self.metric
        let states = (0..<workers).map { _ in AllPairsState(rows: rows, k: k) }
        // Norms padded to whole panels for the kernel's 16-wide reads.
        let paddedNorms = squaredNorms + [Float](repeating: 0, count: panels.count * PackedPanels.width - rows)
        let cancelled = CancellationFlag()
        let assignmentCopy = assignment
        prepared.withUnsafeBufferPointer { data in
            paddedNorms.withUnsafeBufferPointer { norms in
                panels.values.withUnsafeBufferPointer { packed in
                    let base = UncheckedSendable(data.baseAddress!)
                    let normBase = UncheckedSendable(norms.baseAddress!)
                    let panelBase = UncheckedSendable(packed.baseAddress!)
                    Parallelism.run(workers: workers) { w in
                        let state = states[w]
                        var done = 0
                        for b in assignmentCopy[w] {
                            if let isCancelled, isCancelled() {
                                cancelled.cancel()
                                break
                            }
                            state.block(
                                base.value, normBase.value, panelBase.value, rows: rows, stride: stride,
                                metric: metric, kernelRows: kernelRows, iRange: b * block..<min(rows, (b + 1) * block))
                            done += blocks - b
                            if w == 0, let progress { progress(min(1, Double(done * workers) / totalWork)) }
                        }
                    }
                }
            }
        }
        if cancelled.isCancelled { return nil }
        var indices = [Int32](repeating: -1, count: rows * k)
        var distances = [Float](repeating: .infinity, count: rows * k)
        for r in 0..<rows {
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

/// The rows packed in panels of 16, dimension-major within a panel:
/// `values[panel * stride * 16 + d * 16 + lane]` = row `panel * 16 + lane`, dimension d
/// (rows past the end are zero). O(rows * stride) to build.
struct PackedPanels: Sendable {
    static let width = 16
    let count: Int
    let values: [Float]

    init(_ prepared: [Float], rows: Int, stride: Int) {
        let w = PackedPanels.width
        count = (rows + w - 1) / w
        var values = [Float](repeating: 0, count: count * stride * w)
        prepared.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    let panel = r / w
                    let lane = r % w
                    let out = dst.baseAddress! + panel * stride * w + lane
                    let row = src.baseAddress! + r * stride
                    for d in 0..<stride { out[d * w] = row[d] }
                }
            }
        }
        self.values = values
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
/// A class over raw buffers: the hot `push` runs billions of times and must not pay for
/// copy-on-write or exclusivity checks. Only its own worker touches it until the merge.
final class AllPairsState: @unchecked Sendable {
    let k: Int
    let rows: Int
    let distances: UnsafeMutablePointer<Float>
    let indices: UnsafeMutablePointer<Int32>
    let counts: UnsafeMutablePointer<Int32>
    /// Each row's current k-th distance (+infinity until its list is full), padded to whole
    /// panels: the kernel compares 16 rows' thresholds at once and pushes only what may enter.
    let worst: UnsafeMutablePointer<Float>

    init(rows: Int, k: Int) {
        self.k = k
        self.rows = rows
        distances = .allocate(capacity: max(1, rows * k))
        distances.initialize(repeating: .infinity, count: max(1, rows * k))
        indices = .allocate(capacity: max(1, rows * k))
        indices.initialize(repeating: -1, count: max(1, rows * k))
        counts = .allocate(capacity: max(1, rows))
        counts.initialize(repeating: 0, count: max(1, rows))
        let padded = (rows + PackedPanels.width - 1) / PackedPanels.width * PackedPanels.width
        worst = .allocate(capacity: max(1, padded))
        worst.initialize(repeating: .infinity, count: max(1, padded))
    }

    deinit {
        distances.deallocate()
        indices.deallocate()
        counts.deallocate()
        worst.deallocate()
    }

    func list(_ row: Int) -> TopK {
        var top = TopK(k: k)
        for slot in 0..<Int(counts[row]) {
            top.entries.append((distances[row * k + slot], indices[row * k + slot]))
        }
        return top
    }

    @inline(__always)
    func push(_ row: Int, _ distance: Float, _ other: Int32) {
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
        if Int(counts[row]) == k { worst[row] = distances[base + k - 1] }
    }

    /// All pairs (i, j), i in iRange, j > i: `kernelRows` x 16 kernels over panel chunks.
    /// `norms` is padded to whole panels, so a `SIMD16` read at any panel start stays inside it.
    func block(
        _ data: UnsafePointer<Float>, _ norms: UnsafePointer<Float>, _ panels: UnsafePointer<Float>,
        rows: Int, stride: Int, metric: DistanceMetric, kernelRows: Int, iRange: Range<Int>
    ) {
        let w = PackedPanels.width
        let panelCount = (rows + w - 1) / w
        let firstPanel = iRange.lowerBound / w
        let chunk = 8  // panels per L2 chunk (8 x 16 rows x 2 KB = 256 KB at dim 512)
        let dots = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: kernelRows)
        defer { dots.deallocate() }
        var chunkStart = firstPanel
        while chunkStart < panelCount {
            let chunkEnd = min(panelCount, chunkStart + chunk)
            var i = iRange.lowerBound
            while i < iRange.upperBound {
                let valid = min(kernelRows, iRange.upperBound - i)
                for panel in chunkStart..<chunkEnd {
                    let jBase = panel * w
                    if jBase + w - 1 <= i { continue }  // every j <= every i of this group
                    AllPairsKernel.dots(
                        data + i * stride, rows: kernelRows, stride: stride, valid: valid,
                        panel: UnsafeRawPointer(panels + panel * stride * w), into: dots)
                    let columnNorms = UnsafeRawPointer(norms).loadUnaligned(
                        fromByteOffset: jBase * 4,
                        as: SIMD16<Float>.self)
                    let columnWorst = UnsafeRawPointer(worst).loadUnaligned(
                        fromByteOffset: jBase * 4,
                        as: SIMD16<Float>.self)
                    let laneEnd = min(w, rows - jBase)
                    for r in 0..<valid {
                        let row = i + r
                        let laneStart = max(0, row + 1 - jBase)
                        if laneStart >= laneEnd { continue }
                        let distance: SIMD16<Float>
                        switch metric {
                        case .cosine:
                            distance = 1 - dots[r]  // may round below 0: clamped per lane below
                        case .l2:
                            let squared = SIMD16(repeating: norms[row]) + columnNorms - 2 * dots[r]
                            distance = squared.replacing(with: 0, where: squared .< 0).squareRoot()
                        }
                        // Thresholds only shrink, so the ones read before this group's pushes admit a
                        // superset; `push` decides exactly. Most (row, panel) pairs stop at this test.
                        let rowWorst = SIMD16<Float>(repeating: worst[row])
                        let forColumns = distance .<= columnWorst
                        let forRow = distance .<= rowWorst
                        if !any(forColumns .| forRow) { continue }
                        let lanes = (UInt32(1) << laneEnd) - (UInt32(1) << laneStart)
                        let columnBits = AllPairsKernel.bits(forColumns) & lanes
                        let rowBits = AllPairsKernel.bits(forRow) & lanes
                        var pending = columnBits | rowBits
                        while pending != 0 {
                            let lane = pending.trailingZeroBitCount
                            let bit = UInt32(1) << lane
                            pending &= pending - 1
                            let j = jBase + lane
                            let clamped = max(0, distance[lane])
                            if rowBits & bit != 0 { push(row, clamped, Int32(j)) }
                            if columnBits & bit != 0 { push(j, clamped, Int32(row)) }
                        }
                    }
                }
                i += kernelRows
            }
            chunkStart = chunkEnd
        }
    }
}

/// The register kernels of `allPairs`: dot products of a few consecutive query rows with the
/// 16 rows of one packed panel, broadcasting one value of each query row per step so no
/// horizontal sums are needed. O(rows * stride * 16) each. Both shapes are compiled in every
/// build (so tests cover both); each build uses the one that fits its registers.
enum AllPairsKernel {
    #if LABELAUDIT_NATIVE
        /// 6 x 16 with the opt-in CPU flag: 12 AVX accumulators, two panel halves and a broadcast
        /// fill 15 of the 16 registers, and 12 independent FMA chains hide the FMA latency.
        static let preferredRows = 6
    #else
        /// 2 x 16 on the baseline target: 8 SSE accumulators, four panel quarters and a broadcast
        /// fit the 16 registers; 4 rows would spill.
        static let preferredRows = 2
    #endif
    static let shapes = [2, 6]

    /// `acc += x * b`: one fused multiply-add with the native flag. Without FMA hardware, the
    /// fused form would become a libm call per lane, so the baseline multiplies, then adds.
    @inline(__always)
    static func multiplyAdd(_ acc: inout SIMD16<Float>, _ x: Float, _ b: SIMD16<Float>) {
        #if LABELAUDIT_NATIVE
            acc.addProduct(SIMD16(repeating: x), b)
        #else
            acc += SIMD16(repeating: x) * b
        #endif
    }

    /// The mask as bits, lane 0 lowest (what `movmskps` gives; Swift has no direct spelling).
    @inline(__always)
    static func bits(_ mask: SIMDMask<SIMD16<Int32>>) -> UInt32 {
        let weights = SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
        return SIMD16<UInt32>.zero.replacing(with: weights, where: mask).wrappedSum()
    }

    /// Writes `rows` (2 or 6) dot-product vectors to `out`: `out[m][lane]` = row `m` · panel
    /// row `lane`. Rows at or past `valid` repeat the last valid row (computed, then ignored).
    @inline(__always)
    static func dots(
        _ first: UnsafePointer<Float>, rows: Int, stride: Int, valid: Int, panel p: UnsafeRawPointer,
        into out: UnsafeMutablePointer<SIMD16<Float>>
    ) {
        @inline(__always) func row(_ m: Int) -> UnsafePointer<Float> { first + min(m, valid - 1) * stride }
        let w = PackedPanels.width
        if rows == 6 {
            let r0 = row(0)
            let r1 = row(1)
            let r2 = row(2)
            let r3 = row(3)
            let r4 = row(4)
            let r5 = row(5)
            var a0 = SIMD16<Float>()
            var a1 = SIMD16<Float>()
            var a2 = SIMD16<Float>()
            var a3 = SIMD16<Float>()
            var a4 = SIMD16<Float>()
            var a5 = SIMD16<Float>()
            var d = 0
            while d < stride {
                let b = p.loadUnaligned(fromByteOffset: d * w * 4, as: SIMD16<Float>.self)
                multiplyAdd(&a0, r0[d], b)
                multiplyAdd(&a1, r1[d], b)
                multiplyAdd(&a2, r2[d], b)
                multiplyAdd(&a3, r3[d], b)
                multiplyAdd(&a4, r4[d], b)
                multiplyAdd(&a5, r5[d], b)
                d += 1
            }
            out[0] = a0
            out[1] = a1
            out[2] = a2
            out[3] = a3
            out[4] = a4
            out[5] = a5
        } else {
            let r0 = row(0)
            let r1 = row(1)
            var a0 = SIMD16<Float>()
            var a1 = SIMD16<Float>()
            var d = 0
            while d < stride {
                let b = p.loadUnaligned(fromByteOffset: d * w * 4, as: SIMD16<Float>.self)
                multiplyAdd(&a0, r0[d], b)
                multiplyAdd(&a1, r1[d], b)
                d += 1
            }
            out[0] = a0
            out[1] = a1
        }
    }
}
