import Foundation
import LabelAuditCore
import LabelAuditStore

/// Whether a model's prediction for a face agrees with what the team decided about its label.
public enum VerdictAgreement: String, Sendable, Equatable, Codable {
    /// The model puts the face on the side of 0.5 the team decided: the provided label for
    /// `label_ok`, the flipped one for `label_wrong`.
    case agrees
    case disagrees
    /// The team decided nothing about the label (no verdict, `unsure`, `bad_image`, or a
    /// conflict), so there is nothing to agree with.
    case undecided
    /// The team decided, but the model has no prediction for the face.
    case unscored

    /// Under the one consensus rule: `decision` is `ConsensusDecision(verdicts)`.
    public init(p: Double?, providedLabel: UInt8, decision: ConsensusDecision?) {
        guard let label = decision?.decidedLabel(given: providedLabel) else {
            self = .undecided
            return
        }
        guard let p else {
            self = .unscored
            return
        }
        self = (p >= 0.5) == (label == 1) ? .agrees : .disagrees
    }
}

extension ConsensusDecision {
    /// The label the team decided for a face with label `given`: kept for `label_ok`, flipped
    /// for `label_wrong`; nil when the decision says nothing about the label.
    func decidedLabel(given: UInt8) -> UInt8? {
        switch self {
        case .labelOK: return given
        case .labelWrong: return 1 - given
        case .conflict, .unsure, .badImage: return nil
        }
    }
}

/// AUROC, log loss and accuracy of one run against one set of labels. A metric that is
/// undefined for these rows (AUROC when only one label is present, anything of no rows) is
/// nil, and `null` in JSON.
public struct RerunMetrics: Sendable, Equatable, Codable {
    public var rows: Int
    public var auroc: Double?
    public var logLoss: Double?
    public var accuracy: Double?

    public init(probabilities: [Double], labels: [UInt8]) {
        rows = labels.count
        func defined(_ value: Double) -> Double? { value.isFinite ? value : nil }
        auroc = defined(Metrics.auroc(probabilities: probabilities, labels: labels))
        logLoss = defined(Metrics.logLoss(probabilities: probabilities, labels: labels))
        accuracy = defined(Metrics.accuracy(probabilities: probabilities, labels: labels))
    }

    enum CodingKeys: String, CodingKey { case rows, auroc, logLoss, accuracy }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows, forKey: .rows)
        try c.encode(auroc, forKey: .auroc)
        try c.encode(logLoss, forKey: .logLoss)
        try c.encode(accuracy, forKey: .accuracy)
    }
}

/// How one retrained model stands against the reviewers, before (its parent) and after.
public struct ModelComparison: Sendable, Equatable, Codable {
    /// Confirmed errors: train faces whose consensus is `label_wrong` (all of them, flagged or not).
    public var confirmedErrors: Int
    /// Confirmed errors the run still gets wrong (p on the side of the provided, wrong label);
    /// nil for "before" when there is no parent run.
    public var stillWrongBefore: Int?
    public var stillWrongAfter: Int
    /// Confirmed errors the run has no prediction for (counted neither right nor wrong).
    package var unscoredBefore: Int?
    public var unscoredAfter: Int
    /// Selected faces whose consensus decides the label (`label_ok` or `label_wrong`).
    public var decidedFaces: Int
    /// Of them, how many the run agrees with.
    public var agreeBefore: Int?
    public var agreeAfter: Int
    /// Metrics against the provided labels (every train row both runs score) ...
    public var providedBefore: RerunMetrics?
    public var providedAfter: RerunMetrics
    /// ... and against the corrected labels (the same rows, less those left out of training).
    public var correctedBefore: RerunMetrics?
    public var correctedAfter: RerunMetrics
    /// Both runs are known to be out of fold (built-in models); a command's protocol is unknown.
    public var outOfFold: Bool

    /// O(train rows + selected rows · log rows).
    public init(parent: ModelRun?, run: ModelRun, dataset: Dataset, corrections: Corrections, selectedRows: [Int]) {
        let flippedRows = corrections.flipped.compactMap(dataset.row(of:))
        func stillWrong(_ model: ModelRun) -> (wrong: Int, unscored: Int) {
            var wrong = 0
            var unscored = 0
            for row in flippedRows {
                guard let p = model.probabilities[dataset.ids[row]] else {
                    unscored += 1
                    continue
                }
                if (p >= 0.5) == (dataset.labels[row] == 1) { wrong += 1 }
            }
            return (wrong, unscored)
        }
        confirmedErrors = flippedRows.count
        let after = stillWrong(run)
        stillWrongAfter = after.wrong
        unscoredAfter = after.unscored
        let before = parent.map(stillWrong)
        stillWrongBefore = before?.wrong
        unscoredBefore = before?.unscored

        func agreement(_ model: ModelRun, _ row: Int) -> VerdictAgreement {
            let id = dataset.ids[row]
            return VerdictAgreement(
                p: model.probabilities[id], providedLabel: dataset.labels[row], decision: corrections.decisions[id])
        }
        let decided = selectedRows.filter { corrections.decisions[dataset.ids[$0]]?.decidedLabel(given: 0) != nil }
        decidedFaces = decided.count
        agreeAfter = decided.filter { agreement(run, $0) == .agrees }.count
        agreeBefore = parent.map { parent in decided.filter { agreement(parent, $0) == .agrees }.count }

        // The same rows for both runs, so before and after are comparable.
        let scored = (0..<dataset.trainCount).filter { row in
            let id = dataset.ids[row]
            return run.probabilities[id] != nil && (parent == nil || parent!.probabilities[id] != nil)
        }
        let trained = Set(corrections.trainRows)
        let correctedRows = scored.filter { trained.contains($0) }
        func metrics(_ model: ModelRun, _ rows: [Int], _ labels: [UInt8]) -> RerunMetrics {
            RerunMetrics(probabilities: rows.map { model.probabilities[dataset.ids[$0]]! }, labels: rows.map { labels[$0] })
        }
        providedAfter = metrics(run, scored, dataset.labels)
        correctedAfter = metrics(run, correctedRows, corrections.labels)
        providedBefore = parent.map { metrics($0, scored, dataset.labels) }
        correctedBefore = parent.map { metrics($0, correctedRows, corrections.labels) }
        outOfFold = run.outOfFold == true && (parent?.outOfFold ?? true) == true
    }
}
