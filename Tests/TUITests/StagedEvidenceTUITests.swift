import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditStore
import Testing

@testable import LabelAuditTUI

/// Staged evidence in the app: the latent stage ranks the queue first, the evidence job starts
/// again by itself, and when the image model lands the queue re-ranks with the cursor still on
/// the reviewer's face.
@Suite struct StagedEvidenceTUITests {
    /// 40 train faces whose 256 px pictures show dark frames for label 1, except rows 3 and 17.
    func backend() throws -> EngineReviewBackend {
        let folder = try scratchDirectory("staged")
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var ids: [String] = []
        var labels: [UInt8] = []
        var values: [Float] = []
        var paths: [String?] = []
        for row in 0..<40 {
            let label: UInt8 = row % 3 == 0 ? 0 : 1
            ids.append(String(row + 1))
            labels.append(label)
            values += [Float(label) + Float(row % 7) * 0.1, Float(row % 5) * 0.2, Float(row % 4) * 0.3]
            let glasses = (label == 1) != (row == 3 || row == 17)
            let face = RGBImage(
                width: 256, height: 256,
                pixels: (0..<256 * 256).flatMap { index -> [UInt8] in
                    let x = index % 256
                    let y = index / 256
                    let onFrame =
                        glasses && (100...125).contains(y) && ((60...120).contains(x) || (136...196).contains(x))
                        && (y < 103 || y > 122 || x < 63 || (x > 117 && x < 139) || x > 193)
                    return onFrame ? [20, 20, 20] : [UInt8(180 + row), 140, 120]
                })
            let path = images.appendingPathComponent("face-\(row + 1).jpg").path
            #expect(FileManager.default.createFile(atPath: path, contents: Data(try JPEGEncoder.encode(face, quality: 90))))
            paths.append(path)
        }
        let dataset = Dataset(
            root: folder, trainFile: folder.appendingPathComponent("train.csv"), testFile: nil, ids: ids,
            trainCount: 40, labels: labels, latents: LatentMatrix(rows: 40, dim: 3, values: values),
            latentColumns: ["v1", "v2", "v3"], imagePaths: paths, imageDirectory: images,
            predictionFiles: [], warnings: [])
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("cache.sqlite")),
            options: EvidenceOptions(
                neighbourCount: 5, imageReader: .jpegBand,
                imageFeatures: HOGFeatures(cellsAcross: 8, cellsDown: 2)))
        let store = try AuditStore.open(at: folder.appendingPathComponent("audit.sqlite"), testIDs: [])
        return EngineReviewBackend(session: try ReviewSession(engine: engine, store: store, reviewer: "ana"))
    }

    @Test func theLatentStageShowsFirstAndTheImageModelReRanksWithoutMovingTheCursor() throws {
        let backend = try backend()
        let controller = ReviewController(backend: backend, rows: 40, columns: 120, colorModeName: "truecolor")
        let launched = Locked<[ReviewJob]>([])
        controller.jobLauncher = { job in launched.withLock { $0.append(job) } }
        controller.reloadQueue()
        _ = controller.runCommand("filter train")
        _ = controller.start(.evidence)
        #expect(launched.withLock { $0 } == [.evidence])

        // Stage 1: the latent model ranks the queue; the job is started again for the image model.
        let first = try backend.run(.evidence, progress: { _, _ in })
        #expect(first == "ranked 40 train faces by latent; the image model is next")
        _ = controller.finish(.evidence, result: .success(first))
        #expect(launched.withLock { $0 } == [.evidence, .evidence])
        #expect(controller.state.jobs[.evidence] != nil)
        #expect(controller.state.rows.count == 40 && controller.state.rows.allSatisfy { $0.score != nil })
        #expect(try backend.detail(for: "1").runs.map(\.run) == ["latent"])

        // The reviewer moves on while the image model runs.
        for _ in 0..<5 { _ = controller.handle(.down) }
        let focused = try #require(controller.state.focusID)
        let before = controller.state.rows.map(\.id)

        // Stage 2: the image model lands; the order changes, the cursor stays on the same face.
        let second = try backend.run(.evidence, progress: { _, _ in })
        #expect(second == "evidence ready: latent, image ranked 40 train faces")
        _ = controller.finish(.evidence, result: .success(second))
        #expect(controller.state.focusID == focused)
        #expect(controller.state.rows.map(\.id) != before)
        #expect(Set(controller.state.rows.prefix(2).map(\.id)) == ["4", "18"])
        #expect(try backend.detail(for: "1").runs.map(\.run) == ["latent", "image"])
        // Complete: nothing more is started.
        #expect(launched.withLock { $0 }.count == 2)
        #expect(backend.startupJob == nil)
        #expect(controller.state.jobs.isEmpty)
    }
}
