import Foundation
import TestSupport
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditStore
@testable import LabelAuditReport

enum Paths {
    /// .../Tests/ReportTests/Support.swift -> package root
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let demo = root.appendingPathComponent("Assets/demo")
    static let truth = root.appendingPathComponent("Assets/demo-truth/truth.csv")

    /// A cache file for the tests' model runs under .build (git-ignored, kept between runs, so a
    /// second `make test` fits nothing); the cache holds only recomputable data.
    static let testCache: URL = {
        let folder = root.appendingPathComponent(".build/labelaudit-report-tests")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("cache.sqlite")
    }()

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

/// The embedded demo (540 train + 60 test real JPEG faces) with its latent model and neighbour
/// graph, computed once per test process into a temporary cache file.
final class DemoFixture: Sendable {
    static let shared: DemoFixture = {
        do { return try DemoFixture() } catch { fatalError("demo fixture: \(error)") }
    }()

    let dataset: Dataset
    let evidence: Evidence
    /// Train ids whose generator label is wrong (Assets/demo-truth), read only to script
    /// realistic reviewers.
    let flipped: Set<String>

    init() throws {
        dataset = try DatasetLoader.load(DatasetOptions(root: Paths.demo))
        let cache = try CacheStore.open(at: Paths.testCache)
        // One regularisation strength instead of inner cross-validation: the same kind of
        // evidence, five times less work in a debug build.
        let engine = EvidenceEngine(dataset: dataset, cache: cache, options: EvidenceOptions(outOfFold: .fixed(0.05)))
        evidence = try engine.evidence()
        let lines = try String(contentsOf: Paths.truth, encoding: .utf8).split(separator: "\n").dropFirst()
        var flipped = Set<String>()
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            // Train ids only: the truth file covers the test faces too.
            if fields.count >= 4, fields[3] == "1", let row = dataset.row(of: String(fields[0])), row < dataset.trainCount {
                flipped.insert(String(fields[0]))
            }
        }
        self.flipped = flipped
    }

    var testIDs: Set<String> { Set(dataset.ids[dataset.trainCount...]) }

    /// The default queue's train ids, most suspicious first.
    var queue: [String] { evidence.ranking.map { dataset.ids[$0.row] } }

    /// A fresh audit database for the demo.
    func store(in folder: URL) throws -> AuditStore {
        try AuditStore.open(at: folder.appendingPathComponent("labelaudit.sqlite"), testIDs: testIDs)
    }

    /// An honest reviewer: label_wrong exactly where the truth says the label was flipped.
    func review(_ ids: [String], by reviewer: String, in store: AuditStore) throws {
        for id in ids {
            try store.record(verdict: flipped.contains(id) ? .labelWrong : .labelOK, item: id, reviewer: reviewer)
        }
    }
}

/// Runs a program and returns (status, stdout, stderr).
@discardableResult
func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let outPipe = Pipe(), errPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async { errData = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

extension ReviewerState {
    static func verdict(_ verdict: Verdict, _ item: String, by reviewer: String, note: String? = nil, tags: [String] = []) -> ReviewerState {
        ReviewerState(item: item, reviewer: reviewer, verdict: verdict, note: note, tags: tags, firstMicros: 1, updatedMicros: 1,
                      verdictMicros: 1_700_000_000_000_000)
    }
}
