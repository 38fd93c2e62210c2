import Foundation
import LabelAuditCore
import LabelAuditStore
import Testing

@Suite struct CacheStoreTests {
    @Test func cacheFileSitsBesideTheAuditDatabase() {
        let url = StoreLocations.cacheBeside(URL(fileURLWithPath: "/data/faces/labelaudit.sqlite"))
        #expect(url.path == "/data/faces/labelaudit-cache.sqlite")
    }

    @Test func aFileThatIsNotSQLiteIsRefusedAndLeftUntouched() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("x-cache.sqlite")
        let text = Data("id,glasses\n1,0.5\n".utf8)
        try text.write(to: url)
        #expect(throws: CacheStoreError(path: url.path, problem: "not a SQLite database")) {
            try CacheStore.open(at: url)
        }
        #expect(try Data(contentsOf: url) == text)
        let error = CacheStoreError(path: url.path, problem: "not a SQLite database")
        #expect(
            error.description
                == "\(url.path): not a SQLite database; this cache holds only recomputable data (model runs, features, neighbours): delete it and run again"
        )
    }

    @Test func aNewerCacheIsRefusedAndLeftUntouched() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("c.sqlite")
        do { _ = try CacheStore.open(at: url) }
        // Pretend a newer build wrote it: bump user_version in the header (offset 60, big endian).
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[60..<64] = [0, 0, 0, 9]
        try Data(bytes).write(to: url)
        #expect(
            throws: CacheStoreError(
                path: url.path, problem: "written by a newer labelaudit (cache schema 9, this build knows 1); left untouched")
        ) {
            try CacheStore.open(at: url)
        }
        #expect([UInt8](try Data(contentsOf: url)) == bytes)
    }

    @Test func runsRoundTripIncludingFailedOnesAndHostileNames() throws {
        let folder = try temporaryFolder()
        let store = try CacheStore.open(at: folder.appendingPathComponent("c.sqlite"))
        let hostile = "cnn\u{1B}[31m'; DROP TABLE model_run; --"
        let run = ModelRun(
            name: hostile, source: .imported, parameters: ["file": "/tmp/p.csv"],
            metrics: ModelMetrics(logLoss: 0.3, accuracy: 0.9, auroc: 0.95, rows: 2), outOfFold: nil,
            probabilities: ["1": 0.25, "2": 1], datasetFingerprint: "fp", inputKey: "k1")
        let saved = try store.save(run)
        let failed = try store.save(
            ModelRun(
                name: "cmd", source: .command, metrics: nil, outOfFold: true, probabilities: ["1": 0.5],
                parentRunID: saved.id, auditEventID: "e1", datasetFingerprint: "fp", inputKey: "k2",
                failure: "exit status 2"))
        let all = try store.runs(datasetFingerprint: "fp")
        #expect(all.map(\.name) == [hostile, "cmd"])
        #expect(all[0].probabilities == ["1": 0.25, "2": 1])
        #expect(all[0].outOfFold == nil && all[0].metrics == run.metrics && all[0].parameters == run.parameters)
        #expect(all[1].failure == "exit status 2" && all[1].parentRunID == saved.id && all[1].auditEventID == "e1")
        // A failed run is never reused as a cached result.
        #expect(try store.latestRun(name: "cmd", inputKey: "k2") == nil)
        #expect(try store.latestRun(name: hostile, inputKey: "k1")?.id == saved.id)
        #expect(try store.runs(datasetFingerprint: "other").isEmpty)
        #expect(failed.id != nil)
    }

    @Test func featuresAreKeyedByPathSizeMtimeAndVersion() throws {
        let folder = try temporaryFolder()
        let store = try CacheStore.open(at: folder.appendingPathComponent("c.sqlite"))
        let a = FileStamp(path: "/x/a.jpg", size: 10, modified: 100.5)
        try store.saveFeatures(kind: "hog", version: 1, [(a, [1, 2.5, -3])])
        #expect(try store.features(kind: "hog", version: 1, files: [a]) == [a: [1, 2.5, -3]])
        #expect(try store.features(kind: "hog", version: 2, files: [a]).isEmpty)
        #expect(try store.features(kind: "other", version: 1, files: [a]).isEmpty)
        #expect(
            try store.features(kind: "hog", version: 1, files: [FileStamp(path: "/x/a.jpg", size: 11, modified: 100.5)]).isEmpty)
        #expect(
            try store.features(kind: "hog", version: 1, files: [FileStamp(path: "/x/a.jpg", size: 10, modified: 101)]).isEmpty)
    }

    @Test func neighbourGraphsRoundTripPerMetricAndK() throws {
        let folder = try temporaryFolder()
        let store = try CacheStore.open(at: folder.appendingPathComponent("c.sqlite"))
        let graph = NeighbourGraph(rows: 3, k: 1, metric: .l2, indices: [1, 0, -1], distances: [0.5, 0.5, .infinity])
        let cached = CachedNeighbours(graph: graph, distances: DistanceDistribution(sortedSample: [0.1, 0.5, 0.9]))
        try store.saveNeighbours(fingerprint: "fp", cached)
        #expect(try store.neighbours(fingerprint: "fp", metric: .l2, k: 1) == cached)
        #expect(try store.neighbours(fingerprint: "fp", metric: .cosine, k: 1) == nil)
        #expect(try store.neighbours(fingerprint: "fp", metric: .l2, k: 2) == nil)
    }
}
