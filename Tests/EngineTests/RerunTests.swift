import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore
import Testing

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
            for id in 1...train + 20 {
                // The picture shows the truth: the given label, unflipped.
                let truth =
                    id <= train ? (RerunFixture.flipped.contains(id) ? 1 - labels[id - 1] : labels[id - 1]) == 1 : id % 2 == 0
                try RawImageFile.write(
                    paintFace(size: 64, glasses: truth, shade: UInt8(150 + id % 60), jitter: id % 3 - 1),
                    to: imageFolder.appendingPathComponent("face-\(id).jpg"))
            }
            if imageModel { decoder = { try RawImageFile.read($0) } }
        }
        dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("labelaudit-cache.sqlite")),
            // A coarse grid keeps the debug-build image model fast (56 features).
            options: EvidenceOptions(
                neighbourCount: 5, decoder: decoder,
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

    /// The dataset and an engine read again from the files (after a test changed one), on the same cache.
    func reloaded() throws -> (Dataset, EvidenceEngine) {
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("labelaudit-cache.sqlite")),
            options: self.engine.options)
        return (dataset, engine)
    }
}

@Suite struct CorrectionsTests {
    @Test func consensusVerdictsBecomeTrainingLabels() throws {
        let fixture = try RerunFixture(train: 60)
        let dataset = fixture.dataset
        try fixture.review(
            [
                ("3", .labelWrong, "ann"), ("5", .badImage, "ann"), ("5", .badImage, "bob"), ("7", .unsure, "ann"),
                ("9", .labelWrong, "ann"), ("9", .labelOK, "bob"), ("11", .labelOK, "ann"), ("9999", .labelWrong, "ann"),
            ],
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
        #expect(keep.trainRows == (0..<60).filter { $0 != 4 })
        let drop = Corrections.from(dataset: dataset, consensus: items, unsure: .drop, auditEventID: "E")
        #expect(drop.dropped == ["5", "7", "9"])
        #expect(drop.trainRows == (0..<60).filter { ![4, 6, 8].contains($0) })
        #expect(drop.labels == keep.labels)
    }
}

@Suite struct RerunTests {
    @Test func latentRerunAppliesCorrectionsLinksTheRunAndLeavesTheAuditFileAlone() throws {
        let fixture = try RerunFixture()
        let confirmed = ["3", "17", "40", "77", "120"]
        try fixture.review(
            confirmed.map { ($0, .labelWrong, "ann") } + [
                ("5", .badImage, "ann"), ("8", .unsure, "ann"),
                ("9", .labelWrong, "ann"), ("9", .labelOK, "bob"),
            ],
            flags: confirmed + ["5", "8", "9"])
        let bytes = try fixture.auditBytes()
        let store = try fixture.readOnlyStore()
        let events = try store.eventCount()
        let lastEvent = try #require(try store.lastEventID())
        let stages = StageLog()
        let result = try Rerun.run(
            engine: fixture.engine, store: store, options: RerunOptions(selection: .flagged, models: [.latent]),
            progress: { stages.add($0.fraction) })
        let model = try #require(result.models.first)
        #expect(result.models.count == 1)
        let parent = try #require(model.parent)
        #expect(parent.name == "latent")
        #expect(model.run.name == "latent-rerun")
        #expect(model.run.id != nil && model.run.id != parent.id)
        #expect(model.run.parentRunID == parent.id)
        #expect(model.run.auditEventID == lastEvent.uuidString)
        #expect(model.run.outOfFold == true)
        #expect(model.run.folds.count == 299)  // row 5 dropped: not trained on ...
        #expect(model.run.probabilities["5"] != nil)  // ... but still predicted, held out
        #expect(result.corrections.flipped == confirmed)
        #expect(result.corrections.dropped == ["5"])
        #expect(result.corrections.conflicts == ["9"])
        #expect(result.rows.map(\.id) == ["3", "5", "8", "9", "17", "40", "77", "120"])
        let row5 = try #require(result.rows.first { $0.id == "5" })
        #expect(row5.trainedLabel == nil && row5.verdict == .badImage)
        #expect(result.rows.first { $0.id == "9" }?.verdict == .conflict)
        #expect(result.rows.allSatisfy { $0.before != nil && $0.after != nil && $0.models.count == 1 })
        let comparison = try #require(model.comparison)
        #expect(comparison.confirmedErrors == 5)
        #expect(comparison.decidedFaces == 5)  // the five label_wrong faces; 5, 8 and 9 decide nothing
        #expect(comparison.outOfFold)
        #expect(comparison.providedAfter.rows == 300 && comparison.correctedAfter.rows == 299)
        #expect(result.notes == [RerunResult.latentNote])
        #expect(result.evidenceAfter.runs.map(\.name) == ["latent-rerun"])
        #expect(result.risen.allSatisfy { $0.rankAfter <= 50 && ($0.rankBefore ?? 51) > 50 })
        #expect(stages.values.last == 1)
        // The audit state the run used is stored with it.
        let stored = try #require(try fixture.engine.allRuns().first { $0.id == model.run.id })
        #expect(stored.parentRunID == parent.id && stored.auditEventID == lastEvent.uuidString)
        #expect(
            stored.parameters["corrections"] == "6" && stored.parameters["flipped"] == "5" && stored.parameters["dropped"] == "1")
        #expect(stored.parameters["conflicts"] == "1" && stored.parameters["unsure"] == "1")
        // Nothing in the audit data changed.
        #expect(try store.eventCount() == events)
        try store.close()
        #expect(try fixture.auditBytes() == bytes)
    }

