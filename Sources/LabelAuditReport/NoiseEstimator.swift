import Foundation
import LabelAuditCore

/// Question 1: the share of wrong labels in the whole training set, from reviews that are not a
/// random sample.
///
/// The reviewed head of the queue (see `reviewedHead`) is one stratum, counted exactly; the rest
/// of the train rows is cut into `noiseBins` quantile bins of the default ranking score (equal
/// counts, by queue position). Within a bin the faces are alike in how suspicious they look, so
/// what was reviewed there stands for the rest of the bin. Per bin h with N_h faces, of which
/// K_h have a decisive verdict (w_h of them wrong, a conflict counting as its share of
/// label_wrong verdicts) and U_h = N_h - K_h do not:
/// - the reviewed faces are counted exactly (a census of what is known);
/// - the unreviewed share p_h gets a Beta(a + x, b + r - x) posterior, where (r, x) are the
///   bin's reviews in the random audit sample when it has any (unbiased; prior: the pooled
///   sample share, drawn per simulation and shared by the bins, with the weight of 4 reviews), else all its reviews (from the queue, which
///   shows likely errors first, so they probably overstate p_h; Jeffreys prior), else nothing:
///   Beta(1/2, 1/2), the share could be anything, and the interval widens honestly.
/// The total wrong count Σ (w_h + U_h p_h) (+ binomial noise for the finite U_h) is simulated
/// `simulations` times; the 2.5% and 97.5% quantiles give the 95% interval, the median the
/// estimate. Advice: Neyman allocation of the next reviews, m_h ∝ U_h √(p̄_h (1 - p̄_h)), and
/// the normal-approximation half width after them. Coverage is measured by Benchmarks/report.sh
/// (honest scripted reviewers, repeated random samples).
/// O(train rows + simulations · bins).
enum NoiseEstimator {
    /// The stratified estimate and its advice.
    struct Stratified {
        var share: Double?
        var shareLow: Double?
        var shareHigh: Double?
        var wrongLabels: Double?
        var bins: [NoiseBin]
        var nextReviews: [ReviewAllocation]
        var projectedHalfWidth: Double?
        var reviewsForOnePoint: Int?
        var simulations: Int
        var seed: UInt64
        /// What the bins say (unreviewed bins, queue-only bins), for the method paragraph.
        var notes: String
    }

    struct BinData {
        var rows: [Int]
        var knownCount = 0
        var knownWrong = 0.0
        var sampledCount = 0
        var sampledWrong = 0.0
        var basis = "none"
        var a = NoiseEstimator.prior
        var b = NoiseEstimator.prior
        var unknown: Int { rows.count - knownCount }
        var meanRate: Double { a / (a + b) }
    }

    /// Jeffreys prior Beta(1/2, 1/2): with few reviews in a bin and a low error rate, a uniform
    /// prior adds about one pseudo-error per bin and overstates the noise (measured: 7.6% for a
    /// true 3.3% on the demo); the Jeffreys interval has close to nominal coverage for binomial
    /// shares, and an unreviewed bin stays anywhere in 0...1.
    static let prior = 0.5
    /// How many reviews the pooled prior of a random-sample bin is worth.
    static let pooledPriorWeight = 4.0

    static let method =
        "The reviewed head of the queue is one stratum (counted exactly), the rest of the train rows is cut into quantile bins of the default ranking score; per bin, reviewed faces are counted exactly and the rest get a Beta posterior share from the bin's random-sample reviews (prior: the pooled sample share, drawn per simulation, worth 4 reviews), else from its queue reviews (Jeffreys prior), else Beta(1/2,1/2); the whole-set count is simulated, 95% interval from the 2.5% and 97.5% quantiles; the median is the estimate. A conflict counts as its share of label_wrong verdicts; unsure and bad_image count as unreviewed."

