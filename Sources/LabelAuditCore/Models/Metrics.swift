import Foundation

/// Metrics of probabilities against the provided labels (train rows only: test labels do not exist).
public enum Metrics {
    /// Mean binary cross-entropy, probabilities clipped to [1e-15, 1 - 1e-15] as scikit-learn does. O(n).
    public static func logLoss(probabilities: [Double], labels: [UInt8]) -> Double {
        precondition(probabilities.count == labels.count)
        guard !labels.isEmpty else { return .nan }
        var total = 0.0
        for (p, y) in zip(probabilities, labels) {
            let q = min(max(p, 1e-15), 1 - 1e-15)
            total -= y == 1 ? log(q) : log(1 - q)
        }
        return total / Double(labels.count)
    }

    /// Share of rows where (p >= 0.5) equals the label. O(n).
    public static func accuracy(probabilities: [Double], labels: [UInt8]) -> Double {
        guard !labels.isEmpty else { return .nan }
        let right = zip(probabilities, labels).reduce(0) { $0 + (($1.0 >= 0.5) == ($1.1 == 1) ? 1 : 0) }
        return Double(right) / Double(labels.count)
    }

    /// Area under the ROC curve via the rank-sum statistic, ties counted half. NaN when one
    /// class is absent. O(n log n).
    public static func auroc(scores: [Double], positives: [Bool]) -> Double {
        precondition(scores.count == positives.count)
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = averageRank }
            i = j + 1
        }
        let positiveCount = positives.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negativeCount = positives.count - positiveCount
        guard positiveCount > 0, negativeCount > 0 else { return .nan }
        var rankSum = 0.0
        for (r, isPositive) in zip(ranks, positives) where isPositive { rankSum += r }
        let u = rankSum - Double(positiveCount) * Double(positiveCount + 1) / 2
        return u / (Double(positiveCount) * Double(negativeCount))
    }

    /// AUROC of probabilities for the provided labels.
    public static func auroc(probabilities: [Double], labels: [UInt8]) -> Double {
        auroc(scores: probabilities, positives: labels.map { $0 == 1 })
    }
}

/// The train metrics kept with every model run.
///
/// A metric that is undefined for the rows at hand (AUROC when every label is the same, any
/// metric of no rows) is NaN in memory and `null` in JSON, never an encoding error; `defined`
/// gives it as an optional for output.
public struct ModelMetrics: Sendable, Equatable, Codable {
    public let logLoss: Double
    public let accuracy: Double
    public let auroc: Double
    /// Train rows the metrics were computed on.
    public let rows: Int

    public init(logLoss: Double, accuracy: Double, auroc: Double, rows: Int) {
        self.logLoss = logLoss
        self.accuracy = accuracy
        self.auroc = auroc
        self.rows = rows
    }

    enum CodingKeys: String, CodingKey { case logLoss, accuracy, auroc, rows }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        logLoss = try c.decodeIfPresent(Double.self, forKey: .logLoss) ?? .nan
        accuracy = try c.decodeIfPresent(Double.self, forKey: .accuracy) ?? .nan
        auroc = try c.decodeIfPresent(Double.self, forKey: .auroc) ?? .nan
        rows = try c.decode(Int.self, forKey: .rows)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.defined(logLoss), forKey: .logLoss)
        try c.encode(Self.defined(accuracy), forKey: .accuracy)
        try c.encode(Self.defined(auroc), forKey: .auroc)
        try c.encode(rows, forKey: .rows)
    }

    /// The value when it is a number, nil when it is undefined (NaN or infinite).
    public static func defined(_ value: Double) -> Double? { value.isFinite ? value : nil }

    public init(probabilities: [Double], labels: [UInt8]) {
        self.init(
            logLoss: Metrics.logLoss(probabilities: probabilities, labels: labels),
            accuracy: Metrics.accuracy(probabilities: probabilities, labels: labels),
            auroc: Metrics.auroc(probabilities: probabilities, labels: labels),
            rows: labels.count)
    }
}