    @Test func unsureDropLeavesUnsureRowsOutOfTraining() throws {
        let fixture = try RerunFixture()
        try fixture.review([("8", .unsure, "ann")], flags: ["8"])
        let store = try fixture.readOnlyStore()
        let keep = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(models: [.latent], unsure: .keep))
        #expect(keep.models[0].run.folds.count == 300)
        #expect(keep.rows.first?.trainedLabel == fixture.dataset.labels[7])
        let drop = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(models: [.latent], unsure: .drop))
        #expect(drop.models[0].run.folds.count == 299)
        #expect(drop.rows.first?.trainedLabel == nil)
        // Same corrections again: the cached run is reused, not retrained.
        let again = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(models: [.latent], unsure: .drop))
        #expect(again.models[0].reused)
        #expect(again.models[0].run.id == drop.models[0].run.id)
        // By default the parent's full-fit C is kept (no inner search); --search-c searches again.
        let parentC = try #require(keep.models[0].parent?.parameters["C per fold, then full fit"]?.split(separator: ",").last)
        #expect(keep.models[0].run.parameters["inner folds"] == "0")
        #expect(
            keep.models[0].run.parameters["C per fold, then full fit"]
                == Array(repeating: String(parentC), count: 6).joined(separator: ","))
        let searched = try Rerun.run(
            engine: fixture.engine, store: store,
            options: RerunOptions(models: [.latent], unsure: .keep, searchRegularisation: true))
        #expect(searched.models[0].run.parameters["inner folds"] == "4")  // the other four outer folds
        #expect(searched.models[0].run.id != keep.models[0].run.id)
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
        #expect(
            RerunError.testID("61").description == "61: a test row; test rows have no label to audit and are never hand-labelled")
        #expect(
            RerunError.nothingFlagged(database: "/d/labelaudit.sqlite").description
                == "no face is flagged for a rerun in /d/labelaudit.sqlite; flag faces with `labelaudit flag DATASET ID...` (or f in the review app), or pass --ids FILE"
        )
        #expect(throws: RerunError.command(.shellOperator("|"))) {
            try Rerun.run(
                engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["3"]), models: [.command("a | b")]))
        }
        // The default is the image model: without one (no decoder), the rerun says so, and with
        // no model at all it says what to do.
        #expect(throws: RerunError.noImageModel("no image decoder (--no-image?)")) {
            try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["3"])))
        }
        #expect(throws: RerunError.noPictureModel) {
            try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["3"]), models: []))
        }
        #expect(RerunModel.pictureModels(imageModel: false, command: nil).isEmpty)
        #expect(RerunModel.pictureModels(imageModel: true, command: "p") == [.image, .command("p")])
        let result = try Rerun.run(
            engine: fixture.engine, store: store, options: RerunOptions(selection: .ids(["3", "10"]), models: [.latent]))
        #expect(result.rows.map(\.id) == ["3", "10"])
        #expect(result.rows[0].trainedLabel == 1 - fixture.dataset.labels[2])
    }

    @Test func theDefaultRerunRetrainsTheImageModel() throws {
        let fixture = try RerunFixture(images: true, imageModel: true, train: 160)
        let confirmed = ["3", "17", "40"]
        try fixture.review(confirmed.map { ($0, .labelWrong, "ann") }, flags: confirmed)
        let store = try fixture.readOnlyStore()
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions())
        #expect(result.models.map(\.model) == [.image])
        let model = result.models[0]
        let parent = try #require(model.parent)
        #expect(parent.name == "image" && parent.source == .image)
        #expect(model.run.name == "image-rerun" && model.run.source == .image)
        #expect(model.run.parentRunID == parent.id)
        #expect(model.comparison?.stillWrongAfter == 0)  // the pictures show the truth
        #expect(model.comparison?.agreeAfter == 3 && model.comparison?.decidedFaces == 3)
        #expect(result.notes.isEmpty)
        #expect(result.evidenceAfter.runs.map(\.name) == ["latent", "image-rerun"])
        #expect(result.rows.allSatisfy { $0.models[0].agreementAfter == .agrees })
    }

    @Test func aBuiltInRerunCanBeCancelledAndStoresNothing() throws {
        let fixture = try RerunFixture()
        try fixture.review([("3", .labelWrong, "ann")], flags: ["3"])
        let store = try fixture.readOnlyStore()
        _ = try fixture.engine.evidence()  // the evidence is cached; the cancel lands in the retraining
        let job = BackgroundJob()
        let error = #expect(throws: RerunError.self) {
            try Rerun.run(
                engine: fixture.engine, store: store, options: RerunOptions(models: [.latent]),
                progress: { if $0.message.hasPrefix("rerun: latent model") { job.cancel() } },
                isCancelled: { job.isCancelled })
        }
        #expect(error == .cancelled)
        #expect(try fixture.engine.allRuns().map(\.name) == ["latent"])
    }

    @Test func fastFileStampsAgreeWithFoundationsSoWarmCachesStayWarm() throws {
        let folder = try temporaryFolder()
        var paths = [packageRoot.appendingPathComponent("Package.swift").path]
        for i in 0..<50 {
            let url = folder.appendingPathComponent("f\(i).bin")
            try Data(repeating: UInt8(i), count: i * 37).write(to: url)
            paths.append(url.path)
        }
        let demo = packageRoot.appendingPathComponent("Assets/demo/images")
        paths +=
            (try? FileManager.default.contentsOfDirectory(atPath: demo.path).prefix(200).map {
                demo.appendingPathComponent($0).path
            }) ?? []
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
        #expect(
            try RerunSettings.load(datasetRoot: folder)
                == RerunSettings(modelCommand: "python3 predict.py --weights 'my w.pt'", itemTimeout: 5))
        try "[1, 2]".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: RerunSettings.LoadError.self) { try RerunSettings.load(datasetRoot: folder) }
        do {
            _ = try RerunSettings.load(datasetRoot: folder)
        } catch {
            #expect(
                error.description.hasPrefix("\(url.path): is not a JSON object like {\"modelCommand\": \"python3 predict.py\"} (")
            )
        }
    }
}