    static func estimate(
        ranking: [RankedRow], trainCount n: Int, consensus: [Int: FaceConsensus],
        sampledRows: Set<Int>, options: ReportOptions
    ) -> Stratified {
        let order = ranking.map(\.row).filter { $0 < n }
        let head = reviewedHead(order, consensus: consensus)
        let rest = order.count - head
        let binCount = max(1, min(options.noiseBins, rest))
        var ranges: [(lo: Int, hi: Int, isHead: Bool)] = head > 0 ? [(0, head, true)] : []
        if rest > 0 {
            for b in 0..<binCount { ranges.append((head + b * rest / binCount, head + (b + 1) * rest / binCount, false)) }
        }
        var bins: [BinData] = []
        var scoreRanges: [(Double, Double, Int, Int)] = []
        for (lo, hi, isHead) in ranges {
            var data = BinData(rows: Array(order[lo..<hi]))
            for row in data.rows {
                guard let share = consensus[row]?.wrongShare else { continue }
                data.knownCount += 1
                data.knownWrong += share
                if sampledRows.contains(row) {
                    data.sampledCount += 1
                    data.sampledWrong += share
                }
            }
            if data.unknown == 0 {
                data.basis = "census"
            } else if isHead {
                data.basis = "queue_head"
                data.a += data.knownWrong
                data.b += Double(data.knownCount) - data.knownWrong
            } else if data.sampledCount > 0 {
                data.basis = "random_sample"
                data.a += data.sampledWrong
                data.b += Double(data.sampledCount) - data.sampledWrong
            } else if data.knownCount > 0 {
                data.basis = "queue"
                data.a += data.knownWrong
                data.b += Double(data.knownCount) - data.knownWrong
            }
            bins.append(data)
            let scores = ranking[lo..<hi].map(\.score)
            scoreRanges.append((finite(scores.min() ?? 0), finite(scores.max() ?? 0), lo + 1, hi))
        }
        let decisive = bins.reduce(0) { $0 + $1.knownCount }
        // Partial pooling for random-sample bins: the prior is centred on the pooled sample's
        // share with the weight of `pooledPriorWeight` reviews instead of Jeffreys' flat-ish one,
        // so a bin with few reviews and no error does not get half a pseudo-error per review
        // batch (which overstates a low noise rate by about 1 point on the 5,000-face set).
        // The pooled share is itself uncertain: each simulation draws it (see below), so a sample
        // with no error at all still leaves a wide interval.
        let sampled = bins.filter { $0.basis == "random_sample" }
        let sampledReviews = sampled.reduce(0.0) { $0 + Double($1.sampledCount) }
        let sampledWrong = sampled.reduce(0.0) { $0 + $1.sampledWrong }
        let pooledMean = (sampledWrong + prior) / (sampledReviews + 2 * prior)
        for h in bins.indices where bins[h].basis == "random_sample" {
            // Posterior means (for the allocation advice) with the pooled mean as the prior centre.
            bins[h].a += pooledPriorWeight * pooledMean - prior
            bins[h].b += pooledPriorWeight * (1 - pooledMean) - prior
        }

        // Simulation.
        var random = ReportRandom(seed: options.seed)
        let simulations = max(100, options.simulations)
        var totals = [Double](repeating: 0, count: simulations)
        var binShares = [[Double]](repeating: [Double](repeating: 0, count: simulations), count: bins.count)
        for s in 0..<simulations {
            var total = 0.0
            // One draw of the pooled share per simulation, shared by all bins: the bins' shares
            // move together, as they do when the whole sample was lucky or unlucky, so the
            // interval of the total keeps both tails.
            let sharedCentre = sampledReviews > 0 ? random.beta(prior + sampledWrong, prior + sampledReviews - sampledWrong) : 0
            for (h, bin) in bins.enumerated() {
                var wrong = bin.knownWrong
                if bin.unknown > 0 {
                    let p: Double
                    if bin.basis == "random_sample" {
                        let centre = sharedCentre
                        p = random.beta(
                            pooledPriorWeight * centre + bin.sampledWrong,
                            pooledPriorWeight * (1 - centre) + Double(bin.sampledCount) - bin.sampledWrong)
                    } else {
                        p = random.beta(bin.a, bin.b)
                    }
                    let u = Double(bin.unknown)
                    let drawn = u * p + (u * p * (1 - p)).squareRoot() * random.normal()
                    wrong += min(u, max(0, drawn))
                }
                binShares[h][s] = bin.rows.isEmpty ? 0 : wrong / Double(bin.rows.count)
                total += wrong
            }
            totals[s] = total
        }
        totals.sort()
        let noiseBins = bins.enumerated().map { h, bin -> NoiseBin in
            let sorted = binShares[h].sorted()
            return NoiseBin(
                index: h + 1, firstRank: scoreRanges[h].2, lastRank: scoreRanges[h].3,
                scoreLow: scoreRanges[h].0, scoreHigh: scoreRanges[h].1, size: bin.rows.count,
                reviewed: bin.knownCount, wrong: bin.knownWrong, sampledReviewed: bin.sampledCount,
                sampledWrong: bin.sampledWrong, basis: bin.basis,
                share: ReportStatistics.quantile(sorted, 0.5),
                shareLow: ReportStatistics.quantile(sorted, 0.025),
                shareHigh: ReportStatistics.quantile(sorted, 0.975))
        }
        let budget = min(options.nextReviewBudget, bins.reduce(0) { $0 + $1.unknown })
        let allocation = neyman(bins, budget: budget)
        let next = allocation.enumerated().filter { $0.element > 0 }.map {
            ReviewAllocation(bin: $0.offset + 1, reviews: $0.element)
        }
        let projected = n > 0 ? halfWidth(bins, extra: allocation) / Double(n) : nil
        let forOnePoint = reviewsForHalfWidth(bins, target: 0.01 * Double(n))

        var estimate = Stratified(
            share: nil, shareLow: nil, shareHigh: nil, wrongLabels: nil, bins: noiseBins, nextReviews: next,
            projectedHalfWidth: projected.map(finite), reviewsForOnePoint: forOnePoint,
            simulations: simulations, seed: options.seed, notes: "")
        guard decisive > 0, n > 0 else { return estimate }
        let estimated = ReportStatistics.quantile(totals, 0.5)
        let low = ReportStatistics.quantile(totals, 0.025)
        let high = ReportStatistics.quantile(totals, 0.975)
        estimate.share = estimated / Double(n)
        estimate.shareLow = low / Double(n)
        estimate.shareHigh = high / Double(n)
        estimate.wrongLabels = estimated
        var notes: [String] = []
        if head > 0 {
            notes.append("The reviewed head of the queue (positions 1-\(head)) is a stratum of its own, counted as reviewed.")
        }
        let unreviewed = noiseBins.filter { $0.basis == "none" }.map { String($0.index) }
        if !unreviewed.isEmpty {
            notes.append(
                "Bin(s) \(unreviewed.joined(separator: ", ")) have no reviews, so their share could be anything from 0 to 100%: that is most of the stratified interval's width."
            )
        }
        let queueOnly = noiseBins.filter { $0.basis == "queue" }.map { String($0.index) }
        if !queueOnly.isEmpty {
            notes.append(
                "Bin(s) \(queueOnly.joined(separator: ", ")) have only reviews from the queue, which shows likely errors first, so their share is probably overstated; reviews of a random audit sample there remove that bias."
            )
        }
        estimate.notes = notes.joined(separator: " ")
        return estimate
    }

