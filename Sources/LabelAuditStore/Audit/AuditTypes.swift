import Foundation
import LabelAuditCore

/// The per-reviewer field an event changes. Undo events carry the field they restore so the
/// state can always be replayed from events alone.
public enum AuditField: String, Sendable, Codable, CaseIterable {
    case verdict
    case note
    case tags
    case flag
}

/// What kind of user action produced an event.
public enum AuditEventKind: String, Sendable, Codable, CaseIterable {
    case verdict
    case note
    case tags
    case flag
    /// Reverts one earlier event (`AuditEvent.undoes`); the log itself is never edited.
    case undo
}

/// One immutable entry of the append-only audit log.
///
/// Events carry UUIDs so that logs from several reviewers' databases can be merged any number
/// of times, in any order, with the same result.
public struct AuditEvent: Sendable, Equatable, Codable {
    public let id: UUID
    /// Groups the events written by one user action (a verdict with a note and tags is one
    /// action of up to three events); undo reverts a whole action.
    public let action: UUID
    public let item: String
    public let reviewer: String
    /// Microseconds since 1970-01-01 UTC. Strictly increasing within one database (events of
    /// one action take consecutive microseconds), so the replay order (timestamp, id) is the
    /// order things happened; the id only breaks ties between merged databases.
    public let timestampMicros: Int64
    public let kind: AuditEventKind
    public let field: AuditField
    /// The field's value before the event, as stored (see `AuditStore` for the encoding).
    public let oldValue: String?
    public let newValue: String?
    /// For undo events: the event whose change is reverted.
    public let undoes: UUID?

    public init(
        id: UUID, action: UUID, item: String, reviewer: String, timestampMicros: Int64,
        kind: AuditEventKind, field: AuditField, oldValue: String?, newValue: String?, undoes: UUID?
    ) {
        self.id = id
        self.action = action
        self.item = item
        self.reviewer = reviewer
        self.timestampMicros = timestampMicros
        self.kind = kind
        self.field = field
        self.oldValue = oldValue
        self.newValue = newValue
        self.undoes = undoes
    }

    package var timestamp: Date { Date(timeIntervalSince1970: Double(timestampMicros) / 1_000_000) }
}

/// What one reviewer currently says about one item: the replay of that pair's events.
public struct ReviewerState: Sendable, Equatable, Codable {
    public let item: String
    public let reviewer: String
    public var verdict: Verdict?
    public var note: String?
    public var tags: [String]
    /// Marked for a model rerun.
    public var flagged: Bool
    public var firstMicros: Int64
    public var updatedMicros: Int64
    /// When the current verdict was given; nil when there is none.
    public var verdictMicros: Int64?

    public init(
        item: String, reviewer: String, verdict: Verdict? = nil, note: String? = nil, tags: [String] = [],
        flagged: Bool = false, firstMicros: Int64, updatedMicros: Int64, verdictMicros: Int64? = nil
    ) {
        self.item = item
        self.reviewer = reviewer
        self.verdict = verdict
        self.note = note
        self.tags = tags
        self.flagged = flagged
        self.firstMicros = firstMicros
        self.updatedMicros = updatedMicros
        self.verdictMicros = verdictMicros
    }

    public var updated: Date { Date(timeIntervalSince1970: Double(updatedMicros) / 1_000_000) }
}

/// All reviewers' verdicts on one item and what they decide: the one consensus rule that the
/// report, the corrected-labels CSV, `rerun` and the review app all use.
///
/// The rule (Docs/report.md, "Consensus"): `label_ok` and `label_wrong` are decisive;
/// `unsure` abstains; `bad_image` speaks about the picture, not the label, so it abstains too
/// (and marks the face as a broken picture). Decisive verdicts that all agree decide; decisive
/// verdicts that disagree are a conflict (label kept, listed). With no decisive verdict, any
/// `bad_image` makes the face a broken picture, else `unsure`. A reviewer who undid their
/// verdict has none and does not count.
public struct ItemConsensus: Sendable, Equatable, Codable {
    /// Kept for readers of the earlier API: `conflict` exactly when `decision == .conflict`.
    public enum Status: String, Sendable, Codable {
        /// One reviewer gave a verdict.
        case single
        /// Several reviewers, and their decisive verdicts do not disagree.
        case agreed
        /// Decisive verdicts disagree (label_ok against label_wrong).
        case conflict
    }