@Suite struct RunDiffTests {
    @Test func countsCrossingsAgreementAndListsTheLargestChangesWithTheirIDs() throws {
        let fixture = try RerunFixture(train: 60)
        let dataset = fixture.dataset
        let a = ModelRun(
            id: 1, name: "a", source: .latent, metrics: nil, outOfFold: true,
            probabilities: ["1": 0.2, "2": 0.6, "3": 0.5, "4": 0.9, "61": 0.3], datasetFingerprint: "f", inputKey: "k")
        let b = ModelRun(
            id: 2, name: "b", source: .latent, metrics: nil, outOfFold: true,
            probabilities: ["1": 0.7, "2": 0.4, "3": 0.5, "5": 0.1, "61": 0.4], datasetFingerprint: "f", inputKey: "k")
        let diff = RunDiff(from: a, to: b, dataset: dataset)
        #expect(diff.changes.map(\.id) == ["1", "2", "61", "3"])
        #expect(diff.changes.map(\.crossed) == [true, true, false, false])
        #expect(diff.crossedUp == 1 && diff.crossedDown == 1)
        #expect(diff.onlyBefore == 1 && diff.onlyAfter == 1)
        #expect(abs(diff.meanAbsoluteChange - 0.8 / 4) < 1e-12)
        #expect(diff.changes[0].label == dataset.labels[0])
        #expect(diff.changes[2].label == nil)  // a test row
        let agree = { (p: Double, row: Int) in (p >= 0.5) == (dataset.labels[row] == 1) ? 1 : 0 }
        #expect(diff.labelled == 3)
        #expect(diff.agreeBefore == agree(0.2, 0) + agree(0.6, 1) + agree(0.5, 2))
        #expect(diff.agreeAfter == agree(0.7, 0) + agree(0.4, 1) + agree(0.5, 2))
        let lines = diff.lines(limit: 3)
        #expect(lines[0].text == "4 faces scored by both; mean |change in p| 0.200")
        #expect(lines[1].text == "crossed 0.5: 1 up, 1 down")
        #expect(lines[3].text == "scored by one run only: 1 by a, 1 by b")
        // Every change line names its face; headings name none.
        #expect(lines.compactMap(\.id) == ["1", "2", "61"])
        #expect(lines.last?.text == "  61  test   0.30 -> 0.40")
        #expect(lines.first { $0.id == "1" }?.text == "  1   \(dataset.labels[0])      0.20 -> 0.70 *")
    }
}

