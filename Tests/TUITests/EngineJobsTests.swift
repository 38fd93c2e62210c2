import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore
import Testing

@testable import LabelAuditTUI

/// `R` on the real backend: the rerun engine retrains on the reviewers' corrections and the
/// new run joins the runs `:run` and `:diff` know.
@Suite struct EngineJobsTests {
    /// The fixture's engine and audit file, with `R` retraining `models`.
    func backend(_ fixture: EngineFixture, models: [RerunModel], engine: EvidenceEngine? = nil) throws -> EngineReviewBackend {
        EngineReviewBackend(
            session: try ReviewSession(
                engine: engine ?? fixture.backend.engine, store: fixture.store,
                reviewer: "ana", rerunOptions: RerunOptions(models: models)))
    }

    @Test func rerunFlaggedAddsARunToDiffWhoseLinesOpenFaces() throws {
        let fixture = try EngineFixture("rerun")
        let backend = try backend(fixture, models: [.latent])
        _ = try backend.run(.evidence, progress: { _, _ in })
        #expect(throws: ReviewError.self) { _ = try backend.run(.rerunFlagged, progress: { _, _ in }) }
        _ = try backend.record(.verdict(.labelWrong), for: fixture.flipped[0])
        _ = try backend.record(.toggleFlag, for: fixture.flipped[0])
        let summary = try backend.run(.rerunFlagged, progress: { _, _ in })
        #expect(summary.hasPrefix("rerun latent-rerun (from latent): confirmed errors still wrong "), "\(summary)")
        #expect(summary.contains(" of 1; flagged faces agreeing with the verdict "), "\(summary)")
        #expect(summary.hasSuffix("; :diff latent latent-rerun shows what changed"), "\(summary)")
        #expect(backend.runNames().contains("latent-rerun"))
        #expect(backend.runNames().contains("latent"))
        #expect(try backend.detail(for: fixture.flipped[0]).runs.map(\.run).contains("latent-rerun"))
        // The panel is the Engine's RunDiff; every change line opens its face.
        let panel = try backend.diffRuns("latent", "latent-rerun")
        #expect(panel.title == "diff latent -> latent-rerun")
        let runs = try fixture.backend.engine.allRuns()
        let diff = RunDiff(
            from: try #require(runs.first { $0.name == "latent" }), to: try #require(runs.last { $0.name == "latent-rerun" }),
            dataset: fixture.dataset)
        #expect(panel.lines == diff.lines().map(\.text))
        #expect(panel.isSelectable)
        #expect(panel.lineIDs.compactMap { $0 } == Array(diff.changes.prefix(12).map(\.id)))
        // The cursor starts on the face that changed most: Enter opens it.
        #expect(panel.selectedID == diff.changes[0].id)
        #expect(panel.lines[panel.selected].contains(" \(diff.changes[0].id) "))

        // A restart (a new backend on the same cache file) lists the rerun again.
        let engine = EvidenceEngine(
            dataset: fixture.dataset, cache: try CacheStore.open(at: fixture.backend.engine.cache.url),
            options: fixture.backend.engine.options)
        let restarted = EngineReviewBackend(session: try ReviewSession(engine: engine, store: fixture.store, reviewer: "ana"))
        _ = try restarted.run(.evidence, progress: { _, _ in })
        #expect(restarted.runNames() == ["latent", "latent-rerun"])
        #expect(try restarted.diffRuns("latent", "latent-rerun").lines == panel.lines)
    }

