import Foundation
import Testing
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore
@testable import LabelAuditEngine

/// A dataset with flipped labels, its engine, and an audit store with the given verdicts.
struct RerunFixture {
    let folder: URL
    let dataset: Dataset
    let engine: EvidenceEngine
    let auditURL: URL

    static let flipped: Set<Int> = [3, 17, 40, 77, 120, 151, 199, 230]

    init(name: String = #function, images: Bool = false, imageModel: Bool = false, train: Int = 300) throws {
        folder = try temporaryFolder(name)
        try writeDataset(in: folder, train: train, test: 20, dim: 16, flipped: RerunFixture.flipped)
        var decoder: ImageDecoder? = nil
        if images {
            let imageFolder = folder.appendingPathComponent("images")
            try FileManager.default.createDirectory(at: imageFolder, withIntermediateDirectories: true)
            let labels = try DatasetLoader.load(DatasetOptions(root: folder)).labels
            for id in 1 ... train + 20 {
                // The picture shows the truth: the given label, unflipped.
                let truth = id <= train ? (RerunFixture.flipped.contains(id) ? 1 - labels[id - 1] : labels[id - 1]) == 1 : id % 2 == 0
                try RawImageFile.write(paintFace(size: 64, glasses: truth, shade: UInt8(150 + id % 60), jitter: id % 3 - 1),
                                       to: imageFolder.appendingPathComponent("face-\(id).jpg"))
            }
            if imageModel { decoder = { try RawImageFile.read($0) } }
        }
        dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        engine = EvidenceEngine(dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("labelaudit-cache.sqlite")),
                                // A coarse grid keeps the debug-build image model fast (56 features).
                                options: EvidenceOptions(neighbourCount: 5, decoder: decoder,
                                                         imageFeatures: HOGFeatures(cellsAcross: 4, cellsDown: 2, bins: 4)))
        auditURL = folder.appendingPathComponent("labelaudit.sqlite")
    }

    var testIDs: Set<String> { Set(dataset.ids[dataset.trainCount...]) }

    /// Writes verdicts and flags, then closes the store so its file holds everything.
    func review(_ verdicts: [(String, Verdict, String)], flags: [String]) throws {
        let store = try AuditStore.open(at: auditURL, testIDs: testIDs)
        for (id, verdict, reviewer) in verdicts { try store.record(verdict: verdict, item: id, reviewer: reviewer) }
        if !flags.isEmpty { try store.setFlag(true, items: flags, reviewer: "ann") }
        try store.close()
    }

    func readOnlyStore() throws -> AuditStore {
        try AuditStore.open(at: auditURL, testIDs: testIDs, readOnly: true)
    }

    func auditBytes() throws -> Data { try Data(contentsOf: auditURL) }
}

@Suite struct CorrectionsTests {
    @Test func consensusVerdictsBecomeTrainingLabels() throws {
        let fixture = try RerunFixture(train: 60)
        let dataset = fixture.dataset
        try fixture.review([("3", .labelWrong, "ann"), ("5", .badImage, "ann"), ("5", .badImage, "bob"), ("7", .unsure, "ann"),
                            ("9", .labelWrong, "ann"), ("9", .labelOK, "bob"), ("11", .labelOK, "ann"), ("9999", .labelWrong, "ann")],
                           flags: [])
        let items = try fixture.readOnlyStore().consensus()
        #expect(items.count == 6)
        let keep = Corrections.from(dataset: dataset, consensus: items, unsure: .keep, auditEventID: "E")
        #expect(keep.flipped == ["3"])
        #expect(keep.dropped == ["5"])
        #expect(keep.unsure == ["7"])
        #expect(keep.conflicts == ["9"])
        #expect(keep.auditEventID == "E")
        #expect(keep.labels[2] == 1 - dataset.labels[2])
        #expect(keep.labels[8] == dataset.labels[8])
        #expect(Array(keep.labels[...1]) == Array(dataset.labels[...1]))
        #expect(keep.trainRows == (0 ..< 60).filter { $0 != 4 })
        let drop = Corrections.from(dataset: dataset, consensus: items, unsure: .drop, auditEventID: "E")
        #expect(drop.dropped == ["5", "7", "9"])
        #expect(drop.trainRows == (0 ..< 60).filter { ![4, 6, 8].contains($0) })
        #expect(drop.labels == keep.labels)
    }
}

