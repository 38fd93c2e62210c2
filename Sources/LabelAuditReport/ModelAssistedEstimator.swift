import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

/// P(label wrong | face) from the pooled picture probability, recalibrated on reviews.
///
/// The models' own P(given label) is not a calibrated error probability: trained on noisy
/// labels they are soft everywhere (on the 5,000-face set 1 - P(given) sums to about 220 over
/// faces that hold 2 errors). So P(wrong) = σ(a + b·z), z = logit(1 - P_pool(given label)), is
/// fitted by logistic regression on decisive reviews, with a ridge prior N((0, 1), 1) (the
/// identity, worth about one review) that keeps the fit finite when the reviews separate
/// (a queue head where every face is wrong), and the slope is kept at 0 or above (monotone).
/// Selection of the reviewed faces depends on the
/// models' scores, i.e. on z, so conditioning on z the fit is not biased by that selection.
struct ErrorCalibration: Equatable {
    var a = 0.0
    var b = 1.0
    var reviews = 0

    static let clip = 1e-4

    static func z(_ labelScore: Double) -> Double {
        let wrong = min(max(1 - labelScore, clip), 1 - clip)
        return log(wrong / (1 - wrong))
    }

    func probability(z: Double) -> Double { 1 / (1 + exp(-min(30, max(-30, a + b * z)))) }

    /// Newton's method on the penalised log likelihood; `y` may be fractional (a conflict
    /// counts as its share of label_wrong verdicts). O(points · iterations).
    static func fit(z: [Double], y: [Double]) -> ErrorCalibration {
        var a = 0.0
        var b = 1.0
        for _ in 0..<60 {
            var ga = -a
            var gb = -(b - 1)
            var haa = 1.0
            var hab = 0.0
            var hbb = 1.0
            for (zi, yi) in zip(z, y) {
                let p = 1 / (1 + exp(-min(30, max(-30, a + b * zi))))
                let w = p * (1 - p)
                ga += yi - p
                gb += (yi - p) * zi
                haa += w
                hab += w * zi
                hbb += w * zi * zi
            }
            let det = haa * hbb - hab * hab
            guard det > 1e-12 else { break }
            let da = (hbb * ga - hab * gb) / det
            let db = (haa * gb - hab * ga) / det
            a += da
            b += db
            if abs(da) < 1e-10 && abs(db) < 1e-10 { break }
        }
        // Monotone: a face the models find more surprising is never less likely wrong. Reviews
        // that cover only part of the z range (a queue head) can tilt the slope negative, and
        // extrapolating that to the rest would call the cleanest faces the likeliest errors;
        // then the models carry no information here (b = 0) and a is the reviews' rate.
        if b < 0 {
            b = 0
            for _ in 0..<60 {
                var ga = -a
                var haa = 1.0
                for yi in y {
                    let p = 1 / (1 + exp(-min(30, max(-30, a))))
                    ga += yi - p
                    haa += p * (1 - p)
                }
                a += ga / haa
                if abs(ga / haa) < 1e-10 { break }
            }
        }
        return ErrorCalibration(a: a, b: b, reviews: z.count)
    }
}

/// The per-face inputs of the noise estimators, derived once from the dataset, the pooled
/// picture probabilities, the consensus and the audit-sample draws.
struct NoiseInputs {
    var labels: [UInt8]
    /// z = logit(1 - pooled P(given label)); nil without a pooled prediction.
    var z: [Double?]
    /// Decisive verdicts: the share of label_wrong among them (1 confirmed error, 0 confirmed OK).
    var wrong: [Double?]
    /// Union inclusion probability of each train row over the draws, adjusted for the draws'
    /// response rates; 0 for rows no draw could pick.
    var inclusion: [Double]
    /// Rows drawn into any sample.
    var sampled: [Bool]
    /// Rows whose first decisive verdict came before the first draw that picked them: their
    /// label was known independently of the sample, so they count as known, not as sample.
    var decidedBeforeDrawn: [Bool]
    var draws: Int
    var weightedDraws: Int
    var sampleSize: Int
    var responders: Int

