import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditStore

/// `labelaudit history DATASET [ID]`: the append-only log, who changed what and when.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the audit log (every verdict, note, tag, flag and undo), for one face or all.")

    @OptionGroup var data: DatasetArguments
    @Argument(help: "Only this face's history.") var id: String?
    @Flag(help: "Print JSON (texts exactly as stored, JSON-escaped).") var json = false

    struct Entry: Codable {
        var event: String
        var action: String
        var time: String
        var reviewer: String
        var item: String
        var kind: String
        var field: String
        var old: String?
        var new: String?
        var undoes: String?
    }

    func run() throws {
        let dataset = try data.loadDataset()
        if let id { try AuditCommandSupport.requireKnown([id], in: dataset) }
        let store = try AuditCommandSupport.open(data, dataset, readOnly: true)
        let events = try AuditCommandSupport.perform { try store?.history(item: id) ?? [] }
        if json {
            try CommandLineIO.printJSON(
                events.map {
                    Entry(
                        event: $0.id.uuidString.lowercased(), action: $0.action.uuidString.lowercased(),
                        time: AuditCommandSupport.isoTime($0.timestampMicros), reviewer: $0.reviewer, item: $0.item,
                        kind: $0.kind.rawValue, field: $0.field.rawValue, old: $0.oldValue, new: $0.newValue,
                        undoes: $0.undoes?.uuidString.lowercased())
                })
            return
        }
        if events.isEmpty {
            print(id.map { "no history for \(AuditCommandSupport.shown($0))" } ?? "no history yet")
            return
        }
        let show = AuditCommandSupport.shown
        func value(_ text: String?, _ field: AuditField) -> String {
            guard let text else { return "-" }
            switch field {
            case .flag: return text == "1" ? "flagged" : "unflagged"
            case .tags: return "[" + AuditStore.decodeTags(text).map { show($0, 30) }.joined(separator: ", ") + "]"
            case .note: return "\"" + AuditCommandSupport.shownNote(text, limit: 60) + "\""
            case .verdict: return show(text, 20)
            }
        }
        for event in events {
            let what = event.kind == .undo ? "undo \(event.field.rawValue)" : event.field.rawValue
            print(
                "\(AuditCommandSupport.isoTime(event.timestampMicros))  \(show(event.reviewer, 16))  \(show(event.item, 24))  "
                    + "\(what): \(value(event.oldValue, event.field)) -> \(value(event.newValue, event.field))")
        }
    }
}