@Suite struct RerunTests {
    @Test func latentRerunAppliesCorrectionsLinksTheRunAndLeavesTheAuditFileAlone() throws {
        let fixture = try RerunFixture()
        let confirmed = ["3", "17", "40", "77", "120"]
        try fixture.review(confirmed.map { ($0, .labelWrong, "ann") } + [("5", .badImage, "ann"), ("8", .unsure, "ann"),
                            ("9", .labelWrong, "ann"), ("9", .labelOK, "bob")],
                           flags: confirmed + ["5", "8", "9"])
        let bytes = try fixture.auditBytes()
        let store = try fixture.readOnlyStore()
        let events = try store.eventCount()
        let lastEvent = try #require(try store.lastEventID())
        let stages = StageLog()
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(selection: .flagged, model: .latent),
                                   progress: { stages.add($0.fraction) })
        let parent = try #require(result.parent)
        #expect(parent.name == "latent")
        #expect(result.run.name == "latent-rerun")
        #expect(result.run.id != nil && result.run.id != parent.id)
        #expect(result.run.parentRunID == parent.id)
        #expect(result.run.auditEventID == lastEvent.uuidString)
        #expect(result.run.outOfFold == true)
        #expect(result.run.folds.count == 299) // row 5 dropped: not trained on ...
        #expect(result.run.probabilities["5"] != nil) // ... but still predicted, held out
        #expect(result.corrections.flipped == confirmed)
        #expect(result.corrections.dropped == ["5"])
        #expect(result.corrections.conflicts == ["9"])
        #expect(result.rows.map(\.id) == ["3", "5", "8", "9", "17", "40", "77", "120"])
        let row5 = try #require(result.rows.first { $0.id == "5" })
        #expect(row5.trainedLabel == nil && row5.verdict == "bad_image")
        #expect(result.rows.first { $0.id == "9" }?.verdict == "conflict")
        #expect(result.rows.allSatisfy { $0.before != nil && $0.after != nil })
        #expect(result.confirmedErrors == 5)
        #expect(try #require(result.agreedAfter) >= (try #require(result.agreedBefore)))
        #expect(result.evidenceAfter.runs.map(\.name) == ["latent-rerun"])
        #expect(result.risen.allSatisfy { $0.rankAfter <= 50 && ($0.rankBefore ?? 51) > 50 })
        #expect(stages.values.last == 1)
        #expect(result.summaryLine == "rerun latent-rerun: confirmed errors agreed \(result.agreedBefore!) -> \(result.agreedAfter!) of 5; \(result.risen.count) new in the top 50; 8 face(s) compared")
        // Nothing in the audit data changed.
        #expect(try store.eventCount() == events)
        try store.close()
        #expect(try fixture.auditBytes() == bytes)
        // The cache lists the run with its links.
        let stored = try #require(try fixture.engine.allRuns().first { $0.id == result.run.id })
        #expect(stored.parentRunID == parent.id && stored.auditEventID == lastEvent.uuidString)
    }

    @Test func unsureDropLeavesUnsureRowsOutOfTraining() throws {
        let fixture = try RerunFixture()
        try fixture.review([("8", .unsure, "ann")], flags: ["8"])
        let store = try fixture.readOnlyStore()
        let keep = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(unsure: .keep))
        #expect(keep.run.folds.count == 300)
        #expect(keep.rows.first?.trainedLabel == fixture.dataset.labels[7])
        let drop = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(unsure: .drop))
        #expect(drop.run.folds.count == 299)
        #expect(drop.rows.first?.trainedLabel == nil)
        // Same corrections again: the cached run is reused, not retrained.
        let again = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(unsure: .drop))
        #expect(again.reused)
        #expect(again.run.id == drop.run.id)
        // By default the parent's full-fit C is kept (no inner search); --search-c searches again.
        let parentC = try #require(keep.parent?.parameters["C per fold, then full fit"]?.split(separator: ",").last)
        #expect(keep.run.parameters["inner folds"] == "0")
        #expect(keep.run.parameters["C per fold, then full fit"] == Array(repeating: String(parentC), count: 6).joined(separator: ","))
        let searched = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(unsure: .keep, searchRegularisation: true))
        #expect(searched.run.parameters["inner folds"] == "4")  // the other four outer folds
        #expect(searched.run.id != keep.run.id)
    }

    @Test func selectionErrorsNameTheProblem() throws {
        let fixture = try RerunFixture(train: 60)
        try fixture.review([("3", .labelWrong, "ann")], flags: [])
        let store = try fixture.readOnlyStore()
        #expect(throws: RerunError.nothingFlagged(database: fixture.auditURL.path)) {
            try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions())
        }
        #expect(throws: RerunError.nothingFlagged(database: "the audit database (there is none yet)")) {
            try Rerun.run(engine: fixture.engine, store: nil, options: RerunOptions())
        }
        #expect(throws: RerunError.unknownID("4242")) {
            try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["3", "4242"])))
        }
        #expect(throws: RerunError.testID("61")) {
            try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["61"])))
        }
        #expect(RerunError.testID("61").description == "61: a test row; test rows have no label to audit and are never hand-labelled")
        #expect(RerunError.nothingFlagged(database: "/d/labelaudit.sqlite").description
            == "no face is flagged for a rerun in /d/labelaudit.sqlite; flag faces with `labelaudit flag DATASET ID...` (or F in the review app), or pass --ids FILE")
        #expect(throws: RerunError.command(.shellOperator("|"))) {
            try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["3"]), model: .command("a | b")))
        }
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["3", "10"])))
        #expect(result.rows.map(\.id) == ["3", "10"])
        #expect(result.rows[0].trainedLabel == 1 - fixture.dataset.labels[2])
    }

    @Test func imageRerunRetrainsTheImageModel() throws {
        let fixture = try RerunFixture(images: true, imageModel: true, train: 160)
        let confirmed = ["3", "17", "40"]
        try fixture.review(confirmed.map { ($0, .labelWrong, "ann") }, flags: confirmed)
        let store = try fixture.readOnlyStore()
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(model: .image))
        let parent = try #require(result.parent)
        #expect(parent.name == "image" && parent.source == .image)
        #expect(result.run.name == "image-rerun" && result.run.source == .image)
        #expect(result.run.parentRunID == parent.id)
        #expect(result.agreedAfter == 3) // the pictures show the truth
        #expect(result.evidenceAfter.runs.map(\.name) == ["latent", "image-rerun"])
    }

    @Test func theExampleCommandRunsAsAModel() throws {
        let fixture = try RerunFixture(images: true, train: 120)
        try fixture.review([("3", .labelWrong, "ann"), ("5", .badImage, "ann")], flags: ["3", "5"])
        let store = try fixture.readOnlyStore()
        let command = "python3 '\(packageRoot.appendingPathComponent("Examples/filesize_model.py").path)'"
        let first = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(model: .command(command)))
        #expect(first.failure == nil)
        #expect(first.parent == nil)
        #expect(first.run.source == .command && first.run.name == "command")
        #expect(first.run.probabilities.count == 120)
        #expect(first.run.parameters["command"] == command)
        #expect(first.logURL == fixture.folder.appendingPathComponent("labelaudit-cache-models.log"))
        #expect(first.rows.allSatisfy { $0.after?.p != nil && $0.before?.p == nil })
        let second = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(model: .command(command)))
        #expect(second.parent?.id == first.run.id)
        #expect(second.run.parentRunID == first.run.id)
        #expect(second.rows.allSatisfy { $0.after?.p == $0.before?.p }) // deterministic toy model
    }

    @Test func aFailingCommandIsStoredAsFailedAndChangesNoAuditData() throws {
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
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(model: .command("python3 \(script.path)")))
        #expect(result.failure == "output line 2: p for id '2' is 7.0, outside [0, 1]")
        #expect(result.summaryLine == "rerun command failed: output line 2: p for id '2' is 7.0, outside [0, 1]")
        #expect(result.run.id != nil)
        #expect(result.run.probabilities == ["1": 0.9])
        #expect(result.agreedAfter == nil)
        #expect(result.rows.first?.after == result.rows.first?.before)
        let stored = try #require(try fixture.engine.allRuns().first { $0.id == result.run.id })
        #expect(stored.failure == result.failure)
        #expect(stored.probabilities == ["1": 0.9])
        #expect(try store.eventCount() == events)
        try store.close()
        #expect(try fixture.auditBytes() == bytes)
    }

    @Test func aBackgroundRerunCanBeCancelled() throws {
        let fixture = try RerunFixture(train: 60)
        try fixture.review([], flags: ["3"])
        let store = try fixture.readOnlyStore()
        let script = fixture.folder.appendingPathComponent("slow.py")
        try "import time\ntime.sleep(60)\n".write(to: script, atomically: true, encoding: .utf8)
        let outcome = RerunResultBox()
        let commandStarted = AnsweredFlag()
        let job = Rerun.start(engine: fixture.engine, store: store,
                              options: RerunOptions(model: .command("python3 \(script.path)"),
                                                    external: ExternalModelOptions(killGrace: 0.5)),
                              progress: { if $0.message.hasPrefix("rerun: starting") { commandStarted.set() } },
                              completion: { outcome.set($0) })
        while !commandStarted.isSet && !job.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.3)
        let started = Date()
        job.cancel()
        job.wait()
        #expect(Date().timeIntervalSince(started) < 10)
        guard case .failure(let error)? = outcome.value else { Issue.record("expected a cancellation"); return }
        #expect(error == .cancelled)
        #expect(try fixture.engine.allRuns().last?.failure?.hasPrefix("cancelled") == true)
    }

    @Test func fastFileStampsAgreeWithFoundationsSoWarmCachesStayWarm() throws {
        let folder = try temporaryFolder()
        var paths = [packageRoot.appendingPathComponent("Package.swift").path]
        for i in 0 ..< 50 {
            let url = folder.appendingPathComponent("f\(i).bin")
            try Data(repeating: UInt8(i), count: i * 37).write(to: url)
            paths.append(url.path)
        }
        let demo = packageRoot.appendingPathComponent("Assets/demo/images")
        paths += (try? FileManager.default.contentsOfDirectory(atPath: demo.path).prefix(200).map { demo.appendingPathComponent($0).path }) ?? []
        for path in paths {
            let fast = try #require(FileStamp(path: path))
            #expect(fast == FileStamp.viaFileManager(path: path))
        }
        #expect(FileStamp(path: folder.appendingPathComponent("missing").path) == nil)
        #expect(FileStamp(path: folder.path) == FileStamp.viaFileManager(path: folder.path))
    }

    @Test func settingsFileHoldsTheModelCommand() throws {
        let folder = try temporaryFolder()
        #expect(try RerunSettings.load(datasetRoot: folder) == nil)
        let url = folder.appendingPathComponent("labelaudit.json")
        try #"{"modelCommand": "python3 predict.py --weights 'my w.pt'", "itemTimeout": 5, "theme": "dark"}"#
            .write(to: url, atomically: true, encoding: .utf8)
        #expect(try RerunSettings.load(datasetRoot: folder) == RerunSettings(modelCommand: "python3 predict.py --weights 'my w.pt'", itemTimeout: 5))
        try "[1, 2]".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: RerunSettings.LoadError.self) { try RerunSettings.load(datasetRoot: folder) }
        do {
            _ = try RerunSettings.load(datasetRoot: folder)
        } catch {
            #expect(error.description.hasPrefix("\(url.path): is not a JSON object like {\"modelCommand\": \"python3 predict.py\"} ("))
        }
    }

    @Test func runDiffCountsCrossingsAndSortsByChange() throws {
        let fixture = try RerunFixture(train: 60)
        let dataset = fixture.dataset
        let a = ModelRun(id: 1, name: "a", source: .latent, metrics: nil, outOfFold: true,
                         probabilities: ["1": 0.2, "2": 0.6, "3": 0.5, "4": 0.9], datasetFingerprint: "f", inputKey: "k")
        let b = ModelRun(id: 2, name: "b", source: .latent, metrics: nil, outOfFold: true,
                         probabilities: ["1": 0.7, "2": 0.4, "3": 0.5, "5": 0.1], datasetFingerprint: "f", inputKey: "k")
        let diff = RunDiff(from: a, to: b, dataset: dataset)
        #expect(diff.changes.map(\.id) == ["1", "2", "3"])
        #expect(diff.crossedUp == 1 && diff.crossedDown == 1)
        #expect(diff.onlyBefore == 1 && diff.onlyAfter == 1)
        #expect(abs(diff.meanAbsoluteChange - 0.7 / 3) < 1e-12)
        #expect(diff.changes[0].label == dataset.labels[0])
    }
}

final class StageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Double] = []
    func add(_ value: Double) { lock.lock(); stored.append(value); lock.unlock() }
    var values: [Double] { lock.lock(); defer { lock.unlock() }; return stored }
}

final class RerunResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<RerunResult, RerunError>?
    func set(_ value: Result<RerunResult, RerunError>) { lock.lock(); stored = value; lock.unlock() }
    var value: Result<RerunResult, RerunError>? { lock.lock(); defer { lock.unlock() }; return stored }
}
