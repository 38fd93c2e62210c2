import Foundation
import LabelAuditCore

/// The few distributions the report simulates, drawn from Core's `SplitMix64`. Seeded, so a
/// report built twice from the same data says the same numbers.
struct ReportRandom {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in (0, 1).
    mutating func uniform() -> Double {
        (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    mutating func normal() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }

    /// Marsaglia and Tsang's method; shape < 1 boosted by U^(1/shape).
    mutating func gamma(shape: Double) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1) * pow(uniform(), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a)
        let y = gamma(shape: b)
        return x / (x + y)
    }

    /// The first `count` entries of a partial Fisher-Yates shuffle of `pool` (in place).
    mutating func choose(_ count: Int, from pool: inout [Int]) {
        for index in 0..<count {
            let pick = index + below(pool.count - index)
            pool.swapAt(index, pick)
        }
    }
}

enum ReportStatistics {
    /// The q-quantile of sorted values (linear interpolation).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        let fraction = position - Double(low)
        return sorted[low] * (1 - fraction) + sorted[high] * fraction
    }

    /// Cohen's kappa of two raters over paired categorical ratings; nil when undefined.
    /// O(n + categories²).
    static func cohensKappa<Category: Hashable>(_ pairs: [(Category, Category)]) -> Double? {
        guard !pairs.isEmpty else { return nil }
        let n = Double(pairs.count)
        var agree = 0.0
        var countsA: [Category: Double] = [:]
        var countsB: [Category: Double] = [:]
        for (a, b) in pairs {
            if a == b { agree += 1 }
            countsA[a, default: 0] += 1
            countsB[b, default: 0] += 1
        }
        let observed = agree / n
        var chance = 0.0
        for (category, countA) in countsA { chance += (countA / n) * ((countsB[category] ?? 0) / n) }
        guard chance < 1 - 1e-12 else { return nil }
        return (observed - chance) / (1 - chance)
    }

    /// Largest-remainder rounding of `weights` to integers summing to `total`.
    static func apportion(_ total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0, total > 0 else { return weights.map { _ in 0 } }
        let exact = weights.map { Double(total) * $0 / sum }
        var result = exact.map { Int($0.rounded(.down)) }
        var left = total - result.reduce(0, +)
        let order = exact.indices.sorted { (exact[$0] - Double(result[$0])) > (exact[$1] - Double(result[$1])) }
        for index in order where left > 0 {
            result[index] += 1
            left -= 1
        }
        return result
    }
}
