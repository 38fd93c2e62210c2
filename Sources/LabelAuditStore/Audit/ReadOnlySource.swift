import Foundation
import GRDB
import LabelAuditCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private copy of someone else's audit database, removed when the last user lets go.
final class SnapshotFolder: Sendable {
    let url: URL

    init(url: URL) { self.url = url }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// An audit database opened for reading only, without ever writing next to it.
///
/// Opening an SQLite file in WAL mode, even read-only, makes SQLite create `-wal` and `-shm`
/// files beside it, and fails outright when that folder is read-only (a teammate's file on a
/// USB stick, a read-only mount, a file mode 0444 in a 0555 folder). So:
/// - when a `-wal` and `-shm` already sit beside the file and the folder is writable, a live
///   labelaudit has it open: it is read in place (read-only), to see what that process committed;
/// - otherwise the file (and its `-wal`, if any) is copied into a private temporary folder and
///   the copy is read. Nothing is created next to the original, whatever its folder allows.
/// Everything that inspects the file (header probe, migration check) runs on what is read, and
/// every error names the original path. Audit files are small (events only), so a copy costs
/// milliseconds.
struct ReadOnlySource {
    let queue: DatabaseQueue
    /// Kept alive as long as the queue reads from it.
    let snapshot: SnapshotFolder?

    /// nil when the file holds no database yet (empty, or a first open that never finished).
    static func open(path: String) throws -> ReadOnlySource? {
        if let refusal = InputFile.checkRegular(path) {
            if let kind = refusal.nonRegularKind { throw AuditStoreError.notAFile(path: path, kind: kind) }
            if refusal.problem == "no such file" { throw AuditStoreError.notFound(path: path) }
            throw AuditStoreError.io(path: path, detail: refusal.problem)
        }
        let folder = (path as NSString).deletingLastPathComponent
        let walPath = path + "-wal"
        let shmPath = path + "-shm"
        let live = isRegularFile(walPath) && isRegularFile(shmPath) && access(folder.isEmpty ? "." : folder, W_OK | X_OK) == 0
        var readPath = path
        var snapshot: SnapshotFolder? = nil
        if !live {
            let made = try makeSnapshot(of: path, wal: isRegularFile(walPath) ? walPath : nil)
            snapshot = made
            readPath = made.url.appendingPathComponent("audit.sqlite").path
        }
        do {
            guard case .audit = try AuditFileProbe.inspect(path: readPath, knownSchemaVersion: AuditSchema.version) else {
                return nil
            }
            try AuditStore.refuseUnknownMigrations(path: readPath)
            var configuration = AuditStore.baseConfiguration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: readPath, configuration: configuration)
            let hasEvents = try queue.read { db in try db.tableExists("event") && db.tableExists("reviewer_state") }
            guard hasEvents else { throw AuditStoreError.missingTables(path: readPath) }
            return ReadOnlySource(queue: queue, snapshot: snapshot)
        } catch {
            throw AuditStoreError.relocating(AuditStoreError.wrapping(error, path: readPath), from: readPath, to: path)
        }
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Copies the database (and its WAL) into a new private folder under the temporary folder.
    static func makeSnapshot(of path: String, wal: String?) throws -> SnapshotFolder {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-read-XXXXXX").path
        var template = Array(base.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw AuditStoreError.io(
                path: path, detail: "no private copy could be made in the temporary folder (\(String(cString: strerror(errno))))")
        }
        let folder = SnapshotFolder(url: URL(fileURLWithPath: String(cString: made)))
        let copy = folder.url.appendingPathComponent("audit.sqlite").path
        try copyFile(path, to: copy)
        if let wal { try copyFile(wal, to: copy + "-wal") }
        return folder
    }

    private static func copyFile(_ source: String, to target: String) throws {
        let input: Int32
        do {
            input = try InputFile.openRegular(source)
        } catch {
            if let kind = error.nonRegularKind { throw AuditStoreError.notAFile(path: source, kind: kind) }
            throw AuditStoreError.io(path: source, detail: error.problem)
        }
        defer { close(input) }
        let output = Glibc.open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            throw AuditStoreError.io(
                path: source, detail: "no private copy could be written (\(String(cString: strerror(errno))))")
        }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw AuditStoreError.io(path: source, detail: "cannot be read (\(String(cString: strerror(errno))))")
            }
            if got == 0 { return }
            var offset = 0
            while offset < got {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, got - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw AuditStoreError.io(
                        path: source, detail: "no private copy could be written (\(String(cString: strerror(errno))))")
                }
                offset += written
            }
        }
    }
}
