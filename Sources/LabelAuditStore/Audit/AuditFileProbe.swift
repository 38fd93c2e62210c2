import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Looks at a would-be audit database before SQLite opens it for writing.
///
/// Opening a database for writing is not harmless: switching to WAL rewrites the header. A
/// file that is not ours (not SQLite, truncated, another program's, or written by a newer
/// labelaudit) must be refused with its bytes untouched, so everything that can be decided
/// from the 100-byte header is decided here, without SQLite. O(1) I/O when no WAL is pending.
enum AuditFileProbe {
    /// "LbAu": written to `PRAGMA application_id` so another program's SQLite file is recognised.
    static let applicationID: Int32 = 0x4C62_4175

    enum Finding: Equatable {
        /// No file yet (or an empty one): a new audit database will be created.
        case new
        /// One of ours, at this schema version.
        case audit(schemaVersion: Int)
    }

    struct Header {
        var pageSize: Int64
        var writeVersion: UInt8
        var changeCounter: UInt32
        var pageCount: UInt32
        var userVersion: Int32
        var applicationID: Int32
        var versionValidFor: UInt32
    }

    static func parseHeader(_ bytes: [UInt8]) -> Header? {
        guard bytes.count >= 100, Array(bytes[0..<16]) == Array("SQLite format 3\0".utf8) else { return nil }
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        let rawPageSize = Int64(bytes[16]) << 8 | Int64(bytes[17])
        return Header(
            pageSize: rawPageSize == 1 ? 65_536 : rawPageSize, writeVersion: bytes[18],
            changeCounter: u32(24), pageCount: u32(28), userVersion: Int32(bitPattern: u32(60)),
            applicationID: Int32(bitPattern: u32(68)), versionValidFor: u32(92))
    }

    /// Decides whether `path` may be opened as the audit database; throws the refusal otherwise.
    static func inspect(path: String, knownSchemaVersion: Int) throws -> Finding {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .new }
        if isDirectory.boolValue { throw AuditStoreError.cannotCreate(path: path, reason: "it is a folder") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AuditStoreError.io(path: path, detail: "cannot be read")
        }
        defer { try? handle.close() }
        let fileSize = Int64((try? handle.seekToEnd()) ?? 0)
        if fileSize == 0 { return .new }
        try? handle.seek(toOffset: 0)
        let bytes = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        let hasMagicPrefix = bytes.starts(with: Array("SQLite format 3\0".utf8).prefix(bytes.count))
        guard let header = parseHeader(bytes) else {
            if hasMagicPrefix && bytes.count >= 16 {
                throw AuditStoreError.truncated(path: path, expectedBytes: 100, actualBytes: fileSize)
            }
            throw AuditStoreError.notSQLite(path: path)
        }
        guard header.pageSize >= 512, header.pageSize & (header.pageSize - 1) == 0 else {
            throw AuditStoreError.notSQLite(path: path)
        }

        let walPath = path + "-wal"
        let walSize = (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? NSNumber)?.int64Value ?? 0
        if walSize == 0 {
            // The main file is complete and authoritative: check its size and markers directly.
            if header.changeCounter == header.versionValidFor && header.pageCount > 0 {
                let expected = Int64(header.pageCount) * header.pageSize
                if fileSize < expected {
                    throw AuditStoreError.truncated(path: path, expectedBytes: expected, actualBytes: fileSize)
                }
            }
            if fileSize % header.pageSize != 0 {
                let expected = (fileSize / header.pageSize + 1) * header.pageSize
                throw AuditStoreError.truncated(path: path, expectedBytes: expected, actualBytes: fileSize)
            }
            // A file without our marker but with pages may be another program's, or one that
            // another labelaudit is creating this very moment: ask SQLite (one snapshot).
            if header.applicationID != 0 || header.pageCount <= 1 {
                return try classify(
                    path: path, applicationID: header.applicationID, userVersion: header.userVersion,
                    pageCount: Int64(header.pageCount), onlyBookkeeping: false, knownSchemaVersion: knownSchemaVersion)
            }
        }

        // A WAL is pending (a crash, or another process has it open): the header may be stale,
        // so ask SQLite through a read-only connection, which never writes the main file. Every
        // fact comes from one read transaction: a process creating the file commits its first
        // migration between two separate reads, and the later read would see its tables
        // without the earlier read's marker.
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            let (applicationID, userVersion, pageCount, onlyBookkeeping) = try queue.read { db in
                (
                    try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                    try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                    try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0,
                    try onlyBookkeepingTables(db)
                )
            }
            return try classify(
                path: path, applicationID: applicationID, userVersion: userVersion,
                pageCount: pageCount, onlyBookkeeping: onlyBookkeeping, knownSchemaVersion: knownSchemaVersion)
        } catch {
            throw AuditStoreError.wrapping(error, path: path)
        }
    }

    private static func classify(
        path: String, applicationID: Int32, userVersion: Int32, pageCount: Int64, onlyBookkeeping: Bool,
        knownSchemaVersion: Int
    ) throws -> Finding {
        if applicationID == 0 {
            // An empty SQLite file may become ours, and so may one where a first open was
            // killed before the first migration committed (GRDB's bookkeeping table at most);
            // anything with other tables but without our marker belongs to someone else.
            if userVersion == 0 && (pageCount <= 1 || onlyBookkeeping) { return .new }
            throw AuditStoreError.notAnAuditDatabase(path: path)
        }
        guard applicationID == Self.applicationID else { throw AuditStoreError.notAnAuditDatabase(path: path) }
        if Int(userVersion) > knownSchemaVersion {
            throw AuditStoreError.newerSchema(path: path, found: String(userVersion), known: knownSchemaVersion)
        }
        return .audit(schemaVersion: Int(userVersion))
    }

    /// True when the schema holds no table but GRDB's migration bookkeeping, and that is empty.
    private static func onlyBookkeepingTables(_ db: Database) throws -> Bool {
        let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        if names.isEmpty { return true }
        guard names == ["grdb_migrations"] else { return false }
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") == 0
    }

    /// Whether writing `path` (and its -wal/-shm companions) is impossible. Root bypasses mode
    /// bits, so the real answer for root comes from SQLite (read-only mounts still show here).
    static func writeBlocked(path: String) -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        if FileManager.default.fileExists(atPath: path), access(path, W_OK) != 0 { return true }
        return access(folder.isEmpty ? "." : folder, W_OK | X_OK) != 0
    }

    /// True when the file system holding `path` has (almost) no room left, to tell a full disk
    /// apart from other I/O errors.
    static func diskIsFull(near path: String) -> Bool {
        var folder = (path as NSString).deletingLastPathComponent
        if folder.isEmpty { folder = "." }
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return false }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize) < 128 * 1024
    }
}
