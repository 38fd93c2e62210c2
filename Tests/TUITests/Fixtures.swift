import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditReport
import LabelAuditStore
import TestSupport

@testable import LabelAuditTUI

/// The demo (Assets/demo: 540 train + 60 test real JPEG faces) on the real engine backend:
/// its evidence computed once per test process (TestSupport's DemoFixture), a fresh SQLite
/// audit database per session, reviewer "ana", and a colleague's `unsure` on the queue's first
/// face so the detail panel shows two reviewers.
struct DemoSession {
    let backend: EngineReviewBackend
    let store: AuditStore
    let folder: URL
    /// The default queue's first face (the colleague's verdict is on it).
    let first: String

    init(_ name: String = #function, reviewer: String = "ana", reportName: String = "report.csv") throws {
        let demo = DemoFixture.shared
        folder = try scratchDirectory("demo-\(name.filter { $0.isLetter || $0.isNumber })")
        store = try demo.store(in: folder)
        first = demo.queue[0]
        try store.record(verdict: .unsure, item: first, reviewer: "colleague")
        let cache = try CacheStore.open(at: Repository.testCache)
        let engine = EvidenceEngine(dataset: demo.dataset, cache: cache, options: EvidenceOptions(outOfFold: .fixed(0.05)))
        backend = EngineReviewBackend(
            session: try ReviewSession(
                engine: engine, store: store, reviewer: reviewer,
                reportExport: .auditReport(to: folder.appendingPathComponent(reportName))))
        backend.install(demo.evidence)
        _ = backend.reloadIfChangedElsewhere()
    }

    /// A second connection to the same audit file: what a teammate's merge, a second app or
    /// the CLI writes through (the app notices those, not its own connection's writes).
    func elsewhere() throws -> AuditStore {
        try AuditStore.open(at: store.url, testIDs: DemoFixture.shared.testIDs)
    }

    func controller(rows: Int = 40, columns: Int = 120) -> ReviewController {
        let controller = ReviewController(backend: backend, rows: rows, columns: columns, colorModeName: "truecolor")
        controller.reloadQueue()
        return controller
    }
}

func makeController(rows: Int = 40, columns: Int = 120, name: String = #function) -> ReviewController {
    // swiftlint:disable:next force_try
    try! DemoSession(name).controller(rows: rows, columns: columns)
}

extension ReviewController {
    /// Types `text` then Enter, as a reviewer would in the line editor.
    func type(_ text: String) {
        for character in text { _ = handle(.character(character)) }
        _ = handle(.enter)
    }
}

/// A scratch folder under the package's git-ignored `.tmp/`.
func scratchDirectory(_ name: String) throws -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".tmp/tui-tests/\(name)-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.removeItem(at: root)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    return root
}
