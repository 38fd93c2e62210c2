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
    /// The path is a folder, a FIFO, a device or a socket ("a named pipe (FIFO)"), not a
    /// database file: refused without opening it, so a FIFO never blocks.
    case notAFile(path: String, kind: String)
    /// Marked as ours but without the audit tables: damaged or edited by another program.
    case missingTables(path: String)
    /// A file given to `merge` cannot be read as a teammate's audit database; `problem` says
    /// why in plain words. Nothing in the local database changed.
    case mergeSource(path: String, problem: String, exitCode: Int32)
    /// A value too large to be a note or tag list.
    case valueTooLarge(field: String, bytes: Int)

    /// sysexits.h: 65 EX_DATAERR, 64 EX_USAGE, 66 EX_NOINPUT, 73 EX_CANTCREAT, 74 EX_IOERR,
    /// 75 EX_TEMPFAIL.
    public var exitCode: Int32 {
        switch self {
        case .notSQLite, .truncated, .notAnAuditDatabase, .newerSchema, .corrupt, .testItem, .invalidItemID,
            .missingTables, .valueTooLarge:
            return 65
        case .notAFile:
            return 66
        case .mergeSource(_, _, let code):
            return code
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
        case .notAFile(let path, let kind):
            return "\(path) is \(kind), not a database file. Nothing was changed; pass the audit database file itself with --db."
        case .missingTables(let path):
            return
                "\(path) carries labelaudit's mark but not its tables (no event table): it was damaged or edited by another program. Nothing was changed; restore it from a backup or a teammate's copy."
        case .mergeSource(let path, let problem, let code):
            let advice =
                code == 66
                ? "check the path, or leave this file out"
                : "ask the teammate for their labelaudit.sqlite again (copied after their labelaudit has quit), or leave this file out"
            return "cannot merge \(path): \(problem). Nothing was merged from it and this database is unchanged; \(advice)."
        case .valueTooLarge(let field, let bytes):
            return
                "the \(field) is \(bytes) bytes, more than the \(AuditEventRules.maximumValueBytes) a \(field) may hold; nothing was written: shorten it."
        }
    }

    /// The same error about `to` when it was raised about `from` (a private copy of `to`).
    static func relocating(_ error: any Error, from: String, to: String) -> any Error {
        guard let error = error as? AuditStoreError else { return error }
        func fix(_ path: String) -> String { path == from ? to : path }
        switch error {
        case .notSQLite(let path): return AuditStoreError.notSQLite(path: fix(path))
        case .truncated(let path, let expected, let actual):
            return AuditStoreError.truncated(path: fix(path), expectedBytes: expected, actualBytes: actual)
        case .notAnAuditDatabase(let path): return AuditStoreError.notAnAuditDatabase(path: fix(path))
        case .newerSchema(let path, let found, let known):
            return AuditStoreError.newerSchema(path: fix(path), found: found, known: known)
        case .corrupt(let path, let detail): return AuditStoreError.corrupt(path: fix(path), detail: detail)
        case .readOnly(let path): return AuditStoreError.readOnly(path: fix(path))
        case .cannotCreate(let path, let reason): return AuditStoreError.cannotCreate(path: fix(path), reason: reason)
        case .diskFull(let path): return AuditStoreError.diskFull(path: fix(path))
        case .io(let path, let detail): return AuditStoreError.io(path: fix(path), detail: detail)
        case .notFound(let path): return AuditStoreError.notFound(path: fix(path))
        case .busy(let path): return AuditStoreError.busy(path: fix(path))
        case .notAFile(let path, let kind): return AuditStoreError.notAFile(path: fix(path), kind: kind)
        case .missingTables(let path): return AuditStoreError.missingTables(path: fix(path))
        case .mergeSource(let path, let problem, let code):
            return AuditStoreError.mergeSource(path: fix(path), problem: problem, exitCode: code)
        case .testItem, .invalidItemID, .invalidReviewer, .valueTooLarge: return error
        }
    }

    /// Any failure to read `path` as a merge source, said as what is wrong with that file
    /// (never "pass another file with --db": the file is a teammate's, not this database).
    static func asMergeSource(_ error: any Error, path: String) -> AuditStoreError {
        let problem: String
        var code: Int32 = 65
        switch error {
        case AuditStoreError.notSQLite: problem = "it is not an SQLite database"
        case AuditStoreError.truncated(_, let expected, let actual):
            problem = "it is truncated (\(actual) of \(expected) bytes), so some verdicts are missing from it"
        case AuditStoreError.notAnAuditDatabase:
            problem = "it is an SQLite database of another program, not a labelaudit audit database"
        case AuditStoreError.newerSchema(_, let found, let known):
            problem =
                "it was written by a newer labelaudit (schema \(found); this build knows up to \(known)); merge it with a newer labelaudit"
        case AuditStoreError.corrupt(_, let detail): problem = "it is damaged (\(detail))"
        case AuditStoreError.missingTables:
            problem = "it carries labelaudit's mark but has no event table, so it holds no verdicts"
        case AuditStoreError.notFound:
            problem = "there is no such file"
            code = 66
        case AuditStoreError.notAFile(_, let kind):
            problem = "it is \(kind), not a database file"
            code = 66
        case AuditStoreError.busy:
            problem = "it stayed locked by another program for 5 seconds"
            code = 75
        case AuditStoreError.io(_, let detail):
            problem = "it cannot be read (\(detail))"
            code = 74
        case AuditStoreError.mergeSource: return error as! AuditStoreError
        case let dbError as DatabaseError:
            problem = "its tables are not those of a labelaudit audit database (SQLite error \(dbError.resultCode.rawValue))"
        default:
            problem = "it cannot be read"
            code = 74
        }
        return .mergeSource(path: path, problem: problem, exitCode: code)
    }

    /// Maps an SQLite failure to the store's vocabulary; the path goes in every message.
    static func wrapping(_ error: any Error, path: String) -> any Error {
        if error is AuditStoreError { return error }
        if let row = error as? UnreadableRow { return AuditStoreError.corrupt(path: path, detail: row.description) }
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
