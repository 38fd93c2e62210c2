import Foundation
import GRDB
import LabelAuditCore

/// Reading: current states, consensus and history, each one query.
extension AuditStore {
    /// Every reviewer's state on one item, sorted by reviewer.
    public func state(item: String) throws -> [ReviewerState] {
        try read { db in
            try Self.fetchStates(db, sql: "SELECT * FROM reviewer_state WHERE item = ? ORDER BY reviewer", arguments: [item])
        }
    }

    public func state(item: String, reviewer: String) throws -> ReviewerState? {
        try read { db in
            try Self.fetchStates(
                db, sql: "SELECT * FROM reviewer_state WHERE item = ? AND reviewer = ?",
                arguments: [item, reviewer]
            ).first
        }
    }

    /// All states, sorted by (item, reviewer).
    public func allStates() throws -> [ReviewerState] {
        try read { db in try Self.fetchStates(db, sql: "SELECT * FROM reviewer_state ORDER BY item, reviewer") }
    }

    /// Items that at least one reviewer flagged for a rerun, sorted.
    public func flaggedItems() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT item FROM reviewer_state WHERE flagged = 1 ORDER BY item")
        }
    }

    /// One item's verdicts and whether they agree; nil when nobody gave a verdict yet.
    public func consensus(item: String) throws -> ItemConsensus? {
        try consensus(whereItem: item).first
    }

    /// Per item with at least one verdict: all reviewers' verdicts and whether they agree.
    /// O(s) for s states.
    public func consensus() throws -> [ItemConsensus] {
        try consensus(whereItem: nil)
    }

    func consensus(whereItem item: String?) throws -> [ItemConsensus] {
        let rows = try read { db in
            let filter = item == nil ? "" : " AND item = ?"
            return try Row.fetchAll(
                db,
                sql:
                    "SELECT item, reviewer, verdict FROM reviewer_state WHERE verdict IS NOT NULL\(filter) ORDER BY item, reviewer",
                arguments: item.map { [$0] } ?? []
            )
            .compactMap { row -> (item: String, reviewer: String, verdict: String)? in
                // Never trap on a row of the wrong type (a file another program edited).
                guard let item = AuditEventRules.text(row["item"]), let reviewer = AuditEventRules.text(row["reviewer"]),
                    let verdict = AuditEventRules.text(row["verdict"])
                else { return nil }
                return (item, reviewer, verdict)
            }
        }
        var result: [ItemConsensus] = []
        var index = rows.startIndex
        while index < rows.endIndex {
            let item = rows[index].item
            var verdicts: [ItemConsensus.ReviewerVerdict] = []
            while index < rows.endIndex && rows[index].item == item {
                if let verdict = Verdict(rawValue: rows[index].verdict) {
                    verdicts.append(.init(reviewer: rows[index].reviewer, verdict: verdict))
                }
                index += 1
            }
            if let consensus = ItemConsensus(item: item, verdicts: verdicts) { result.append(consensus) }
        }
        return result
    }

    /// The log in replay order, for one item or for all.
    public func history(item: String? = nil) throws -> [AuditEvent] {
        try read { db in
            if let item {
                return try Self.fetchEvents(db, sql: "SELECT * FROM event WHERE item = ? ORDER BY at, id", arguments: [item])
            }
            return try Self.fetchEvents(db, sql: "SELECT * FROM event ORDER BY at, id")
        }
    }

    /// The newest event's id: a cheap way for a UI to tell whether anything changed.
    public func lastEventID() throws -> UUID? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT id FROM event ORDER BY at DESC, id DESC LIMIT 1").flatMap(UUID.init(uuidString:))
        }
    }

    package func eventCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 }
    }

    /// `PRAGMA integrity_check`: "ok", or SQLite's list of problems.
    package func integrityCheck() throws -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }
}
