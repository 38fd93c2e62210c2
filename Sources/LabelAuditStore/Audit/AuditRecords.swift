import Foundation
import GRDB
import LabelAuditCore

/// A row of the audit database that does not decode (a column of the wrong type or an unknown
/// value, in a file another program edited). Reading the local database stops with it (an
/// unreadable event is an error, never silently left out: the state would be wrong); merging a
/// teammate's file checks rows with `AuditEventRules` instead and reports what it skipped.
struct UnreadableRow: Error, CustomStringConvertible {
    var table: String
    var key: String
    var column: String
    var found: String

    var description: String {
        "\(table) row \(key): column '\(column)' holds \(found)"
    }
}

extension AuditEvent: FetchableRecord {
    public init(row: Row) throws {
        let key = AuditEventRules.text(row["id"]) ?? "?"
        func fail(_ column: String) -> UnreadableRow {
            UnreadableRow(
                table: "event", key: TerminalSafeText.visible(key, limit: 40), column: column,
                found: TerminalSafeText.visible(String(describing: row[column] as DatabaseValue), limit: 40))
        }
        guard let id = AuditEventRules.text(row["id"]).flatMap(UUID.init(uuidString:)) else { throw fail("id") }
        guard let action = AuditEventRules.text(row["action"]).flatMap(UUID.init(uuidString:)) else { throw fail("action") }
        guard let kind = AuditEventRules.text(row["kind"]).flatMap(AuditEventKind.init(rawValue:)) else { throw fail("kind") }
        guard let field = AuditEventRules.text(row["field"]).flatMap(AuditField.init(rawValue:)) else { throw fail("field") }
        guard let item = AuditEventRules.text(row["item"]) else { throw fail("item") }
        guard let reviewer = AuditEventRules.text(row["reviewer"]) else { throw fail("reviewer") }
        guard let at = AuditEventRules.integer(row["at"]) else { throw fail("at") }
        guard let old = AuditEventRules.storedValue(row["old_value"]) else { throw fail("old_value") }
        guard let new = AuditEventRules.storedValue(row["new_value"]) else { throw fail("new_value") }
        let undoesValue: DatabaseValue = row["undoes"]
        var undoes: UUID?
        if !undoesValue.isNull {
            guard let parsed = AuditEventRules.text(undoesValue).flatMap(UUID.init(uuidString:)) else { throw fail("undoes") }
            undoes = parsed
        }
        self.init(
            id: id, action: action, item: item, reviewer: reviewer, timestampMicros: at, kind: kind, field: field,
            oldValue: old, newValue: new, undoes: undoes)
    }
}

extension ReviewerState: FetchableRecord {
    public init(row: Row) throws {
        let key = "\(AuditEventRules.text(row["item"]) ?? "?")/\(AuditEventRules.text(row["reviewer"]) ?? "?")"
        func fail(_ column: String) -> UnreadableRow {
            UnreadableRow(
                table: "reviewer_state", key: TerminalSafeText.visible(key, limit: 60), column: column,
                found: TerminalSafeText.visible(String(describing: row[column] as DatabaseValue), limit: 40))
        }
        guard let item = AuditEventRules.text(row["item"]) else { throw fail("item") }
        guard let reviewer = AuditEventRules.text(row["reviewer"]) else { throw fail("reviewer") }
        guard let first = AuditEventRules.integer(row["first_at"]) else { throw fail("first_at") }
        guard let updated = AuditEventRules.integer(row["updated_at"]) else { throw fail("updated_at") }
        guard let note = AuditEventRules.storedValue(row["note"]) else { throw fail("note") }
        guard let tags = AuditEventRules.storedValue(row["tags"]) else { throw fail("tags") }
        let verdictValue: DatabaseValue = row["verdict"]
        var verdict: Verdict?
        if !verdictValue.isNull {
            guard let parsed = AuditEventRules.text(verdictValue).flatMap(Verdict.init(rawValue:)) else { throw fail("verdict") }
            verdict = parsed
        }
        self.init(
            item: item, reviewer: reviewer, verdict: verdict, note: note, tags: AuditStore.decodeTags(tags),
            flagged: AuditEventRules.integer(row["flagged"]) == 1, firstMicros: first, updatedMicros: updated,
            verdictMicros: AuditEventRules.integer(row["verdict_at"]))
    }
}