    init(dataset: Dataset, issues: LabelIssues, consensus: [Int: FaceConsensus], draws: [AuditSampleDraw]) {
        let n = dataset.trainCount
        labels = Array(dataset.labels[0..<n])
        z = (0..<n).map { row in issues.labelScore(row: row, label: dataset.labels[row]).map(ErrorCalibration.z) }
        wrong = (0..<n).map { consensus[$0]?.wrongShare }
        sampled = [Bool](repeating: false, count: n)
        var firstDrawn = [Int64](repeating: .max, count: n)
        var miss = [Double](repeating: 1, count: n)
        var used = 0
        var weighted = 0
        var size = 0
        for draw in draws {
            let rows = draw.items.compactMap { dataset.row(of: $0) }.filter { $0 < n }
            guard !rows.isEmpty else { continue }
            used += 1
            if draw.design != nil { weighted += 1 }
            size += rows.count
            for row in rows {
                sampled[row] = true
                firstDrawn[row] = min(firstDrawn[row], draw.timestampMicros)
            }
            // Faces drawn but not (yet) given a decisive verdict are non-response; assuming it is
            // unrelated to the face's label, the responding faces are a sample with pi * rate.
            let rate = Double(rows.filter { consensus[$0]?.wrongShare != nil }.count) / Double(rows.count)
            guard rate > 0 else { continue }
            for row in 0..<n {
                let pi = draw.inclusion(of: dataset.ids[row])
                if pi > 0 { miss[row] *= 1 - min(1, pi * rate) }
            }
        }
        inclusion = miss.map { 1 - $0 }
        decidedBeforeDrawn = (0..<n).map { row in
            let decided = consensus[row]?.states.filter { $0.verdict == .labelOK || $0.verdict == .labelWrong }
                .compactMap(\.verdictMicros).min()
            return decided.map { $0 < firstDrawn[row] } ?? false
        }
        self.draws = used
        weightedDraws = weighted
        let isSampled = sampled
        let answers = wrong
        let pis = inclusion
        let before = decidedBeforeDrawn
        sampleSize = isSampled.filter { $0 }.count
        responders = (0..<n).filter { isSampled[$0] && answers[$0] != nil && !before[$0] && pis[$0] > 0 }.count
    }

    /// Known outside the sample: a decisive verdict on a face no draw picked, or given before
    /// the draw that picked it.
    func isKnown(_ row: Int) -> Bool { wrong[row] != nil && (!sampled[row] || decidedBeforeDrawn[row]) }
    /// A sample face whose verdict the sample brought.
    func isResponder(_ row: Int) -> Bool { sampled[row] && wrong[row] != nil && !decidedBeforeDrawn[row] && inclusion[row] > 0 }
}

/// Question 1 with an audit sample: a model-assisted (difference) estimator of the number of
/// wrong labels, design-unbiased under the audit sample's inclusion probabilities.
///
/// With K the faces reviewed outside the sample (their label is known), g_i the calibrated
/// P(wrong) of every other face (calibration fitted on K only, so g does not depend on the
/// sample) and π_i each face's inclusion probability (the stored design; uniform draws n/N),
///
///     T̂ = Σ_{i∈K} Y_i + Σ_{i∉K} g_i + Σ_{i∈S} (Y_i − g_i) / π_i,
///
/// S the sampled faces with a decisive verdict. Over repeated draws the last sum is unbiased
/// for Σ_{i∉K} (Y_i − g_i), so T̂ is unbiased for the true count whatever the models get wrong;
/// the models only make it precise. Its variance is estimated two ways: from the sample,
/// v_s = Σ_S (1 − π_i)/π_i² (Y_i − g_i)² (Horvitz-Thompson, Poisson-sampling form), and as
/// anticipated under the recalibrated models (fitted on all reviews), v_m = Σ_{i∉K} (1 − π_i)/π_i ·
/// ĉ_i(1 − ĉ_i). Wrong labels are rare, so most samples hold none of the few the models missed
/// and v_s alone is then far too small (simulated: 18% coverage); the interval uses the larger,
/// T̂ ± z √max(v_s, v_m), cut to what is certain (at least the confirmed errors, at most the
/// faces not confirmed OK). Domains (label 0, label 1) use the same sums restricted to them.
enum ModelAssistedEstimator {
    struct Result: Equatable {
        var total: Double
        var low: Double
        var high: Double
        var designVariance: Double
        var modelVariance: Double
        var confirmedWrong: Int
        var faces: Int
    }

    /// Calibrations for the estimate (fitted on reviews outside the sample) and for the
    /// variance and the sampling design (on every decisive review).
    static func calibrations(_ inputs: NoiseInputs) -> (outside: ErrorCalibration, all: ErrorCalibration) {
        var zo: [Double] = []
        var yo: [Double] = []
        var za: [Double] = []
        var ya: [Double] = []
        for row in inputs.labels.indices {
            guard let y = inputs.wrong[row], let z = inputs.z[row] else { continue }
            za.append(z)
            ya.append(y)
            if inputs.isKnown(row) {
                zo.append(z)
                yo.append(y)
            }
        }
        let all = ErrorCalibration.fit(z: za, y: ya)
        return (zo.isEmpty ? all : ErrorCalibration.fit(z: zo, y: yo), all)
    }

