import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

/// Question 1's headline and the noise matrix: the unbiased model-assisted estimate when a
/// reviewed audit sample exists; otherwise what is known (the confirmed errors, a lower bound),
/// the models' own estimate clearly labelled model-based, and the exact next step.
enum NoiseHeadline {
    static let method =
        "Model-assisted (difference) estimator: every face the reviewers judged outside the audit sample counts as judged; every other face counts as its calibrated probability of a wrong label (the skill-weighted picture models' P(given label), recalibrated by logistic regression on those reviews); the reviewed sample faces correct that prediction by (verdict - prediction) / inclusion probability, which makes the estimate unbiased over the sample's design whatever the models get wrong. 95% interval: the estimate ± 1.96 standard errors, the variance being the larger of the sample's Horvitz-Thompson estimate and the variance the recalibrated models anticipate (wrong labels are rare, so a sample that holds none of them would otherwise claim certainty), cut to [confirmed errors, faces not confirmed OK]. Draws are combined through each face's probability of being in any draw; unreviewed drawn faces count as non-response."

    static func sampleCommand(_ dataset: Dataset, count: Int = 100) -> String {
        "labelaudit sample \(shellQuoted(dataset.root.path)) \(count)"
    }

    static func shellQuoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "/._-+:@,".unicodeScalars.contains($0)
        }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func build(
        dataset: Dataset, issues: LabelIssues, consensus: [Int: FaceConsensus], draws: [AuditSampleDraw],
        stratified: NoiseEstimator.Stratified
    ) -> (NoiseEstimate, NoiseMatrix) {
        let n = dataset.trainCount
        let inputs = NoiseInputs(dataset: dataset, issues: issues, consensus: consensus, draws: draws)
        let confirmed = consensus.values.filter(\.isConfirmedError).count
        let decisive = consensus.values.filter { $0.wrongShare != nil }.count
        let cl = issues.confidentLearning
        let (outside, _) = ModelAssistedEstimator.calibrations(inputs)
        let overall = ModelAssistedEstimator.estimate(inputs)
        var estimate = NoiseEstimate(
            status: "no_reviews", sentence: "", method: method, trainRows: n, share: nil, shareLow: nil, shareHigh: nil,
            wrongLabels: nil, confirmedWrong: confirmed, lowerBoundShare: n > 0 ? Double(confirmed) / Double(n) : 0,
            modelBasedWrongLabels: cl.map { finite($0.estimatedErrors) },
            modelBasedShare: cl.map { n > 0 ? finite($0.estimatedErrors / Double(n)) : 0 },
            modelBasedRuns: cl == nil ? nil : issues.description, nextStep: "",
            sample: SampleSummary(
                draws: inputs.draws, weightedDraws: inputs.weightedDraws, faces: inputs.sampleSize,
                reviewed: inputs.responders, calibrationA: finite(outside.a), calibrationB: finite(outside.b),
                calibrationReviews: outside.reviews, varianceFrom: nil),
            stratifiedShare: stratified.share, stratifiedShareLow: stratified.shareLow, stratifiedShareHigh: stratified.shareHigh,
            bins: stratified.bins, nextReviews: stratified.nextReviews, projectedHalfWidth: stratified.projectedHalfWidth,
            reviewsForOnePoint: stratified.reviewsForOnePoint, simulations: stratified.simulations, seed: stratified.seed)

        let command = sampleCommand(dataset)
        let known =
            "\(confirmed) confirmed wrong label(s) so far, so at least \(percent(estimate.lowerBoundShare)) of the \(n) training labels are wrong"
        let modelPart = cl.map {
            "The picture models (\(issues.description)) estimate about \(Int($0.estimatedErrors.rounded())) wrong labels (\(percent($0.estimatedErrors / Double(max(1, n))))), model-based: confident learning's calibrated count on the skill-weighted models' probabilities, not an unbiased estimate."
        }
        if let overall, n > 0 {
            estimate.status = "estimated"
            estimate.share = overall.total / Double(n)
            estimate.shareLow = overall.low / Double(n)
            estimate.shareHigh = overall.high / Double(n)
            estimate.wrongLabels = overall.total
            estimate.sample.varianceFrom = overall.designVariance >= overall.modelVariance ? "sample" : "model"
            let pending = (0..<n).filter { inputs.sampled[$0] && inputs.wrong[$0] == nil }.count
            estimate.nextStep =
                pending > 0
                ? "Review the \(pending) drawn face(s) still without a decisive verdict (`:filter sample` in the review app); for a narrower interval, `\(command)` draws 100 more."
                : "For a narrower interval: `\(command)` draws 100 more faces to review."
            estimate.sentence =
                "About \(Int(overall.total.rounded())) of the \(n) training labels are wrong: \(percent(overall.total / Double(n))) (95% interval \(percent(overall.low / Double(n))) to \(percent(overall.high / Double(n)))), from \(inputs.responders) reviewed audit-sample face(s) and the picture models' predictions on every face (a model-assisted estimate, unbiased over the sample's design). \(confirmed) are confirmed. \(estimate.nextStep)"
        } else if decisive > 0 || cl != nil {
            estimate.status = "model_based"
            estimate.nextStep =
                "For an unbiased estimate with a 95% interval: `\(command)` draws 100 faces, weighted towards those the models are unsure about; review them (`:filter sample` in the review app), then export again."
            estimate.sentence = [
                known + ".", modelPart,
                "No reviewed audit sample yet, so no unbiased estimate: the queue shows likely errors first, and reviews of it cannot say how many errors the rest holds.",
                estimate.nextStep,
            ]
            .compactMap { $0 }.joined(separator: " ")
        } else {
            estimate.nextStep =
                "`\(command)` draws 100 faces for the team to review (`:filter sample` in the review app); export again after."
            estimate.sentence =
                "No decisive reviews yet (label_ok or label_wrong) and no model predictions, so nothing is known about the noise. \(estimate.nextStep)"
        }
        estimate.method += " Beside it, the stratified estimate: " + NoiseEstimator.method
        if !stratified.notes.isEmpty { estimate.method += " " + stratified.notes }
        return (estimate, matrix(dataset: dataset, inputs: inputs, consensus: consensus, issues: issues, sampled: overall != nil))
    }

    /// The noise matrix from the estimate per given label (a domain of the same estimator), or
    /// from confident learning's calibrated joint without a sample.
    static func matrix(
        dataset: Dataset, inputs: NoiseInputs, consensus: [Int: FaceConsensus], issues: LabelIssues,
        sampled: Bool
    ) -> NoiseMatrix {
        let n = dataset.trainCount
        let labels = inputs.labels
        let n1 = labels.filter { $0 == 1 }.count
        let n0 = n - n1
        let confirmed = [0, 1].map { label in
            consensus.filter { $0.value.isConfirmedError && labels[$0.key] == UInt8(label) }.count
        }
        var directions = [0, 1].map { label in
            NoiseDirection(
                givenLabel: label, faces: label == 1 ? n1 : n0, confirmedWrong: confirmed[label],
                wrong: Interval(estimate: Double(confirmed[label]), low: nil, high: nil))
        }
        var basis = "none"
        var label0GivenGlasses: Interval?
        var label1GivenNoGlasses: Interval?
        var prevalence: Interval?
        let provided = n > 0 ? Double(n1) / Double(n) : 0
        // Simultaneous 95%: each direction at 97.5% (Bonferroni), then the ratios are monotone
        // in both counts, so their bounds come from the corners.
        let z975 = 2.241403
        if sampled {
            let results = [0, 1].map { label in ModelAssistedEstimator.estimate(inputs, domain: { labels[$0] == UInt8(label) }) }
            let wide = [0, 1].map { label in
                ModelAssistedEstimator.estimate(inputs, domain: { labels[$0] == UInt8(label) }, zValue: z975)
            }
            if let r0 = results[0], let r1 = results[1], let w0 = wide[0], let w1 = wide[1] {
                basis = "audit_sample"
                directions[0].wrong = Interval(estimate: r0.total, low: r0.low, high: r0.high)
                directions[1].wrong = Interval(estimate: r1.total, low: r1.low, high: r1.high)
                func ratios(_ e0: Double, _ e1: Double) -> (Double, Double, Double) {
                    let glasses = Double(n1) - e1 + e0
                    let none = Double(n0) - e0 + e1
                    return (glasses > 0 ? e0 / glasses : 0, none > 0 ? e1 / none : 0, n > 0 ? glasses / Double(n) : 0)
                }
                let mid = ratios(r0.total, r1.total)
                let low = ratios(w0.low, w1.low)
                let high = ratios(w0.high, w1.high)
                label0GivenGlasses = Interval(estimate: mid.0, low: low.0, high: high.0)
                label1GivenNoGlasses = Interval(estimate: mid.1, low: low.1, high: high.1)
                // Prevalence rises with e0 and falls with e1.
                let prevalenceLow = n > 0 ? (Double(n1) - w1.high + w0.low) / Double(n) : 0
                let prevalenceHigh = n > 0 ? (Double(n1) - w1.low + w0.high) / Double(n) : 0
                prevalence = Interval(estimate: mid.2, low: prevalenceLow, high: prevalenceHigh)
            }
        }
        if basis == "none", let cl = issues.confidentLearning {
            basis = "model_based"
            let e0 = cl.estimatedErrorsByLabel[0]
            let e1 = cl.estimatedErrorsByLabel[1]
            directions[0].wrong = Interval(estimate: e0, low: nil, high: nil)
            directions[1].wrong = Interval(estimate: e1, low: nil, high: nil)
            let glasses = Double(n1) - e1 + e0
            let none = Double(n0) - e0 + e1
            label0GivenGlasses = Interval(estimate: glasses > 0 ? e0 / glasses : 0, low: nil, high: nil)
            label1GivenNoGlasses = Interval(estimate: none > 0 ? e1 / none : 0, low: nil, high: nil)
            prevalence = Interval(estimate: n > 0 ? glasses / Double(n) : 0, low: nil, high: nil)
        }
        func shown(_ value: Interval?) -> String {
            guard let value else { return "unknown" }
            guard let low = value.low, let high = value.high else { return percent(value.estimate) }
            return "\(percent(value.estimate)) (95% interval \(percent(low)) to \(percent(high)))"
        }
        func count(_ d: NoiseDirection) -> String {
            guard let low = d.wrong.low, let high = d.wrong.high else { return "about \(Int(d.wrong.estimate.rounded()))" }
            return "about \(Int(d.wrong.estimate.rounded())) (\(Int(low.rounded())) to \(Int(high.rounded())))"
        }
        let sentence: String
        switch basis {
        case "none":
            sentence =
                "No estimate of which way labels are wrong yet: \(confirmed[0]) face(s) labelled 0 and \(confirmed[1]) labelled 1 are confirmed wrong."
        default:
            let prefix = basis == "model_based" ? "Model-based (confident learning on the picture models, no interval): of" : "Of"
            sentence =
                prefix
                + " the \(n0) faces labelled 0 (no glasses), \(count(directions[0])) wear glasses (\(confirmed[0]) confirmed); of the \(n1) labelled 1 (glasses), \(count(directions[1])) do not (\(confirmed[1]) confirmed). P(label 0 | glasses) = \(shown(label0GivenGlasses)); P(label 1 | no glasses) = \(shown(label1GivenNoGlasses)). Corrected prevalence of glasses \(shown(prevalence)), against \(percent(provided)) in the provided labels."
        }
        return NoiseMatrix(
            basis: basis, labelledZero: directions[0], labelledOne: directions[1],
            label0GivenGlasses: label0GivenGlasses, label1GivenNoGlasses: label1GivenNoGlasses,
            correctedPrevalence: prevalence, providedPrevalence: provided, sentence: sentence)
    }
}

extension AuditReport {
    /// Question 1 alone (the headline estimate, the stratified one beside it, and the noise
    /// matrix), without the permutation tests and plots: what a simulation needs. O(rows · draws
    /// + simulations · bins).
    public static func noise(
        dataset: Dataset, evidence: Evidence, reviews: ReviewSnapshot,
        options: ReportOptions = ReportOptions()
    ) -> (NoiseEstimate, NoiseMatrix) {
        let n = dataset.trainCount
        let consensus = reviews.consensusByRow(dataset)
        let sampledRows = Set(reviews.auditSample.compactMap { id in dataset.row(of: id).flatMap { $0 < n ? $0 : nil } })
        let stratified = NoiseEstimator.estimate(
            ranking: evidence.ranking, trainCount: n, consensus: consensus,
            sampledRows: sampledRows, options: options)
        return NoiseHeadline.build(
            dataset: dataset, issues: LabelIssues(dataset: dataset, evidence: evidence),
            consensus: consensus, draws: reviews.draws, stratified: stratified)
    }
}
