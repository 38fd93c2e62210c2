import Foundation
import GRDB

/// Every way the audit store refuses or fails, each with a message that names the file or id
/// and says what to do, and the sysexits status the command line exits with.
public enum AuditStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    case notSQLite(path: String)
    case truncated(path: String, expectedBytes: Int64, actualBytes: Int64)
    case notAnAuditDatabase(path: String)
    case newerSchema(path: String, found: String, known: Int)
    case corrupt(path: String, detail: String)
    case readOnly(path: String)
    case cannotCreate(path: String, reason: String)
    case diskFull(path: String)
    case io(path: String, detail: String)
    case notFound(path: String)
    case busy(path: String)
    case testItem(id: String)
    case invalidItemID(id: String)
    case invalidReviewer(name: String)

    /// sysexits.h: 65 EX_DATAERR, 64 EX_USAGE, 66 EX_NOINPUT, 73 EX_CANTCREAT, 74 EX_IOERR,
    /// 75 EX_TEMPFAIL.
    public var exitCode: Int32 {
        switch self {
        case .notSQLite, .truncated, .notAnAuditDatabase, .newerSchema, .corrupt, .testItem, .invalidItemID:
            return 65
        case .invalidReviewer:
            return 64
        case .notFound:
            return 66
        case .readOnly, .cannotCreate:
            return 73
        case .diskFull, .io:
            return 74
        case .busy:
            return 75
        }
    }

    public var description: String {
        switch self {
        case .notSQLite(let path):
            return
                "\(path) is not an SQLite database, so it cannot be the audit database. Nothing was changed; pass another file with --db."
        case .truncated(let path, let expected, let actual):
            return
                "\(path) is truncated (\(actual) of \(expected) bytes): the audit database is damaged. Nothing was changed; restore it from a backup or a teammate's copy (labelaudit merge), or pass another file with --db."
        case .notAnAuditDatabase(let path):
            return
                "\(path) is an SQLite database of another program, not a labelaudit audit database. Nothing was changed; pass another file with --db."
        case .newerSchema(let path, let found, let known):
            return
                "\(path) was written by a newer labelaudit (schema \(found); this build knows up to \(known)). Nothing was changed; use a newer labelaudit."
        case .corrupt(let path, let detail):
            return
                "\(path) is damaged (\(detail)). Restore it from a backup or a teammate's copy (labelaudit merge), or pass another file with --db."
        case .readOnly(let path):
            return
                "cannot write the audit database \(path): the file or its folder is read-only. Nothing was written; make it writable or pass another file with --db."
        case .cannotCreate(let path, let reason):
            return "cannot create the audit database \(path): \(reason). Nothing was written; pass another file with --db."
        case .diskFull(let path):
            return
                "the disk holding \(path) is full. Nothing was written (the last action was rolled back); free some space and try again."
        case .io(let path, let detail):
            return
                "input/output error on the audit database \(path) (\(detail)). The last action was rolled back; check the disk and try again."
        case .notFound(let path):
            return "there is no audit database at \(path) yet; record a verdict first or check --db."
        case .busy(let path):
            return "the audit database \(path) stayed locked by another program for 5 seconds. Nothing was written; try again."
        case .testItem(let id):
            return
                "\(id) is a test id: the test set is never hand-labeled (the competition's rule and this tool's purpose), so it gets no verdict, note, tags or flag."
        case .invalidItemID(let id):
            return "the id \(id.debugDescription) contains control characters; ids must be plain text."
        case .invalidReviewer(let name):
            return
                "the reviewer name \(name.debugDescription) is not usable: give a non-empty name without control characters (at most 200 characters) with --reviewer."
        }
    }

    /// Maps an SQLite failure to the store's vocabulary; the path goes in every message.
    static func wrapping(_ error: any Error, path: String) -> any Error {
        if error is AuditStoreError { return error }
        guard let dbError = error as? DatabaseError else { return error }
        let detail = dbError.message ?? "\(dbError.resultCode)"
        switch dbError.resultCode {
        case .SQLITE_FULL:
            return AuditStoreError.diskFull(path: path)
        case .SQLITE_READONLY:
            return AuditStoreError.readOnly(path: path)
        case .SQLITE_CANTOPEN:
            return AuditStoreError.cannotCreate(path: path, reason: detail)
        case .SQLITE_NOTADB:
            return AuditStoreError.notSQLite(path: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return AuditStoreError.busy(path: path)
        case .SQLITE_CORRUPT:
            return AuditStoreError.corrupt(path: path, detail: detail)
        case .SQLITE_IOERR:
            if AuditFileProbe.diskIsFull(near: path) { return AuditStoreError.diskFull(path: path) }
            return AuditStoreError.io(path: path, detail: detail)
        default:
            return error
        }
    }
}
