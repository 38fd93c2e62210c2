import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine
import LabelAuditReport
import LabelAuditStore

/// `make bench` entry point: scripts honest reviewers from a truth file (the queue's
/// top faces plus a uniformly random sample, kept in memory, no database), then times building
/// the report and writing each format, and prints the noise estimate beside the true share.
struct ReportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-bench",
        abstract: "Build and write the report with scripted reviewers; times and the estimate (JSON).")
    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Option(help: "CSV with columns id and flipped (1 = the provided label is wrong).") var truth: String
    @Option var queue = 300
    @Option var sample = 200
    @Option var outDir: String

    /// The train ids whose provided label is wrong, from a truth CSV (columns id and flipped).
    static func readTruth(_ truth: String, dataset: Dataset) throws -> Set<String> {
        let lines = try String(contentsOfFile: truth, encoding: .utf8).split(separator: "\n")
        let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
        guard let idColumn = header.firstIndex(of: "id"), let flippedColumn = header.firstIndex(of: "flipped") else {
            throw ValidationError("\(truth): needs columns id and flipped")
        }
        var flipped = Set<String>()
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if fields.count > max(idColumn, flippedColumn), fields[flippedColumn] == "1",
                let row = dataset.row(of: fields[idColumn]), row < dataset.trainCount
            {
                flipped.insert(fields[idColumn])
            }
        }
        return flipped
    }

    func run() throws {
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        let dataset = engine.dataset
        let result = try EvidenceCLI.evidence(engine)
        let flipped = try Self.readTruth(truth, dataset: dataset)
        let trainIDs = Array(dataset.ids[0..<dataset.trainCount])
        let queueIDs = result.ranking.prefix(queue).map { dataset.ids[$0.row] }
        var generator = SystemRandomNumberGenerator()
        let sampleIDs = Array(trainIDs.shuffled(using: &generator).prefix(sample))
        var states: [ReviewerState] = []
        for (reviewer, ids) in [("queue", queueIDs), ("sample", sampleIDs)] {
            for id in ids {
                states.append(
                    ReviewerState(
                        item: id, reviewer: reviewer, verdict: flipped.contains(id) ? .labelWrong : .labelOK,
                        firstMicros: 1, updatedMicros: 1, verdictMicros: 1))
            }
        }
        let reviews = ReviewSnapshot(states: states, auditSample: Set(sampleIDs), population: dataset.trainCount)
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var report: AuditReport?
        let build = seconds { report = AuditReport.build(dataset: dataset, evidence: result, reviews: reviews) }
        guard let report else { return }
        let folder = URL(fileURLWithPath: outDir)
        var writes: [String: Double] = [:]
        for format in ReportFormat.allCases {
            writes[format.rawValue] = try seconds {
                try ReportWriter.write(
                    report, format: format, to: folder.appendingPathComponent("report.\(format.fileExtension)"))
            }
        }
        let truthShare = Double(flipped.count) / Double(max(1, dataset.trainCount))
        let output: [String: String] = [
            "train_rows": String(dataset.trainCount), "confirmed_errors": String(report.confirmedErrors.count),
            "build_seconds": String(format: "%.4f", build),
            "write_seconds": writes.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4f", $0.value))" }.joined(
                separator: " "),
            "true_share": String(format: "%.4f", truthShare),
            "estimate": report.noise.share.map { String(format: "%.4f", $0) } ?? "none",
            "interval":
                "\(report.noise.shareLow.map { String(format: "%.4f", $0) } ?? "-")..\(report.noise.shareHigh.map { String(format: "%.4f", $0) } ?? "-")",
            "clustering": report.clustering.sentence,
        ]
        try CommandLineIO.printJSON(output)
    }
}
