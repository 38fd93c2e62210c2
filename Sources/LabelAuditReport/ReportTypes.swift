import Foundation
import LabelAuditEngine

/// Everything the audit report says, as one value: built once (`AuditReport.build`), then
/// written in any format (`ReportWriter`). Its JSON encoding *is* the JSON report, described
/// by `ReportSchema.json` (bump `currentSchemaVersion` whenever that shape changes).
///
/// Only train rows appear with anything human-made; test rows are counted, never labelled.
public struct AuditReport: Sendable, Codable, Equatable {
    package static let currentSchemaVersion = 2

    public var schemaVersion: Int
    /// ISO 8601, UTC.
    package var generatedAt: String
    public var dataset: DatasetSection
    public var runs: [RunSection]
    public var progress: ReviewProgress
    public var confirmedErrors: [ReviewedFace]
    /// Faces a reviewer judged `bad_image` (the picture itself is broken or unreadable).
    package var badImages: [ReviewedFace]
    /// Faces where reviewers gave different verdicts.
    public var conflicts: [ReviewedFace]
    public var noise: NoiseEstimate
    /// Which way labels are wrong: P(label 0 | glasses), P(label 1 | no glasses), the counts
    /// behind them and the corrected prevalence.
    package var noiseMatrix: NoiseMatrix
    public var clustering: ClusteringAnswer
    public var precision: [RankingPrecision]
    package var scoreHistogram: ScoreHistogram
    package var calibration: [CalibrationCurve]
    public var warnings: [String]

    /// Per train row, for the CSV files (not part of the JSON report).
    package var labelRows: [LabelRow] = []
    /// Question 2's picture (JPEG): every train face on the boundary and separating directions,
    /// confirmed errors in red (not part of the JSON report).
    package var directionsPicture: [UInt8]? = nil

    enum CodingKeys: String, CodingKey {
        case schemaVersion, generatedAt, dataset, runs, progress, confirmedErrors, badImages, conflicts, noise, noiseMatrix
        case clustering, precision, scoreHistogram, calibration, warnings
    }
}

public struct DatasetSection: Sendable, Codable, Equatable {
    public var root: String
    public var trainRows: Int
    public var testRows: Int
    package var latentDimensions: Int
    /// Share of train rows labelled 1.
    public var prevalence: Double
    package var missingImagesTrain: Int
    package var missingImagesTest: Int
    public var imageDirectory: String?
}

/// One model run with its train metrics (test labels do not exist, so there is no test metric).
public struct RunSection: Sendable, Codable, Equatable {
    public var name: String
    public var source: String
    /// nil: the user did not say whether the train predictions are out of fold.
    public var outOfFold: Bool?
    /// Its weight in the default ranking (out-of-fold skill).
    public var weight: Double
    package var trainLogLoss: Double?
    package var trainAccuracy: Double?
    package var trainAUROC: Double?
    package var trainRowsPredicted: Int
    public var createdAt: String
}

package struct ReviewerProgress: Sendable, Codable, Equatable {
    package var reviewer: String
    package var verdicts: Int
    package var labelOK: Int
    package var labelWrong: Int
    package var unsure: Int
    package var badImage: Int
}

/// Agreement of two reviewers over the faces both judged.
public struct ReviewerAgreement: Sendable, Codable, Equatable {
    package var reviewerA: String
    package var reviewerB: String
    public var overlap: Int
    public var agreed: Int
    /// Cohen's kappa over the four verdicts; nil when undefined (no overlap, or both
    /// reviewers used one and the same verdict throughout, so chance agreement is 1).
    package var kappa: Double?
}

public struct ReviewProgress: Sendable, Codable, Equatable {
    /// The review queue holds every train row.
    package var queueSize: Int
    /// Train faces with at least one verdict.
    public var reviewed: Int
    /// Reviewed faces whose verdicts say label_ok or label_wrong (others are unsure/bad_image).
    public var decisive: Int
    package var perReviewer: [ReviewerProgress]
    public var agreement: [ReviewerAgreement]
    /// Ids drawn into the random audit sample, and how many of them have a decisive verdict.
    package var auditSampleSize: Int
    package var auditSampleReviewed: Int
    /// Verdicts about ids that are not train rows of this dataset (ignored).
    package var ignoredItems: Int
}

public struct ReviewerVerdictEntry: Sendable, Codable, Equatable {
    public var reviewer: String
    public var verdict: String
    public var note: String?
    public var tags: [String]
    /// ISO 8601 time of the verdict.
    public var at: String?
}

