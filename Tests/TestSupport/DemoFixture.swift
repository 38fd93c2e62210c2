import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

extension Repository {
    /// A cache file for the tests' model runs under .build (git-ignored), one per build of the
    /// test binary: a second `make test` of the same build fits nothing, and a rebuilt binary
    /// never reads runs an older build stored (those once hid a changed latent fit until CI ran
    /// from a clean clone). Older builds' folders are removed.
    package static let testCache: URL = {
        let parent = root.appendingPathComponent(".build/labelaudit-test-cache")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let attributes = try? FileManager.default.attributesOfItem(atPath: binary.path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let build = "build-\(size)-\(Int64(modified * 1000))"
        if let old = try? FileManager.default.contentsOfDirectory(atPath: parent.path) {
            for name in old where name != build { try? FileManager.default.removeItem(at: parent.appendingPathComponent(name)) }
        }
        let folder = parent.appendingPathComponent(build)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("cache.sqlite")
    }()
}

/// The embedded demo (540 train + 60 test real JPEG faces) with its latent model and neighbour
/// graph, computed once per test process into the build's test cache.
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
