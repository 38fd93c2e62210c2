import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine

struct Neighbours: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours",
        abstract: "The nearest faces to one face in latent space, with how close that really is.",
        discussion: HelpText.reflow(
            """
            Each neighbour's distance comes with its percentile among all pairwise distances of the dataset:
            in 512 dimensions the nearest face of a random latent is often hardly closer than any other face.
            """))
    @OptionGroup var data: DatasetArguments
    @Argument(help: "The face's id.") var id: String
    @Option(help: "How many neighbours.") var k = 10
    @Option(help: "Latent distance: cosine or l2.") var metric: DistanceMetric = .cosine
    @Option(help: "The cache file (default: beside the audit database).") var cache: String?
    @Option(
        name: .customLong("neighbours"),
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
            CommandLineIO.printError(
                "id '\(TerminalSafeText.sanitized(id))' is not in the dataset (\(engine.dataset.trainCount) train and \(engine.dataset.testCount) test ids); check the id column"
            )
            throw ExitCode(64)
        }
        let neighbours = engine.nearest(toRow: row, k: k)
        if json {
            try CommandLineIO.printJSON(Output(id: id, metric: metric.rawValue, neighbours: neighbours))
            return
        }
        let label = engine.dataset.label(of: row).map { "label \($0)" } ?? "test"
        print(
            "\(TerminalSafeText.sanitized(id)) (\(label)), \(metric.rawValue) distance; percentile = share of all pairs that are closer"
        )
        print("#    id         label  distance  percentile")
        for (n, entry) in neighbours.enumerated() {
            let shown = entry.label.map(String.init) ?? "test"
            print(
                String(n + 1).padding(toLength: 4, withPad: " ", startingAt: 0) + " "
                    + TerminalSafeText.sanitized(entry.id).padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                    + shown.padding(toLength: 6, withPad: " ", startingAt: 0) + " "
                    + String(format: "%.4f", entry.distance).padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                    + String(format: "%.1f%%", entry.percentile))
        }
    }
}
