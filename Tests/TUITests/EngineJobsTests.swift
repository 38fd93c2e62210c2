import LabelAuditCore
import Foundation
import LabelAuditStore
import Testing
@testable import LabelAuditTUI

/// `R` on the real backend: the rerun engine retrains on the reviewers' corrections and the
/// new run joins the runs `:run` and `:diff` know.
@Suite struct EngineJobsTests {
    @Test func rerunFlaggedAddsARunToDiff() throws {
        let fixture = try EngineFixture("rerun")
        _ = try fixture.computeEvidence()
        #expect(throws: ReviewBackendError.self) { _ = try fixture.backend.run(.rerunFlagged, progress: { _, _ in }) }
        _ = try fixture.backend.record(.verdict(.labelWrong), for: fixture.flipped[0])
        _ = try fixture.backend.record(.toggleFlag, for: fixture.flipped[0])
        let summary = try fixture.backend.run(.rerunFlagged, progress: { _, _ in })
        #expect(summary.hasPrefix("rerun latent-rerun: confirmed errors agreed "), "\(summary)")
        #expect(summary.hasSuffix("; :diff latent latent-rerun shows what changed"), "\(summary)")
        #expect(fixture.backend.runNames().contains("latent-rerun"))
        #expect(fixture.backend.runNames().contains("latent"))
        let panel = try fixture.backend.diffRuns("latent", "latent-rerun")
        #expect(panel.title == "diff latent -> latent-rerun")
        #expect(try fixture.backend.detail(for: fixture.flipped[0]).runs.map(\.run).contains("latent-rerun"))
    }

    @Test func rerunWithNothingFlaggedSaysWhatToDo() throws {
        let fixture = try EngineFixture("rerun-none")
        _ = try fixture.computeEvidence()
        let error = #expect(throws: ReviewBackendError.self) { _ = try fixture.backend.run(.rerunFlagged, progress: { _, _ in }) }
        #expect(error?.message.hasPrefix("rerun: no face is flagged for a rerun in ") == true, "\(String(describing: error))")
    }

    @Test func exportWritesTheReportFile() throws {
        let fixture = try EngineFixture("export")
        #expect(throws: ReviewBackendError("x (export) needs the evidence: wait until the status bar says evidence ready")) {
            _ = try fixture.backend.run(.export, progress: { _, _ in })
        }
        _ = try fixture.computeEvidence()
        _ = try fixture.backend.record(.verdict(.labelWrong), for: "4")
        let summary = try fixture.backend.run(.export, progress: { _, _ in })
        let url = try #require(fixture.backend.reportURL)
        #expect(summary == "report written: \(url.path)")
        let html = try String(contentsOf: url, encoding: .utf8)
        #expect(html.lowercased().contains("<html"))
    }

    @Test func sampleGoesIntoTheStoreAndTheQueue() throws {
        let fixture = try EngineFixture("sample")
        let drawn = try #require(try fixture.backend.drawAuditSample(count: 5))
        #expect(drawn.count == 5)
        #expect(try fixture.store.auditSample() == Set(drawn))
        #expect(Set(try fixture.backend.queue(.sample, sort: .id).map(\.id)) == Set(drawn))
        let controller = ReviewController(backend: fixture.backend, rows: 40, columns: 120, colorModeName: "truecolor")
        controller.reloadQueue()
        _ = controller.runCommand("sample 3")
        #expect(controller.state.filter == .sample)
        #expect(controller.state.rows.count == 8)
        #expect(controller.state.message?.text == "added 3 random faces to the audit sample; filter sample: 8 faces")
    }
}