    public let item: String
    /// (reviewer, verdict), sorted by reviewer.
    public let verdicts: [ReviewerVerdict]
    public let decision: ConsensusDecision

    public struct ReviewerVerdict: Sendable, Equatable, Codable {
        public let reviewer: String
        public let verdict: Verdict

        public init(reviewer: String, verdict: Verdict) {
            self.reviewer = reviewer
            self.verdict = verdict
        }
    }

    /// Applies the consensus rule to one item's current verdicts (any order; a reviewer
    /// without a verdict is simply absent). nil when nobody has a verdict. O(reviewers).
    public init?(item: String, verdicts: [ReviewerVerdict]) {
        guard !verdicts.isEmpty else { return nil }
        self.item = item
        self.verdicts = verdicts.sorted { $0.reviewer < $1.reviewer }
        decision = ConsensusDecision(verdicts.map(\.verdict))!
    }

    /// The same rule over reviewer states (their current verdicts; states without one are skipped).
    public init?(item: String, states: [ReviewerState]) {
        self.init(
            item: item,
            verdicts: states.compactMap { state in
                state.verdict.map { ReviewerVerdict(reviewer: state.reviewer, verdict: $0) }
            })
    }

    /// Decisive verdicts disagree: the label is kept, and the face is listed for the team.
    public var isConflict: Bool { decision == .conflict }
    /// A reviewer judged the picture itself broken (whatever the others said).
    public var hasBadImage: Bool { verdicts.contains { $0.verdict == .badImage } }
    /// The label the consensus trains on and exports: flipped only for `labelWrong`.
    public func correctedLabel(given: UInt8) -> UInt8 { decision == .labelWrong ? 1 - given : given }
    /// The reviewers who said label_wrong (who changed the label, when it changed).
    public var wrongSayers: [String] { verdicts.filter { $0.verdict == .labelWrong }.map(\.reviewer) }
    /// label_wrong / (label_ok + label_wrong); nil without a decisive verdict. A conflict
    /// counts as this share in the noise estimate.
    public var wrongShare: Double? {
        let wrong = verdicts.filter { $0.verdict == .labelWrong }.count
        let ok = verdicts.filter { $0.verdict == .labelOK }.count
        return wrong + ok > 0 ? Double(wrong) / Double(wrong + ok) : nil
    }
    /// One reviewer's verdict on this item, if any (for a "my verdict" or reviewer filter).
    public func verdict(of reviewer: String) -> Verdict? {
        verdicts.first { $0.reviewer == reviewer }?.verdict
    }

    public var status: Status { isConflict ? .conflict : (verdicts.count == 1 ? .single : .agreed) }

    /// The decisive verdict everyone gave (label_ok or label_wrong), or the abstention when
    /// nobody was decisive; nil on conflict.
    package var agreedVerdict: Verdict? {
        switch decision {
        case .labelOK: return .labelOK
        case .labelWrong: return .labelWrong
        case .unsure: return .unsure
        case .badImage: return .badImage
        case .conflict: return nil
        }
    }
}

/// What `AuditStore.merge(from:)` did.
public struct MergeSummary: Sendable, Equatable {
    /// Events new to this database.
    public var imported = 0
    /// Events this database already had (merging is idempotent).
    public var alreadyPresent = 0
    /// Events whose id was known but whose content differs: kept as they were here, reported.
    public var mismatched = 0
    /// Events about test ids: never imported, since the test set is not hand-labeled.
    public var refusedTestItems = 0
    /// (item, reviewer) pairs whose state was replayed.
    package var affectedPairs = 0
    /// Audit-sample entries new to this database.
    package var importedSampleItems = 0
    /// Incoming events (and audit-sample entries) left out because they break a rule a local
    /// action obeys, counted per reason.
    public var skipped: [MergeSkipReason: Int] = [:]
    /// Up to three skipped events per reason, to show.
    public var skippedExamples: [MergeSkipExample] = []

    public init() {}
}
