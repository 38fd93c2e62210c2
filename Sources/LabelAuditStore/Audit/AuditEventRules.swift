import Foundation
import GRDB
import LabelAuditCore

/// Why `merge` left an incoming event out. Every event from another file passes the rules a
/// local action passes; what does not is counted per reason and never written.
public enum MergeSkipReason: String, Sendable, CaseIterable, Codable, Comparable {
    case malformedEvent
    case invalidReviewer
    case invalidItem
    case unknownItem
    case unknownKind
    case invalidValue
    case timeOutOfRange
    case invalidSampleEntry

    /// What was wrong, for people.
    public var explanation: String {
        switch self {
        case .malformedEvent: return "an event id, action id or undo reference that is not a UUID"
        case .invalidReviewer: return "a reviewer name that is empty, over 200 characters, or holds control characters"
        case .invalidItem: return "an id that is empty or holds control or bidi characters"
        case .unknownItem: return "an id that is not a training id of this dataset"
        case .unknownKind: return "an unknown kind of event or field"
        case .invalidValue:
            return
                "a value the field cannot hold (a verdict other than label_ok, label_wrong, unsure, bad_image; tags that are not a JSON list of text; a flag other than 0 or 1; text that is not UTF-8 or over 8 MiB)"
        case .timeOutOfRange: return "a time before 2001 or more than a day ahead of this computer's clock"
        case .invalidSampleEntry: return "an audit-sample entry with an unknown id, reviewer or malformed field"
        }
    }

    public static func < (a: MergeSkipReason, b: MergeSkipReason) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One skipped event, for the examples a merge reports.
public struct MergeSkipExample: Sendable, Equatable {
    public let reason: MergeSkipReason
    /// The event's id as stored (cut to 36 characters), or its row number.
    public let event: String
    /// The id the event is about, as stored (display it through `TerminalSafeText`).
    public let item: String
}

/// The rules every event obeys, whether written here or merged from another file. One place,
/// so `merge` cannot accept what the command line refuses.
enum AuditEventRules {
    /// The largest note or tag list (as stored, bytes of UTF-8).
    static let maximumValueBytes = 8 << 20
    /// 2001-01-01T00:00:00Z in microseconds: nothing of labelaudit's is older.
    static let earliestMicros: Int64 = 978_307_200_000_000
    /// How far ahead of this computer's clock a merged event may be (clocks drift; an event in
    /// the far future would push every later local action's time after it).
    static let futureAllowanceMicros: Int64 = 86_400_000_000

    static func reviewerIsValid(_ reviewer: String) -> Bool {
        let trimmed = reviewer.trimmingCharacters(in: .whitespaces)
        let hasControl = reviewer.unicodeScalars.contains {
            $0.properties.generalCategory == .control || $0.properties.isBidiControl
        }
        return !trimmed.isEmpty && !hasControl && reviewer.count <= 200
    }

    /// Non-empty, no control or bidi characters (the rules the dataset loader applies to ids).
    static func itemIsValid(_ item: String) -> Bool {
        !item.isEmpty
            && !item.unicodeScalars.contains {
                $0.properties.generalCategory == .control || $0.properties.isBidiControl
            }
    }

    /// Whether `value` (nil = unset) is something `field` can hold.
    static func valueIsValid(_ value: String?, field: AuditField) -> Bool {
        guard let value else { return true }
        switch field {
        case .verdict: return Verdict(rawValue: value) != nil
        case .flag: return value == "0" || value == "1"
        case .note: return value.utf8.count <= maximumValueBytes
        case .tags:
            guard value.utf8.count <= maximumValueBytes,
                let tags = try? JSONDecoder().decode([String].self, from: Data(value.utf8))
            else { return false }
            return !tags.isEmpty
        }
    }

    static func timeIsValid(_ micros: Int64, now: Int64) -> Bool {
        micros >= earliestMicros && micros <= now + futureAllowanceMicros
    }

