import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditReport
import LabelAuditStore
import Testing

@testable import LabelAuditTUI

/// A small real dataset: 40 train + 4 test faces, 8 latent dimensions whose first coordinate
/// decides the label (3 labels flipped), real JPEG files (one id has none), a real cache file
/// and a real audit database.
struct EngineFixture {
    let backend: EngineReviewBackend
    let store: AuditStore
    let dataset: Dataset
    let flipped: [String]

    init(_ name: String, reviewer: String = "ana") throws {
        let folder = try scratchDirectory("engine-\(name)")
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var state: UInt64 = 7
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float((state >> 33) % 10_000) / 10_000 - 0.5
        }
        let count = 44
        let trainCount = 40
        let dim = 8
        var values: [Float] = []
        var labels: [UInt8] = []
        var paths: [String?] = []
        let flippedRows: Set<Int> = [3, 17, 29]
        for row in 0..<count {
            var vector = (0..<dim).map { _ in uniform() }
            vector[0] = (row % 2 == 0 ? 1 : -1) * (0.6 + abs(vector[0]))
            values += vector
            if row < trainCount {
                let truth: UInt8 = vector[0] > 0 ? 1 : 0
                labels.append(flippedRows.contains(row) ? 1 - truth : truth)
            }
            if row == 5 {
                paths.append(nil)
                continue
            }
            var pixels = [UInt8](repeating: 0, count: 64 * 64 * 3)
            for index in 0..<(64 * 64) {
                pixels[index * 3] = UInt8((index % 64) * 4)
                pixels[index * 3 + 1] = UInt8((index / 64) * 4)
                pixels[index * 3 + 2] = UInt8(row * 5)
            }
            let jpeg = try JPEGEncoder.encode(RGBImage(width: 64, height: 64, pixels: pixels))
            let path = images.appendingPathComponent("face-\(row + 1).jpg").path
            #expect(FileManager.default.createFile(atPath: path, contents: Data(jpeg)))
            paths.append(path)
        }
        let ids = (1...count).map(String.init)
        dataset = Dataset(
            root: folder, trainFile: folder.appendingPathComponent("train.csv"), testFile: nil, ids: ids,
            trainCount: trainCount, labels: labels, latents: LatentMatrix(rows: count, dim: dim, values: values),
            latentColumns: (1...dim).map { "v\($0)" }, imagePaths: paths, imageDirectory: images,
            predictionFiles: [], warnings: [])
        flipped = flippedRows.sorted().map { ids[$0] }
        let cache = try CacheStore.open(at: folder.appendingPathComponent("cache.sqlite"))
        let engine = EvidenceEngine(dataset: dataset, cache: cache, options: EvidenceOptions(neighbourCount: 6))
        store = try AuditStore.open(at: folder.appendingPathComponent("audit.sqlite"), testIDs: Set(ids[trainCount...]))
        backend = EngineReviewBackend(
            session: try ReviewSession(
                engine: engine, store: store, reviewer: reviewer,
                reportExport: .auditReport(to: folder.appendingPathComponent("report.html"))))
    }

    func computeEvidence() throws -> String {
        try backend.run(.evidence, progress: { _, _ in })
    }
}

