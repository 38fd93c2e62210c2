import Foundation
import LabelAuditCore
import LabelAuditStore
import Testing

@testable import LabelAuditEngine

/// A model command that echoes the labels it is sent (p 0.9 for 1, 0.1 for 0, 0.5 for a row
/// left out of training) and appends a line to `calls.txt` beside itself each time it runs, so
/// a test can tell a reused run from one run again.
struct EchoModel {
    let script: URL
    var calls: URL { script.deletingLastPathComponent().appendingPathComponent("calls.txt") }
    var command: String { "python3 '\(script.path)'" }

    init(in folder: URL) throws {
        script = folder.appendingPathComponent("echo model.py")
        try """
        import json, os, sys
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "calls.txt"), "a") as f:
            f.write("run\\n")
        for line in sys.stdin:
            row = json.loads(line)
            p = {1: 0.9, 0: 0.1}.get(row["label"], 0.5)
            print(json.dumps({"id": row["id"], "p": p}), flush=True)
        """.write(to: script, atomically: true, encoding: .utf8)
    }

    func callCount() -> Int {
        ((try? String(contentsOf: calls, encoding: .utf8)) ?? "").split(separator: "\n").count
    }
}

@Suite struct RerunCommandTests {
    @Test func aCommandGetsABaselineOnTheProvidedLabelsThenTheRerun() throws {
        let fixture = try RerunFixture(images: true, train: 120)
        try fixture.review([("3", .labelWrong, "ann"), ("5", .badImage, "ann"), ("7", .labelOK, "ann")], flags: ["3", "5", "7"])
        let store = try fixture.readOnlyStore()
        let model = try EchoModel(in: fixture.folder)
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(models: [.command(model.command)]))
        #expect(model.callCount() == 2)
        #expect(result.failure == nil)
        let command = try #require(result.models.first)
        let baseline = try #require(command.parent)
        #expect(baseline.name == "command" && baseline.source == .command)
        #expect(baseline.parentRunID == nil && baseline.auditEventID == nil)
        #expect(baseline.parameters["labels"] == "provided (baseline)")
        #expect(command.baselineReused == false && !command.reused)
        #expect(command.run.name == "command-rerun" && command.run.parentRunID == baseline.id)
        #expect(command.run.auditEventID == result.corrections.auditEventID && command.run.auditEventID != nil)
        #expect(command.run.parameters["command"] == model.command)
        #expect(command.run.parameters["flipped"] == "1" && command.run.parameters["dropped"] == "1")
        #expect(result.logURL == fixture.folder.appendingPathComponent("labelaudit-cache-models.log"))
        // The baseline learnt the provided labels, the rerun the corrected ones.
        let labels = fixture.dataset.labels
        #expect(baseline.probabilities["3"] == (labels[2] == 1 ? 0.9 : 0.1))
        #expect(command.run.probabilities["3"] == (labels[2] == 1 ? 0.1 : 0.9))
        #expect(command.run.probabilities["5"] == 0.5)  // left out: sent with a null label
        let comparison = try #require(command.comparison)
        #expect(comparison.confirmedErrors == 1 && comparison.stillWrongBefore == 1 && comparison.stillWrongAfter == 0)
        #expect(comparison.decidedFaces == 2 && comparison.agreeBefore == 1 && comparison.agreeAfter == 2)
        #expect(!comparison.outOfFold)
        #expect(comparison.providedBefore?.accuracy == 1)
        #expect(comparison.correctedAfter.accuracy == 1 && comparison.correctedAfter.rows == 119)
        let face3 = try #require(result.rows.first { $0.id == "3" }?.models.first)
        #expect(face3.agreementBefore == .disagrees && face3.agreementAfter == .agrees)
        // The queue before holds the baseline, the queue after the rerun in its place.
        #expect(result.evidenceBefore.runs.map(\.name) == ["latent", "command"])
        #expect(result.evidenceAfter.runs.map(\.name) == ["latent", "command-rerun"])
    }

    @Test func theBaselineIsReusedForTheSameCommandAndInputsAndRunAgainWhenTheyChange() throws {
        let fixture = try RerunFixture(images: true, train: 80)
        try fixture.review([("3", .labelWrong, "ann")], flags: ["3"])
        let model = try EchoModel(in: fixture.folder)
        let options = RerunOptions(models: [.command(model.command)])
        func rerun(_ engine: EvidenceEngine) throws -> ModelRerun {
            let store = try fixture.readOnlyStore()
            defer { try? store.close() }
            let result = try Rerun.run(engine: engine, store: store, options: options)
            return try #require(result.models.first)
        }
        let first = try rerun(fixture.engine)
        #expect(model.callCount() == 2)

        // Same command, same files, same labels: nothing runs.
        let same = try rerun(fixture.engine)
        #expect(model.callCount() == 2)
        #expect(same.baselineReused == true && same.reused)
        #expect(same.parent?.id == first.parent?.id && same.run.id == first.run.id)

        // A new verdict: the baseline stays, the rerun runs on the new corrections.
        try fixture.review([("17", .labelWrong, "ann")], flags: [])
        let newVerdict = try rerun(fixture.engine)
        #expect(model.callCount() == 3)
        #expect(newVerdict.baselineReused == true && !newVerdict.reused)
        #expect(newVerdict.parent?.id == first.parent?.id)

        // An image file changed: a new baseline.
        try Data(repeating: 7, count: 999).write(to: fixture.folder.appendingPathComponent("images/face-9.jpg"))
        let (_, imageChanged) = try fixture.reloaded()
        let afterImage = try rerun(imageChanged)
        #expect(model.callCount() == 5)
        #expect(afterImage.baselineReused == false)
        #expect(afterImage.parent?.id != first.parent?.id)

        // The script changed: a new baseline.
        try (String(contentsOf: model.script, encoding: .utf8) + "# a new version\n").write(
            to: model.script, atomically: true, encoding: .utf8)
        let afterScript = try rerun(imageChanged)
        #expect(model.callCount() == 7)
        #expect(afterScript.baselineReused == false && afterScript.parent?.id != afterImage.parent?.id)

        // A provided label changed in train.csv: a new baseline, trained on it.
        let trainURL = fixture.folder.appendingPathComponent("train.csv")
        var lines = try String(contentsOf: trainURL, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        let oldLabel = try #require(lines[30].last)
        lines[30] = String(lines[30].dropLast()) + (oldLabel == "1" ? "0" : "1")  // id 30
        try lines.joined(separator: "\n").write(to: trainURL, atomically: true, encoding: .utf8)
        let (relabelled, labelChanged) = try fixture.reloaded()
        let afterLabels = try rerun(labelChanged)
        #expect(model.callCount() == 9)
        #expect(afterLabels.baselineReused == false && afterLabels.parent?.id != afterScript.parent?.id)
        #expect(afterLabels.parent?.probabilities["30"] == (relabelled.labels[29] == 1 ? 0.9 : 0.1))
        #expect(relabelled.labels[29] != fixture.dataset.labels[29])
    }

    @Test func theExampleCommandRunsAsAModel() throws {
        let fixture = try RerunFixture(images: true, train: 120)
        try fixture.review([("3", .labelWrong, "ann"), ("5", .badImage, "ann")], flags: ["3", "5"])
        let store = try fixture.readOnlyStore()
        let command = "python3 '\(packageRoot.appendingPathComponent("Examples/filesize_model.py").path)'"
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(models: [.command(command)]))
        #expect(result.failure == nil)
        let model = result.models[0]
        #expect(model.run.probabilities.count == 120 && model.parent?.probabilities.count == 120)
        #expect(result.rows.allSatisfy { $0.models[0].before != nil && $0.models[0].after != nil })
    }

    @Test func aFailingBaselineIsStoredAsFailedAndChangesNoAuditData() throws {
        let fixture = try RerunFixture(train: 60)
        try fixture.review([("3", .labelWrong, "ann")], flags: ["3"])
        let bytes = try fixture.auditBytes()
        let store = try fixture.readOnlyStore()
        let events = try store.eventCount()
        let script = fixture.folder.appendingPathComponent("bad.py")
        try """
        import sys
        print('{"id": "1", "p": 0.9}')
        print('{"id": "2", "p": 7}')
        """.write(to: script, atomically: true, encoding: .utf8)
        let result = try Rerun.run(
            engine: fixture.engine, store: store, options: RerunOptions(models: [.command("python3 \(script.path)")]))
        let failure = "baseline on the provided labels: output line 2: p for id '2' is 7.0, outside [0, 1]"
        #expect(result.failure == failure)
        #expect(result.summaryLine == "rerun command failed: \(failure)")
        let model = result.models[0]
        #expect(model.parent == nil && model.comparison == nil)
        #expect(model.run.id != nil && model.run.name == "command")
        #expect(model.run.probabilities == ["1": 0.9])
        #expect(result.rows.first?.models.first?.after == nil)
        #expect(result.rows.first?.after == result.rows.first?.before)
        let stored = try #require(try fixture.engine.allRuns().first { $0.id == model.run.id })
        #expect(stored.failure == failure)
        #expect(stored.probabilities == ["1": 0.9])
        #expect(try fixture.engine.allRuns().filter { $0.name.hasPrefix("command") }.count == 1)  // no rerun after it
        #expect(try store.eventCount() == events)
        try store.close()
        #expect(try fixture.auditBytes() == bytes)
    }

    @Test func aBackgroundCommandRerunCanBeCancelled() throws {
        let fixture = try RerunFixture(train: 60)
        try fixture.review([], flags: ["3"])
        let store = try fixture.readOnlyStore()
        let script = fixture.folder.appendingPathComponent("slow.py")
        try "import time\ntime.sleep(60)\n".write(to: script, atomically: true, encoding: .utf8)
        let outcome = RerunResultBox()
        let commandStarted = AnsweredFlag()
        let job = Rerun.start(
            engine: fixture.engine, store: store,
            options: RerunOptions(
                models: [.command("python3 \(script.path)")],
                external: ExternalModelOptions(killGrace: 0.5)),
            progress: { if $0.message.hasPrefix("rerun: starting") { commandStarted.set() } },
            completion: { outcome.set($0) })
        while !commandStarted.isSet && !job.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.3)
        let started = Date()
        job.cancel()
        job.wait()
        #expect(Date().timeIntervalSince(started) < 10)
        guard case .failure(let error)? = outcome.value else {
            Issue.record("expected a cancellation")
            return
        }
        #expect(error == .cancelled)
        let last = try #require(try fixture.engine.allRuns().last)
        #expect(last.name == "command" && last.failure?.hasPrefix("cancelled") == true)
        // A cancelled baseline is never reused: the next run starts it again.
        #expect(try fixture.engine.cache.latestRun(name: "command", inputKey: last.inputKey) == nil)
    }
}