    static func nowMicros() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down)) }

    /// Text from a column that must hold text: TEXT, or a BLOB of valid UTF-8.
    static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .string(let text): return text
        case .blob(let data): return String(validating: data, as: UTF8.self)
        default: return nil
        }
    }

    /// A stored event value: NULL (unset) is `.some(nil)`, text or UTF-8 BLOB its text, anything
    /// else nil (invalid).
    static func storedValue(_ value: DatabaseValue) -> String?? {
        if value.isNull { return .some(nil) }
        guard let text = text(value) else { return nil }
        return .some(text)
    }

    static func integer(_ value: DatabaseValue) -> Int64? {
        if case .int64(let number) = value.storage { return number }
        return nil
    }

    /// Reads another database's events without trusting it: every column is checked for its
    /// type and every event against the rules; nothing here can trap on a hostile file. Events
    /// about test ids are counted apart (`testItems`), never imported.
    static func incomingEvents(_ db: Database, knownItems: Set<String>?, testIDs: Set<String>, now: Int64)
        throws -> (events: [AuditEvent], skipped: [MergeSkipExample], testItems: Int)
    {
        var events: [AuditEvent] = []
        var skipped: [MergeSkipExample] = []
        var testItems = 0
        let rows = try Row.fetchCursor(
            db, sql: "SELECT id, action, item, reviewer, at, kind, field, old_value, new_value, undoes FROM event")
        var rowNumber = 0
        while let row = try rows.next() {
            rowNumber += 1
            let rawID = text(row["id"] as DatabaseValue)
            let item = text(row["item"] as DatabaseValue) ?? ""
            func skip(_ reason: MergeSkipReason) {
                skipped.append(
                    MergeSkipExample(reason: reason, event: rawID.map { String($0.prefix(36)) } ?? "row \(rowNumber)", item: item)
                )
            }
            guard let id = rawID.flatMap(UUID.init(uuidString:)),
                let action = text(row["action"] as DatabaseValue).flatMap(UUID.init(uuidString:))
            else {
                skip(.malformedEvent)
                continue
            }
            guard let kind = text(row["kind"] as DatabaseValue).flatMap(AuditEventKind.init(rawValue:)),
                let field = text(row["field"] as DatabaseValue).flatMap(AuditField.init(rawValue:)),
                kind == .undo || kind.rawValue == field.rawValue
            else {
                skip(.unknownKind)
                continue
            }
            let undoesValue = row["undoes"] as DatabaseValue
            var undoes: UUID? = nil
            if kind == .undo {
                guard let target = text(undoesValue).flatMap(UUID.init(uuidString:)) else {
                    skip(.malformedEvent)
                    continue
                }
                undoes = target
            } else if !undoesValue.isNull {
                skip(.malformedEvent)
                continue
            }
            guard let reviewer = text(row["reviewer"] as DatabaseValue), reviewerIsValid(reviewer) else {
                skip(.invalidReviewer)
                continue
            }
            guard itemIsValid(item) else {
                skip(.invalidItem)
                continue
            }
            if testIDs.contains(item) {
                testItems += 1
                continue
            }
            if let knownItems, !knownItems.contains(item) {
                skip(.unknownItem)
                continue
            }
            guard let at = integer(row["at"] as DatabaseValue), timeIsValid(at, now: now) else {
                skip(.timeOutOfRange)
                continue
            }
            guard let old = storedValue(row["old_value"] as DatabaseValue),
                let new = storedValue(row["new_value"] as DatabaseValue),
                valueIsValid(old, field: field), valueIsValid(new, field: field)
            else {
                skip(.invalidValue)
                continue
            }
            events.append(
                AuditEvent(
                    id: id, action: action, item: item, reviewer: reviewer, timestampMicros: at, kind: kind,
                    field: field, oldValue: old, newValue: new, undoes: undoes))
        }
        return (events, skipped, testItems)
    }

    /// Another database's audit-sample rows, checked like its events; those that fail are
    /// counted as `.invalidSampleEntry`, rows about test ids are dropped.
    static func incomingSampleRows(_ db: Database, knownItems: Set<String>?, testIDs: Set<String>, now: Int64)
        throws -> (rows: [AuditStore.SampleRow], skipped: [MergeSkipExample])
    {
        guard try db.tableExists("audit_sample") else { return ([], []) }
        var rows: [AuditStore.SampleRow] = []
        var skipped: [MergeSkipExample] = []
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT sample, item, reviewer, at, seed, population, position FROM audit_sample")
        while let row = try cursor.next() {
            let sample = text(row["sample"] as DatabaseValue)
            let item = text(row["item"] as DatabaseValue) ?? ""
            if testIDs.contains(item) { continue }
            guard let sample, UUID(uuidString: sample) != nil, itemIsValid(item), knownItems?.contains(item) ?? true,
                let reviewer = text(row["reviewer"] as DatabaseValue), reviewerIsValid(reviewer),
                let at = integer(row["at"] as DatabaseValue), timeIsValid(at, now: now),
                let seed = integer(row["seed"] as DatabaseValue),
                let population = integer(row["population"] as DatabaseValue), population >= 0, population <= Int64(Int32.max),
                let position = integer(row["position"] as DatabaseValue), position >= 0, position <= population
            else {
                skipped.append(
                    MergeSkipExample(reason: .invalidSampleEntry, event: String((sample ?? "?").prefix(36)), item: item))
                continue
            }
            rows.append(
                AuditStore.SampleRow(
                    sample: sample, item: item, reviewer: reviewer, at: at, seed: seed,
                    population: Int(population), position: Int(position)))
        }
        return (rows, skipped)
    }

    /// Another database's audit-sample design rows (inclusion probabilities), checked the same
    /// way: a sample UUID, a usable known id, an inclusion probability in (0, 1].
    static func incomingDesignRows(_ db: Database, knownItems: Set<String>?, testIDs: Set<String>)
        throws -> (rows: [AuditStore.DesignRow], skipped: [MergeSkipExample])
    {
        guard try db.tableExists("audit_sample_design") else { return ([], []) }
        var rows: [AuditStore.DesignRow] = []
        var skipped: [MergeSkipExample] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT sample, item, inclusion FROM audit_sample_design")
        while let row = try cursor.next() {
            let sample = text(row["sample"] as DatabaseValue)
            let item = text(row["item"] as DatabaseValue) ?? ""
            if testIDs.contains(item) { continue }
            guard let sample, UUID(uuidString: sample) != nil, itemIsValid(item), knownItems?.contains(item) ?? true,
                let inclusion = real(row["inclusion"] as DatabaseValue), inclusion > 0, inclusion <= 1
            else {
                skipped.append(
                    MergeSkipExample(reason: .invalidSampleEntry, event: String((sample ?? "?").prefix(36)), item: item))
                continue
            }
            rows.append(AuditStore.DesignRow(sample: sample, item: item, inclusion: inclusion))
        }
        return (rows, skipped)
    }

    /// A finite number from an INTEGER or REAL column.
    static func real(_ value: DatabaseValue) -> Double? {
        switch value.storage {
        case .double(let number): return number.isFinite ? number : nil
        case .int64(let number): return Double(number)
        default: return nil
        }
    }
}
