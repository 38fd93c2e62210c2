import Foundation

/// What a reviewer decided about one training face's provided label.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// The provided label matches the picture.
    case labelOK = "label_ok"
    /// The provided label is wrong for the picture.
    case labelWrong = "label_wrong"
    /// The reviewer could not decide (faint frames, occlusion, ...).
    case unsure
    /// The picture itself is broken or unreadable, so the label cannot be judged.
    case badImage = "bad_image"
}

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

    public var timestamp: Date { Date(timeIntervalSince1970: Double(timestampMicros) / 1_000_000) }
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

/// All reviewers' verdicts on one item, so a team sees disagreements instead of losing them.
public struct ItemConsensus: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// One reviewer gave a verdict.
        case single
        /// Several reviewers, all the same verdict.
        case agreed
        /// Reviewers gave different verdicts.
        case conflict
    }

    public let item: String
    /// (reviewer, verdict), sorted by reviewer.
    public let verdicts: [ReviewerVerdict]
    public let status: Status

    public struct ReviewerVerdict: Sendable, Equatable, Codable {
        public let reviewer: String
        public let verdict: Verdict
    }

    /// The verdict everyone gave, nil on conflict.
    public var agreedVerdict: Verdict? { status == .conflict ? nil : verdicts.first?.verdict }
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
    public var affectedPairs = 0
    /// Audit-sample entries new to this database.
    public var importedSampleItems = 0
    /// Incoming events (and audit-sample entries) left out because they break a rule a local
    /// action obeys, counted per reason.
    public var skipped: [MergeSkipReason: Int] = [:]
    /// Up to three skipped events per reason, to show.
    public var skippedExamples: [MergeSkipExample] = []

    public init() {}
}
