import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore

/// The neighbour benchmark on a raw little-endian float32 matrix (so faiss reads the
/// same numbers). Times the all-pairs top-k (best of `repeats`) and single queries.
struct NeighboursBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours-bench",
        abstract: "All-pairs top-k and single queries on a raw float32 matrix (JSON).")
    @Option var matrix: String
    @Option var rows: Int
    @Option var dim: Int
    @Option var k = 10
    @Option var metric: DistanceMetric = .cosine
    @Flag var allPairs = false
    @Option var queries = 0
    @Option var repeats = 3
    @Option var out: String?

    func run() throws {
        let m = try BenchFiles.matrix(matrix, rows: rows, dim: dim)
        var report: [String: Double] = [:]
        if allPairs {
            var best = Double.infinity
            var graph: NeighbourGraph?
            for _ in 0..<repeats {
                // Timed like faiss' side: normalise and copy the rows (the index), then search.
                let start = DispatchTime.now().uptimeNanoseconds
                graph = NeighbourIndex(m, metric: metric).allPairs(k: k)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            report["all_pairs_seconds"] = best
            if let out, let graph {
                var text = ""
                for r in 0..<graph.rows {
                    text += graph.neighbours(of: r).map { String($0.row) }.joined(separator: ",") + "\n"
                }
                try text.write(toFile: out, atomically: true, encoding: .utf8)
            }
        }
        if queries > 0 {
            let index = NeighbourIndex(m, metric: metric)
            var times: [Double] = []
            for q in 0..<queries {
                let row = (q * 7919) % rows
                let start = DispatchTime.now().uptimeNanoseconds
                _ = index.nearest(toRow: row, k: k)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            report["query_median_ms"] = times[times.count / 2]
            report["query_max_ms"] = times.last!
        }
        let body = report.keys.sorted().map { "\"\($0)\": \(report[$0]!)" }.joined(separator: ", ")
        print("{\(body)}")
    }
}

/// Times reading a `--neighbours` file for a dataset (the dataset's own load is not
/// timed), best of `repeats`, and prints JSON.
struct NeighboursImportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours-import-bench",
        abstract: "Read a --neighbours file for a dataset, best of REPEATS (JSON).")
    @OptionGroup var data: DatasetArguments
    @Option(name: .customLong("neighbours")) var neighboursFile: String
    @Option var metric: DistanceMetric = .cosine
    @Option var repeats = 3

    func run() throws {
        let dataset = try data.loadDataset()
        var best = Double.infinity
        var graph: NeighbourGraph?
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                graph = try ImportedNeighbours.read(URL(fileURLWithPath: neighboursFile), ids: dataset.ids, metric: metric)
            } catch {
                CommandLineIO.printError(error.description)
                throw ExitCode(error.exitCode)
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let pairs = graph.map { $0.indices.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } } ?? 0
        print("{\"seconds\": \(best), \"faces\": \(dataset.count), \"pairs\": \(pairs), \"k\": \(graph?.k ?? 0)}")
    }
}
