import Foundation
import LabelAuditCore

/// Where a model run's probabilities came from.
public enum ModelSource: String, Sendable, Codable, CaseIterable {
    /// A predictions CSV from the team's own classifier.
    case imported
    /// The built-in logistic regression on the latents.
    case latent
    /// The built-in eye-band HOG image model.
    case image
    /// An external command (rerun protocol).
    case command
}

/// One model run as kept in the cache file: enough to show, compare, rank and diff it.
public struct ModelRun: Sendable, Equatable, Codable {
    /// Assigned by the cache when saved.
    public var id: Int64?
    public var name: String
    public var source: ModelSource
    /// Free-form parameters shown with the run (chosen C, folds, file path, ...).
    public var parameters: [String: String]
    public var createdAt: Date
    /// Train metrics against the provided labels; nil for a failed run.
    public var metrics: ModelMetrics?
    /// Whether train predictions are out of fold: true, false, or nil = the user did not say.
    public var outOfFold: Bool?
    /// P(label = 1) per item id (train and test rows).
    public var probabilities: [String: Double]
    /// Signed distance to the model's decision boundary per id (built-in models only).
    public var boundaryDistances: [String: Double]
    /// Outer fold per train id (built-in models only).
    public var folds: [String: Int]
    /// The run this one was retrained from (reruns).
    public var parentRunID: Int64?
    /// The last audit event the run's labels reflect (reruns).
    public var auditEventID: String?
    /// Fingerprint of the dataset (ids + latents) the run belongs to.
    public var datasetFingerprint: String
    /// Fingerprint of everything the run was computed from: a cached run with the same key is reused.
    public var inputKey: String
    /// nil when the run succeeded, else why it failed.
    public var failure: String?

    public init(
        id: Int64? = nil, name: String, source: ModelSource, parameters: [String: String] = [:],
        createdAt: Date = Date(), metrics: ModelMetrics?, outOfFold: Bool?, probabilities: [String: Double],
        boundaryDistances: [String: Double] = [:], folds: [String: Int] = [:], parentRunID: Int64? = nil,
        auditEventID: String? = nil, datasetFingerprint: String, inputKey: String, failure: String? = nil
    ) {
        self.id = id
        self.name = name
        self.source = source
        self.parameters = parameters
        self.createdAt = createdAt
        self.metrics = metrics
        self.outOfFold = outOfFold
        self.probabilities = probabilities
        self.boundaryDistances = boundaryDistances
        self.folds = folds
        self.parentRunID = parentRunID
        self.auditEventID = auditEventID
        self.datasetFingerprint = datasetFingerprint
        self.inputKey = inputKey
        self.failure = failure
    }
}

/// A neighbour graph as cached, with the pairwise-distance sample that gives percentiles.
public struct CachedNeighbours: Sendable, Equatable {
    public let graph: NeighbourGraph
    public let distances: DistanceDistribution

    public init(graph: NeighbourGraph, distances: DistanceDistribution) {
        self.graph = graph
        self.distances = distances
    }
}

/// What identifies an image file's content cheaply: a changed file changes size or mtime.
public struct FileStamp: Sendable, Hashable {
    public let path: String
    public let size: Int64
    public let modified: Double

    public init(path: String, size: Int64, modified: Double) {
        self.path = path
        self.size = size
        self.modified = modified
    }

    /// nil when the file cannot be stat'ed (missing, unreadable).
    /// One `stat` call (FileManager's attribute dictionary costs ~40 µs a file: 0.2 s for a
    /// 5,000-face warm start); `modified` is computed exactly as Foundation's
    /// `modificationDate.timeIntervalSince1970` so stamps stored by either agree.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
            let seconds = Double(info.st_mtimespec.tv_sec)
            let nanoseconds = Double(info.st_mtimespec.tv_nsec)
        #else
            let seconds = Double(info.st_mtim.tv_sec)
            let nanoseconds = Double(info.st_mtim.tv_nsec)
        #endif
        let date = Date(
            timeIntervalSinceReferenceDate: (seconds - Date.timeIntervalBetween1970AndReferenceDate) + nanoseconds / 1_000_000_000
        )
        self.init(path: path, size: Int64(info.st_size), modified: date.timeIntervalSince1970)
    }

    /// The same stamp through FileManager (slow); kept to check that `init(path:)` agrees with it.
    package static func viaFileManager(path: String) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.int64Value,
            let date = attributes[.modificationDate] as? Date
        else { return nil }
        return FileStamp(path: path, size: size, modified: date.timeIntervalSince1970)
    }
}

/// Problems with the cache file. The cache holds only recomputable data, so every message
/// says it can be deleted.
public struct CacheStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        "\(path): \(problem); this cache holds only recomputable data (model runs, features, neighbours): delete it and run again"
    }
}
