/// Where a distance falls among all pairwise distances of a dataset.
///
/// In 512 dimensions random Gaussian latents are all roughly equally far apart: the nearest
/// neighbour is often hardly closer than a random face. Showing each neighbour's percentile
/// keeps the display honest ("nearest, but still at the 4th percentile of all pairs").
/// Built from a seeded random sample of pairs, so it is reproducible and O(sample * dim).
public struct DistanceDistribution: Sendable, Equatable {
    /// Sorted sampled pairwise distances.
    public let sortedSample: [Float]

    public init(sortedSample: [Float]) {
        self.sortedSample = sortedSample
    }

    /// Samples `pairs` random distinct pairs (all pairs when fewer exist). O(pairs * dim + pairs log pairs).
    public init(index: NeighbourIndex, pairs: Int = 20_000, seed: UInt64 = 0x5EED) {
        let n = index.rows
        var sample: [Float] = []
        if n >= 2 {
            let total = n * (n - 1) / 2
            if total <= pairs {
                sample.reserveCapacity(total)
                for a in 0 ..< n { for b in (a + 1) ..< n { sample.append(index.distance(a, b)) } }
            } else {
                var rng = SplitMix64(seed: seed)
                sample.reserveCapacity(pairs)
                while sample.count < pairs {
                    let a = rng.next(below: n), b = rng.next(below: n)
                    if a != b { sample.append(index.distance(a, b)) }
                }
            }
        }
        sortedSample = sample.sorted()
    }

    /// The same sample straight from the latents, without building a search index (its
    /// normalised copy would double the memory of a large set): for imported neighbours.
    /// Distances are computed as `NeighbourIndex.distance` defines them. O(pairs * dim).
    public init(matrix: LatentMatrix, metric: DistanceMetric, pairs: Int = 20_000, seed: UInt64 = 0x5EED) {
        let n = matrix.rows, d = matrix.dim
        var sample: [Float] = []
        matrix.values.withUnsafeBufferPointer { v in
            guard n >= 2, let base = v.baseAddress else { return }
            func distance(_ a: Int, _ b: Int) -> Float {
                let x = base + a * d, y = base + b * d
                switch metric {
                case .cosine:
                    let xx = VectorKernels.dot(x, x, d), yy = VectorKernels.dot(y, y, d)
                    guard xx > 0, yy > 0 else { return 1 }
                    return max(0, 1 - VectorKernels.dot(x, y, d) / (xx.squareRoot() * yy.squareRoot()))
                case .l2:
                    return VectorKernels.squaredDistance(x, y, d).squareRoot()
                }
            }
            let total = n * (n - 1) / 2
            if total <= pairs {
                sample.reserveCapacity(total)
                for a in 0 ..< n { for b in (a + 1) ..< n { sample.append(distance(a, b)) } }
            } else {
                var rng = SplitMix64(seed: seed)
                sample.reserveCapacity(pairs)
                while sample.count < pairs {
                    let a = rng.next(below: n), b = rng.next(below: n)
                    if a != b { sample.append(distance(a, b)) }
                }
            }
        }
        sortedSample = sample.sorted()
    }

    /// Percentage (0...100) of pairwise distances smaller than `distance`. O(log sample).
    public func percentile(of distance: Float) -> Double {
        guard !sortedSample.isEmpty else { return 0 }
        var low = 0, high = sortedSample.count
        while low < high {
            let mid = (low + high) / 2
            if sortedSample[mid] < distance { low = mid + 1 } else { high = mid }
        }
        return 100 * Double(low) / Double(sortedSample.count)
    }

    /// The distance at percentile `p` (0...100) of the sample.
    public func distance(atPercentile p: Double) -> Float {
        guard !sortedSample.isEmpty else { return 0 }
        let position = Int((p / 100 * Double(sortedSample.count - 1)).rounded())
        return sortedSample[max(0, min(sortedSample.count - 1, position))]
    }
}
