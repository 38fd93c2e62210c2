import Foundation
import LabelAuditCore
import LabelAuditStore

/// Which faces a review queue lists. Verdict filters ask what the team decided (the one
/// consensus rule, `ConsensusDecision`), not what one reviewer said; `reviewer NAME` asks that.
public enum QueueFilter: Hashable, Sendable {
    /// Train faces where some model run disagrees with the label (all train faces until the
    /// evidence is in).
    case ranked
    case allTrain
    /// Test faces: view only, predictions and no verdicts.
    case test
    /// Flagged for a rerun by anyone (what `rerun --flagged` retrains on).
    case flagged
    /// A verdict from anyone.
    case reviewed
    /// No verdict from anyone.
    case unreviewed
    /// The random audit sample (`:sample N`, `labelaudit sample`).
    case sample
    /// The team's decision.
    case decision(ConsensusDecision)
    /// A verdict by this reviewer.
    case reviewer(String)
    /// Train faces whose label and predicted class are the given pair (a confusion cell).
    case confusion(label: UInt8, predicted: UInt8)

    /// The names `:filter` takes, for help and errors.
    public static let commandNames =
        "ranked, train, test, flagged, reviewed, unreviewed, sample, wrong, ok, conflict, "
        + "unsure, bad_image, reviewer NAME, label=1,pred=0"

    /// Parses what follows `:filter`.
    public init?(command: String) {
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        let word = trimmed.lowercased()
        if word.hasPrefix("reviewer ") || word.hasPrefix("by ") {
            let name = trimmed.drop { $0 != " " }.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { return nil }
            self = .reviewer(name)
            return
        }
        switch word {
        case "", "ranked", "disagreements": self = .ranked
        case "all", "train", "all-train": self = .allTrain
        case "test": self = .test
        case "flagged": self = .flagged
        case "reviewed": self = .reviewed
        case "unreviewed": self = .unreviewed
        case "sample", "audit-sample": self = .sample
        case "wrong", "label_wrong": self = .decision(.labelWrong)
        case "ok", "label_ok": self = .decision(.labelOK)
        case "conflict", "conflicts": self = .decision(.conflict)
        case "unsure": self = .decision(.unsure)
        case "bad", "bad_image": self = .decision(.badImage)
        default:
            var label: UInt8?
            var predicted: UInt8?
            for part in word.split(whereSeparator: { $0 == "," || $0 == " " }) {
                let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2, let value = UInt8(pair[1]), value <= 1 else { return nil }
                switch pair[0] {
                case "label": label = value
                case "pred", "predicted", "prediction": predicted = value
                default: return nil
                }
            }
            guard let label, let predicted else { return nil }
            self = .confusion(label: label, predicted: predicted)
        }
    }

    /// Short name shown in the status bar.
    public var name: String {
        switch self {
        case .ranked: return "ranked"
        case .allTrain: return "train"
        case .test: return "test"
        case .flagged: return "flagged"
        case .reviewed: return "reviewed"
        case .unreviewed: return "unreviewed"
        case .sample: return "sample"
        case .decision(.labelWrong): return "wrong"
        case .decision(.labelOK): return "ok"
        case .decision(let decision): return decision.rawValue
        case .reviewer(let name): return "reviewer \(TerminalSafeText.sanitized(name))"
        case .confusion(let label, let predicted): return "label=\(label),pred=\(predicted)"
        }
    }

    /// What the faces of this filter are, for "12/760 ranked faces".
    public var noun: String {
        switch self {
        case .ranked: return "faces where a model disagrees with the label"
        case .allTrain: return "train faces"
        case .test: return "test faces"
        case .flagged: return "flagged faces"
        case .reviewed: return "reviewed faces"
        case .unreviewed: return "faces nobody reviewed"
        case .sample: return "faces in the audit sample"
        case .decision(.conflict): return "faces where reviewers disagree"
        case .decision(let decision): return "faces the team called \(decision.rawValue)"
        case .reviewer(let name): return "faces \(TerminalSafeText.sanitized(name)) reviewed"
        case .confusion(let label, let predicted): return "faces labelled \(label), predicted \(predicted)"
        }
    }
}

/// Order of the queue.
public enum QueueSort: String, CaseIterable, Hashable, Sendable {
    case score
    case id
    case probability = "p"
}

/// One queue line: what the queue, the app and `rank` show of a face.
public struct QueueRow: Hashable, Sendable {
    public var id: String
    public var split: Split
    /// Provided label; nil for test faces.
    public var label: UInt8?
    /// The shown run's probability of class 1, nil before any run.
    public var probability: Double?
    /// Suspicion score of the ranking, nil when not ranked yet.
    public var score: Double?
    /// This reviewer's verdict.
    public var verdict: Verdict?
    /// What the team decided (all reviewers' verdicts, one consensus rule); nil: no verdict.
    public var team: ConsensusDecision?
    /// How many reviewers gave a verdict.
    public var reviewers: Int
    /// Flagged for a rerun by anyone.
    public var flagged: Bool

    public init(
        id: String, split: Split, label: UInt8?, probability: Double?, score: Double?,
        verdict: Verdict?, team: ConsensusDecision? = nil, reviewers: Int = 0, flagged: Bool
    ) {
        self.id = id
        self.split = split
        self.label = label
        self.probability = probability
        self.score = score
        self.verdict = verdict
        self.team = team
        self.reviewers = reviewers
        self.flagged = flagged
    }
}

