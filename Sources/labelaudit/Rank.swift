import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

struct Rank: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Print the review queue: the train faces most likely to carry a wrong label, with the reason.",
        discussion: HelpText.reflow(
            """
            The default order combines every model run, each weighted by its out-of-fold skill, with the
            distance to the latent labelling boundary and the latent neighbours' labels (Docs/ranking.md).
            --model NAME ranks by that run alone (the probability it gives the provided label).
            """))
    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Option(help: "Rank by one model run alone (see `labelaudit models`).") var model: String?
    @Option(help: "How many rows to print.") var top = 50
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Row: Codable {
        var rank: Int
        var id: String
        var label: UInt8
        var score: Double
        var probabilities: [String: Double]
        var boundaryMargin: Double?
        var neighboursDisagreeing: Int
        var labelledNeighbours: Int
        /// The runs whose confident-learning set holds this row.
        var confidentLearning: [String]
        /// Confident learning on the ranking's pooled picture probabilities holds this row: the
        /// same rows as `is_label_issue` in `export --format csv`'s issues file.
        var labelIssue: Bool
        /// Pooled P(given label) (the issues file's `label_score`).
        var labelScore: Double?
        var reason: String
    }

    struct Output: Codable {
        var ranking: String
        var runs: [RunWeight]
        /// Evidence the ranking had to do without, with the reason.
        var missing: [MissingEvidence]
        var rows: [Row]
        var warnings: [String]
    }

    func run() throws {
        guard top >= 0 else { throw ValidationError("--top must be 0 or more") }
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        let result = try EvidenceCLI.evidence(engine)
        let dataset = engine.dataset
        var order = result.ranking
        if let model {
            guard let run = result.runs.first(where: { $0.name == model }) else {
                let names = result.runs.map(\.name).joined(separator: ", ")
                CommandLineIO.printError(
                    "no model run named '\(TerminalSafeText.sanitized(model))'; this dataset has: \(TerminalSafeText.sanitized(names))"
                )
                throw ExitCode(64)
            }
            order = ReviewQueue.ranking(by: run, ranking: result.ranking, dataset: dataset)
        }
        var flaggedBy: [Int: [String]] = [:]
        for run in result.runs {
            for row in result.confidentLearning[run.name]?.issueRows ?? [] { flaggedBy[row, default: []].append(run.name) }
        }
        let issues = LabelIssues(dataset: dataset, evidence: result)
        let issueRows = issues.issueRows
        let rows = order.prefix(top).enumerated().map { (k, r) -> Row in
            let id = dataset.ids[r.row]
            var probabilities: [String: Double] = [:]
            for run in result.runs { if let p = run.probabilities[id] { probabilities[run.name] = p } }
            return Row(
                rank: k + 1, id: id, label: dataset.labels[r.row], score: r.score, probabilities: probabilities,
                boundaryMargin: r.boundaryMargin, neighboursDisagreeing: r.neighboursDisagreeing,
                labelledNeighbours: r.labelledNeighbours, confidentLearning: flaggedBy[r.row] ?? [],
                labelIssue: issueRows.contains(r.row), labelScore: issues.labelScore(row: r.row, label: dataset.labels[r.row]),
                reason: r.reason)
        }
        for warning in result.warnings { CommandLineIO.printWarning(warning) }
        if json {
            try CommandLineIO.printJSON(
                Output(
                    ranking: model ?? "default", runs: result.weights, missing: result.missing, rows: rows,
                    warnings: result.warnings))
            return
        }
        let runs = result.weights.map { "\($0.name) (weight \(String(format: "%.2f", $0.weight)))" }.joined(separator: ", ")
        print(
            "ranking: \(model.map { "by \(TerminalSafeText.sanitized($0)) alone" } ?? "default"); runs: \(runs.isEmpty ? "none" : TerminalSafeText.sanitized(runs))"
        )
        for missing in result.missing {
            print(
                "missing evidence: \(TerminalSafeText.sanitized(missing.name)) model, \(TerminalSafeText.sanitized(missing.reason))"
            )
        }
        let names = result.runs.map(\.name)
        let header =
            ["rank", "id", "label", "score"] + names.map { TerminalSafeText.sanitized(String($0.prefix(8))) } + ["reason"]
        print(header.map { $0.padding(toLength: max(6, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " "))
        for row in rows {
            var cells = [
                String(row.rank), TerminalSafeText.sanitized(row.id), String(row.label), String(format: "%.2f", row.score),
            ]
            cells += names.map { row.probabilities[$0].map { String(format: "%.2f", $0) } ?? "-" }
            let widths = [6, 6, 6, 6] + names.map { max(6, min(8, $0.count)) }
            let padded = zip(cells, widths).map { $0.0.padding(toLength: max($0.1, $0.0.count), withPad: " ", startingAt: 0) }
            print((padded + [TerminalSafeText.sanitized(row.reason)]).joined(separator: " "))
        }
    }
}
