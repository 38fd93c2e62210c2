import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditStore

/// `labelaudit notes DATASET`: what every reviewer currently says, with agreement and conflicts.
struct NotesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notes",
        abstract: "List verdicts, notes, tags and flags of all reviewers, with agreement and conflicts.")

    @OptionGroup var data: DatasetArguments
    @Flag(help: "Print JSON (texts exactly as stored, JSON-escaped).") var json = false

    struct Entry: Codable {
        var item: String
        var reviewer: String
        var verdict: String?
        var note: String?
        var tags: [String]
        var flagged: Bool
        /// agreed, conflict or single; null when this item has no verdict yet.
        var consensus: String?
        var updated: String
    }

    struct Listing: Codable {
        var database: String
        var entries: [Entry]
        var conflicts: [String]
        var flagged: [String]
        /// Ids with audit entries that are no longer training ids (moved to test.csv, or gone).
        var warnings: [String]
    }

    func run() throws {
        let dataset = try data.loadDataset()
        let database = AuditCommandSupport.databaseURL(data, dataset)
        let store = try AuditCommandSupport.open(data, dataset, readOnly: true)
        let order = AuditCommandSupport.rowOrder(dataset)
        let (states, consensus, flagged) = try AuditCommandSupport.perform {
            (try store?.allStates() ?? [], try store?.consensus() ?? [], try store?.flaggedItems() ?? [])
        }
        let statusByItem = Dictionary(uniqueKeysWithValues: consensus.map { ($0.item, $0.status.rawValue) })
        let entries =
            states
            .sorted { (order($0.item), $0.item, $0.reviewer) < (order($1.item), $1.item, $1.reviewer) }
            .map {
                Entry(
                    item: $0.item, reviewer: $0.reviewer, verdict: $0.verdict?.rawValue, note: $0.note, tags: $0.tags,
                    flagged: $0.flagged, consensus: statusByItem[$0.item], updated: AuditCommandSupport.isoTime($0.updatedMicros))
            }
        // Verdicts are about training faces; an id that is now a test id (or gone) is said,
        // since its verdicts no longer count (the test set is never hand-labeled).
        var warnings: [String] = []
        let items = Set(states.map(\.item))
        let moved = items.filter { id in dataset.row(of: id).map { $0 >= dataset.trainCount } ?? false }.sorted {
            order($0) < order($1)
        }
        let gone = items.filter { dataset.row(of: $0) == nil }.sorted()
        if !moved.isEmpty {
            warnings.append(
                "\(moved.count) id(s) with audit entries are now test ids in \(dataset.testFile?.lastPathComponent ?? "the test file"), e.g. \(moved.prefix(5).map { "'\(AuditCommandSupport.shown($0, limit: 40))'" }.joined(separator: ", ")): their verdicts are kept in the database but no longer used (test faces are never hand-labeled); move them back to \(dataset.trainFile.lastPathComponent) if that was a mistake"
            )
        }
        if !gone.isEmpty {
            warnings.append(
                "\(gone.count) id(s) with audit entries are not in this dataset, e.g. \(gone.prefix(5).map { "'\(AuditCommandSupport.shown($0, limit: 40))'" }.joined(separator: ", ")): their verdicts are kept but not used; check that --db belongs to this dataset"
            )
        }
        for warning in warnings { CommandLineIO.printWarning(warning) }
        let listing = Listing(
            database: database.path, entries: entries,
            conflicts: consensus.filter { $0.status == .conflict }.map(\.item).sorted { order($0) < order($1) },
            flagged: flagged.sorted { order($0) < order($1) }, warnings: warnings)
        if json {
            try CommandLineIO.printJSON(listing)
            return
        }
        if entries.isEmpty {
            print("no verdicts, notes or flags yet in \(TerminalSafeText.visible(database.path))")
            return
        }
        let show = AuditCommandSupport.shown
        let itemWidth = max(2, min(24, entries.map { show($0.item, 24).count }.max() ?? 2))
        let reviewerWidth = max(8, min(16, entries.map { show($0.reviewer, 16).count }.max() ?? 8))
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        print(
            "\(pad("id", itemWidth))  \(pad("reviewer", reviewerWidth))  \(pad("verdict", 11))  \(pad("agreement", 9))  flag  tags / note"
        )
        for entry in entries {
            var details: [String] = []
            if !entry.tags.isEmpty { details.append("[" + entry.tags.map { show($0, 30) }.joined(separator: ", ") + "]") }
            if let note = entry.note { details.append(AuditCommandSupport.shownNote(note, limit: 100)) }
            print(
                "\(pad(show(entry.item, itemWidth), itemWidth))  \(pad(show(entry.reviewer, reviewerWidth), reviewerWidth))  "
                    + "\(pad(entry.verdict ?? "-", 11))  \(pad(entry.consensus ?? "-", 9))  \(entry.flagged ? "yes " : "    ")  \(details.joined(separator: " "))"
            )
        }
        print("\(Set(entries.map(\.item)).count) faces, \(listing.conflicts.count) in conflict, \(listing.flagged.count) flagged")
    }
}
