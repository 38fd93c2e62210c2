import Foundation
import GRDB
import LabelAuditCore

/// Writing: every action is one transaction that appends events and replays the touched
/// (item, reviewer) states from them.
extension AuditStore {
    /// Records a verdict, optionally with a note and tags (nil leaves them as they are), as one
    /// action. Returns the events written (none when nothing changed).
    @discardableResult
    public func record(
        verdict: Verdict, item: String, reviewer: String, note: String? = nil,
        tags: [String]? = nil
    ) throws -> [AuditEvent] {
        var changes: [Change] = [Change(item: item, kind: .verdict, field: .verdict, value: verdict.rawValue)]
        if let note { changes.append(Change(item: item, kind: .note, field: .note, value: note)) }
        if let tags { changes.append(Change(item: item, kind: .tags, field: .tags, value: Self.encodeTags(tags))) }
        return try perform(changes, reviewer: reviewer)
    }

    /// Sets or clears (nil) the reviewer's note on an item.
    @discardableResult
    public func setNote(_ note: String?, item: String, reviewer: String) throws -> [AuditEvent] {
        try perform([Change(item: item, kind: .note, field: .note, value: note)], reviewer: reviewer)
    }

    /// Replaces the reviewer's tags on an item (duplicates dropped, order kept).
    @discardableResult
    public func setTags(_ tags: [String], item: String, reviewer: String) throws -> [AuditEvent] {
        try perform([Change(item: item, kind: .tags, field: .tags, value: Self.encodeTags(tags))], reviewer: reviewer)
    }

    /// Flags (marks for a model rerun) or unflags several items as one action: if any of them
    /// is a test id, nothing is written.
    @discardableResult
    public func setFlag(_ flagged: Bool, items: [String], reviewer: String) throws -> [AuditEvent] {
        try perform(
            items.map { Change(item: $0, kind: .flag, field: .flag, value: flagged ? "1" : "0") },
            reviewer: reviewer)
    }

    @discardableResult
    public func setFlag(_ flagged: Bool, item: String, reviewer: String) throws -> [AuditEvent] {
        try setFlag(flagged, items: [item], reviewer: reviewer)
    }

    /// Undoes the reviewer's latest action that is not undone yet (on `item` only, when given),
    /// by appending undo events that restore the previous values. Repeated calls walk further
    /// back. Returns the undo events; empty when there is nothing left to undo.
    @discardableResult
    public func undo(reviewer: String, item: String? = nil) throws -> [AuditEvent] {
        try Self.validate(reviewer: reviewer)
        return try write { db in
            var sql = """
                SELECT action FROM event e
                WHERE reviewer = ? AND kind != 'undo'
                  AND NOT EXISTS (SELECT 1 FROM event u WHERE u.undoes = e.id)
                """
            var arguments: StatementArguments = [reviewer]
            if let item {
                sql += " AND item = ?"
                arguments += [item]
            }
            sql += " ORDER BY at DESC, id DESC LIMIT 1"
            guard let action = try String.fetchOne(db, sql: sql, arguments: arguments) else { return [] }
            // With an item, only that item's part of the action: a flag over several faces
            // must not roll back later changes to the other faces.
            let undone = try Self.fetchEvents(
                db, sql: "SELECT * FROM event WHERE action = ? ORDER BY at DESC, id DESC",
                arguments: [action]
            ).filter { item == nil || $0.item == item }
            let actionID = UUID()
            var now = try Self.nextTimestamp(db)
            var written: [AuditEvent] = []
            var pairs: [Pair: Bool] = [:]
            for event in undone {
                defer { now += 1 }
                let current = try Self.replay(db, item: event.item, reviewer: reviewer)
                let undo = AuditEvent(
                    id: UUID(), action: actionID, item: event.item, reviewer: reviewer,
                    timestampMicros: now, kind: .undo, field: event.field,
                    oldValue: current?.raw[event.field] ?? nil, newValue: event.oldValue,
                    undoes: event.id)
                try Self.insert(undo, db)
                written.append(undo)
                pairs[Pair(item: event.item, reviewer: reviewer)] = true
            }
            for pair in pairs.keys { try Self.storeState(db, pair: pair) }
            return written
        }
    }
}
