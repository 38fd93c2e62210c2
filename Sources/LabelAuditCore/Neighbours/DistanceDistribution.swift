import Foundation

/// Where a distance falls among all pairwise distances of a dataset.
///
/// In 512 dimensions random Gaussian latents are all roughly equally far apart: the nearest
/// neighbour is often hardly closer than a random face. Showing each neighbour's percentile
/// keeps the display honest ("nearest, but still at the 4th percentile of all pairs").
/// Built from every pair when there are at most a million, else from a seeded random sample
/// of a million pairs, so it is reproducible, O(sample * dim), and fine enough to tell a
/// face's nearest neighbours apart (the review app says "top 0.021%": the share of all pairs
/// that are closer).
public struct DistanceDistribution: Sendable, Equatable {
    /// Sorted sampled pairwise distances.
    public let sortedSample: [Float]

    public init(sortedSample: [Float]) {
        self.sortedSample = sortedSample
    }

    /// Samples `pairs` random distinct pairs (all pairs when fewer exist). O(pairs * dim + pairs log pairs).
    public init(index: NeighbourIndex, pairs: Int = 1_000_000, seed: UInt64 = 0x5EED) {
        let n = index.rows
        guard n >= 2 else {
            sortedSample = []
            return
        }
        // The pairs first (serial, so the sample does not depend on the threads), then their
        // distances on every core.
        let total = n * (n - 1) / 2
        var firsts: [Int32] = []
        var seconds: [Int32] = []
        let count = min(total, pairs)
        firsts.reserveCapacity(count)
        seconds.reserveCapacity(count)
        if total <= pairs {
            for a in 0..<n {
                for b in (a + 1)..<n {
                    firsts.append(Int32(a))
                    seconds.append(Int32(b))
                }
            }
        } else {
            var rng = SplitMix64(seed: seed)
            while firsts.count < pairs {
                let a = rng.next(below: n)
                let b = rng.next(below: n)
                if a != b {
                    firsts.append(Int32(a))
                    seconds.append(Int32(b))
                }
            }
        }
        var sample = [Float](repeating: 0, count: count)
        let workers = count >= 50_000 ? Parallelism.workers : 1
        sample.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable(out.baseAddress!)
            firsts.withUnsafeBufferPointer { a in
                seconds.withUnsafeBufferPointer { b in
                    let first = UncheckedSendable(a.baseAddress!)
                    let second = UncheckedSendable(b.baseAddress!)
                    Parallelism.run(workers: workers) { worker in
                        let chunk = (count + workers - 1) / workers
                        for k in worker * chunk..<min(count, (worker + 1) * chunk) {
                            shared.value[k] = index.distance(Int(first.value[k]), Int(second.value[k]))
                        }
                    }
                }
            }
        }
        sample.sort()
        sortedSample = sample
    }

    /// The same sample straight from the latents, without building a search index (its
    /// normalised copy would double the memory of a large set): for imported neighbours.
    /// Distances are computed as `NeighbourIndex.distance` defines them. O(pairs * dim).
    public init(matrix: LatentMatrix, metric: DistanceMetric, pairs: Int = 20_000, seed: UInt64 = 0x5EED) {
        let n = matrix.rows
        let d = matrix.dim
        var sample: [Float] = []
        matrix.values.withUnsafeBufferPointer { v in
            guard n >= 2, let base = v.baseAddress else { return }
            func distance(_ a: Int, _ b: Int) -> Float {
                let x = base + a * d
                let y = base + b * d
                switch metric {
                case .cosine:
                    let xx = VectorKernels.dot(x, x, d)
                    let yy = VectorKernels.dot(y, y, d)
                    guard xx > 0, yy > 0 else { return 1 }
                    return max(0, 1 - VectorKernels.dot(x, y, d) / (xx.squareRoot() * yy.squareRoot()))
                case .l2:
                    return VectorKernels.squaredDistance(x, y, d).squareRoot()
                }
            }
            let total = n * (n - 1) / 2
            if total <= pairs {
                sample.reserveCapacity(total)
                for a in 0..<n { for b in (a + 1)..<n { sample.append(distance(a, b)) } }
            } else {
                var rng = SplitMix64(seed: seed)
                sample.reserveCapacity(pairs)
                while sample.count < pairs {
                    let a = rng.next(below: n)
                    let b = rng.next(below: n)
                    if a != b { sample.append(distance(a, b)) }
                }
            }
        }
        sortedSample = sample.sorted()
    }

    /// Percentage (0...100) of pairwise distances smaller than `distance`. O(log sample).
    public func percentile(of distance: Float) -> Double {
        guard !sortedSample.isEmpty else { return 0 }
        var low = 0
        var high = sortedSample.count
        while low < high {
            let mid = (low + high) / 2
            if sortedSample[mid] < distance { low = mid + 1 } else { high = mid }
        }
        return 100 * Double(low) / Double(sortedSample.count)
    }

    /// Share (0...1) of all pairs that are closer than `distance`. O(log sample).
    public func closerShare(of distance: Float) -> Double {
        percentile(of: distance) / 100
    }

    /// How many pairs the distribution was built from (the finest share it can resolve is one
    /// over this).
    public var pairCount: Int { sortedSample.count }

    /// The distance at percentile `p` (0...100) of the sample.
    public func distance(atPercentile p: Double) -> Float {
        guard !sortedSample.isEmpty else { return 0 }
        let position = Int((p / 100 * Double(sortedSample.count - 1)).rounded())
        return sortedSample[max(0, min(sortedSample.count - 1, position))]
    }
}

/// How unusual a distance is, in words a reviewer reads at a glance: "top 0.021%" means only
/// 0.021% of all pairs of faces are closer. Two significant digits below 1% (enough to tell a
/// face's nearest neighbours apart), and an honest bound below what the sample resolves.
public enum Closeness {
    /// "top 0.021%", "top 3.4%", "top 41%", or "top <0.0001%" when no measured pair is closer.
    public static func short(share: Double, pairsMeasured: Int) -> String {
        guard share.isFinite, share >= 0 else { return "top ?" }
        if share == 0 {
            guard pairsMeasured > 0 else { return "top ?" }
            return "top <" + percent(1 / Double(pairsMeasured))
        }
        return "top " + percent(share)
    }

    /// "closer than 99.979% of all pairs of faces" (the long form, for the status line and CLI).
    public static func long(share: Double, pairsMeasured: Int) -> String {
        guard share.isFinite, share >= 0 else { return "closeness unknown" }
        if share == 0 {
            return pairsMeasured > 0 ? "closer than every one of the \(pairsMeasured) pairs measured" : "closeness unknown"
        }
        return "only " + percent(share) + " of all pairs of faces are closer"
    }

    /// A percentage with two significant digits below 10% ("0.021%", "3.4%"), whole above.
    public static func percent(_ share: Double) -> String {
        let value = share * 100
        if value >= 10 { return String(Int(value.rounded())) + "%" }
        var decimals = 1
        var scaled = value
        while scaled < 10, decimals < 8 {
            scaled *= 10
            decimals += 1
        }
        decimals -= 1
        let factor = pow(10.0, Double(decimals))
        let rounded = (value * factor).rounded() / factor
        var text = String(format: "%.\(decimals)f", rounded)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text + "%"
    }
}
