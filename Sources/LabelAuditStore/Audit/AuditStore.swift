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
    public let isReadOnly: Bool
    let testIDs: Set<String>
    private let reader: any DatabaseReader
    private let writer: DatabasePool?
    /// The private copy a read-only store reads (see `ReadOnlySource`), removed with the store.
    private let snapshot: SnapshotFolder?
    /// Set by whichever of `close()` and `deinit` comes first: a closed pool must not be used.
    private let closed = Locked(false)

    private var path: String { url.path }

    private init(url: URL, testIDs: Set<String>, reader: any DatabaseReader, writer: DatabasePool?,
                 snapshot: SnapshotFolder? = nil) {
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
            let pool = try DatabasePool(path: path, configuration: configuration)
            try migrate(pool, path: path)
            return AuditStore(url: url, testIDs: testIDs, reader: pool, writer: pool)
        } catch {
            throw AuditStoreError.wrapping(error, path: path)
        }
    }

    static func baseConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
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

    /// Two processes opening a new file at once may both try the first migration; the loser
    /// retries and then finds it applied.
    private static func migrate(_ pool: DatabasePool, path: String) throws {
        let migrator = AuditSchema.migrator
        var attempt = 0
        while true {
            do {
                if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                    throw AuditStoreError.newerSchema(path: path, found: "unknown migrations", known: AuditSchema.version)
                }
                try migrator.migrate(pool)
                return
            } catch let error as DatabaseError where attempt < 3 && error.resultCode != .SQLITE_FULL {
                attempt += 1
                if try pool.read({ try migrator.hasCompletedMigrations($0) }) { return }
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    /// Where a dataset's audit database lives when `--db` is not given:
    /// `<dataset>/labelaudit.sqlite` when that file exists or the folder is writable, else
    /// `$XDG_DATA_HOME/labelaudit/<folder name>-<hash of its absolute path>.sqlite`
    /// (`~/.local/share` when XDG_DATA_HOME is unset). An existing file beside the data wins
    /// even in a read-only folder, so verdicts are never silently split over two files. The
    /// hash is FNV-1a, stable across runs and machines.
    public static func defaultLocation(
        forDataset dataset: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        let folder = dataset.standardizedFileURL
        let beside = folder.appendingPathComponent("labelaudit.sqlite")
        if FileManager.default.fileExists(atPath: beside.path) || access(folder.path, W_OK | X_OK) == 0 {
            return beside
        }
        let dataHome: URL
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            dataHome = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".local/share")
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in folder.path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let safeName = String(
            folder.lastPathComponent.unicodeScalars.map { scalar -> Character in
                let isPlain =
                    scalar.isASCII
                    && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" || scalar == ".")
                return isPlain ? Character(scalar) : "_"
            }.prefix(60))
        let name = "\(safeName.isEmpty ? "dataset" : safeName)-\(String(hash, radix: 16)).sqlite"
        return dataHome.appendingPathComponent("labelaudit", isDirectory: true).appendingPathComponent(name)
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

    // MARK: - Writing (one transaction per call)

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

    /// Imports every event of another audit database (another reviewer's copy).
    ///
    /// Idempotent and order-independent: events are keyed by UUID, and each touched pair's
    /// state is replayed from all its events. Disagreements stay as separate reviewers'
    /// verdicts; nothing here overwrites. The other file is only read, never written or given
    /// side files (`ReadOnlySource`), and every incoming event must pass the rules a local
    /// action passes (`AuditEventRules`; ids must be in `knownItems` when given): what does
    /// not is skipped and reported per reason. Any problem with the file itself is a
    /// `.mergeSource` error that names it. O(E log E) for E events in the other file.
    @discardableResult
    public func merge(from other: URL, knownItems: Set<String>? = nil) throws -> MergeSummary {
        let otherPath = other.path
        let now = AuditEventRules.nowMicros()
        let incoming: (events: [AuditEvent], skipped: [MergeSkipExample], testItems: Int)
        let incomingSamples: (rows: [SampleRow], skipped: [MergeSkipExample])
        let incomingDesign: (rows: [DesignRow], skipped: [MergeSkipExample])
        do {
            guard let source = try ReadOnlySource.open(path: otherPath) else {
                throw AuditStoreError.mergeSource(path: otherPath, problem: "it is empty: it holds no audit database yet", exitCode: 65)
            }
            defer { try? source.queue.close() }
            let testIDs = self.testIDs
            (incoming, incomingSamples, incomingDesign) = try source.queue.read { db in
                (try AuditEventRules.incomingEvents(db, knownItems: knownItems, testIDs: testIDs, now: now),
                 try AuditEventRules.incomingSampleRows(db, knownItems: knownItems, testIDs: testIDs, now: now),
                 try AuditEventRules.incomingDesignRows(db, knownItems: knownItems, testIDs: testIDs))
            }
        } catch {
            throw AuditStoreError.asMergeSource(error, path: otherPath)
        }
        return try write { db in
            var summary = MergeSummary()
            summary.refusedTestItems = incoming.testItems
            for skip in incoming.skipped + incomingSamples.skipped + incomingDesign.skipped {
                summary.skipped[skip.reason, default: 0] += 1
                if summary.skippedExamples.filter({ $0.reason == skip.reason }).count < 3 { summary.skippedExamples.append(skip) }
            }
            var pairs = Set<Pair>()
            for event in incoming.events {
                let existing = try Self.fetchEvents(
                    db, sql: "SELECT * FROM event WHERE id = ?",
                    arguments: [event.id.uuidString.lowercased()])
                if let existing = existing.first {
                    if existing == event { summary.alreadyPresent += 1 } else { summary.mismatched += 1 }
                    continue
                }
                try Self.insert(event, db)
                summary.imported += 1
                pairs.insert(Pair(item: event.item, reviewer: event.reviewer))
            }
            for pair in pairs { try Self.storeState(db, pair: pair) }
            summary.affectedPairs = pairs.count
            summary.importedSampleItems = try Self.insertMissingSampleRows(incomingSamples.rows, testIDs: testIDs, db)
            try Self.insertMissingDesignRows(incomingDesign.rows, testIDs: testIDs, db)
            return summary
        }
    }

    // MARK: - Reading

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

    private func consensus(whereItem item: String?) throws -> [ItemConsensus] {
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
                      let verdict = AuditEventRules.text(row["verdict"]) else { return nil }
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

    public func eventCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 }
    }

    /// `PRAGMA integrity_check`: "ok", or SQLite's list of problems.
    public func integrityCheck() throws -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    // MARK: - Internals

    private struct Change {
        var item: String
        var kind: AuditEventKind
        var field: AuditField
        var value: String?
    }

    private struct Pair: Hashable {
        var item: String
        var reviewer: String
    }

    /// The raw stored values of a pair after replay.
    private struct Replayed {
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

    private func perform(_ changes: [Change], reviewer: String) throws -> [AuditEvent] {
        try Self.validate(reviewer: reviewer)
        for change in changes {
            try Self.validate(item: change.item)
            if testIDs.contains(change.item) { throw AuditStoreError.testItem(id: change.item) }
            if let value = change.value, value.utf8.count > AuditEventRules.maximumValueBytes {
                throw AuditStoreError.valueTooLarge(field: change.field == .tags ? "tag list" : change.field.rawValue, bytes: value.utf8.count)
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

    private static func insert(_ event: AuditEvent, _ db: Database) throws {
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
    private static func replay(_ db: Database, item: String, reviewer: String) throws -> Replayed? {
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

    private static func storeState(_ db: Database, pair: Pair) throws {
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

    /// Rows that do not decode (a column of the wrong type in a file another program edited)
    /// are left out: reading never traps on a hostile file.
    private static func fetchEvents(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [AuditEvent] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
            let value = { (name: String) -> DatabaseValue in row[name] }
            guard let id = AuditEventRules.text(value("id")).flatMap(UUID.init(uuidString:)),
                let action = AuditEventRules.text(value("action")).flatMap(UUID.init(uuidString:)),
                let kind = AuditEventRules.text(value("kind")).flatMap(AuditEventKind.init(rawValue:)),
                let field = AuditEventRules.text(value("field")).flatMap(AuditField.init(rawValue:)),
                let item = AuditEventRules.text(value("item")), let reviewer = AuditEventRules.text(value("reviewer")),
                let at = AuditEventRules.integer(value("at")),
                let old = AuditEventRules.storedValue(value("old_value")), let new = AuditEventRules.storedValue(value("new_value"))
            else { return nil }
            return AuditEvent(
                id: id, action: action, item: item, reviewer: reviewer,
                timestampMicros: at, kind: kind, field: field, oldValue: old, newValue: new,
                undoes: AuditEventRules.text(value("undoes")).flatMap(UUID.init(uuidString:)))
        }
    }

    private static func fetchStates(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [ReviewerState] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
            let value = { (name: String) -> DatabaseValue in row[name] }
            guard let item = AuditEventRules.text(value("item")), let reviewer = AuditEventRules.text(value("reviewer")),
                let first = AuditEventRules.integer(value("first_at")), let updated = AuditEventRules.integer(value("updated_at")),
                let note = AuditEventRules.storedValue(value("note")), let tags = AuditEventRules.storedValue(value("tags"))
            else { return nil }
            return ReviewerState(
                item: item, reviewer: reviewer,
                verdict: AuditEventRules.text(value("verdict")).flatMap(Verdict.init(rawValue:)),
                note: note, tags: decodeTags(tags),
                flagged: AuditEventRules.integer(value("flagged")) == 1,
                firstMicros: first, updatedMicros: updated, verdictMicros: AuditEventRules.integer(value("verdict_at")))
        }
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
