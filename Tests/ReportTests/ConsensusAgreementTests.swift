import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore
import TestSupport
import Testing

@testable import LabelAuditReport

/// One consensus rule, one answer: on a real audit database holding every combination of two
/// reviewers' verdicts (none, each verdict, and a verdict that was undone), the corrected labels
/// of `export --format csv`, the labels `rerun` trains on (`Corrections`), the report's
/// confirmed errors and conflicts, and the store's consensus (what the app marks) agree.
@Suite(.serialized) struct ConsensusAgreementTests {
    /// What one reviewer did on one face.
    enum Action: CaseIterable, CustomStringConvertible {
        case nothing, ok, wrong, unsure, badImage, undone

        var verdict: Verdict? {
            switch self {
            case .ok: .labelOK
            case .wrong: .labelWrong
            case .unsure: .unsure
            case .badImage: .badImage
            case .nothing, .undone: nil
            }
        }

        var description: String { "\(self.verdict?.rawValue ?? (self == .undone ? "undone" : "none"))" }
    }

    /// The rule written in Docs/report.md, spelled out independently of the code.
    static func expected(_ a: Action, _ b: Action) -> ConsensusDecision? {
        let verdicts = [a.verdict, b.verdict].compactMap { $0 }
        if verdicts.isEmpty { return nil }
        let wrong = verdicts.contains(.labelWrong)
        let ok = verdicts.contains(.labelOK)
        if wrong && ok { return .conflict }
        if wrong { return .labelWrong }
        if ok { return .labelOK }
        return verdicts.contains(.badImage) ? .badImage : .unsure
    }

    @Test func exportRerunReportAndStoreAgreeOnEveryPairOfVerdicts() throws {
        let demo = DemoFixture.shared
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["train.csv", "test.csv"] {
            try FileManager.default.copyItem(at: Paths.demo.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let dataset = demo.dataset
        let database = folder.appendingPathComponent("labelaudit.sqlite")
        let store = try AuditStore.open(at: database, testIDs: demo.testIDs)
        var cases: [(id: String, row: Int, a: Action, b: Action)] = []
        var row = 0
        for a in Action.allCases {
            for b in Action.allCases {
                cases.append((dataset.ids[row], row, a, b))
                row += 1
            }
        }
        for (id, _, a, b) in cases {
            for (reviewer, action) in [("ana", a), ("bo", b)] {
                switch action {
                case .nothing: break
                case .undone:
                    try store.record(verdict: .labelWrong, item: id, reviewer: reviewer)
                    try store.undo(reviewer: reviewer, item: id)
                default:
                    // A changed mind counts once: only the latest verdict stands.
                    try store.record(verdict: action == .ok ? .labelWrong : .labelOK, item: id, reviewer: reviewer)
                    try store.record(verdict: action.verdict!, item: id, reviewer: reviewer)
                }
            }
        }
        try store.close()

        let readOnly = try AuditStore.open(at: database, testIDs: demo.testIDs, readOnly: true)
        let consensus = try readOnly.consensus()
        let decisionOf = Dictionary(uniqueKeysWithValues: consensus.map { ($0.item, $0.decision) })
        let corrections = Corrections.from(dataset: dataset, consensus: consensus, unsure: .keep, auditEventID: nil)
        let report = try AuditReport.build(dataset: dataset, evidence: demo.evidence, store: readOnly)

        // The executable's corrected-labels CSV, as a user exports it.
        let csv = folder.appendingPathComponent("labels.csv")
        let export = try run(
            try Paths.executable,
            [
                "export", folder.path, "--images", Paths.demo.appendingPathComponent("images").path, "--no-image",
                "--cache", Paths.testCache.path, "--format", "csv", "--out", csv.path,
            ])
        #expect(export.status == 0, "\(export.err)")
        var exported: [String: (label: UInt8, changedBy: String)] = [:]
        for line in try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            exported[fields[0]] = (UInt8(fields[1])!, fields[3])
        }

        let confirmed = Set(report.confirmedErrors.map(\.id))
        let conflicts = Set(report.conflicts.map(\.id))
        let broken = Set(report.badImages.map(\.id))
        for (id, row, a, b) in cases {
            let rule = Self.expected(a, b)
            let given = dataset.labels[row]
            let flips = rule == .labelWrong
            #expect(decisionOf[id] == rule, "\(a) + \(b): store says \(String(describing: decisionOf[id]))")
            #expect(corrections.labels[row] == (flips ? 1 - given : given), "\(a) + \(b): rerun label")
            #expect(corrections.flipped.contains(id) == flips, "\(a) + \(b): rerun flips")
            #expect(corrections.conflicts.contains(id) == (rule == .conflict), "\(a) + \(b): rerun conflict")
            #expect(exported[id]?.label == (flips ? 1 - given : given), "\(a) + \(b): exported label")
            #expect(
                (exported[id]?.changedBy ?? "")
                    == (flips ? [("ana", a), ("bo", b)].filter { $0.1 == .wrong }.map(\.0).joined(separator: ";") : ""),
                "\(a) + \(b): changed_by")
            #expect(confirmed.contains(id) == flips, "\(a) + \(b): report's confirmed errors")
            #expect(conflicts.contains(id) == (rule == .conflict), "\(a) + \(b): report's conflicts")
            #expect(broken.contains(id) == (a == .badImage || b == .badImage), "\(a) + \(b): broken pictures")
            #expect(report.labelRows[row].correctedLabel == exported[id]?.label)
        }
        // The rows nobody touched keep their labels everywhere.
        #expect(corrections.labels[cases.count...] == dataset.labels[cases.count..<dataset.trainCount])
        #expect(confirmed.count == 9 && conflicts.count == 2)
    }
}