    /// Length of the reviewed head of the queue: the longest prefix whose last face has a
    /// verdict, of which at least 95% have one (a reviewer may skip a face) and whose last ten
    /// positions have at least nine. The head is a
    /// stratum of its own, counted (nearly) exactly; without it, a bin holding the reviewed top of
    /// the queue and an unreviewed remainder would extrapolate the head's error density to the
    /// remainder. Heads shorter than 10 faces are not split off.
    static func reviewedHead(_ order: [Int], consensus: [Int: FaceConsensus]) -> Int {
        var reviewed = 0
        var head = 0
        var isReviewed = [Bool](repeating: false, count: order.count)
        for (index, row) in order.enumerated() where consensus[row] != nil {
            isReviewed[index] = true
            reviewed += 1
            // The last ten positions must be reviewed too (9 of 10): a random-sample review just
            // past the reviewed head must not stretch the head over unreviewed faces, which
            // would then get the head's (high) error rate.
            let window = isReviewed[max(0, index - 9)...index].filter { $0 }.count
            if Double(reviewed) >= 0.95 * Double(index + 1) && window >= min(9, index + 1) { head = index + 1 }
        }
        return head >= 10 ? head : 0
    }

    /// Neyman allocation of `budget` reviews, never more than a bin's unreviewed faces.
    static func neyman(_ bins: [BinData], budget: Int) -> [Int] {
        var allocation = [Int](repeating: 0, count: bins.count)
        var remaining = budget
        var open = Set(bins.indices.filter { bins[$0].unknown > 0 })
        while remaining > 0 && !open.isEmpty {
            let indices = open.sorted()
            let weights = indices.map { h -> Double in
                let p = bins[h].meanRate
                return Double(bins[h].unknown) * max(1e-6, (p * (1 - p)).squareRoot())
            }
            let share = ReportStatistics.apportion(remaining, weights: weights)
            var used = 0
            for (slot, h) in indices.enumerated() {
                let room = bins[h].unknown - allocation[h]
                let add = min(room, share[slot])
                allocation[h] += add
                used += add
                if allocation[h] >= bins[h].unknown { open.remove(h) }
            }
            remaining -= used
            if used == 0 { break }
        }
        return allocation
    }

    /// 1.96 · √Var(total wrong) with `extra` more reviews per bin (Beta variance approximation).
    static func halfWidth(_ bins: [BinData], extra: [Int]) -> Double {
        var variance = 0.0
        for (h, bin) in bins.enumerated() {
            let u = Double(max(0, bin.unknown - extra[h]))
            guard u > 0 else { continue }
            let p = bin.meanRate
            let strength = bin.a + bin.b + Double(extra[h])
            variance += u * u * p * (1 - p) / (strength + 1) + u * p * (1 - p)
        }
        return 1.96 * variance.squareRoot()
    }

    /// The fewest Neyman-allocated reviews that bring the half width to `target` wrong labels.
    static func reviewsForHalfWidth(_ bins: [BinData], target: Double) -> Int? {
        let unknown = bins.reduce(0) { $0 + $1.unknown }
        if halfWidth(bins, extra: bins.map { _ in 0 }) <= target { return 0 }
        guard unknown > 0, halfWidth(bins, extra: neyman(bins, budget: unknown)) <= target else { return nil }
        var low = 0
        var high = unknown
        while high - low > 1 {
            let mid = (low + high) / 2
            if halfWidth(bins, extra: neyman(bins, budget: mid)) <= target { high = mid } else { low = mid }
        }
        return high
    }
}

func percent(_ share: Double) -> String {
    String(format: "%.1f%%", 100 * share)
}
