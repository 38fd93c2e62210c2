import Foundation
import LabelAuditCore
import LabelAuditStore
import Testing

@testable import LabelAuditEngine

/// Issue 15, the engine's part: no training set is too small to trap; a model that cannot be
/// fitted is missing evidence with its reason; a rerun that would fit on nothing says so.
@Suite struct TinySetTests {
    func engine(train labels: [UInt8], in folder: URL) throws -> EvidenceEngine {
        var text = "id,v1,v2,glasses\n"
        for (k, label) in labels.enumerated() { text += "\(k + 1),\(Double(k) / 3),\(Double(k % 2)),\(label)\n" }
        try text.write(to: folder.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        return EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("cache.sqlite")),
            options: EvidenceOptions(neighbourCount: 3))
    }

    @Test(arguments: [[UInt8(1)], [0], [1, 1, 1], [0, 0, 0, 0, 0]])
    func evidenceOnATinyOrOneLabelSetNamesTheMissingModel(labels: [UInt8]) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let evidence = try engine(train: labels, in: folder).evidence()
        let reason = try #require(OutOfFold.unfittableReason(labels: labels))
        #expect(evidence.runs.isEmpty)
        #expect(evidence.missing == [MissingEvidence(name: "latent", reason: "cannot be fitted: \(reason)")])
        #expect(
            evidence.warnings == [
                "latent model: no evidence from it, the queue is ranked without it (cannot be fitted: \(reason))"
            ])
        #expect(evidence.ranking.count == labels.count)
        #expect(evidence.ranking.allSatisfy { $0.score.isFinite })
    }

    @Test func twoRowsOfBothLabelsAreFitted() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let evidence = try engine(train: [1, 0], in: folder).evidence()
        #expect(evidence.runs.map(\.name) == ["latent"])
        #expect(evidence.missing.isEmpty)
    }

    @Test func aRerunWhoseCorrectionsLeaveOneRowSaysSoAndStoresNothing() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let engine = try engine(train: [1, 0, 1], in: folder)
        let store = try AuditStore.open(at: folder.appendingPathComponent("audit.sqlite"), testIDs: [])
        try store.record(verdict: .badImage, item: "2", reviewer: "ana")
        try store.record(verdict: .badImage, item: "3", reviewer: "ana")
        try store.setFlag(true, item: "1", reviewer: "ana")
        _ = try engine.evidence()  // the current evidence, as a rerun computes it first
        let runsBefore = try engine.allRuns().count
        #expect(
            throws: RerunError.cannotFit(
                model: "latent", reason: "training rows: only 1, and out-of-fold predictions need at least 2, with both labels",
                dropped: 2, flipped: 0)
        ) {
            try Rerun.run(engine: engine, store: store, options: RerunOptions(models: [.latent]))
        }
        #expect(try engine.allRuns().count == runsBefore)
        #expect(try store.eventCount() == 3)
    }
}

@Suite struct ExternalModelLeftovers {
    /// A shell script as the model command (no Python needed).
    func shell(_ body: String, in folder: URL) throws -> [String] {
        let url = folder.appendingPathComponent("model.sh")
        try body.write(to: url, atomically: true, encoding: .utf8)
        return ["/bin/sh", url.path]
    }

    static let answerAll = """
        while IFS= read -r line; do
          id=$(printf '%s' "$line" | sed 's/.*"id":"\\([^"]*\\)".*/\\1/')
          printf '{"id":"%s","p":0.5}\\n' "$id"
        done
        """

    @Test func aBackgroundChildHoldingStdoutDoesNotHoldTheRun() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let words = try shell(Self.answerAll + "\nsleep 30 &\nexit 0\n", in: folder)
        let started = Date()
        let outcome = ExternalModel.run(
            arguments: words, inputs: threeInputs, logURL: folder.appendingPathComponent("models.log"),
            options: ExternalModelOptions(timeout: 25, itemTimeout: 25))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(outcome.failure == nil)
        #expect(outcome.exitStatus == 0)
        #expect(outcome.probabilities == ["1": 0.5, "2": 0.5, "3": 0.5])
    }

    @Test func aBackgroundChildHoldingStdinAndStdoutAfterAnEarlyExitFailsTheRunAtOnce() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Answers one id, leaves a child that neither reads nor writes, exits.
        let words = try shell("read -r line\nprintf '{\"id\":\"1\",\"p\":0.5}\\n'\nsleep 30 &\nexit 0\n", in: folder)
        let many = (1...20_000).map { ExternalModelInput(id: String($0), image: nil, label: 1) }
        let started = Date()
        let outcome = ExternalModel.run(
            arguments: words, inputs: many, logURL: folder.appendingPathComponent("models.log"),
            options: ExternalModelOptions(timeout: 25, itemTimeout: 25))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(outcome.failure == "the model answered 1 of 20000 ids; missing e.g. '2'")
    }

    @Test func theLogKeepsAtMostFourMegabytesARunAndRotatesPastEight() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("models.log")
        // A chatty model: 6 MB on stderr.
        let words = try shell(Self.answerAll + "\nhead -c 6000000 /dev/zero | tr '\\0' 'e' >&2\n", in: folder)
        let outcome = ExternalModel.run(arguments: words, inputs: threeInputs, logURL: log)
        #expect(outcome.failure == nil)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int)
        #expect(size < (4 << 20) + 4_096)
        let tail = String(decoding: try Data(contentsOf: log).suffix(200), as: UTF8.self)
        #expect(
            tail.contains(
                "[labelaudit: \(6_000_000 - (4 << 20)) more bytes of this run's stderr were not kept; the log keeps 4194304 bytes a run]"
            ))
        // Past 8 MB the log moves to models.log.1 before the next run.
        try Data(repeating: 0x41, count: (8 << 20) + 1).write(to: log)
        _ = ExternalModel.run(arguments: words, inputs: threeInputs, logURL: log)
        #expect(FileManager.default.fileExists(atPath: log.path + ".1"))
        let rotated = try #require(try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int)
        #expect(rotated < (4 << 20) + 4_096)
    }
}
