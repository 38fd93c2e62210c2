import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore
import Testing

@testable import LabelAuditEngine

/// A dataset whose JPEG pictures show glasses for label 1, except ids 7 and 30.
func writeFacesDataset(in folder: URL, train: Int = 60, test: Int = 6, size: Int = 256) throws -> Dataset {
    try writeDataset(in: folder, train: train, test: test, dim: 4)
    let loaded = try DatasetLoader.load(DatasetOptions(root: folder))
    let images = folder.appendingPathComponent("images")
    try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    for (row, id) in loaded.ids.enumerated() {
        var glasses = row < loaded.trainCount ? loaded.labels[row] == 1 : row % 2 == 0
        if id == "7" || id == "30" { glasses.toggle() }
        let face = paintFace(size: size, glasses: glasses, shade: UInt8(170 + row % 60), jitter: row % 5 - 2)
        try Data(try JPEGEncoder.encode(face, quality: 90)).write(to: images.appendingPathComponent("face-\(id).jpg"))
    }
    return try DatasetLoader.load(DatasetOptions(root: folder))
}

/// Coarse cells keep the debug-build fits quick where the features' quality is not the point.
let quickFeatures = HOGFeatures(cellsAcross: 8, cellsDown: 4)

@Suite struct StagedEvidenceTests {
    @Test func theLatentStageArrivesFirstThenTheImageModelEachACompleteRanking() throws {
        let folder = try temporaryFolder()
        let dataset = try writeFacesDataset(in: folder)
        let cacheURL = folder.appendingPathComponent("c.sqlite")
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5, imageReader: .jpegBand, imageFeatures: quickFeatures))
        let delivered = Locked<[Evidence]>([])
        let final = try engine.evidence(onStage: { stage in delivered.withLock { $0.append(stage) } })
        let stages = delivered.withLock { $0 }
        #expect(stages.map(\.stage) == [.latent, .complete])
        // The first stage: imports and the latent model, a ranking of every train face.
        #expect(stages[0].runs.map(\.name) == ["latent"])
        #expect(stages[0].ranking.count == dataset.trainCount)
        #expect(Set(stages[0].ranking.map(\.row)) == Set(0..<dataset.trainCount))
        #expect(stages[0].neighbours != nil)
        #expect(!stages[0].isComplete)
        // Then the image model: the pictures that contradict their labels lead the queue.
        #expect(stages[1].runs.map(\.name) == ["latent", "image"])
        #expect(stages[1].ranking.count == dataset.trainCount)
        #expect(final.isComplete && final.ranking == stages[1].ranking)
        #expect(Set(final.ranking.prefix(2).map { dataset.ids[$0.row] }) == ["7", "30"])

        // A second start has everything cached: one delivery, already complete, no decoding.
        let decodes = CallCounter()
        let counting = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5, imageReader: .jpegBand, imageFeatures: quickFeatures))
        let again = Locked<[EvidenceStage]>([])
        let warm = try counting.evidence(
            progress: { if $0.stage == .imageFeatures { decodes.increment() } },
            onStage: { stage in again.withLock { $0.append(stage.stage) } })
        #expect(again.withLock { $0 } == [.complete])
        #expect(decodes.count == 0)
        #expect(warm.runs.first { $0.name == "image" }?.id == final.runs.first { $0.name == "image" }?.id)
    }

    @Test func throughTheLatentStageDecodesNothing() throws {
        let folder = try temporaryFolder()
        let dataset = try writeFacesDataset(in: folder, train: 40, test: 0)
        let decodes = CallCounter()
        let counting: ImageDecoder = { path in
            decodes.increment()
            return try jpegDecoder(path)
        }
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("c.sqlite")),
            options: EvidenceOptions(neighbourCount: 5, decoder: counting, imageFeatures: quickFeatures))
        let first = try engine.evidence(through: .latent)
        #expect(first.stage == .latent)
        #expect(first.runs.map(\.name) == ["latent"])
        #expect(decodes.count == 0)
        let complete = try engine.evidence(through: .complete)
        #expect(complete.stage == .complete)
        #expect(decodes.count == 40)
        // Once the image run is cached, asking for the first stage gives the complete evidence.
        let cached = try engine.evidence(through: .latent)
        #expect(cached.isComplete && cached.runs.map(\.name) == ["latent", "image"])
        #expect(decodes.count == 40)
    }

    @Test func withoutAnImageModelTheFirstStageIsComplete() throws {
        let folder = try temporaryFolder()
        try writeDataset(in: folder, train: 50, test: 0, dim: 4)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let engine = EvidenceEngine(dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("c.sqlite")))
        let delivered = Locked<[EvidenceStage]>([])
        let result = try engine.evidence(through: .latent, onStage: { stage in delivered.withLock { $0.append(stage.stage) } })
        #expect(delivered.withLock { $0 } == [.complete])
        #expect(result.isComplete)
    }

    @Test func theBandReaderGivesTheFeaturesOfTheExtractorAndChangedFeatureSettingsAreNotReused() throws {
        let folder = try temporaryFolder()
        let dataset = try writeFacesDataset(in: folder, train: 20, test: 0)
        let cacheURL = folder.appendingPathComponent("c.sqlite")
        let cache = try CacheStore.open(at: cacheURL)
        let engine = EvidenceEngine(
            dataset: dataset, cache: cache,
            options: EvidenceOptions(neighbourCount: 5, imageReader: .jpegBand, imageFeatures: quickFeatures))
        let (run, _) = try engine.imageRun()
        let image = try #require(run)
        #expect(image.probabilities.count == 20)
        // The cached vector of a file is what the extractor computes from it.
        let path = try #require(dataset.imagePaths[0])
        let stamp = try #require(FileStamp(path: path))
        let stored = try #require(
            try cache.features(kind: engine.featureKindKey, version: HOGFeatures.version, files: [stamp])[stamp])
        var direct = [Float](repeating: 0, count: quickFeatures.count)
        try direct.withUnsafeMutableBufferPointer {
            try EyeBandFeatureExtractor(features: quickFeatures).extract(jpegAt: path, into: $0)
        }
        #expect(stored == direct)
        // A cache holding vectors of an older feature version is not read: every file is decoded again.
        let decodes = CallCounter()
        let counting: ImageDecoder = { path in
            decodes.increment()
            return try jpegDecoder(path)
        }
        let stamps = dataset.imagePaths.compactMap { $0.flatMap { FileStamp(path: $0) } }
        let oldCache = try CacheStore.open(at: folder.appendingPathComponent("old.sqlite"))
        try oldCache.saveFeatures(
            kind: engine.featureKindKey, version: HOGFeatures.version - 1,
            stamps.map { ($0, [Float](repeating: 7, count: quickFeatures.count)) })
        let fromOld = EvidenceEngine(
            dataset: dataset, cache: oldCache,
            options: EvidenceOptions(neighbourCount: 5, decoder: counting, imageFeatures: quickFeatures))
        _ = try fromOld.imageRun()
        #expect(decodes.count == 20)
        let rewritten = try oldCache.features(kind: engine.featureKindKey, version: HOGFeatures.version, files: stamps)
        #expect(rewritten.count == 20 && rewritten.values.allSatisfy { !$0.contains(7) })

        // Other feature settings: another cache entry, all files decoded again, another run.
        let coarse = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(
                neighbourCount: 5, decoder: counting,
                imageFeatures: HOGFeatures(cellsAcross: 12, cellsDown: 4)))
        #expect(coarse.featureKindKey != engine.featureKindKey)
        let (other, _) = try coarse.imageRun()
        #expect(decodes.count == 40)
        #expect(try #require(other).id != image.id)
        // The first settings still find their run without decoding anything.
        let again = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5, decoder: counting, imageFeatures: quickFeatures))
        let (same, _) = try again.imageRun()
        #expect(same?.id == image.id)
        #expect(decodes.count == 40)
    }
}