@Suite struct EngineBackendTests {
    @Test func beforeTheEvidenceTheQueueListsTrainFacesThenRanksThem() throws {
        let fixture = try EngineFixture("evidence")
        #expect(fixture.backend.startupJob == .evidence)
        let early = try fixture.backend.queue(.ranked, sort: .score)
        #expect(early.count == 40)
        #expect(early.allSatisfy { $0.probability == nil && $0.score == nil })
        #expect(try fixture.backend.detail(for: "1").reason == "evidence is being computed (status bar shows progress)")

        let summary = try fixture.computeEvidence()
        #expect(summary == "evidence ready: latent ranked 40 train faces")
        let ranked = try fixture.backend.queue(.ranked, sort: .score)
        #expect(!ranked.isEmpty && ranked.count < 40, "ranked shows the disagreements only")
        #expect(
            ranked.allSatisfy { row in
                guard let p = row.probability, let label = row.label else { return false }
                return (p >= 0.5 ? 1 : 0) != label
            })
        #expect(zip(ranked, ranked.dropFirst()).allSatisfy { ($0.score ?? 0) >= ($1.score ?? 0) })
        #expect(try fixture.backend.queue(.test, sort: .id).map(\.id) == ["41", "42", "43", "44"])
        let detail = try fixture.backend.detail(for: ranked[0].id)
        #expect(detail.runs.map(\.run) == ["latent"])
        #expect(detail.runs[0].probability == ranked[0].probability)
        #expect(!detail.reason.isEmpty && !detail.reason.hasPrefix("evidence is being computed"))
        #expect(try fixture.backend.detail(for: "42").reason.hasPrefix("test face (view only): "))
    }

    @Test func neighboursComeFromTheGraphWithPercentiles() throws {
        let fixture = try EngineFixture("neighbours")
        let before = try fixture.backend.neighbours(of: "2", count: 4)
        _ = try fixture.computeEvidence()
        let after = try fixture.backend.neighbours(of: "2", count: 4)
        #expect(before.map(\.id) == after.map(\.id), "a brute-force query and the graph agree")
        #expect(after.count == 4 && !after.contains { $0.id == "2" })
        #expect(after.allSatisfy { (0...1).contains($0.closerShare) && $0.distance >= 0 && $0.pairsMeasured == 44 * 43 / 2 })
        #expect(zip(after, after.dropFirst()).allSatisfy { $0.closerShare <= $1.closerShare })
        #expect(zip(after, after.dropFirst()).allSatisfy { $0.distance <= $1.distance })
        // More than the graph holds falls back to a query.
        #expect(try fixture.backend.neighbours(of: "2", count: 9).count == 9)
        #expect(throws: ReviewError("no face with id 'x?' in this dataset (40 train and 4 test ids); ids are matched exactly")) {
            _ = try fixture.backend.neighbours(of: "x\u{1B}", count: 3)
        }
    }

    @Test func everyChangeIsInTheStoreAtOnceAndUndoTakesBackTheLast() throws {
        let fixture = try EngineFixture("changes")
        let backend = fixture.backend
        var detail = try backend.record(.verdict(.labelWrong), for: "4")
        #expect(detail.verdicts == [ReviewerVerdict(reviewer: "ana", verdict: .labelWrong)])
        #expect(try fixture.store.state(item: "4", reviewer: "ana")?.verdict == .labelWrong)
        detail = try backend.record(.note("verres très fins 眼鏡"), for: "4")
        #expect(detail.note == "verres très fins 眼鏡")
        detail = try backend.record(.toggleFlag, for: "4")
        #expect(detail.flagged)
        #expect(try fixture.store.flaggedItems() == ["4"])
        detail = try backend.record(.tags(["faint", "frames"]), for: "4")
        #expect(try fixture.store.state(item: "4", reviewer: "ana")?.tags == ["faint", "frames"])
        #expect(try backend.queue(.flagged, sort: .id).map(\.id) == ["4"])
        #expect(try backend.queue(.decision(.labelWrong), sort: .id).map(\.id) == ["4"])
        #expect(try backend.queue(.reviewed, sort: .id).map(\.id) == ["4"])

        #expect(try backend.undo() == UndoOutcome(id: "4", redo: [.tags(["faint", "frames"])]))
        #expect(try fixture.store.state(item: "4", reviewer: "ana")?.tags == [])
        #expect(try backend.detail(for: "4").tags == [])
        #expect(try backend.undo() == UndoOutcome(id: "4", redo: [.setFlag(true)]))
        #expect(try backend.detail(for: "4").flagged == false)
        #expect(try backend.queue(.flagged, sort: .id).isEmpty)

        // Another reviewer's verdict shows beside ours (shared store).
        try fixture.store.record(verdict: .labelOK, item: "4", reviewer: "bo")
        let other = EngineReviewBackend(session: try ReviewSession(engine: backend.engine, store: fixture.store, reviewer: "ana"))
        #expect(Set(try other.detail(for: "4").verdicts.map(\.reviewer)) == ["ana", "bo"])

        #expect(throws: ReviewError("id 42 is a test face: test faces are never labelled by a person")) {
            _ = try backend.record(.verdict(.labelOK), for: "42")
        }
        #expect(try fixture.store.history(item: "42").isEmpty)
    }

    @Test func nothingToUndoSaysWho() throws {
        let fixture = try EngineFixture("undo-empty", reviewer: "cy")
        #expect(throws: ReviewError("nothing to undo: cy has no change left to take back")) {
            _ = try fixture.backend.undo()
        }
    }

    @Test func picturesComeFromTheJPEGsAndPrefetchFillsTheCache() throws {
        let fixture = try EngineFixture("pictures")
        let backend = fixture.backend
        func request(_ id: String, _ columns: Int, _ rows: Int, zoomed: Bool = false) -> PictureRequest {
            PictureRequest(id: id, shape: PictureShape(columns: columns, rows: rows, zoomed: zoomed))
        }
        let picture = try #require(backend.picture(request("1", 30, 12)))
        #expect(picture.columns <= 30 && picture.rows <= 12 && picture.columns > 0)
        #expect(backend.picture(request("6", 30, 12)) == nil, "id 6 has no image")
        #expect(backend.picture(request("nope", 30, 12)) == nil)

        // A zoomed face pane asks for two boxes (band and face), both prefetched.
        let before = backend.renderCache.count
        let shapes = [PictureShape(columns: 30, rows: 5, zoomed: true), PictureShape(columns: 30, rows: 12, zoomed: false)]
        backend.prefetch(
            PrefetchPlan(
                ids: ["2", "3", "4"], shapes: shapes, thumbnail: PictureShape(columns: 10, rows: 5, zoomed: false),
                neighbourCount: 3))
        backend.waitForPrefetch()
        #expect(backend.renderCache.count >= before + 2 * 3 + 3)
        let misses = backend.renderCache.statistics.misses
        _ = backend.picture(request("3", 30, 12))
        _ = backend.picture(request("3", 30, 5, zoomed: true))
        for neighbour in try backend.neighbours(of: "2", count: 3) {
            _ = backend.picture(request(neighbour.id, 10, 5))
        }
        #expect(backend.renderCache.statistics.misses == misses, "everything the next frame needs was prefetched")
    }

    @Test func choosingAndDiffingRuns() throws {
        let fixture = try EngineFixture("runs")
        #expect(throws: ReviewError("no model run yet: the evidence is still being computed")) {
            _ = try fixture.backend.selectRun("latent")
        }
        _ = try fixture.computeEvidence()
        #expect(fixture.backend.runNames() == ["latent"])
        #expect(
            try fixture.backend.selectRun("latent") == "run latent: its p is shown and ranks the queue (:run all combines again)")
        // Ranked by one run, the queue starts with the face that run is most sure is mislabelled.
        let byRun = try fixture.backend.queue(.ranked, sort: .score)
        let latent = try #require(try fixture.backend.engine.allRuns().first { $0.name == "latent" })
        let train = (0..<fixture.dataset.trainCount).map { fixture.dataset.ids[$0] }
        let surprise = Dictionary(
            uniqueKeysWithValues: train.compactMap { id -> (String, Double)? in
                guard let row = fixture.dataset.row(of: id), let label = fixture.dataset.label(of: row),
                    let p = latent.probabilities[id]
                else { return nil }
                return (id, abs(p - Double(label)))
            })
        let mostSurprising = surprise.max { $0.value < $1.value }?.key
        #expect(byRun.first?.id == mostSurprising)
        #expect(byRun.map(\.score) == byRun.map(\.score).sorted { ($0 ?? 0) > ($1 ?? 0) })
        #expect(try fixture.backend.selectRun(nil) == "ranking: all runs combined (latent)")
        #expect(throws: ReviewError("no model run named 'image'; runs: latent")) {
            _ = try fixture.backend.selectRun("image")
        }
        #expect(throws: ReviewError("no model run named 'image'; runs: latent")) {
            _ = try fixture.backend.diffRuns("latent", "image")
        }
        // A run against itself: nothing changed (the edge case; a real diff is in EngineJobsTests).
        let panel = try fixture.backend.diffRuns("latent", "latent")
        #expect(panel.title == "diff latent -> latent")
        #expect(panel.lines[0] == "44 faces scored by both; mean |change in p| 0.000")
        #expect(panel.lines[1] == "crossed 0.5: 0 up, 0 down")
    }

    @Test func theControllerRunsOnTheRealBackend() throws {
        let fixture = try EngineFixture("controller")
        let controller = ReviewController(backend: fixture.backend, rows: 40, columns: 120, colorModeName: "truecolor")
        controller.reloadQueue()
        _ = controller.start(.evidence)
        #expect(controller.state.message?.text == "evidence ready: latent ranked 40 train faces")
        #expect(controller.state.rows.first?.score != nil)
        let id = try #require(controller.state.focusID)
        _ = controller.handle(.character("2"))
        #expect(controller.state.message == StatusMessage("id \(id): label_wrong (saved); next face"))
        #expect(controller.state.rows[0].verdict == .labelWrong)
        _ = controller.runCommand("run latent")
        #expect(controller.state.activeRun == "latent")
        let screen = ReviewScreen.render(controller).text
        #expect(screen.contains("ranked by latent"))
        #expect(screen.contains("neighbours in latent space"))
        _ = controller.runCommand("diff latent nosuch")
        #expect(controller.state.message == StatusMessage("no model run named 'nosuch'; runs: latent", isError: true))
        _ = controller.runCommand("diff latent")
        #expect(
            controller.state.message
                == StatusMessage(":diff needs two run names, e.g. :diff latent image (runs: latent)", isError: true))
    }
}