/// A reviewed train face with everything known about it.
public struct ReviewedFace: Sendable, Codable, Equatable {
    public var id: String
    public var row: Int
    package var givenLabel: Int
    public var verdicts: [ReviewerVerdictEntry]
    public var probabilities: [RunProbability]
    /// Default ranking score and 1-based position in the queue.
    public var score: Double
    public var rank: Int
    public var reason: String
    package var inAuditSample: Bool
    public var imagePath: String?
}

/// One score bin of the stratified noise estimate.
public struct NoiseBin: Sendable, Codable, Equatable {
    public var index: Int
    /// 1-based queue positions covered.
    package var firstRank: Int
    package var lastRank: Int
    package var scoreLow: Double
    package var scoreHigh: Double
    public var size: Int
    /// Faces with a decisive verdict, and how many of them are wrong (a conflict counts as the
    /// share of its decisive verdicts that say label_wrong).
    public var reviewed: Int
    public var wrong: Double
    package var sampledReviewed: Int
    package var sampledWrong: Double
    /// census (all reviewed), queue_head (the reviewed head of the queue, a few skipped faces
    /// estimated from it), random_sample, queue (only non-random reviews; likely overstates),
    /// none (unreviewed: the share could be anything).
    package var basis: String
    /// Estimated share of wrong labels in the bin with its 95% interval.
    public var share: Double
    public var shareLow: Double
    public var shareHigh: Double
}

package struct ReviewAllocation: Sendable, Codable, Equatable {
    package var bin: Int
    package var reviews: Int
}

/// Question 1: how noisy are the training labels?
public struct NoiseEstimate: Sendable, Codable, Equatable {
    /// estimated (an unbiased estimate from the audit sample), model_based (reviews or models
    /// but no reviewed audit sample yet), or no_reviews.
    public var status: String
    /// The headline: what is known, what is estimated and how, and the next step.
    public var sentence: String
    public var method: String
    public var trainRows: Int
    /// Share of wrong labels in the whole training set and its 95% interval: the model-assisted
    /// estimate from the audit sample; absent without a reviewed sample.
    public var share: Double?
    public var shareLow: Double?
    public var shareHigh: Double?
    package var wrongLabels: Double?
    /// Confirmed errors (consensus label_wrong): a certain lower bound on the wrong labels.
    package var confirmedWrong: Int
    package var lowerBoundShare: Double
    /// The skill-weighted picture models' calibrated count of wrong labels (confident learning
    /// on the pooled probabilities): model-based, not an unbiased estimate. Absent without a model.
    package var modelBasedWrongLabels: Double?
    package var modelBasedShare: Double?
    /// The pooled runs, e.g. "image" or "image 0.62 + cnn 0.38".
    package var modelBasedRuns: String?
    /// What to do next for an unbiased estimate (or a narrower one), as a command.
    package var nextStep: String
    /// The audit sample behind the estimate.
    public var sample: SampleSummary
    /// The stratified estimate (queue-position bins, Beta posteriors), kept beside the headline
    /// for comparison; its bins say where in the queue the wrong labels are.
    public var stratifiedShare: Double?
    public var stratifiedShareLow: Double?
    public var stratifiedShareHigh: Double?
    public var bins: [NoiseBin]
    /// Neyman allocation of the next reviews (random faces per bin).
    package var nextReviews: [ReviewAllocation]
    /// Normal-approximation half width of the stratified interval after those reviews.
    package var projectedHalfWidth: Double?
    /// Random reviews (Neyman-allocated) needed for a stratified half width of one percentage
    /// point; nil when more than the unreviewed faces.
    package var reviewsForOnePoint: Int?
    public var simulations: Int
    public var seed: UInt64
}

/// The audit sample as the estimator used it.
public struct SampleSummary: Sendable, Codable, Equatable {
    public var draws: Int
    /// Draws with a stored importance-weighted design (the others are uniform).
    package var weightedDraws: Int
    /// Train faces drawn, and those with a decisive verdict (the rest count as non-response).
    public var faces: Int
    public var reviewed: Int
    /// The error calibration P(wrong) = 1 / (1 + exp(-(a + b z))), z = logit(1 - pooled
    /// P(given label)), and how many reviews it was fitted on (reviews outside the sample).
    package var calibrationA: Double
    package var calibrationB: Double
    package var calibrationReviews: Int
    /// Which variance the interval used: sample (Horvitz-Thompson) or model (anticipated).
    package var varianceFrom: String?
}

/// One count with its 95% interval (absent where there is none, e.g. model-based figures).
package struct Interval: Sendable, Codable, Equatable {
    package var estimate: Double
    package var low: Double?
    package var high: Double?
}

