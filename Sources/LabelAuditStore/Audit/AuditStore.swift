import Foundation
import GRDB
import LabelAuditCore

/// The irreplaceable record of what reviewers decided: an append-only event log plus the
/// current state per (item, reviewer), kept in step inside the same transaction.
///
/// Every public write is one `BEGIN IMMEDIATE` transaction (one user action), so a crash or a
/// full disk leaves either the whole action or none of it. The state of a pair is always the
/// replay of its events ordered by (timestamp, event id); that is what makes `merge(from:)`
/// idempotent and order-independent. Timestamps are strictly increasing within one database,
/// so a new action always sorts after everything the database already knows.
///
/// Sendable: a `DatabasePool` inside, so a UI can write from its main loop while background
/// tasks read. Test ids are refused for every write: the test set is never hand-labeled.
///
/// Event values (`AuditEvent.oldValue/newValue`) are stored as: verdict raw value, note text,
/// tags as a JSON array, flag "1"/"0"; nil means unset. All are BLOBs of UTF-8 in SQLite so
/// NUL bytes survive. The file sits in WAL mode with `synchronous = FULL` and a 5 s busy
/// timeout; `close()` folds the WAL back so the .sqlite file alone can be copied to a teammate.
public final class AuditStore: Sendable {
    /// The highest schema version this build knows.
    public static var schemaVersion: Int { AuditSchema.version }

    public let url: URL
    package let isReadOnly: Bool
    let testIDs: Set<String>
    let reader: any DatabaseReader
    let writer: DatabasePool?
    /// The private copy a read-only store reads (see `ReadOnlySource`), removed with the store.
    private let snapshot: SnapshotFolder?
    /// Set by whichever of `close()` and `deinit` comes first: a closed pool must not be used.
    private let closed = Locked(false)

    var path: String { url.path }

    private init(
        url: URL, testIDs: Set<String>, reader: any DatabaseReader, writer: DatabasePool?,
        snapshot: SnapshotFolder? = nil
    ) {
        self.url = url
        self.testIDs = testIDs
        self.reader = reader
        self.writer = writer
        self.snapshot = snapshot
        self.isReadOnly = writer == nil
    }

    deinit {
        // Fold the WAL into the main file when nobody else holds it, so a copied .sqlite file
        // (mailed to a teammate for `merge`) holds every verdict.
        if closed.markFirst() {
            _ = try? writer?.writeWithoutTransaction { try $0.checkpoint(.passive) }
            try? writer?.close()
        }
    }

    // MARK: - Opening