@Suite struct BackgroundJobTests {
    @Test func aJobIsCancelledByItsHandleAndWaitedForByEveryone() throws {
        let started = AnsweredFlag()
        let job = BackgroundJob.start { job in
            started.set()
            while !job.isCancelled { Thread.sleep(forTimeInterval: 0.005) }
        }
        while !started.isSet { Thread.sleep(forTimeInterval: 0.005) }
        #expect(!job.isFinished && !job.isCancelled)
        let waiters = CallCounter()
        for _ in 0..<2 {
            Thread {
                job.wait()
                waiters.increment()
            }.start()
        }
        Thread.sleep(forTimeInterval: 0.05)
        #expect(waiters.count == 0)
        job.cancel()
        job.wait()
        #expect(job.isFinished && job.isCancelled)
        let deadline = Date().addingTimeInterval(5)
        while waiters.count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(waiters.count == 2)
        job.wait()  // a finished job does not block
    }
}

final class StageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Double] = []
    func add(_ value: Double) {
        lock.lock()
        stored.append(value)
        lock.unlock()
    }
    var values: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

final class RerunResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<RerunResult, RerunError>?
    func set(_ value: Result<RerunResult, RerunError>) {
        lock.lock()
        stored = value
        lock.unlock()
    }
    var value: Result<RerunResult, RerunError>? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
