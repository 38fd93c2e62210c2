import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditStore

/// `labelaudit flag DATASET ID...`: marks faces for a model rerun.
struct FlagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flag",
        abstract: "Flag training faces for a model rerun (or --clear the flag).",
        discussion: "All ids are flagged in one transaction: if one is unknown or a test id, none is flagged.")

    @OptionGroup var data: DatasetArguments
    @Argument(help: "The faces' ids.") var ids: [String]
    @Flag(help: "Remove the flag instead.") var clear = false
    @OptionGroup var reviewerArguments: ReviewerArguments

    func validate() throws {
        if ids.isEmpty { throw ValidationError("give at least one id to flag") }
    }

    func run() throws {
        let reviewer = try reviewerArguments.resolved()
        let dataset = try data.loadDataset()
        try AuditCommandSupport.requireKnown(ids, in: dataset)
        guard let store = try AuditCommandSupport.open(data, dataset) else { return }
        let events = try AuditCommandSupport.perform { try store.setFlag(!clear, items: ids, reviewer: reviewer) }
        let changed = Set(events.map(\.item))
        for id in ids {
            let state = changed.contains(id) ? (clear ? "unflagged" : "flagged") : (clear ? "not flagged" : "already flagged")
            AuditCommandSupport.printFlushed("\(state) \(AuditCommandSupport.shown(id)) (\(AuditCommandSupport.shown(reviewer)))")
        }
    }
}
