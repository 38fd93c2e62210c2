import Foundation
import GRDB
import LabelAuditCore

/// The deletable cache: model runs with their predictions, image features and neighbour
/// graphs, in a SQLite file of its own beside the audit database (`<audit>-cache.sqlite`), so
/// the irreplaceable verdicts never share a file with data that can be recomputed.
///
/// Float vectors are stored as little-endian BLOBs (one row per image, one per graph): a warm
/// start reads a few large values instead of millions of small rows.
public final class CacheStore: Sendable {
    /// Bumped on incompatible schema changes; an unknown newer cache is refused, never rewritten.
    public static let schemaVersion = 1
    static let applicationID: Int32 = 0x4C_41_43_31  // "LAC1"

    public let url: URL
    private let pool: DatabasePool

    private init(url: URL, pool: DatabasePool) {
        self.url = url
        self.pool = pool
    }

    deinit {
        try? pool.close()
    }

    /// Opens or creates the cache at `url`. A file that is not a labelaudit cache, or one written
    /// by a newer version, is refused with a `CacheStoreError` and left untouched.
    public static func open(at url: URL) throws(CacheStoreError) -> CacheStore {
        let path = url.path
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            try probe(path: path)
        } else {
            let folder = url.deletingLastPathComponent()
            do {
                try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw CacheStoreError(path: path, problem: "cannot create its folder (\(error.localizedDescription))")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(SharedDatabaseFile.busyTimeout)
        configuration.label = "labelaudit.cache"
        do {
            var migrator = DatabaseMigrator()
            migrator.registerMigration("cache-v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE model_run (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            name TEXT NOT NULL,
                            source TEXT NOT NULL,
                            parameters TEXT NOT NULL,
                            created_at REAL NOT NULL,
                            metrics TEXT,
                            out_of_fold INTEGER,
                            parent_run INTEGER REFERENCES model_run(id),
                            audit_event TEXT,
                            dataset_fingerprint TEXT NOT NULL,
                            input_key TEXT NOT NULL,
                            failure TEXT
                        );
                        CREATE INDEX model_run_by_dataset ON model_run (dataset_fingerprint, id);
                        CREATE INDEX model_run_by_key ON model_run (name, input_key, id);
                        CREATE TABLE prediction (
                            run INTEGER NOT NULL REFERENCES model_run(id) ON DELETE CASCADE,
                            item TEXT NOT NULL,
                            p REAL NOT NULL,
                            boundary REAL,
                            fold INTEGER,
                            PRIMARY KEY (run, item)
                        ) WITHOUT ROWID;
                        CREATE TABLE feature (
                            path TEXT NOT NULL,
                            kind TEXT NOT NULL,
                            size INTEGER NOT NULL,
                            mtime REAL NOT NULL,
                            version INTEGER NOT NULL,
                            vector BLOB NOT NULL,
                            PRIMARY KEY (path, kind)
                        ) WITHOUT ROWID;
                        CREATE TABLE neighbour_graph (
                            fingerprint TEXT NOT NULL,
                            metric TEXT NOT NULL,
                            k INTEGER NOT NULL,
                            rows INTEGER NOT NULL,
                            indices BLOB NOT NULL,
                            distances BLOB NOT NULL,
                            distance_sample BLOB NOT NULL,
                            created_at REAL NOT NULL,
                            PRIMARY KEY (fingerprint, metric, k)
                        ) WITHOUT ROWID;
                        """)
                try db.execute(sql: "PRAGMA application_id = \(applicationID)")
                try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
            }
            let pool = try SharedDatabaseFile.openPool(path: path, configuration: configuration, migrator: migrator)
            return CacheStore(url: url, pool: pool)
        } catch let error as CacheStoreError {
            throw error
        } catch {
            throw CacheStoreError(path: path, problem: "cannot open the cache (\(error))")
        }
    }

    /// Reads the header before SQLite may touch the file: refuses non-SQLite files, other
    /// applications' databases and newer caches.
    private static func probe(path: String) throws(CacheStoreError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CacheStoreError(path: path, problem: "cannot read the cache file")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        if header.isEmpty { return }  // an empty file: SQLite initialises it.
        guard header.count == 100, header.prefix(16) == Data("SQLite format 3\0".utf8) else {
            throw CacheStoreError(path: path, problem: "not a SQLite database")
        }
        let bytes = [UInt8](header)
        func bigEndian(_ offset: Int) -> Int32 {
            Int32(
                bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
                    | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
        }
        let version = bigEndian(60)
        let application = bigEndian(68)
        if application != 0 && application != applicationID {
            throw CacheStoreError(path: path, problem: "a SQLite database of another application, not a labelaudit cache")
        }
        if version > schemaVersion {
            throw CacheStoreError(
                path: path,
                problem:
                    "written by a newer labelaudit (cache schema \(version), this build knows \(schemaVersion)); left untouched")
        }
    }

    // MARK: model runs

    /// Saves a run and its predictions in one transaction; returns it with its new id.
    @discardableResult
    public func save(_ run: ModelRun) throws(CacheStoreError) -> ModelRun {
        var saved = run
        do {
            let parameters = String(decoding: try CacheStore.sortedEncoder.encode(run.parameters), as: UTF8.self)
            let metrics = try run.metrics.map { String(decoding: try CacheStore.sortedEncoder.encode($0), as: UTF8.self) }
            saved.id = try pool.write { db -> Int64 in
                try db.execute(
                    sql: """
                        INSERT INTO model_run (name, source, parameters, created_at, metrics, out_of_fold, parent_run,
                                               audit_event, dataset_fingerprint, input_key, failure)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        run.name, run.source.rawValue, parameters, run.createdAt.timeIntervalSince1970,
                        metrics, run.outOfFold.map { $0 ? 1 : 0 }, run.parentRunID, run.auditEventID,
                        run.datasetFingerprint, run.inputKey, run.failure,
                    ])
                let id = db.lastInsertedRowID
                let statement = try db.makeStatement(
                    sql: "INSERT INTO prediction (run, item, p, boundary, fold) VALUES (?, ?, ?, ?, ?)")
                for (item, p) in run.probabilities {
                    try statement.execute(arguments: [id, item, p, run.boundaryDistances[item], run.folds[item]])
                }
                return id
            }
        } catch {
            throw CacheStoreError(path: url.path, problem: "cannot save model run '\(run.name)' (\(error))")
        }
        return saved
    }

    /// All runs of a dataset, oldest first, with their predictions. O(runs * rows).
    public func runs(datasetFingerprint: String) throws(CacheStoreError) -> [ModelRun] {
        try fetchRuns(where: "dataset_fingerprint = ?", arguments: [datasetFingerprint])
    }

    /// The newest successful run named `name` computed from exactly `inputKey`, if cached.
    public func latestRun(name: String, inputKey: String) throws(CacheStoreError) -> ModelRun? {
        try fetchRuns(
            where: "name = ? AND input_key = ? AND failure IS NULL", arguments: [name, inputKey],
            newestOnly: true
        ).first
    }

    /// Adds (or replaces) parameters of a stored run: a rerun records the audit state it used
    /// (correction counts) on the run the engine saved for it.
    public func addParameters(_ parameters: [String: String], toRun id: Int64) throws(CacheStoreError) {
        do {
            try pool.write { db in
                guard let json = try String.fetchOne(db, sql: "SELECT parameters FROM model_run WHERE id = ?", arguments: [id])
                else { return }
                var merged = (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
                merged.merge(parameters) { _, new in new }
                let text = String(decoding: try CacheStore.sortedEncoder.encode(merged), as: UTF8.self)
                try db.execute(sql: "UPDATE model_run SET parameters = ? WHERE id = ?", arguments: [text, id])
            }
        } catch {
            throw CacheStoreError(path: url.path, problem: "cannot update model run \(id) (\(error))")
        }
    }

    public func run(id: Int64) throws(CacheStoreError) -> ModelRun? {
        try fetchRuns(where: "id = ?", arguments: [id]).first
    }

    private func fetchRuns(
        where condition: String, arguments: StatementArguments,
        newestOnly: Bool = false
    ) throws(CacheStoreError) -> [ModelRun] {
        do {
            return try pool.read { db in
                let order = newestOnly ? "ORDER BY id DESC LIMIT 1" : "ORDER BY id"
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM model_run WHERE \(condition) \(order)", arguments: arguments)
                var runs: [ModelRun] = []
                for row in rows {
                    let id: Int64 = row["id"]
                    let parametersJSON: String = row["parameters"]
                    let metricsJSON: String? = row["metrics"]
                    let outOfFold: Int? = row["out_of_fold"]
                    var run = ModelRun(
                        id: id, name: row["name"], source: ModelSource(rawValue: row["source"]) ?? .imported,
                        parameters: (try? JSONDecoder().decode([String: String].self, from: Data(parametersJSON.utf8))) ?? [:],
                        createdAt: Date(timeIntervalSince1970: row["created_at"]),
                        metrics: metricsJSON.flatMap { try? JSONDecoder().decode(ModelMetrics.self, from: Data($0.utf8)) },
                        outOfFold: outOfFold.map { $0 != 0 }, probabilities: [:], parentRunID: row["parent_run"],
                        auditEventID: row["audit_event"], datasetFingerprint: row["dataset_fingerprint"],
                        inputKey: row["input_key"], failure: row["failure"])
                    let cursor = try Row.fetchCursor(
                        db, sql: "SELECT item, p, boundary, fold FROM prediction WHERE run = ?", arguments: [id])
                    while let p = try cursor.next() {
                        let item: String = p[0]
                        run.probabilities[item] = p[1]
                        if let boundary: Double = p[2] { run.boundaryDistances[item] = boundary }
                        if let fold: Int = p[3] { run.folds[item] = fold }
                    }
                    runs.append(run)
                }
                return runs
            }
        } catch {
            throw CacheStoreError(path: url.path, problem: "cannot read model runs (\(error))")
        }
    }

    // MARK: features

    /// Cached feature vectors of `kind` for the given files, where path, size, mtime and
    /// version all match; files changed since are absent from the result. O(files).
    public func features(kind: String, version: Int, files: [FileStamp]) throws(CacheStoreError) -> [FileStamp: [Float]] {
        do {
            return try pool.read { db in
                var found: [FileStamp: [Float]] = [:]
                let statement = try db.makeStatement(
                    sql: "SELECT size, mtime, version, vector FROM feature WHERE path = ? AND kind = ?")
                for file in files {
                    guard let row = try Row.fetchOne(statement, arguments: [file.path, kind]) else { continue }
                    let size: Int64 = row[0]
                    let mtime: Double = row[1]
                    let storedVersion: Int = row[2]
                    guard size == file.size, mtime == file.modified, storedVersion == version else { continue }
                    let blob: Data = row[3]
                    found[file] = CacheBlobCoding.floats(blob)
                }
                return found
            }
        } catch {
            throw CacheStoreError(path: url.path, problem: "cannot read cached features (\(error))")
        }
    }

    /// Stores (replacing) feature vectors in one transaction.
    public func saveFeatures(kind: String, version: Int, _ vectors: [(FileStamp, [Float])]) throws(CacheStoreError) {
        do {
            try pool.write { db in
                let statement = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO feature (path, kind, size, mtime, version, vector) VALUES (?, ?, ?, ?, ?, ?)")
                for (file, vector) in vectors {
                    try statement.execute(arguments: [
                        file.path, kind, file.size, file.modified, version, CacheBlobCoding.data(vector),
                    ])
                }
            }
        } catch {
            throw CacheStoreError(path: url.path, problem: "cannot save features (\(error))")
        }
    }

    // MARK: neighbours

    public func neighbours(fingerprint: String, metric: DistanceMetric, k: Int) throws(CacheStoreError) -> CachedNeighbours? {
        do {
            return try pool.read { db -> CachedNeighbours? in
                guard
                    let row = try Row.fetchOne(
                        db,
                        sql:
                            "SELECT rows, indices, distances, distance_sample FROM neighbour_graph WHERE fingerprint = ? AND metric = ? AND k = ?",
                        arguments: [fingerprint, metric.rawValue, k])
                else { return nil }
                let rows: Int = row[0]
                let indices = CacheBlobCoding.int32s(row[1])
                let distances = CacheBlobCoding.floats(row[2])
                guard indices.count == rows * k, distances.count == rows * k else { return nil }
                return CachedNeighbours(
                    graph: NeighbourGraph(rows: rows, k: k, metric: metric, indices: indices, distances: distances),
                    distances: DistanceDistribution(sortedSample: CacheBlobCoding.floats(row[3])))
            }
        } catch {
            throw CacheStoreError(path: url.path, problem: "cannot read the cached neighbours (\(error))")
        }
    }

    public func saveNeighbours(fingerprint: String, _ cached: CachedNeighbours) throws(CacheStoreError) {
        let graph = cached.graph
        do {
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO neighbour_graph (fingerprint, metric, k, rows, indices, distances, distance_sample, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        fingerprint, graph.metric.rawValue, graph.k, graph.rows, CacheBlobCoding.data(graph.indices),
                        CacheBlobCoding.data(graph.distances), CacheBlobCoding.data(cached.distances.sortedSample),
                        Date().timeIntervalSince1970,
                    ])
            }
        } catch {
            throw CacheStoreError(path: url.path, problem: "cannot save the neighbours (\(error))")
        }
    }
}

extension CacheStore {
    static var sortedEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// Little-endian packing of numeric arrays into BLOBs.
enum CacheBlobCoding {
    static func data<T: FixedWidthInteger>(_ values: [T]) -> Data {
        values.map { $0.littleEndian }.withUnsafeBytes { Data($0) }
    }

    static func data(_ values: [Float]) -> Data {
        data(values.map(\.bitPattern))
    }

    static func int32s(_ data: Data) -> [Int32] {
        let count = data.count / 4
        var out = [Int32](repeating: 0, count: count)
        _ = out.withUnsafeMutableBytes { data.copyBytes(to: $0, count: count * 4) }
        return out.map { Int32(littleEndian: $0) }
    }

    static func floats(_ data: Data) -> [Float] {
        int32s(data).map { Float(bitPattern: UInt32(bitPattern: $0)) }
    }
}
