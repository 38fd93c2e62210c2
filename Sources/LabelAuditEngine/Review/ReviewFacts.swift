import LabelAuditCore

// The plain values a review session hands to its screen: everything crossing the
// session's boundary is data, so the screen model stays pure and testable.

/// One model run's opinion of a face.
public struct RunProbability: Hashable, Sendable, Codable {
    public var run: String
    /// P(label = 1).
    public var probability: Double
    public init(run: String, probability: Double) {
        self.run = run
        self.probability = probability
    }
}

/// A verdict by any reviewer (the team shares the store).
public struct ReviewerVerdict: Hashable, Sendable {
    public var reviewer: String
    public var verdict: Verdict
    public init(reviewer: String, verdict: Verdict) {
        self.reviewer = reviewer
        self.verdict = verdict
    }
}

/// Everything the detail panel shows about one face.
public struct FaceDetail: Hashable, Sendable {
    public var id: String
    public var split: Split
    public var label: UInt8?
    public var runs: [RunProbability]
    /// One line saying why the face is in the queue (e.g. "label 1, all 3 runs say 0").
    public var reason: String
    public var verdicts: [ReviewerVerdict]
    public var note: String
    public var tags: [String]
    /// Flagged by this reviewer.
    public var flagged: Bool
    /// Everyone who flagged it (a rerun takes anyone's flags).
    public var flaggedBy: [String] = []
    /// The other reviewers' notes (the team shares the store).
    public var teamNotes: [ReviewerNote] = []
    /// The image file, for display only (sanitised on screen).
    public var imageName: String?
    /// The image file's full path (to open the original, or copy its path).
    public var imagePath: String?

    /// What the team decided from everyone's verdicts.
    public var team: ConsensusDecision? { ConsensusDecision(verdicts.map(\.verdict)) }

    public init(
        id: String, split: Split, label: UInt8?, runs: [RunProbability], reason: String,
        verdicts: [ReviewerVerdict], note: String, tags: [String], flagged: Bool, imageName: String? = nil
    ) {
        self.id = id
        self.split = split
        self.label = label
        self.runs = runs
        self.reason = reason
        self.verdicts = verdicts
        self.note = note
        self.tags = tags
        self.flagged = flagged
        self.imageName = imageName
    }
}

/// A note by another reviewer.
public struct ReviewerNote: Hashable, Sendable {
    public var reviewer: String
    public var note: String
    public init(reviewer: String, note: String) {
        self.reviewer = reviewer
        self.note = note
    }
}

/// A latent-space neighbour of the face in view.
public struct NeighbourSummary: Hashable, Sendable {
    public var id: String
    public var label: UInt8?
    public var probability: Double?
    public var distance: Double
    /// Share (0...1) of all pairs of faces that are closer than this one: how unusual the
    /// closeness is (0.0002: only 0.02% of pairs are closer).
    public var closerShare: Double
    /// How many pairs `closerShare` was measured on (one over it is the finest share).
    public var pairsMeasured: Int
    /// This reviewer's verdict.
    public var verdict: Verdict?
    /// What the team decided about the neighbour.
    public var team: ConsensusDecision?

    public init(
        id: String, label: UInt8?, probability: Double?, distance: Double, closerShare: Double,
        pairsMeasured: Int = 0, verdict: Verdict?, team: ConsensusDecision? = nil
    ) {
        self.id = id
        self.label = label
        self.probability = probability
        self.distance = distance
        self.closerShare = closerShare
        self.pairsMeasured = pairsMeasured
        self.verdict = verdict
        self.team = team
    }
}

/// A change a reviewer makes; committed by the backend the moment it is made.
public enum ReviewChange: Hashable, Sendable {
    case verdict(Verdict)
    case toggleFlag
    case setFlag(Bool)
    case note(String)
    case tags([String])
}

/// What an undo took back: the face it touched, and the changes that would put it back (redo).
public struct UndoOutcome: Hashable, Sendable {
    public var id: String
    /// Applied in order, they restore what the undo removed.
    public var redo: [ReviewChange]

    public init(id: String, redo: [ReviewChange]) {
        self.id = id
        self.redo = redo
    }
}

/// Why a review call failed, in words for the status bar (naming the id and what to do).
public struct ReviewError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
