import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore
import Testing

@testable import LabelAuditEngine

@Suite struct EngineTests {
    @Test func latentEvidenceFindsFlippedLabelsAndIsReusedFromTheCache() throws {
        let folder = try temporaryFolder()
        let flipped: Set<Int> = [3, 17, 40, 77, 120]
        try writeDataset(in: folder, train: 300, test: 30, dim: 16, flipped: flipped)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let cacheURL = folder.appendingPathComponent("labelaudit-cache.sqlite")
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5))
        let stages = StageRecorder()
        let evidence = try engine.evidence(progress: { stages.record($0.stage) })
        #expect(evidence.runs.map(\.name) == ["latent"])
        let latent = try #require(evidence.runs.first)
        #expect(latent.outOfFold == true)
        #expect(latent.probabilities.count == 330)
        #expect(latent.folds.count == 300)
        #expect(try #require(latent.metrics).rows == 300)
        // The flipped labels come first: four in the first five of 300, the fifth (id 120, close
        // to the boundary, where a flip is hardest to tell from the rule) in the first twenty.
        let position = Dictionary(
            uniqueKeysWithValues: evidence.ranking.enumerated().map { (dataset.ids[$0.element.row], $0.offset) })
        #expect(flipped.allSatisfy { position[String($0)]! < 20 })
        #expect(flipped.filter { position[String($0)]! < 5 }.count >= 4)
        #expect(evidence.ranking.count == 300)
        #expect(evidence.neighbours?.graph.k == 5)
        #expect(stages.seen.contains(.latentModel) && stages.seen.contains(.neighbours) && stages.seen.contains(.ranking))
        // Confident learning flags them too.
        let cl = try #require(evidence.confidentLearning["latent"])
        #expect(Set(cl.issues.map { dataset.ids[$0] }).isSuperset(of: ["3", "17", "40", "77"]))

        // A second start (new process: new store object on the same file) recomputes nothing.
        let again = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: cacheURL),
            options: EvidenceOptions(neighbourCount: 5))
        let stages2 = StageRecorder()
        let warm = try again.evidence(progress: { stages2.record($0.stage) })
        #expect(warm.runs.first?.id == latent.id)
        #expect(warm.ranking == evidence.ranking)
        #expect(!stages2.seen.contains(.latentModel) && !stages2.seen.contains(.neighbours))
        #expect(try again.allRuns().count == 1)
    }

    @Test func rerunWithCorrectedLabelsIsANewRunLinkedToItsParent() throws {
        let folder = try temporaryFolder()
        try writeDataset(in: folder, train: 200, test: 0, dim: 8, flipped: [5])
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let engine = EvidenceEngine(dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("c.sqlite")))
        let parent = try engine.latentRun()
        var corrected = dataset.labels
        let row5 = try #require(dataset.row(of: "5"))
        corrected[row5] = 1 - corrected[row5]
        let dropped = try #require(dataset.row(of: "6"))
        let rows = (0..<dataset.trainCount).filter { $0 != dropped }
        let child = try engine.latentRun(
            labels: corrected, trainRows: rows, parentRunID: parent.id, auditEventID: "event-42",
            name: "latent rerun")
        #expect(child.id != parent.id)
        #expect(child.parentRunID == parent.id && child.auditEventID == "event-42")
        #expect(child.probabilities["6"] == nil)
        #expect(child.folds.count == 199)
        // The corrected row now agrees with its (corrected) label better than before.
        let before = LabelQuality.selfConfidence(p: parent.probabilities["5"]!, label: dataset.labels[row5])
        let after = LabelQuality.selfConfidence(p: child.probabilities["5"]!, label: corrected[row5])
        #expect(after > before)
        var stored = try #require(try engine.cache.run(id: child.id!))
        #expect(abs(stored.createdAt.timeIntervalSince(child.createdAt)) < 0.001)
        stored.createdAt = child.createdAt
        #expect(stored == child, "the cache gives back exactly what was saved")
    }

    @Test func importedPredictionsRecordOutOfFoldAndWarnWhenUnknown() throws {
        let folder = try temporaryFolder()
        try writeDataset(in: folder, train: 100, test: 10, dim: 4)
        let good = folder.appendingPathComponent("cnn.csv")
        try ("id,glasses\n" + (1...110).map { "\($0),\($0 % 2 == 0 ? 0.9 : 0.1)" }.joined(separator: "\n") + "\n")
            .write(to: good, atomically: true, encoding: .utf8)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let cache = try CacheStore.open(at: folder.appendingPathComponent("c.sqlite"))
        let unknown = EvidenceEngine(
            dataset: dataset, cache: cache, options: EvidenceOptions(imports: [ImportedPredictions(url: good, outOfFold: nil)]))
        let e1 = try unknown.evidence()
        #expect(e1.runs.map(\.name) == ["cnn", "latent"])
        #expect(e1.runs[0].outOfFold == nil)
        #expect(e1.runs[0].metrics?.rows == 100)
        #expect(
            e1.warnings == [
                "predictions 'cnn': not known to be out of fold; in-sample predictions hide label errors (pass --oof if they are), counted at half weight"
            ])
        let oof = EvidenceEngine(
            dataset: dataset, cache: cache, options: EvidenceOptions(imports: [ImportedPredictions(url: good, outOfFold: true)]))
        let e2 = try oof.evidence()
        #expect(e2.runs[0].outOfFold == true)
        #expect(e2.warnings.isEmpty)
    }

    @Test func badPredictionsFileNamesFileAndLine() throws {
        let folder = try temporaryFolder()
        try writeDataset(in: folder, train: 20, test: 0, dim: 4)
        let bad = folder.appendingPathComponent("bad.csv")
        try "id,glasses\n1,0.5\n2,1.5\n".write(to: bad, atomically: true, encoding: .utf8)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("c.sqlite")),
            options: EvidenceOptions(imports: [ImportedPredictions(url: bad, outOfFold: true)]))
        #expect(
            throws: EvidenceError.predictions(
                DatasetError(
                    file: bad.path, line: 3, column: "'glasses' (2)",
                    problem: "found '1.5', expected a probability between 0 and 1"))
        ) {
            try engine.evidence()
        }
        let unknownID = folder.appendingPathComponent("other.csv")
        try "id,p\n999,0.5\n".write(to: unknownID, atomically: true, encoding: .utf8)
        let e2 = EvidenceEngine(
            dataset: dataset, cache: engine.cache,
            options: EvidenceOptions(imports: [ImportedPredictions(url: unknownID, outOfFold: nil)]))
        do {
            _ = try e2.evidence()
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description
                    == "\(unknownID.path):2: column 'id': id '999' is not in the dataset; are these predictions for another dataset?"
            )
        }
    }

    @Test func neighboursOnDemandCarryPercentilesAndTheBackgroundJobCachesTheGraph() throws {
        let folder = try temporaryFolder()
        try writeDataset(in: folder, train: 150, test: 20, dim: 32)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let cache = try CacheStore.open(at: folder.appendingPathComponent("c.sqlite"))
        // A threshold of 10 rows: the all-pairs job is left to the background.
        let engine = EvidenceEngine(
            dataset: dataset, cache: cache, options: EvidenceOptions(neighbourCount: 4, backgroundNeighboursAbove: 10))
        let first = try engine.evidence()
        #expect(first.neighbours == nil)
        #expect(first.ranking.allSatisfy { $0.labelledNeighbours == 0 })
        let entries = engine.nearest(toRow: 0, k: 3)
        #expect(entries.count == 3)
        #expect(entries.allSatisfy { $0.percentile >= 0 && $0.percentile < 20 && $0.row != 0 })
        #expect(entries.map(\.distance) == entries.map(\.distance).sorted())
        let graph = try engine.computeNeighbours()
        #expect(graph.graph.rows == 170 && graph.graph.k == 4)
        #expect(try engine.cachedNeighbours() == graph)
        let reranked = engine.rank(runs: first.runs, neighbours: graph)
        #expect(reranked.ranking.contains { $0.labelledNeighbours > 0 })
        // Single query and graph agree.
        #expect(engine.nearest(toRow: 0, k: 4).map(\.row) == graph.graph.neighbours(of: 0).map(\.row))
    }

    @Test func aCancelledNeighbourSearchStopsAndCachesNothing() throws {
        let folder = try temporaryFolder()
        try writeDataset(in: folder, train: 600, test: 0, dim: 64)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let engine = EvidenceEngine(dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("c.sqlite")))
        // The user gives up once the search has reported its first progress.
        let flag = CancellationFlag()
        #expect(throws: EvidenceError.cancelled) {
            _ = try engine.computeNeighbours(
                progress: { step in if step.fraction > 0 { flag.cancel() } },
                isCancelled: { flag.isCancelled })
        }
        #expect(flag.isCancelled, "the search reported progress before it was cancelled")
        #expect(try engine.cachedNeighbours() == nil, "a cancelled search leaves no graph in the cache")
        // Started again, it completes.
        #expect(try engine.computeNeighbours().graph.rows == 600)
    }
}

final class StageRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stages: Set<EvidenceProgress.Stage> = []
    func record(_ s: EvidenceProgress.Stage) {
        lock.lock()
        stages.insert(s)
        lock.unlock()
    }
    var seen: Set<EvidenceProgress.Stage> {
        lock.lock()
        defer { lock.unlock() }
        return stages
    }
}
