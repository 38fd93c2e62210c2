import ArgumentParser
import Foundation
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
        let listing = Listing(
            database: database.path, entries: entries,
            conflicts: consensus.filter { $0.status == .conflict }.map(\.item).sorted { order($0) < order($1) },
            flagged: flagged.sorted { order($0) < order($1) })
        if json {
            try CommandLineIO.printJSON(listing)
            return
        }
        if entries.isEmpty {
            print("no verdicts, notes or flags yet in \(TerminalSafeText.sanitized(database.path))")
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
            if let note = entry.note { details.append(show(note, 100)) }
            print(
                "\(pad(show(entry.item, itemWidth), itemWidth))  \(pad(show(entry.reviewer, reviewerWidth), reviewerWidth))  "
                    + "\(pad(entry.verdict ?? "-", 11))  \(pad(entry.consensus ?? "-", 9))  \(entry.flagged ? "yes " : "    ")  \(details.joined(separator: " "))"
            )
        }
        print("\(Set(entries.map(\.item)).count) faces, \(listing.conflicts.count) in conflict, \(listing.flagged.count) flagged")
    }
}