/// The review queue: which rows a filter keeps, what each row shows, in which order. The one
/// home of these rules: the review app and `rank` both list faces through it.
public enum ReviewQueue {
    /// Everything a queue is computed from.
    public struct Inputs: Sendable {
        public var dataset: Dataset
        /// Scores by row; empty before the evidence is in (the queue then lists by id).
        public var scores: [Int: RankedRow]
        /// True once evidence exists (the ranked filter then keeps disagreements only).
        package var isRanked: Bool
        /// The runs whose disagreement with the label puts a face in the ranked queue.
        package var disagreeingRuns: [ModelRun]
        /// The run whose p each row shows.
        public var shownRun: ModelRun?
        /// Every reviewer's current state, by item.
        public var states: [String: [ReviewerState]]
        public var reviewer: String
        /// The audit sample's ids (for `.sample`).
        public var sample: Set<String>

        public init(
            dataset: Dataset, scores: [Int: RankedRow], isRanked: Bool, disagreeingRuns: [ModelRun],
            shownRun: ModelRun?, states: [String: [ReviewerState]], reviewer: String, sample: Set<String> = []
        ) {
            self.dataset = dataset
            self.scores = scores
            self.isRanked = isRanked
            self.disagreeingRuns = disagreeingRuns
            self.shownRun = shownRun
            self.states = states
            self.reviewer = reviewer
            self.sample = sample
        }
    }

    /// The rows `filter` keeps, sorted. O(rows · runs) plus the sort.
    public static func rows(_ inputs: Inputs, filter: QueueFilter, sort: QueueSort) -> [QueueRow] {
        let dataset = inputs.dataset
        var rows: [QueueRow] = []
        let range: Range<Int> = filter == .test ? dataset.trainCount..<dataset.count : 0..<dataset.trainCount
        for row in range {
            let line = self.row(row, inputs)
            guard keeps(filter, line, row: row, inputs) else { continue }
            rows.append(line)
        }
        self.sort(&rows, by: sort, rowOf: { dataset.row(of: $0) ?? 0 })
        return rows
    }

    /// One row as the queue shows it.
    public static func row(_ row: Int, _ inputs: Inputs) -> QueueRow {
        let id = inputs.dataset.ids[row]
        let states = inputs.states[id] ?? []
        let verdicts = states.compactMap(\.verdict)
        return QueueRow(
            id: id, split: inputs.dataset.split(of: row), label: inputs.dataset.label(of: row),
            probability: inputs.shownRun?.probabilities[id], score: inputs.scores[row]?.score,
            verdict: states.first { $0.reviewer == inputs.reviewer }?.verdict,
            team: ConsensusDecision(verdicts), reviewers: verdicts.count,
            flagged: states.contains { $0.flagged })
    }

    static func keeps(_ filter: QueueFilter, _ line: QueueRow, row: Int, _ inputs: Inputs) -> Bool {
        switch filter {
        case .ranked:
            // Before the evidence arrives every train face is listed (by id).
            guard inputs.isRanked else { return true }
            guard let label = line.label else { return false }
            return inputs.disagreeingRuns.contains { run in
                guard let q = run.probabilities[line.id] else { return false }
                return (q >= 0.5 ? 1 : 0) != label
            }
        case .allTrain, .test: return true
        case .flagged: return line.flagged
        case .reviewed: return line.reviewers > 0
        case .unreviewed: return line.reviewers == 0
        case .sample: return inputs.sample.contains(line.id)
        case .decision(let decision): return line.team == decision
        case .reviewer(let name):
            return inputs.states[line.id]?.contains { $0.reviewer == name && $0.verdict != nil } ?? false
        case .confusion(let wanted, let predicted):
            guard let label = line.label, let p = line.probability else { return false }
            return label == wanted && (p >= 0.5 ? 1 : 0) == predicted
        }
    }

    static func sort(_ rows: inout [QueueRow], by sort: QueueSort, rowOf: (String) -> Int) {
        switch sort {
        case .score:
            rows.sort { a, b in
                let x = a.score ?? -1
                let y = b.score ?? -1
                return x > y || (x == y && rowOf(a.id) < rowOf(b.id))
            }
        case .probability:
            rows.sort { a, b in
                let x = a.probability ?? -1
                let y = b.probability ?? -1
                return x > y || (x == y && rowOf(a.id) < rowOf(b.id))
            }
        case .id:
            rows.sort { $0.id.compare($1.id, options: .numeric) == .orderedAscending }
        }
    }

    /// The ranking by one run alone: its surprise at the given label, most surprising first
    /// (the latent terms are kept for reference). Used by `:run NAME` and `rank --model NAME`.
    public static func ranking(by run: ModelRun, ranking: [RankedRow], dataset: Dataset) -> [RankedRow] {
        var out: [RankedRow] = []
        for ranked in ranking {
            guard let p = run.probabilities[dataset.ids[ranked.row]] else { continue }
            let label = dataset.labels[ranked.row]
            let surprise = LabelQuality.surprise(p: p, label: label)
            out.append(
                RankedRow(
                    row: ranked.row, score: surprise, modelSurprise: surprise, boundaryNearness: ranked.boundaryNearness,
                    boundaryMargin: ranked.boundaryMargin, neighboursDisagreeing: ranked.neighboursDisagreeing,
                    labelledNeighbours: ranked.labelledNeighbours,
                    reason: "\(run.name) model \(String(format: "%.2f", p)) vs label \(label)"))
        }
        out.sort { a, b in a.score > b.score || (a.score == b.score && a.row < b.row) }
        return out
    }
}
