import Foundation
import GRDB

/// Opening a SQLite file that other labelaudit processes may be opening at the same moment:
/// a teammate's app and a `verdict --from` script on one new audit file, or `rank` and the app
/// on one new cache. Used by the audit store and the cache alike.
enum SharedDatabaseFile {
    /// How long an open waits for another process, the same as every connection's busy
    /// timeout (the "locked for 5 seconds" message promises it).
    static let busyTimeout: TimeInterval = 5

    /// A pool on `path`, created if absent, with `migrator`'s migrations applied.
    ///
    /// A new pool switches the file to WAL (`PRAGMA journal_mode = WAL`), and SQLite answers
    /// that with SQLITE_BUSY at once, without calling the busy handler, while another process
    /// is setting up the same new file: two writers on a new file failed one time in two. The
    /// switch is retried until the busy timeout. Two processes may also both find a migration
    /// missing and race to apply it; the loser finds it applied and goes on.
    static func openPool(
        path: String, configuration: Configuration, migrator: DatabaseMigrator,
        beforeMigrating check: ((DatabasePool) throws -> Void)? = nil
    ) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeout)
        let pool = try retryingWhileBusy(until: deadline) { try DatabasePool(path: path, configuration: configuration) }
        while true {
            do {
                try check?(pool)
                try migrator.migrate(pool)
                return pool
            } catch let error as DatabaseError where isRetryable(error) && Date() < deadline {
                if try pool.read({ try migrator.hasCompletedMigrations($0) }) { return pool }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// Runs `body` again after a short pause while it fails with SQLITE_BUSY, until `deadline`.
    static func retryingWhileBusy<T>(until deadline: Date, _ body: () throws -> T) throws -> T {
        var pause = 0.002
        while true {
            do {
                return try body()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 0.05)
            }
        }
    }

    /// A lost race (busy, locked, or "table already exists" from the winner's migration);
    /// a full disk or a damaged file is not.
    private static func isRetryable(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN: return false
        default: return true
        }
    }
}
