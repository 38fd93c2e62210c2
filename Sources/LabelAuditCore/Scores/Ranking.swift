import Foundation

/// One model run's predictions as the ranking sees them.
public struct RunEvidence: Sendable {
    /// Short display name ("image", "latent", "cnn").
    public let name: String
    /// P(label = 1) per train row (index = row), nil where the run has no prediction.
    public let probabilities: [Double?]
    /// Whether the train predictions are out of fold; nil when unknown.
    public let outOfFold: Bool?
    /// True for a model of the latent vector (the built-in `latent` run). The generator's labels
    /// are a function of the latent vector, so such a model learns the labelling rule itself,
    /// wrong labels included; where it disagrees with a label says where the rule is ambiguous
    /// (the boundary term), not that the picture is wrong. It enters the model term only when
    /// no other run has skill.
    public let modelsTheLabelRule: Bool

    public init(name: String, probabilities: [Double?], outOfFold: Bool?, modelsTheLabelRule: Bool = false) {
        self.name = name
        self.probabilities = probabilities
        self.outOfFold = outOfFold
        self.modelsTheLabelRule = modelsTheLabelRule
    }
}

/// The default review order and why each row is where it is.
public struct RankedRow: Sendable, Equatable, Codable {
    public let row: Int
    /// Higher = more likely a wrong label.
    public let score: Double
    /// Skill-weighted mean surprise of the given label over the model runs (nats).
    public let modelSurprise: Double
    /// 1 on the latent boundary, towards 0 far from it.
    public let boundaryNearness: Double
    /// Signed boundary distance in standardised units, positive on the side of the given label.
    public let boundaryMargin: Double?
    public let neighboursDisagreeing: Int
    public let labelledNeighbours: Int
    /// "image model 0.03 vs label 1 - near the latent boundary - 3/10 neighbours disagree".
    public let reason: String

    public init(
        row: Int, score: Double, modelSurprise: Double, boundaryNearness: Double, boundaryMargin: Double?,
        neighboursDisagreeing: Int, labelledNeighbours: Int, reason: String
    ) {
        self.row = row
        self.score = score
        self.modelSurprise = modelSurprise
        self.boundaryNearness = boundaryNearness
        self.boundaryMargin = boundaryMargin
        self.neighboursDisagreeing = neighboursDisagreeing
        self.labelledNeighbours = labelledNeighbours
        self.reason = reason
    }
}

/// Weight of a run in the ranking.
public struct RunWeight: Sendable, Equatable, Codable {
    public let name: String
    /// Out-of-fold log loss on the train rows it predicts.
    public let logLoss: Double
    /// Log loss of always predicting the prevalence (the no-skill baseline).
    package let baselineLogLoss: Double
    /// max(0, 1 - logLoss / baseline), halved when predictions are not known to be out of fold.
    public let weight: Double

    enum CodingKeys: String, CodingKey { case name, logLoss, baselineLogLoss, weight }

    /// A loss that is undefined (a run with no prediction on a train row) is `null` in JSON.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(logLoss.isFinite ? logLoss : nil, forKey: .logLoss)
        try c.encode(baselineLogLoss.isFinite ? baselineLogLoss : nil, forKey: .baselineLogLoss)
        try c.encode(weight.isFinite ? weight : 0, forKey: .weight)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        logLoss = try c.decodeIfPresent(Double.self, forKey: .logLoss) ?? .infinity
        baselineLogLoss = try c.decodeIfPresent(Double.self, forKey: .baselineLogLoss) ?? .nan
        weight = try c.decode(Double.self, forKey: .weight)
    }

    init(name: String, logLoss: Double, baselineLogLoss: Double, weight: Double) {
        self.name = name
        self.logLoss = logLoss
        self.baselineLogLoss = baselineLogLoss
        self.weight = weight
    }
}

/// The default ranking.
///
/// score = Σ_m w_m S_m / Σ_m w_m + 0.1 · near + 0.02 · disagree, where
/// - S_m = -ln max(P_m(given label), 1e-4): the given label's surprise under run m, in nats;
/// - w_m = max(0, 1 - L_m / L_0): run m's out-of-fold skill, L_m its log loss on the train
///   rows, L_0 the log loss of predicting the prevalence. A weak model (L_m near L_0) gets a
///   weight near 0 and cannot drown a strong one; runs not known to be out of fold count half,
///   since in-sample predictions hide label errors. The sum runs over the models of the
///   picture (image, imported); a model of the latent vector learns the labelling rule itself,
///   wrong labels included, so it speaks through the boundary term instead, and enters the sum
///   only when no other run has skill;
/// - near = exp(-(m / h)² / 2), m the signed distance to the latent model's boundary for the
///   row (out of fold) and h an eighth of the standard deviation of m over the train rows: the
///   generator's labels follow a rule on the latent vector, so its mistakes gather where the
///   rule is ambiguous;
/// - disagree = the share of the row's labelled latent neighbours carrying the other label.
/// The two latent terms add at most 0.12 nats: they reorder rows the models find similarly
/// surprising, they do not outvote a confident model. The weights were chosen on the demo sets
/// (Assets/demo and the 5,000-face bench set, truth read only to score): the boundary term lifts
/// the flipped labels' AUROC over the image model alone (0.970 -> 0.978 on Assets/demo, 0.9990 ->
/// 0.9991 on the 5,000 set; 0.25 helped the small set more but cost the large one); label
/// disagreement among neighbours adds little there, because the labels follow the rule, so it
/// only breaks ties. O(rows · (runs + k) + rows log rows).
public enum Ranking {
    package static let boundaryWeight = 0.1
    package static let neighbourWeight = 0.02

