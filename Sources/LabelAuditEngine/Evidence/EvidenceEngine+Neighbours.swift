import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// Latent neighbours: the imported graph, the cached all-pairs graph, or one query at a time.
extension EvidenceEngine {
    /// The graph the ranking uses: the imported one (`neighboursFile`, its nearest
    /// `neighbourCount` per face) when given, else the cached all-pairs graph, if any.
    package func neighbourGraph() throws(EvidenceError) -> CachedNeighbours? {
        guard options.neighboursFile != nil else { return try cachedNeighbours() }
        let full = try importedNeighbours()
        let k = min(options.neighbourCount, full.graph.k)
        guard k < full.graph.k else { return full }
        let graph = full.graph
        var indices = [Int32](repeating: -1, count: graph.rows * k)
        var distances = [Float](repeating: .infinity, count: graph.rows * k)
        for r in 0..<graph.rows {
            for slot in 0..<k {
                indices[r * k + slot] = graph.indices[r * graph.k + slot]
                distances[r * k + slot] = graph.distances[r * graph.k + slot]
            }
        }
        return CachedNeighbours(
            graph: NeighbourGraph(rows: graph.rows, k: k, metric: graph.metric, indices: indices, distances: distances),
            distances: full.distances)
    }

    /// The whole `--neighbours` file as a graph (every neighbour it lists, up to
    /// `ImportedNeighbours.maximumPerFace` per face), with percentiles from a sample of latent
    /// pair distances. Read once per engine; O(file bytes + pairs).
    public func importedNeighbours() throws(EvidenceError) -> CachedNeighbours {
        guard let file = options.neighboursFile else {
            throw .neighbours(DatasetError(file: "--neighbours", problem: "no neighbours file given"))
        }
        if let done = imported.withLock({ $0 }) { return done }
        let made = try Self.readNeighbours(file, dataset: dataset, metric: options.metric)
        imported.withLock { $0 = made }
        return made
    }

    /// Reads a neighbours file for `dataset`, with percentiles from a sample of latent pair
    /// distances in `metric`. O(file bytes + pairs + 20,000 * dim).
    public static func readNeighbours(_ file: URL, dataset: Dataset, metric: DistanceMetric) throws(EvidenceError)
        -> CachedNeighbours
    {
        let graph: NeighbourGraph
        do throws(DatasetError) {
            graph = try ImportedNeighbours.read(file, ids: dataset.ids, metric: metric)
        } catch {
            throw .neighbours(error)
        }
        return CachedNeighbours(graph: graph, distances: DistanceDistribution(matrix: dataset.latents, metric: metric))
    }

    /// The cached all-pairs graph for this dataset, metric and k, if any.
    package func cachedNeighbours() throws(EvidenceError) -> CachedNeighbours? {
        do throws(CacheStoreError) {
            return try cache.neighbours(fingerprint: fingerprint, metric: options.metric, k: options.neighbourCount)
        } catch {
            throw .cache(error)
        }
    }

    /// Computes (and caches) the all-pairs graph. O(rows² · dim / cores).
    /// With an imported graph (`neighboursFile`) nothing is computed: that graph is returned.
    package func computeNeighbours(
        progress: ProgressHandler? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws(EvidenceError) -> CachedNeighbours {
        if options.neighboursFile != nil, let graph = try neighbourGraph() { return graph }
        let index = NeighbourIndex(dataset.latents, metric: options.metric)
        progress?(EvidenceProgress(stage: .neighbours, fraction: 0, message: "neighbours: all pairs"))
        guard
            let graph = index.allPairs(
                k: options.neighbourCount, progress: fractions(progress, .neighbours, "neighbours: all pairs"),
                isCancelled: isCancelled)
        else { throw .cancelled }
        let cached = CachedNeighbours(graph: graph, distances: DistanceDistribution(index: index))
        do throws(CacheStoreError) { try cache.saveNeighbours(fingerprint: fingerprint, cached) } catch { throw .cache(error) }
        return cached
    }

    /// A neighbour as shown beside a face: id, distance, and where that distance falls among
    /// all pairwise distances (percent of pairs that are closer).
    public struct NeighbourEntry: Sendable, Equatable, Codable {
        public let id: String
        public let row: Int
        public let distance: Float
        public let percentile: Double
        /// nil for test rows.
        public let label: UInt8?
        /// How many pairs the percentile was measured on.
        public let pairsMeasured: Int

        /// Share (0...1) of all pairs that are closer.
        public var closerShare: Double { percentile / 100 }
    }

    /// The k nearest neighbours of one row: an imported graph's (`--neighbours FILE`: as many as
    /// it lists, up to k), else `graph` (the all-pairs graph) when it holds k per row, else one
    /// exact query, O(rows · dim / cores). Percentiles come from the graph's distance sample,
    /// else the cached one, else a fresh one.
    public func nearest(toRow row: Int, k: Int, graph: CachedNeighbours? = nil) -> [NeighbourEntry] {
        guard k > 0 else { return [] }
        if options.neighboursFile != nil, let imported = try? importedNeighbours() {
            return imported.graph.neighbours(of: row).prefix(k).map { n in
                NeighbourEntry(
                    id: dataset.ids[n.row], row: n.row, distance: n.distance,
                    percentile: imported.distances.percentile(of: n.distance), label: dataset.label(of: n.row),
                    pairsMeasured: imported.distances.pairCount)
            }
        }
        if let graph, graph.graph.k >= k {
            return graph.graph.neighbours(of: row).prefix(k).map { n in
                NeighbourEntry(
                    id: dataset.ids[n.row], row: n.row, distance: n.distance,
                    percentile: graph.distances.percentile(of: n.distance), label: dataset.label(of: n.row),
                    pairsMeasured: graph.distances.pairCount)
            }
        }
        let (index, distribution) = lazyIndex.withLock { built in
            if let built { return built }
            let index = NeighbourIndex(dataset.latents, metric: options.metric)
            // Before the graph job has run: a quick 20,000-pair sample (this runs on the caller's
            // thread, often the UI's); the graph job's million-pair one replaces it.
            let made = (
                index,
                graph?.distances ?? (try? cachedNeighbours())??.distances
                    ?? DistanceDistribution(index: index, pairs: 20_000)
            )
            built = made
            return made
        }
        return index.nearest(toRow: row, k: k).map { n in
            NeighbourEntry(
                id: dataset.ids[n.row], row: n.row, distance: n.distance,
                percentile: distribution.percentile(of: n.distance), label: dataset.label(of: n.row),
                pairsMeasured: distribution.pairCount)
        }
    }
}
