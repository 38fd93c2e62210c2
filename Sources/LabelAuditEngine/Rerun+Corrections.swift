import Foundation
import LabelAuditCore
import LabelAuditStore

/// The labels a rerun trains on: the provided labels with the reviewers' consensus applied.
public struct Corrections: Sendable, Equatable, Codable {
    /// Train labels after corrections (indexed like `Dataset.labels`).
    public var labels: [UInt8]
    /// The train rows the model is trained on (dropped rows left out), ascending.
    public var trainRows: [Int]
    /// `label_wrong` by consensus: label flipped (the confirmed errors).
    public var flipped: [String]
    /// `bad_image` by consensus, plus unsure/conflicting rows under `--unsure drop`.
    public var dropped: [String]
    /// `unsure` by consensus (kept or dropped per the policy).
    public var unsure: [String]
    /// Reviewers gave different verdicts: treated as unsure.
    public var conflicts: [String]
    public var unsurePolicy: UnsurePolicy
    /// The newest audit event the corrections reflect.
    public var auditEventID: String?
    /// The consensus decision of every train face that has a verdict.
    public var decisions: [String: ConsensusDecision]

    /// Labels changed or rows left out: what makes the training set differ from the provided one.
    public var changedCount: Int { flipped.count + dropped.count }

    /// Applies the one consensus rule (`ConsensusDecision`, through the store's `ItemConsensus`,
    /// the same one the report and the corrected-labels CSV use): `label_wrong` flips,
    /// `bad_image` drops, `unsure` and conflicts keep (or drop, per `unsure`), `label_ok` keeps.
    /// Ids that are not train rows of `dataset` are ignored. O(rows + verdicts).
    public static func from(dataset: Dataset, consensus: [ItemConsensus], unsure: UnsurePolicy, auditEventID: String?)
        -> Corrections
    {
        var labels = dataset.labels
        var dropRows = Set<Int>()
        var flipped: [String] = []
        var dropped: [String] = []
        var unsureIDs: [String] = []
        var conflicts: [String] = []
        var decisions: [String: ConsensusDecision] = [:]
        for item in consensus {
            guard let row = dataset.row(of: item.item), row < dataset.trainCount else { continue }
            decisions[item.item] = item.decision
            labels[row] = item.correctedLabel(given: labels[row])
            switch item.decision {
            case .labelOK: break
            case .labelWrong: flipped.append(item.item)
            case .badImage:
                dropRows.insert(row)
                dropped.append(item.item)
            case .unsure, .conflict:
                if item.decision == .conflict { conflicts.append(item.item) } else { unsureIDs.append(item.item) }
                if unsure == .drop {
                    dropRows.insert(row)
                    dropped.append(item.item)
                }
            }
        }
        let order = { (a: String, b: String) in dataset.row(of: a)! < dataset.row(of: b)! }
        return Corrections(
            labels: labels, trainRows: (0..<dataset.trainCount).filter { !dropRows.contains($0) },
            flipped: flipped.sorted(by: order), dropped: dropped.sorted(by: order),
            unsure: unsureIDs.sorted(by: order), conflicts: conflicts.sorted(by: order),
            unsurePolicy: unsure, auditEventID: auditEventID, decisions: decisions)
    }

    /// The labels sent to a model, per train row: the corrected label, nil for a dropped row.
    package var labelsSent: [UInt8?] {
        var sent = [UInt8?](repeating: nil, count: labels.count)
        for row in trainRows { sent[row] = labels[row] }
        return sent
    }

    /// What a rerun stores with its run so `labelaudit models` can say which audit state it
    /// used: the counts behind the corrected labels.
    var runParameters: [String: String] {
        [
            "corrections": String(changedCount), "flipped": String(flipped.count), "dropped": String(dropped.count),
            "unsure": String(unsure.count), "conflicts": String(conflicts.count), "unsure policy": unsurePolicy.rawValue,
        ]
    }
}
