import Foundation
import LabelAuditCore
import LabelAuditStore

/// Where one face stood in the queue (the default ranking of every run in use).
public struct QueuePosition: Sendable, Equatable, Codable {
    /// The default ranking's score (higher = more suspicious).
    public var score: Double
    /// 1-based position in the queue of train rows.
    public var rank: Int
}

/// One retrained model's view of one selected face, before and after.
public struct FaceModelChange: Sendable, Equatable, Codable {
    /// The retrained run's name (`image-rerun`, ...).
    public var run: String
    /// P(label = 1) from the parent run and from the new run; nil without a prediction.
    public var before: Double?
    public var after: Double?
    /// Whether each agrees with the team's decision on the label.
    public var agreementBefore: VerdictAgreement?
    public var agreementAfter: VerdictAgreement?
}

/// Before and after for one selected face.
public struct RerunRow: Sendable, Equatable, Codable {
    public var id: String
    public var providedLabel: UInt8
    /// The label trained on; nil when the row was dropped.
    public var trainedLabel: UInt8?
    /// The consensus decision (`label_wrong`, ..., `conflict`); nil without any verdict.
    public var verdict: ConsensusDecision?
    /// Position in the queue before (the parents in use) and after (the retrained runs in their place).
    public var before: QueuePosition?
    public var after: QueuePosition?
    /// Per retrained model, in the order of `RerunResult.models`.
    public var models: [FaceModelChange]
}

/// A row that entered the top of the queue.
public struct RisenRow: Sendable, Equatable, Codable {
    public var id: String
    public var rankBefore: Int?
    public var rankAfter: Int
    public var reason: String
}

/// One model a rerun retrained: the run before the corrections and the new one.
public struct ModelRerun: Sendable {
    public var model: RerunModel
    /// What the corrections are compared against: the evidence's run of this model (trained on
    /// the provided labels) or, for a command, its baseline on the provided labels. nil only when
    /// a command's baseline failed.
    public var parent: ModelRun?
    /// The new run as stored (with `failure` set when an external command failed; for a command
    /// whose baseline failed, the failed baseline).
    public var run: ModelRun
    /// True when an identical earlier rerun (same labels, same rows, same inputs) was reused.
    public var reused: Bool
    /// For a command: whether its baseline was reused from the cache (false: run now).
    public var baselineReused: Bool?
    /// nil when the run failed.
    public var comparison: ModelComparison?

    public var failure: String? { run.failure }
}

/// Everything a rerun produced, for the CLI (text or JSON) and the app.
public struct RerunResult: Sendable {
    /// The retrained models, in the order they were asked for.
    public var models: [ModelRerun]
    public var corrections: Corrections
    /// The selected faces in dataset order.
    public var rows: [RerunRow]
    public var top: Int
    /// Rows in the new top `top` that were not in the old one, by new rank.
    public var risen: [RisenRow]
    /// The queue with each retrained run in place of its parent (unchanged where a run failed).
    package var evidenceAfter: Evidence
    /// The queue before, with a command's baseline in it.
    package var evidenceBefore: Evidence
    /// An external command's stderr log.
    public var logURL: URL?
    /// What the reader must know to read the numbers (the latent model's caveat).
    public var notes: [String]
    public var warnings: [String]

    /// The first failure, if any model failed.
    public var failure: String? { models.lazy.compactMap(\.failure).first }

    /// The line that says what the latent model's numbers mean.
    package static let latentNote =
        "the latent model learns the labelling rule from the latents, the rule that made the noisy labels: "
        + "its agreement with the labels says how well it copies that rule, not whether it sees glasses, and the queue's picture evidence does not come from it"

    /// One line for a status bar (the app's `R`), control characters stripped: per model, how
    /// many confirmed errors it still gets wrong and how many flagged faces agree with the
    /// verdict, before -> after, and its AUROC against the corrected labels.
    package var summaryLine: String {
        let parts = models.map { model -> String in
            let name = model.run.name
            guard let c = model.comparison, model.failure == nil else {
                return "\(name) failed: \(model.failure ?? "no result")"
            }
            let from = model.parent.map { " (from \($0.name)\(model.reused ? ", cached" : ""))" } ?? ""
            func count(_ value: Int?) -> String { value.map(String.init) ?? "-" }
            func metric(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "undefined" }
            return
                "\(name)\(from): confirmed errors still wrong \(count(c.stillWrongBefore)) -> \(c.stillWrongAfter) of \(c.confirmedErrors); "
                + "flagged faces agreeing with the verdict \(count(c.agreeBefore)) -> \(c.agreeAfter) of \(c.decidedFaces); "
                + "AUROC vs corrected labels \(c.correctedBefore.map { metric($0.auroc) } ?? "-") -> \(metric(c.correctedAfter.auroc))"
        }
        return TerminalSafeText.sanitized("rerun " + parts.joined(separator: " | "))
    }
}
