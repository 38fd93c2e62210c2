import Foundation
import LabelAuditCore

/// The ranking's picture evidence as one probability per train face, and confident learning on
/// it: what the issues CSV, `rank`'s confident-learning column and the report's model-based
/// noise estimate all read, so they agree with the queue.
///
/// The pooled probability is the skill-weighted logarithmic pool of the runs in the ranking's
/// model term (`Ranking.modelTermRuns`: the models of the picture with skill, else every run):
/// logit P = Σ w_m logit p_m / Σ w_m, with p_m clipped to [1e-4, 1 - 1e-4] as the ranking's
/// surprise is. With one picture model (the usual case) it is that model's probability. The
/// `latent` model, which learns the noisy labelling rule itself, never enters it while a
/// picture model has skill. O(rows · runs).
public struct LabelIssues: Sendable, Equatable {
    /// Pooled P(label = 1) per train row; nil where no pooled run predicts the row.
    public let probabilities: [Double?]
    /// The runs pooled, with their weights (normalised to sum 1).
    public let runs: [(name: String, weight: Double)]
    /// Confident learning on the pooled probabilities (`issueRows` are train rows); nil when
    /// no row has a pooled prediction.
    public let confidentLearning: ConfidentLearning?

    public static func == (a: LabelIssues, b: LabelIssues) -> Bool {
        a.probabilities == b.probabilities && a.confidentLearning == b.confidentLearning
            && a.runs.map(\.name) == b.runs.map(\.name) && a.runs.map(\.weight) == b.runs.map(\.weight)
    }

    static let clip = 1e-4

    public init(dataset: Dataset, evidence: Evidence) {
        let n = dataset.trainCount
        let trainIDs = dataset.ids[0 ..< n]
        let runEvidence = evidence.runs.map { run in
            RunEvidence(name: run.name, probabilities: trainIDs.map { run.probabilities[$0] }, outOfFold: run.outOfFold,
                        modelsTheLabelRule: run.source == .latent)
        }
        let weights = Ranking.weights(runs: runEvidence, labels: Array(dataset.labels[0 ..< n]))
        let term = Ranking.modelTermRuns(runs: runEvidence, weights: weights)
        var raw = term.map { weights[$0].weight }
        if raw.reduce(0, +) <= 0 { raw = term.map { _ in 1 } }
        let total = raw.reduce(0, +)
        runs = zip(term, raw).map { (runEvidence[$0.0].name, total > 0 ? $0.1 / total : 0) }
        var pooled = [Double?](repeating: nil, count: n)
        for row in 0 ..< n {
            var logit = 0.0, weight = 0.0
            for (index, w) in zip(term, raw) where w > 0 {
                guard let p = runEvidence[index].probabilities[row] else { continue }
                let q = min(max(p, Self.clip), 1 - Self.clip)
                logit += w * log(q / (1 - q))
                weight += w
            }
            if weight > 0 { pooled[row] = 1 / (1 + exp(-logit / weight)) }
        }
        probabilities = pooled
        confidentLearning = pooled.contains { $0 != nil }
            ? ConfidentLearning(rowProbabilities: pooled, labels: dataset.labels[0 ..< n]) : nil
    }

    /// P(given label) under the pool (cleanlab's self-confidence `label_score`); nil without a
    /// pooled prediction.
    public func labelScore(row: Int, label: UInt8) -> Double? {
        probabilities[row].map { LabelQuality.selfConfidence(p: $0, label: label) }
    }

    /// Train rows confident learning flags on the pooled probabilities, as a set.
    public var issueRows: Set<Int> { Set(confidentLearning?.issueRows ?? []) }

    /// "image" or "image 0.62 + cnn 0.38": which runs the pool holds.
    public var description: String {
        runs.count == 1 ? runs[0].name : runs.map { "\($0.name) \(String(format: "%.2f", $0.weight))" }.joined(separator: " + ")
    }
}
