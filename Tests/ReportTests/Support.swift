import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditStore
import TestSupport

@testable import LabelAuditReport

enum Paths {
    /// .../Tests/ReportTests/Support.swift -> package root
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let demo = root.appendingPathComponent("Assets/demo")
    static let truth = root.appendingPathComponent("Assets/demo-truth/truth.csv")

    /// The tests' shared model-run cache (TestSupport's), so the CLI reuses the fixture's runs.
    static var testCache: URL { Repository.testCache }

    static var executable: URL {
        get throws { try LabelAuditExecutable.url() }
    }
}

func temporaryFolder(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-report-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs a program and returns (status, stdout, stderr).
@discardableResult
func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> (
    status: Int32, out: String, err: String
) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let outPipe = Pipe()
    let errPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = errPipe.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

extension ReviewerState {
    static func verdict(_ verdict: Verdict, _ item: String, by reviewer: String, note: String? = nil, tags: [String] = [])
        -> ReviewerState
    {
        ReviewerState(
            item: item, reviewer: reviewer, verdict: verdict, note: note, tags: tags, firstMicros: 1, updatedMicros: 1,
            verdictMicros: 1_700_000_000_000_000)
    }
}