    @Test func theDefaultRerunNeedsAPictureModel() throws {
        let fixture = try EngineFixture("rerun-image")
        _ = try fixture.computeEvidence()
        _ = try fixture.backend.record(.toggleFlag, for: fixture.flipped[0])
        // The fixture's engine has no image decoder (as with --no-image).
        #expect(throws: ReviewError("rerun: the image model cannot run: no image decoder (--no-image?)")) {
            _ = try fixture.backend.run(.rerunFlagged, progress: { _, _ in })
        }
        let none = try backend(fixture, models: [])
        #expect(throws: ReviewError("rerun: \(RerunError.noPictureModel.description)")) {
            _ = try none.run(.rerunFlagged, progress: { _, _ in })
        }
    }

    @Test func aRunningRerunCanBeCancelled() throws {
        let fixture = try EngineFixture("rerun-cancel")
        let script = fixture.backend.engine.cache.url.deletingLastPathComponent().appendingPathComponent("slow.py")
        try "import time\ntime.sleep(60)\n".write(to: script, atomically: true, encoding: .utf8)
        let backend = try backend(fixture, models: [.command("python3 \(script.path)")])
        _ = try backend.run(.evidence, progress: { _, _ in })
        _ = try backend.record(.toggleFlag, for: fixture.flipped[0])
        #expect(!backend.cancel(.rerunFlagged))  // nothing running yet
        let started = Locked(false)
        let outcome = Locked<Result<String, ReviewError>?>(nil)
        Thread {
            let result: Result<String, ReviewError>
            do throws(ReviewError) {
                result = .success(
                    try backend.run(
                        .rerunFlagged,
                        progress: { _, text in
                            if text.hasPrefix("rerun: starting") { started.store(true) }
                        }))
            } catch {
                result = .failure(error)
            }
            outcome.store(result)
        }.start()
        let deadline = Date().addingTimeInterval(30)
        while !started.load() && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(started.load())
        #expect(!backend.cancel(.export))
        let cancelled = Date()
        #expect(backend.cancel(.rerunFlagged))
        while outcome.load() == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(Date().timeIntervalSince(cancelled) < 10)
        #expect(outcome.load() == .failure(ReviewError("rerun: cancelled")))
        #expect(!backend.cancel(.rerunFlagged))
    }

    @Test func rerunWithNothingFlaggedSaysWhatToDo() throws {
        let fixture = try EngineFixture("rerun-none")
        _ = try fixture.computeEvidence()
        let error = #expect(throws: ReviewError.self) { _ = try fixture.backend.run(.rerunFlagged, progress: { _, _ in }) }
        #expect(error?.message.hasPrefix("rerun: no face is flagged for a rerun in ") == true, "\(String(describing: error))")
    }

    @Test func exportWritesTheReportFile() throws {
        let fixture = try EngineFixture("export")
        #expect(throws: ReviewError("x (export) needs the evidence: wait until the status bar says evidence ready")) {
            _ = try fixture.backend.run(.export, progress: { _, _ in })
        }
        _ = try fixture.computeEvidence()
        _ = try fixture.backend.record(.verdict(.labelWrong), for: "4")
        let summary = try fixture.backend.run(.export, progress: { _, _ in })
        let url = try #require(fixture.backend.session.reportExport?.destination)
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

/// Issue 16: one job runner: every job the app starts can be cancelled (^X).
@Suite struct JobCancellationTests {
    /// Cancels `job` from inside its own progress report, so the test does not race it.
    static func runCancelling(_ job: ReviewJob, on backend: EngineReviewBackend) -> ReviewError? {
        do {
            _ = try backend.run(job, progress: { _, _ in _ = backend.cancel(job) })
            return nil
        } catch {
            return error
        }
    }

    @Test func evidenceAndExportStopWhenCancelled() throws {
        let fixture = try EngineFixture("cancel")
        #expect(
            Self.runCancelling(.evidence, on: fixture.backend)?.message
                == "evidence: cancelled; the queue stays as it was (start the app again to rank it)")
        _ = try fixture.computeEvidence()
        #expect(Self.runCancelling(.export, on: fixture.backend)?.message == "export: cancelled; nothing was written")
        #expect(!FileManager.default.fileExists(atPath: try #require(fixture.backend.session.reportExport).destination.path))
        #expect(fixture.backend.cancel(.export) == false, "nothing is running any more")
    }

    @Test func controlXAsksEveryRunningJobToStop() throws {
        let fixture = try EngineFixture("cancel-key")
        let controller = ReviewController(backend: fixture.backend, rows: 40, columns: 120, colorModeName: "truecolor")
        controller.reloadQueue()
        _ = controller.handle(.control("x"))
        #expect(controller.state.message?.text == "no job is running")
        controller.jobLauncher = { _ in }  // the job "runs" elsewhere: the controller only tracks it
        _ = controller.start(.export)
        #expect(ReviewScreen.render(controller).text.contains("^X cancels"))
        _ = controller.handle(.control("x"))
        #expect(controller.state.message?.text == "the running job cannot be stopped", "the backend is not running it")
    }
}
