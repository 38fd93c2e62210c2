import Foundation

/// Per-row label-quality scores of one model's probabilities (binary: p = P(label = 1)).
/// Lower means the given label is more suspicious. All O(1) per row.
public enum LabelQuality {
    /// P(given label): the probability the model gives to the label the row carries.
    public static func selfConfidence(p: Double, label: UInt8) -> Double {
        label == 1 ? p : 1 - p
    }

    /// p(given) - max p(other) = 2 s - 1 with two classes: orders exactly like self-confidence.
    package static func normalizedMargin(p: Double, label: UInt8) -> Double {
        2 * selfConfidence(p: p, label: label) - 1
    }

    /// Confidence-weighted entropy as cleanlab defines it: with H the entropy normalised to
    /// [0, 1] and s the self-confidence, x = H / s and the score is log(x + 1) / x, near 1 for a
    /// confident correct prediction and towards 0 when the model is unsure or contradicts the label.
    package static func confidenceWeightedEntropy(p: Double, label: UInt8) -> Double {
        let q = min(max(p, 1e-16), 1 - 1e-16)
        let entropy = -(q * log(q) + (1 - q) * log(1 - q)) / log(2.0)
        let s = max(selfConfidence(p: q, label: label), 1e-16)
        let x = max(entropy / s, 1e-16)
        return log(x + 1) / x
    }

    /// How surprising the given label is to the model, in nats: -ln P(given label), with P
    /// clipped at 1e-4 so one overconfident model cannot dominate (at most 9.2 nats).
    public static func surprise(p: Double, label: UInt8) -> Double {
        -log(max(selfConfidence(p: p, label: label), 1e-4))
    }
}

/// Confident learning (Northcutt et al.) for two classes, matching
/// `cleanlab.filter.find_label_issues(filter_by="confident_learning")`.
///
/// Per-class threshold t_c = mean P(c) over the rows whose given label is c. A row is
/// confidently class j when P(j) >= t_j (if both classes qualify, the larger P wins). The
/// confident joint counts (given label, confident class); its off-diagonal rows are the label
/// issues, and the calibrated off-diagonal count estimates how many labels are wrong. O(n).
public struct ConfidentLearning: Sendable, Equatable {
    /// t_0, t_1.
    package let thresholds: [Double]
    /// `joint[given][confident]`, diagonal clipped to at least 1 as cleanlab does.
    public let joint: [[Int]]
    /// Positions (in the input arrays) whose confident class differs from the given label.
    public let issues: [Int]
    /// The calibrated confident joint's off-diagonal sum: the estimated number of wrong labels.
    public let estimatedErrors: Double
    /// The calibrated count of wrong labels per given label: [labelled 0 but class 1, labelled 1
    /// but class 0] (the two off-diagonal cells of cleanlab's calibrated joint, as counts).
    public let estimatedErrorsByLabel: [Double]
    /// The train rows whose confident class differs from the given label, ascending: `issues`
    /// mapped back to rows when the model predicted only some rows (`init(rowProbabilities:labels:)`).
    /// The one place where confident-learning positions become rows.
    public let issueRows: [Int]

    /// Confident learning over train rows where some have no prediction (nil): positions are
    /// mapped back to rows once, here. O(rows).
    public init(rowProbabilities: [Double?], labels: some Collection<UInt8>) {
        var p: [Double] = []
        var y: [UInt8] = []
        var rows: [Int] = []
        for (row, (value, label)) in zip(rowProbabilities, labels).enumerated() {
            if let value {
                p.append(value)
                y.append(label)
                rows.append(row)
            }
        }
        self.init(probabilities: p, labels: y, rows: rows)
    }

    public init(probabilities: [Double], labels: [UInt8]) {
        self.init(probabilities: probabilities, labels: labels, rows: Array(probabilities.indices))
    }

    private init(probabilities: [Double], labels: [UInt8], rows: [Int]) {
        precondition(probabilities.count == labels.count)
        var sums = [0.0, 0.0]
        var counts = [0, 0]
        for (p, y) in zip(probabilities, labels) {
            sums[Int(y)] += y == 1 ? p : 1 - p
            counts[Int(y)] += 1
        }
        let thresholds = [
            counts[0] > 0 ? sums[0] / Double(counts[0]) : 1,
            counts[1] > 0 ? sums[1] / Double(counts[1]) : 1,
        ]
        var joint = [[0, 0], [0, 0]]
        var issues: [Int] = []
        for (i, (p, y)) in zip(probabilities, labels).enumerated() {
            let probs = [1 - p, p]
            let confident0 = probs[0] >= thresholds[0] - 1e-6
            let confident1 = probs[1] >= thresholds[1] - 1e-6
            let guess: Int
            switch (confident0, confident1) {
            case (false, false): continue
            case (true, true): guess = probs[1] > probs[0] ? 1 : 0
            case (true, false): guess = 0
            case (false, true): guess = 1
            }
            joint[Int(y)][guess] += 1
            if guess != Int(y) { issues.append(i) }
        }
        for c in 0..<2 { joint[c][c] = max(joint[c][c], 1) }
        var byLabel = [0.0, 0.0]
        for given in 0..<2 {
            let rowSum = Double(joint[given][0] + joint[given][1])
            let off = Double(joint[given][1 - given])
            if rowSum > 0 { byLabel[given] = off / rowSum * Double(counts[given]) }
        }
        self.thresholds = thresholds
        self.joint = joint
        self.issues = issues
        self.issueRows = issues.map { rows[$0] }
        self.estimatedErrors = byLabel[0] + byLabel[1]
        self.estimatedErrorsByLabel = byLabel
    }
}
