import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// The order in which evidence arrives. Every stage is a complete ranking of what is known.
public enum EvidenceStage: Int, Sendable, Comparable, CaseIterable {
    /// Imported predictions, the latent model and (up to `backgroundNeighboursAbove` rows) the
    /// neighbour graph: about a second on 5,000 faces.
    case latent
    /// Everything, the image model included.
    case complete

    public static func < (a: EvidenceStage, b: EvidenceStage) -> Bool { a.rawValue < b.rawValue }
}

/// Where the engine is, for progress displays.
public struct EvidenceProgress: Sendable, Equatable {
    public enum Stage: String, Sendable {
        case latentModel, imageFeatures, imageModel, neighbours, ranking
    }
    public let stage: Stage
    /// 0...1 within the stage.
    public let fraction: Double
    public let message: String
}

public typealias ProgressHandler = @Sendable (EvidenceProgress) -> Void

/// Why evidence could not be produced.
public enum EvidenceError: Error, Equatable, CustomStringConvertible, Sendable {
    case cancelled
    case cache(CacheStoreError)
    case predictions(DatasetError)
    /// The `--neighbours` file is unreadable or wrong (file, line, what to do).
    case neighbours(DatasetError)
    case noTrainRows

    public var description: String {
        switch self {
        case .cancelled: return "cancelled"
        case .cache(let e): return e.description
        case .predictions(let e): return e.description
        case .neighbours(let e): return e.description
        case .noTrainRows: return "the dataset has no train rows, so there are no labels to audit"
        }
    }
}

/// A kind of evidence that could not be produced for this dataset, and why (a model that cannot
/// be fitted on a tiny or one-class training set, ...). The queue is then ranked without it.
public struct MissingEvidence: Sendable, Equatable, Codable {
    /// The run's name ("latent", "image").
    public let name: String
    public let reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}

/// Everything the review queue shows beside a face.
public struct Evidence: Sendable {
    /// Successful model runs used for ranking, in order: imported, latent, image.
    public let runs: [ModelRun]
    public let weights: [RunWeight]
    /// Confident learning per run name (train rows with predictions; `issueRows` are train rows).
    public let confidentLearning: [String: ConfidentLearning]
    /// nil while the all-pairs job is still pending (large sets).
    public let neighbours: CachedNeighbours?
    /// The default ranking of the train rows, most suspicious first.
    public let ranking: [RankedRow]
    /// Non-fatal notes for the user (unknown out-of-fold status, unreadable images, ...).
    public let warnings: [String]
    /// Model runs that could not be produced, with the reason (also said in `warnings`).
    public var missing: [MissingEvidence] = []
    /// What this ranking knows: `.latent` before the image model has landed.
    public var stage: EvidenceStage = .complete

    package var isComplete: Bool { stage == .complete }
}
