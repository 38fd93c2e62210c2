import ArgumentParser
import Foundation
import LabelAuditCore
import LabelAuditEngine

struct Neighbours: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours",
        abstract: "The nearest faces to one face in latent space, with how close that really is.",
        discussion: HelpText.reflow("""
        Each neighbour's distance comes with its percentile among all pairwise distances of the dataset:
        in 512 dimensions the nearest face of a random latent is often hardly closer than any other face.
        """))
    @OptionGroup var data: DatasetArguments
    @Argument(help: "The face's id.") var id: String
    @Option(help: "How many neighbours.") var k = 10
    @Option(help: "Latent distance: cosine or l2.") var metric: DistanceMetric = .cosine
    @Option(help: "The cache file (default: beside the audit database).") var cache: String?
    @Option(name: .customLong("neighbours"),
            help: "Precomputed neighbours (CSV: id, neighbour id, distance), shown instead of searching (Docs/neighbours.md).")
    var neighboursFile: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Output: Codable {
        var id: String
        var metric: String
        var neighbours: [EvidenceEngine.NeighbourEntry]
    }

    func run() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        var evidence = try EvidenceArguments.parse([])
        evidence.metric = metric
        evidence.cache = cache
        evidence.noImage = true
        evidence.neighboursFile = neighboursFile
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        guard let row = engine.dataset.row(of: id) else {
            CommandLineIO.printError("id '\(TerminalSafeText.sanitized(id))' is not in the dataset (\(engine.dataset.trainCount) train and \(engine.dataset.testCount) test ids); check the id column")
            throw ExitCode(64)
        }
        let neighbours = engine.nearest(toRow: row, k: k)
        if json {
            try CommandLineIO.printJSON(Output(id: id, metric: metric.rawValue, neighbours: neighbours))
            return
        }
        let label = engine.dataset.label(of: row).map { "label \($0)" } ?? "test"
        print("\(TerminalSafeText.sanitized(id)) (\(label)), \(metric.rawValue) distance; percentile = share of all pairs that are closer")
        print("#    id         label  distance  percentile")
        for (n, entry) in neighbours.enumerated() {
            let shown = entry.label.map(String.init) ?? "test"
            print(String(n + 1).padding(toLength: 4, withPad: " ", startingAt: 0) + " "
                + TerminalSafeText.sanitized(entry.id).padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                + shown.padding(toLength: 6, withPad: " ", startingAt: 0) + " "
                + String(format: "%.4f", entry.distance).padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                + String(format: "%.1f%%", entry.percentile))
        }
    }
}

/// Hidden: the neighbour benchmark on a raw little-endian float32 matrix (so faiss reads the
/// same numbers). Times the all-pairs top-k (best of `repeats`) and single queries.
struct NeighboursBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "neighbours-bench", shouldDisplay: false)
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
            for _ in 0 ..< repeats {
                // Timed like faiss' side: normalise and copy the rows (the index), then search.
                let start = DispatchTime.now().uptimeNanoseconds
                graph = NeighbourIndex(m, metric: metric).allPairs(k: k)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            report["all_pairs_seconds"] = best
            if let out, let graph {
                var text = ""
                for r in 0 ..< graph.rows {
                    text += graph.neighbours(of: r).map { String($0.row) }.joined(separator: ",") + "\n"
                }
                try text.write(toFile: out, atomically: true, encoding: .utf8)
            }
        }
        if queries > 0 {
            let index = NeighbourIndex(m, metric: metric)
            var times: [Double] = []
            for q in 0 ..< queries {
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

/// Hidden: times reading a `--neighbours` file for a dataset (the dataset's own load is not
/// timed), best of `repeats`, and prints JSON.
struct NeighboursImportBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "neighbours-import-bench", shouldDisplay: false)
    @OptionGroup var data: DatasetArguments
    @Option(name: .customLong("neighbours")) var neighboursFile: String
    @Option var metric: DistanceMetric = .cosine
    @Option var repeats = 3

    func run() throws {
        let dataset = try data.loadDataset()
        var best = Double.infinity
        var graph: NeighbourGraph?
        for _ in 0 ..< max(1, repeats) {
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
