import Foundation
import LabelAuditCore
import LabelAuditStore
import Testing

@testable import LabelAuditEngine

/// Caches are keyed by `CachedRunVersion`, not by the code, so a change to the latent fit that
/// moves its probabilities must bump the version, or every user's cache (and the tests'
/// cache under .build) keeps showing the old numbers. This pins the fit on a seeded dataset.
@Suite struct LatentFitIsPinnedTests {
    /// Out-of-fold probabilities of five ids, 5 folds at C = 0.05, version 2 of the fit.
    static let pinned: [String: Double] = [
        "1": 0.8920585680606862, "3": 0.4023869817722235, "17": 0.3741978722432114,
        "150": 0.6035418941524398, "320": 0.6825051810857683,
    ]

    @Test func theLatentFitGivesThePinnedProbabilities() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeDataset(in: folder, train: 300, test: 30, dim: 16, flipped: [3, 17, 40], seed: 7)
        let dataset = try DatasetLoader.load(DatasetOptions(root: folder))
        let engine = EvidenceEngine(
            dataset: dataset, cache: try CacheStore.open(at: folder.appendingPathComponent("cache.sqlite")),
            options: EvidenceOptions(outOfFold: .fixed(0.05)))
        let run = try engine.latentRun()
        for (id, expected) in Self.pinned {
            let p = try #require(run.probabilities[id])
            #expect(
                abs(p - expected) < 1e-7,
                "latent p(\(id)) = \(p), pinned \(expected): if the fit changed on purpose, bump CachedRunVersion.latent and pin the new values"
            )
        }
        #expect(CachedRunVersion.latent == 2, "pin the values again when the version changes")
    }
}