    /// Calibrated P(wrong) per row; rows without a pooled prediction get the mean of the others.
    static func probabilities(_ inputs: NoiseInputs, _ calibration: ErrorCalibration) -> [Double] {
        let known = inputs.z.compactMap { $0.map(calibration.probability(z:)) }
        let fallback = known.isEmpty ? 0.5 : known.reduce(0, +) / Double(known.count)
        return inputs.z.map { $0.map(calibration.probability(z:)) ?? fallback }
    }

    /// The estimate over the rows where `domain` is true; nil without a responding sample face.
    static func estimate(_ inputs: NoiseInputs, domain: (Int) -> Bool = { _ in true }, zValue: Double = 1.959964) -> Result? {
        let rows = inputs.labels.indices.filter(domain)
        guard rows.contains(where: inputs.isResponder) else { return nil }
        let (outside, all) = calibrations(inputs)
        let g = probabilities(inputs, outside)
        let c = probabilities(inputs, all)
        var total = 0.0
        var design = 0.0
        var anticipated = 0.0
        var unsampleable = 0.0
        var confirmedWrong = 0
        var confirmedOK = 0
        for row in rows {
            if let y = inputs.wrong[row] {
                if y == 1 { confirmedWrong += 1 } else if y == 0 { confirmedOK += 1 }
            }
            if inputs.isKnown(row) {
                total += inputs.wrong[row]!
                continue
            }
            total += g[row]
            let pi = inputs.inclusion[row]
            guard pi > 0 else {
                unsampleable += c[row] * (1 - c[row])
                continue
            }
            anticipated += (1 - pi) / pi * c[row] * (1 - c[row])
            if inputs.isResponder(row), let y = inputs.wrong[row] {
                total += (y - g[row]) / pi
                design += (1 - pi) / (pi * pi) * (y - g[row]) * (y - g[row])
            }
        }
        let half = zValue * (max(design, anticipated) + unsampleable).squareRoot()
        let lowest = Double(confirmedWrong)
        let highest = Double(rows.count - confirmedOK)
        return Result(
            total: min(highest, max(lowest, total)), low: min(highest, max(lowest, total - half)),
            high: max(lowest, min(highest, total + half)), designVariance: design + unsampleable,
            modelVariance: anticipated + unsampleable, confirmedWrong: confirmedWrong, faces: rows.count)
    }
}

/// The inclusion weights of an importance-weighted audit sample: a face is drawn with
/// probability proportional to how uncertain the models are that its label is right,
/// √(ĉ(1 − ĉ)) with ĉ the calibrated P(wrong) (the allocation that minimises the estimator's
/// variance when the calibration is right), mixed with a uniform share (20% of the draws) so
/// every face can be drawn and no weight 1/π is extreme. Faces with a decisive verdict are
/// already known and keep only the uniform share.
public enum AuditDesign {
    package static let uniformShare = 0.2

    public static func weights(dataset: Dataset, evidence: Evidence, reviews: ReviewSnapshot) -> [(item: String, weight: Double)]
    {
        let n = dataset.trainCount
        let consensus = reviews.consensusByRow(dataset)
        let c = calibratedErrorProbabilities(dataset: dataset, evidence: evidence, reviews: reviews)
        let spread = (0..<n).map { consensus[$0]?.wrongShare != nil ? 0 : (c[$0] * (1 - c[$0])).squareRoot() }
        let total = spread.reduce(0, +)
        return (0..<n).map { row in
            let share = total > 0 ? (1 - uniformShare) * spread[row] / total : 0
            return (dataset.ids[row], (total > 0 ? uniformShare : 1) / Double(n) + share)
        }
    }

    /// Every train row's calibrated P(label wrong): the pooled picture probability recalibrated
    /// on every decisive review (`ErrorCalibration`).
    public static func calibratedErrorProbabilities(dataset: Dataset, evidence: Evidence, reviews: ReviewSnapshot) -> [Double] {
        let issues = LabelIssues(dataset: dataset, evidence: evidence)
        let inputs = NoiseInputs(dataset: dataset, issues: issues, consensus: reviews.consensusByRow(dataset), draws: [])
        return ModelAssistedEstimator.probabilities(inputs, ModelAssistedEstimator.calibrations(inputs).all)
    }
}