    public static func weights(runs: [RunEvidence], labels: [UInt8]) -> [RunWeight] {
        runs.map { run in
            var p: [Double] = []
            var y: [UInt8] = []
            for (row, label) in labels.enumerated() where row < run.probabilities.count {
                if let value = run.probabilities[row] {
                    p.append(value)
                    y.append(label)
                }
            }
            let loss = p.isEmpty ? .infinity : Metrics.logLoss(probabilities: p, labels: y)
            let prevalence = y.isEmpty ? 0.5 : Double(y.reduce(0) { $0 + Int($1) }) / Double(y.count)
            let q = min(max(prevalence, 1e-6), 1 - 1e-6)
            let baseline = -(q * log(q) + (1 - q) * log(1 - q))
            var weight = baseline > 0 && loss.isFinite ? max(0, 1 - loss / baseline) : 0
            if run.outOfFold != true { weight *= 0.5 }
            return RunWeight(name: run.name, logLoss: loss, baselineLogLoss: baseline, weight: weight)
        }
    }

    /// The runs in the model term (indices into `runs`): the models of the picture with skill,
    /// else every run. The report's pooled picture probability uses the same runs and weights.
    public static func modelTermRuns(runs: [RunEvidence], weights: [RunWeight]) -> [Int] {
        let pictureRuns = runs.indices.filter { !runs[$0].modelsTheLabelRule && weights[$0].weight > 0 }
        return pictureRuns.isEmpty ? Array(runs.indices) : pictureRuns
    }

    /// Ranks the train rows (`labels.count` of them), most suspicious first.
    /// `boundaryDistances[row]` is the latent model's signed distance (positive = class 1
    /// side); `graph` the latent neighbour graph over all rows (test neighbours are skipped:
    /// they carry no label).
    public static func rank(
        labels: [UInt8], runs: [RunEvidence], boundaryDistances: [Double?],
        graph: NeighbourGraph?
    ) -> [RankedRow] {
        let n = labels.count
        let runWeights = weights(runs: runs, labels: labels)
        let margins: [Double?] = (0..<n).map { row in
            guard row < boundaryDistances.count, let d = boundaryDistances[row] else { return nil }
            return labels[row] == 1 ? d : -d
        }
        let known = margins.compactMap { $0 }
        var bandwidth = 1.0
        if known.count > 1 {
            let mean = known.reduce(0, +) / Double(known.count)
            let sd = (known.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(known.count - 1)).squareRoot()
            if sd > 0 { bandwidth = sd / 8 }
        }
        let termRuns = Set(modelTermRuns(runs: runs, weights: runWeights))
        var ranked: [RankedRow] = []
        ranked.reserveCapacity(n)
        for row in 0..<n {
            let label = labels[row]
            var weighted = 0.0
            var totalWeight = 0.0
            var reasons: [(Double, String)] = []
            for (index, (run, weight)) in zip(runs, runWeights).enumerated() where termRuns.contains(index) {
                guard row < run.probabilities.count, let p = run.probabilities[row] else { continue }
                let s = LabelQuality.surprise(p: p, label: label)
                weighted += weight.weight * s
                totalWeight += weight.weight
                if s > log(2.0) && weight.weight > 0 {
                    reasons.append((weight.weight * s, "\(run.name) model \(format(p)) vs label \(label)"))
                }
            }
            let modelSurprise = totalWeight > 0 ? weighted / totalWeight : 0
            var nearness = 0.0
            if let m = margins[row] {
                nearness = exp(-0.5 * (m / bandwidth) * (m / bandwidth))
                if m < 0 && nearness < 0.5 {
                    reasons.append((0, "wrong side of the latent boundary"))
                } else if nearness >= 0.5 {
                    reasons.append((0, "near the latent boundary"))
                }
            }
            var disagreeing = 0
            var labelled = 0
            if let graph, row < graph.rows {
                for slot in 0..<graph.k {
                    let other = Int(graph.indices[row * graph.k + slot])
                    guard other >= 0, other < n else { continue }
                    labelled += 1
                    if labels[other] != label { disagreeing += 1 }
                }
            }
            let disagreement = labelled > 0 ? Double(disagreeing) / Double(labelled) : 0
            if labelled > 0 {
                reasons.append((-1, "\(disagreeing)/\(labelled) neighbours disagree"))
            }
            let score = modelSurprise + boundaryWeight * nearness + neighbourWeight * disagreement
            let modelReasons = reasons.filter { $0.0 > 0 }.sorted { $0.0 > $1.0 }.map(\.1)
            let otherReasons = reasons.filter { $0.0 <= 0 }.sorted { $0.0 > $1.0 }.map(\.1)
            var parts = modelReasons + otherReasons
            if modelReasons.isEmpty && !runs.isEmpty { parts.insert("models agree with label \(label)", at: 0) }
            ranked.append(
                RankedRow(
                    row: row, score: score, modelSurprise: modelSurprise, boundaryNearness: nearness,
                    boundaryMargin: margins[row], neighboursDisagreeing: disagreeing,
                    labelledNeighbours: labelled, reason: parts.joined(separator: " - ")))
        }
        ranked.sort { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
        return ranked
    }

    static func format(_ p: Double) -> String {
        String(format: "%.2f", p)
    }
}