/// The wrong labels of one given label (a domain of the estimate).
package struct NoiseDirection: Sendable, Codable, Equatable {
    /// 0 or 1: the given label.
    package var givenLabel: Int
    /// Train faces with this label.
    package var faces: Int
    /// Confirmed errors among them (reviewers' consensus label_wrong).
    package var confirmedWrong: Int
    /// Estimated wrong labels among them (95% interval).
    package var wrong: Interval
}

/// Which way labels are wrong, as cleanlab's noise matrix gives it: P(given label | true class).
public struct NoiseMatrix: Sendable, Codable, Equatable {
    /// audit_sample (the model-assisted estimate), model_based (confident learning on the
    /// pooled picture probabilities, no interval), or none.
    package var basis: String
    /// Labelled 0 and labelled 1: faces, confirmed and estimated wrong labels.
    package var labelledZero: NoiseDirection
    package var labelledOne: NoiseDirection
    /// P(label 0 | glasses): the share of faces with glasses labelled 0.
    package var label0GivenGlasses: Interval?
    /// P(label 1 | no glasses).
    package var label1GivenNoGlasses: Interval?
    /// Share of faces that wear glasses once the wrong labels are corrected, beside the
    /// provided prevalence.
    package var correctedPrevalence: Interval?
    package var providedPrevalence: Double
    public var sentence: String
}

public struct PermutationTest: Sendable, Codable, Equatable {
    public var name: String
    public var description: String
    package var errorsValue: Double
    /// Mean of the statistic over random sets of train faces of the same size.
    package var randomValue: Double
    package var pValue: Double
    package var permutations: Int
    /// less or greater: the direction that would mean "errors gather".
    package var alternative: String
}

/// Question 2: do mislabeled faces sit close together in latent space?
public struct ClusteringAnswer: Sendable, Codable, Equatable {
    /// tested, or too_few_errors.
    public var status: String
    public var confirmedErrors: Int
    package var minimumErrors: Int
    package var errorsFromAuditSample: Int
    public var tests: [PermutationTest]
    /// The picture's second direction (the one that best separates the confirmed errors from
    /// the other faces once the labelling boundary is accounted for) and its permutation test.
    public var directions: SeparatingDirection?
    public var sentence: String
    /// The picture (JPEG), carried to `AuditReport.directionsPicture`; not encoded.
    var picture: [UInt8]? = nil

    enum CodingKeys: String, CodingKey {
        case status, confirmedErrors, minimumErrors, errorsFromAuditSample, tests, directions, sentence
    }
}

public struct SeparatingDirection: Sendable, Codable, Equatable {
    public var description: String
    /// (mean of errors − mean of others) / pooled sd along the fitted direction.
    package var separation: Double
    /// The same for random sets of faces of the same size (direction refitted each time).
    package var randomSeparation: Double
    package var pValue: Double
    package var permutations: Int
}

public struct PrecisionPoint: Sendable, Codable, Equatable {
    public var k: Int
    /// Of the top k, faces with a decisive consensus (label_ok or label_wrong), and the wrong ones.
    public var reviewed: Int
    public var wrong: Int
    public var precision: Double?
}

public struct RankingPrecision: Sendable, Codable, Equatable {
    /// "default", or "|p - label| of RUN".
    public var ranking: String
    public var points: [PrecisionPoint]
}

package struct ScoreHistogram: Sendable, Codable, Equatable {
    /// Bin edges of the default ranking score (count + 1 values).
    package var edges: [Double]
    package var all: [Int]
    package var confirmedErrors: [Int]
    package var confirmedOK: [Int]
}

package struct CalibrationBin: Sendable, Codable, Equatable {
    package var low: Double
    package var high: Double
    package var count: Int
    package var meanPredicted: Double?
    /// Share labelled 1 by the provided labels, and after applying the confirmed corrections.
    package var providedRate: Double?
    package var correctedRate: Double?
}

package struct CalibrationCurve: Sendable, Codable, Equatable {
    package var run: String
    package var bins: [CalibrationBin]
}

/// One train row for the CSV exports.
package struct LabelRow: Sendable, Equatable {
    package var id: String
    package var givenLabel: UInt8
    package var correctedLabel: UInt8
    /// Reviewers who said label_wrong, when the label was changed.
    package var changedBy: [String]
    /// Confident learning on the ranking's pooled picture probabilities (`LabelIssues`).
    package var isLabelIssue: Bool
    /// Pooled P(given label); nil when no picture model predicts the row.
    package var labelScore: Double?
    package var predictedLabel: UInt8?
    /// The reviewers' consensus decision (`ConsensusDecision` raw value); nil when unreviewed.
    package var review: String?
}