    /// Opens (creating when absent) the audit database at `url`.
    ///
    /// A file that is not ours, damaged, or written by a newer build is refused before SQLite
    /// may write to it, so its bytes stay as they were. `readOnly` opens an existing database
    /// for listing only: nothing is created, nothing can be written, and nothing is created
    /// next to it either (no -wal/-shm), so a teammate's file on read-only media can be read
    /// (see `ReadOnlySource`).
    public static func open(at url: URL, testIDs: Set<String>, readOnly: Bool = false) throws -> AuditStore {
        let path = url.path
        if readOnly {
            guard let source = try ReadOnlySource.open(path: path) else { throw AuditStoreError.notFound(path: path) }
            return AuditStore(url: url, testIDs: testIDs, reader: source.queue, writer: nil, snapshot: source.snapshot)
        }
        // A FIFO, device or socket given as the database is refused before anything opens it
        // (opening a FIFO would block); a folder gets the probe's "cannot create" below.
        if let kind = InputFile.checkRegular(path)?.nonRegularKind, kind != "a folder" {
            throw AuditStoreError.notAFile(path: path, kind: kind)
        }
        let finding = try AuditFileProbe.inspect(path: path, knownSchemaVersion: AuditSchema.version)
        if case .audit = finding {
            try refuseUnknownMigrations(path: path)
        }

        let folder = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: folder.path) {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw AuditStoreError.cannotCreate(path: path, reason: "its folder cannot be created")
            }
        }
        if AuditFileProbe.writeBlocked(path: path) { throw AuditStoreError.readOnly(path: path) }

        var configuration = baseConfiguration()
        configuration.prepareDatabase { db in
            // Verdicts are irreplaceable: survive power loss, not only process crashes.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let pool = try SharedDatabaseFile.openPool(
                path: path, configuration: configuration, migrator: AuditSchema.migrator,
                beforeMigrating: { pool in
                    if try pool.read({ try AuditSchema.migrator.hasBeenSuperseded($0) }) {
                        throw AuditStoreError.newerSchema(
                            path: path, found: "unknown migrations", known: AuditSchema.version)
                    }
                })
            return AuditStore(url: url, testIDs: testIDs, reader: pool, writer: pool)
        } catch {
            throw AuditStoreError.wrapping(error, path: path)
        }
    }

    static func baseConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(SharedDatabaseFile.busyTimeout)
        configuration.label = "labelaudit.audit"
        return configuration
    }

    /// Unknown migration identifiers mean a newer build wrote the file; checked through a
    /// read-only connection so the refused file is never written.
    static func refuseUnknownMigrations(path: String) throws {
        var configuration = baseConfiguration()
        configuration.readonly = true
        let applied: [String]
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            applied = try queue.read { db in
                guard try db.tableExists("grdb_migrations") else { return [] }
                return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
        } catch {
            throw AuditStoreError.wrapping(error, path: path)
        }
        let unknown = Set(applied).subtracting(AuditSchema.migrationIdentifiers)
        if !unknown.isEmpty {
            throw AuditStoreError.newerSchema(
                path: path, found: unknown.sorted().joined(separator: ", "),
                known: AuditSchema.version)
        }
    }

    /// Checkpoints the WAL into the main file and closes the connections, so the file can be
    /// copied or mailed as one file; later calls fail. Optional: deinit closes too.
    public func close() throws {
        guard closed.markFirst() else { return }
        if let writer {
            _ = try? writer.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            try writer.close()
        }
        if let queue = reader as? DatabaseQueue { try queue.close() }
    }

    // MARK: - Internals

    struct Change {
        var item: String
        var kind: AuditEventKind
        var field: AuditField
        var value: String?
    }

    struct Pair: Hashable {
        var item: String
        var reviewer: String
    }

    /// The raw stored values of a pair after replay.
    struct Replayed {
        var raw: [AuditField: String?] = [:]
        var first: Int64 = 0
        var updated: Int64 = 0
        var verdictAt: Int64?
    }

    /// A number that changes when another connection commits to this database (a teammate's
    /// `merge`, a second app, the CLI): SQLite's `PRAGMA data_version`, always read on the same
    /// connection (the writer, or the read-only queue) so that two readings compare. Our own
    /// writes do not change it. Cheap: no query of the tables.
    public func changeCounter() throws -> Int {
        do {
            if let writer {
                return try writer.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA data_version") ?? 0 }
            }
            return try reader.read { try Int.fetchOne($0, sql: "PRAGMA data_version") ?? 0 }
        } catch {
            throw AuditStoreError.wrapping(error, path: path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try reader.read(body)
        } catch {
            throw AuditStoreError.wrapping(error, path: path)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        guard let writer else { throw AuditStoreError.readOnly(path: path) }
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else {
                    throw DatabaseError(resultCode: .SQLITE_INTERNAL, message: "transaction produced no result")
                }
                return result
            }
        } catch {
            throw AuditStoreError.wrapping(error, path: path)
        }
    }

    func perform(_ changes: [Change], reviewer: String) throws -> [AuditEvent] {
        try Self.validate(reviewer: reviewer)
        for change in changes {
            try Self.validate(item: change.item)
            if testIDs.contains(change.item) { throw AuditStoreError.testItem(id: change.item) }
            if let value = change.value, value.utf8.count > AuditEventRules.maximumValueBytes {
                throw AuditStoreError.valueTooLarge(
                    field: change.field == .tags ? "tag list" : change.field.rawValue, bytes: value.utf8.count)
            }
        }
        return try write { db in
            let action = UUID()
            var now = try Self.nextTimestamp(db)
            var written: [AuditEvent] = []
            var touched: [Pair] = []
            for change in changes {
                let pair = Pair(item: change.item, reviewer: reviewer)
                let current = try Self.replay(db, item: change.item, reviewer: reviewer)
                let old = current?.raw[change.field] ?? nil
                if old == change.value || (change.field == .flag && old == nil && change.value == "0") { continue }
                let event = AuditEvent(
                    id: UUID(), action: action, item: change.item, reviewer: reviewer,
                    timestampMicros: now, kind: change.kind, field: change.field,
                    oldValue: old, newValue: change.value, undoes: nil)
                try Self.insert(event, db)
                written.append(event)
                now += 1
                if !touched.contains(pair) { touched.append(pair) }
            }
            for pair in touched { try Self.storeState(db, pair: pair) }
            return written
        }
    }

    /// Strictly after every event already stored, even when the clock went back or a merged
    /// file came from a machine whose clock runs ahead. O(log n) through the time index.
    static func nextTimestamp(_ db: Database) throws -> Int64 {
        let now = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(at) FROM event") ?? 0
        return max(now, last + 1)
    }

    static func insert(_ event: AuditEvent, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO event (id, action, item, reviewer, at, kind, field, old_value, new_value, undoes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.id.uuidString.lowercased(), event.action.uuidString.lowercased(), event.item,
                event.reviewer, event.timestampMicros, event.kind.rawValue, event.field.rawValue,
                event.oldValue.map { Data($0.utf8) }, event.newValue.map { Data($0.utf8) },
                event.undoes?.uuidString.lowercased(),
            ])
    }

    /// O(k) for the k events of the pair.
    static func replay(_ db: Database, item: String, reviewer: String) throws -> Replayed? {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT at, field, new_value FROM event WHERE item = ? AND reviewer = ? ORDER BY at, id",
            arguments: [item, reviewer])
        var replayed: Replayed?
        while let row = try rows.next() {
            let at: Int64 = row["at"]
            guard let field = AuditField(rawValue: row["field"]) else { continue }
            let value = (row["new_value"] as Data?).map { String(decoding: $0, as: UTF8.self) }
            var state = replayed ?? Replayed(first: at)
            state.raw[field] = .some(value)
            state.updated = at
            if field == .verdict { state.verdictAt = value == nil ? nil : at }
            replayed = state
        }
        return replayed
    }

    static func storeState(_ db: Database, pair: Pair) throws {
        guard let replayed = try replay(db, item: pair.item, reviewer: pair.reviewer) else {
            try db.execute(
                sql: "DELETE FROM reviewer_state WHERE item = ? AND reviewer = ?", arguments: [pair.item, pair.reviewer])
            return
        }
        let verdict = replayed.raw[.verdict] ?? nil
        let note = replayed.raw[.note] ?? nil
        let tags = replayed.raw[.tags] ?? nil
        let flagged = (replayed.raw[.flag] ?? nil) == "1"
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO reviewer_state (item, reviewer, verdict, note, tags, flagged, first_at, updated_at, verdict_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                pair.item, pair.reviewer, verdict.flatMap { Verdict(rawValue: $0)?.rawValue },
                note.map { Data($0.utf8) }, tags.map { Data($0.utf8) }, flagged ? 1 : 0,
                replayed.first, replayed.updated, replayed.verdictAt,
            ])
    }

    /// Events as stored; a row that does not decode stops the read (`UnreadableRow`, reported
    /// as a damaged database naming the row).
    static func fetchEvents(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [AuditEvent] {
        try AuditEvent.fetchAll(db, sql: sql, arguments: arguments)
    }

    static func fetchStates(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [ReviewerState] {
        try ReviewerState.fetchAll(db, sql: sql, arguments: arguments)
    }

    /// Tags are stored as a JSON array: any text, including commas and NUL, survives.
    static func encodeTags(_ tags: [String]) -> String? {
        var seen = Set<String>()
        let unique = tags.filter { seen.insert($0).inserted }
        if unique.isEmpty { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(unique) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public static func decodeTags(_ stored: String?) -> [String] {
        guard let stored, let tags = try? JSONDecoder().decode([String].self, from: Data(stored.utf8)) else { return [] }
        return tags
    }

    static func validate(reviewer: String) throws {
        if !AuditEventRules.reviewerIsValid(reviewer) { throw AuditStoreError.invalidReviewer(name: reviewer) }
    }

    static func validate(item: String) throws {
        if !AuditEventRules.itemIsValid(item) { throw AuditStoreError.invalidItemID(id: item) }
    }
}

extension Locked<Bool> {
    /// Sets the flag; true for the first caller only.
    fileprivate func markFirst() -> Bool {
        withLock { isSet in
            defer { isSet = true }
            return !isSet
        }
    }
}
