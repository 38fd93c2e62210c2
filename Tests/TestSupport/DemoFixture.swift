import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

extension Repository {
    /// A cache file for the tests' model runs under .build (git-ignored, kept between runs, so a
    /// second `make test` fits nothing); the cache holds only recomputable data.
    package static let testCache: URL = {
        let folder = root.appendingPathComponent(".build/labelaudit-test-cache")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("cache.sqlite")
    }()
}

/// The embedded demo (540 train + 60 test real JPEG faces) with its latent model and neighbour
/// graph, computed once per test process into a temporary cache file.
package final class DemoFixture: Sendable {
    package static let shared: DemoFixture = {
        do { return try DemoFixture() } catch { fatalError("demo fixture: \(error)") }
    }()

    package let dataset: Dataset
    package let evidence: Evidence
    /// Train ids whose generator label is wrong (Assets/demo-truth), read only to script
    /// realistic reviewers.
    package let flipped: Set<String>

    init() throws {
        dataset = try DatasetLoader.load(DatasetOptions(root: Repository.demo))
        let cache = try CacheStore.open(at: Repository.testCache)
        // One regularisation strength instead of inner cross-validation: the same kind of
        // evidence, five times less work in a debug build.
        let engine = EvidenceEngine(dataset: dataset, cache: cache, options: EvidenceOptions(outOfFold: .fixed(0.05)))
        evidence = try engine.evidence()
        let lines = try String(contentsOf: Repository.demoTruth, encoding: .utf8).split(separator: "\n").dropFirst()
        var flipped = Set<String>()
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            // Train ids only: the truth file covers the test faces too.
            if fields.count >= 4, fields[3] == "1", let row = dataset.row(of: String(fields[0])), row < dataset.trainCount {
                flipped.insert(String(fields[0]))
            }
        }
        self.flipped = flipped
    }

    package var testIDs: Set<String> { Set(dataset.ids[dataset.trainCount...]) }

    /// The default queue's train ids, most suspicious first.
    package var queue: [String] { evidence.ranking.map { dataset.ids[$0.row] } }

    /// A fresh audit database for the demo.
    package func store(in folder: URL) throws -> AuditStore {
        try AuditStore.open(at: folder.appendingPathComponent("labelaudit.sqlite"), testIDs: testIDs)
    }

    /// An honest reviewer: label_wrong exactly where the truth says the label was flipped.
    package func review(_ ids: [String], by reviewer: String, in store: AuditStore) throws {
        for id in ids {
            try store.record(verdict: flipped.contains(id) ? .labelWrong : .labelOK, item: id, reviewer: reviewer)
        }
    }
}
