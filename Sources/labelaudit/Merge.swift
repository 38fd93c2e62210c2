import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditStore

/// `labelaudit merge DATASET OTHER.sqlite...`: a team without a server shares database files.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge other reviewers' audit databases into this dataset's.",
        discussion: HelpText.reflow(
            """
            Events carry unique ids: merging the same file twice, or files in any order, gives the same result.
            Different verdicts from different reviewers are kept side by side as conflicts; nothing is overwritten.
            """))

    @OptionGroup var data: DatasetArguments
    @Argument(help: "Audit databases to merge in.") var others: [String]

    func validate() throws {
        if others.isEmpty { throw ValidationError("give at least one audit database to merge") }
    }

    func run() throws {
        let dataset = try data.loadDataset()
        guard let store = try AuditCommandSupport.open(data, dataset) else { return }
        // Only training ids can carry a verdict; events about other ids are skipped and said.
        let trainIDs = Set(dataset.ids[0..<dataset.trainCount])
        var failure: ExitCode?
        var merged = 0
        for other in others {
            let name = AuditCommandSupport.shown(other, limit: 200)
            do {
                let summary = try store.merge(from: URL(fileURLWithPath: other), knownItems: trainIDs)
                merged += 1
                var line = "\(name): \(summary.imported) new events, \(summary.alreadyPresent) already here"
                if summary.mismatched > 0 { line += ", \(summary.mismatched) with a known id but different content (kept ours)" }
                if summary.refusedTestItems > 0 {
                    line += ", \(summary.refusedTestItems) about test ids refused (the test set is never hand-labeled)"
                }
                let skipped = summary.skipped.values.reduce(0, +)
                if skipped > 0 { line += ", \(skipped) skipped (below)" }
                AuditCommandSupport.printFlushed(line)
                for (reason, count) in summary.skipped.sorted(by: { $0.key < $1.key }) {
                    let examples = summary.skippedExamples.filter { $0.reason == reason }
                        .map {
                            "event \(TerminalSafeText.visible($0.event, limit: 36)) about '\(TerminalSafeText.visible($0.item, limit: 40))'"
                        }
                    CommandLineIO.printWarning(
                        "\(name): skipped \(count) with \(reason.explanation); e.g. \(examples.joined(separator: ", "))")
                }
            } catch {
                // Each file merges in its own transaction: report this one, go on with the rest.
                failure = failure ?? (AuditCommandSupport.reported(error) as? ExitCode ?? ExitCode(74))
            }
        }
        if merged > 0 {
            let conflicts = try AuditCommandSupport.perform { try store.consensus().filter { $0.status == .conflict }.count }
            AuditCommandSupport.printFlushed("\(conflicts) faces where reviewers disagree (labelaudit notes lists them)")
        }
        if let failure { throw failure }
    }
}
