import Foundation
import GRDB

/// Audit databases as an attacker (or a broken tool) would write them.
enum HostileEvents {
    /// Adds one event per rule `merge` must enforce to an existing audit database: 11 that
    /// break a rule, one about a test id.
    static func add(to path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            func event(
                id: String = UUID().uuidString.lowercased(), item: String = "5", reviewer: String = "eve", at: Int64? = nil,
                kind: String = "verdict", field: String = "verdict", value: String = "label_wrong"
            ) throws {
                try db.execute(
                    sql:
                        "INSERT INTO event (id, action, item, reviewer, at, kind, field, old_value, new_value, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
                    arguments: [id, UUID().uuidString.lowercased(), item, reviewer, at ?? now, kind, field, Data(value.utf8)])
            }
            try event(id: "not-a-uuid")
            try event(reviewer: "")
            try event(reviewer: "ev\u{1B}[31me")
            try event(item: "ab\u{07}c")
            try event(item: "99999")
            try event(item: "4501")
            try event(kind: "hack", field: "verdict")
            try event(value: "hacked")
            try event(kind: "tags", field: "tags", value: "not json")
            try event(kind: "flag", field: "flag", value: "banana")
            try event(at: 1 << 62)
            try event(at: -5)
        }
        try queue.close()
    }

    /// An SQLite file with labelaudit's application id and schema version but none of its tables.
    static func markedWithoutTables(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA application_id = 1281507701")
            try db.execute(sql: "PRAGMA user_version = 2")
            try db.execute(sql: "CREATE TABLE x (a)")
        }
        try queue.close()
    }
}
