import Foundation
import LabelAuditCore

@testable import LabelAuditStore

/// A fresh folder under the system temp dir, removed by `cleanUp()`.
struct TempFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "labelaudit-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// Runs a program and returns (status, stdout, stderr).
@discardableResult
func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
    input: Data? = nil
) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let outPipe = Pipe()
    let errPipe = Pipe()
    let inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(input) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently with the process, so a large output cannot block it.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { outData = outPipe.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = errPipe.fileHandleForReading.readDataToEndOfFile() }
    process.waitUntilExit()
    group.wait()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// A small tmpfs, for a real full disk and a real read-only file system (root only).
struct SmallFileSystem {
    let folder: TempFolder

    static var isAvailable: Bool {
        guard getuid() == 0, let probe = try? TempFolder() else { return false }
        defer { probe.cleanUp() }
        guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.url.path]))?.status == 0 else {
            return false
        }
        _ = try? run("/bin/umount", [probe.url.path])
        return true
    }

    init(kilobytes: Int) throws {
        folder = try TempFolder()
        let result = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", folder.url.path])
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func remountReadOnly() throws {
        try run("/bin/mount", ["-o", "remount,ro", folder.url.path])
    }

    func unmount() {
        _ = try? run("/bin/umount", [folder.url.path])
        folder.cleanUp()
    }
}

func fileBytes(_ url: URL) -> Data? { FileManager.default.contents(atPath: url.path) }

/// A writable audit file in `folder` with a couple of verdicts, closed again.
func makeAuditFile(in folder: TempFolder, name: String = "audit.sqlite") throws -> URL {
    let url = folder.file(name)
    let store = try AuditStore.open(at: url, testIDs: [])
    try store.record(verdict: .labelWrong, item: "30", reviewer: "ana", note: "no glasses visible")
    try store.record(verdict: .labelOK, item: "31", reviewer: "ana")
    try store.close()
    return url
}
