import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore
import Testing

@testable import LabelAuditEngine

/// The real decoder, as the executable wires it.
let jpegDecoder: ImageDecoder = { path in try JPEGDecoder.decode(path: path, covering: (width: 256, height: 256)) }

@Suite struct ImageModelTests {
    @Test func imageModelLearnsGlassesFromRealJPEGsAndASecondStartDecodesNothing() throws {
        let folder = try temporaryFolder()
        // 80 train faces + 10 test; labels from the latents; pictures show glasses for label 1
        // except ids 7 and 30, whose pictures contradict their labels.
        try writeDataset(in: folder, train: 80, test: 10, dim: 4)
        let loaded = try DatasetLoader.load(DatasetOptions(root: folder))
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for (row, id) in loaded.ids.enumerated() {
            var glasses = row < loaded.trainCount ? loaded.labels[row] == 1 : row % 2 == 0
            if id == "7" || id == "30" { glasses.toggle() }
            let face = paintFace(size: 256, glasses: glasses, shade: UInt8(170 + row % 60), jitter: row % 5 - 2)
            try Data(try JPEGEncoder.encode(face, quality: 90)).write(to: images.appendingPathComponent("face-\(id).jpg"))
        }
        // One broken picture: named in the warning, no prediction, no crash.
        try Data("not a jpeg".utf8).write(to: images.appendingPathComponent("face-50.jpg"))
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let cacheURL = folder.appendingPathComponent("c.sqlite")
        let decodes = CallCounter()
        let counting: ImageDecoder = { path in
            decodes.increment()
            return try jpegDecoder(path)
        }
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5, decoder: counting, imageFeatures: quickFeatures))
        let progress = StageRecorder()
        let evidence = try engine.evidence(progress: { progress.record($0.stage) })
        #expect(decodes.count == 90)
        #expect(progress.seen.contains(.imageFeatures))
        let image = try #require(evidence.runs.first { $0.name == "image" })
        #expect(image.outOfFold == true)
        #expect(image.probabilities["50"] == nil)
        #expect(image.probabilities.count == 89)
        #expect(try #require(image.metrics).auroc > 0.9)
        #expect(evidence.warnings.count == 1)
        #expect(
            evidence.warnings[0].hasPrefix(
                "image model: 1 image(s) could not be read and get no image prediction, e.g. \(images.appendingPathComponent("face-50.jpg").path): "
            ))
        // The contradicting pictures lead the queue.
        let top = Set(evidence.ranking.prefix(2).map { dataset.ids[$0.row] })
        #expect(top == ["7", "30"])
        #expect(evidence.ranking[0].reason.hasPrefix("image model "))

        // Second start: features and runs come from the cache; only the broken file is retried.
        let engine2 = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5, decoder: counting, imageFeatures: quickFeatures))
        let before = decodes.count
        let again = try engine2.evidence()
        #expect(decodes.count - before == 1)
        #expect(again.runs.first { $0.name == "image" }?.id == image.id)

        // A changed picture (new size and mtime) is decoded again, and the run is recomputed.
        let changed = images.appendingPathComponent("face-3.jpg")
        try Data(try JPEGEncoder.encode(paintFace(size: 256, glasses: true, shade: 190), quality: 80)).write(to: changed)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: changed.path)
        let engine3 = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5, decoder: counting, imageFeatures: quickFeatures))
        let before3 = decodes.count
        let third = try engine3.evidence()
        #expect(decodes.count - before3 == 2)  // face-3 and the still-broken face-50
        #expect(third.runs.first { $0.name == "image" }?.id != image.id)
    }
}
