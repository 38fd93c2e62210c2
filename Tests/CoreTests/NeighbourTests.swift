import Foundation
import Testing

@testable import LabelAuditCore

/// Gaussian rows from a seeded generator (Box-Muller).
func gaussianMatrix(rows: Int, dim: Int, seed: UInt64) -> LatentMatrix {
    var rng = SplitMix64(seed: seed)
    var values = [Float](repeating: 0, count: rows * dim)
    for i in 0..<values.count {
        let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300)
        let u2 = Double(rng.next() >> 11) / Double(1 << 53)
        values[i] = Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
    return LatentMatrix(rows: rows, dim: dim, values: values)
}

/// The plain definition, in Double: what every fast path must agree with.
func bruteForceDistance(_ m: LatentMatrix, _ a: Int, _ b: Int, _ metric: DistanceMetric) -> Double {
    let x = m.row(a).map(Double.init)
    let y = m.row(b).map(Double.init)
    switch metric {
    case .l2: return zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    case .cosine:
        let dot = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
        let nx = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let ny = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return 1 - dot / (nx * ny)
    }
}

func bruteForceNeighbours(_ m: LatentMatrix, row: Int, k: Int, _ metric: DistanceMetric) -> [Int] {
    let others = (0..<m.rows).filter { $0 != row }
    let d = others.map { ($0, bruteForceDistance(m, row, $0, metric)) }
    return d.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(k).map(\.0)
}

@Suite struct NeighbourTests {
    /// Both kernel shapes (2 x 16 of the baseline build, 6 x 16 of the native one) run here,
    /// whichever build this is.
    @Test(arguments: [DistanceMetric.cosine, .l2], AllPairsKernel.shapes)
    func allPairsMatchesBruteForceOnOddSizes(metric: DistanceMetric, kernelRows: Int) throws {
        // 301 rows (not a multiple of the 64- or 60-row block, above the threading threshold), dim 37 (not a multiple of 16).
        let m = gaussianMatrix(rows: 301, dim: 37, seed: 7)
        let index = NeighbourIndex(m, metric: metric)
        let graph = try #require(index.allPairs(k: 5, kernelRows: kernelRows))
        #expect(graph.rows == 301 && graph.k == 5)
        for row in [0, 1, 5, 6, 59, 60, 61, 63, 64, 65, 128, 239, 240, 299, 300] {
            let expected = bruteForceNeighbours(m, row: row, k: 5, metric)
            let got = graph.neighbours(of: row)
            #expect(got.map(\.row) == expected, "row \(row)")
            for n in got {
                #expect(abs(Double(n.distance) - bruteForceDistance(m, row, n.row, metric)) < 1e-4)
            }
        }
    }

    /// Exact copies make exact ties: every list must break them towards the lower row, as the
    /// definition does, although the kernel pushes pairs in block order and skips most pushes.
    @Test(arguments: [DistanceMetric.cosine, .l2], AllPairsKernel.shapes)
    func allPairsBreaksTiesTowardsTheLowerRow(metric: DistanceMetric, kernelRows: Int) throws {
        let base = gaussianMatrix(rows: 300, dim: 24, seed: 21)
        // Rows 200..<300 repeat rows 0..<100: each of those has a twin, and every row sees tied pairs.
        let m = LatentMatrix(rows: 300, dim: 24, values: Array(base.values[0..<200 * 24] + base.values[0..<100 * 24]))
        let graph = try #require(NeighbourIndex(m, metric: metric).allPairs(k: 7, kernelRows: kernelRows))
        for row in 0..<m.rows {
            #expect(graph.neighbours(of: row).map(\.row) == bruteForceNeighbours(m, row: row, k: 7, metric), "row \(row)")
        }
    }

    /// Both shapes sum each dot product in the same order with the same operation, so the
    /// graph (rows and distances) is the same bit for bit, whichever build and thread count.
    @Test func kernelShapesGiveTheSameGraph() throws {
        let m = gaussianMatrix(rows: 700, dim: 50, seed: 13)
        let index = NeighbourIndex(m, metric: .l2)
        let graphs = try AllPairsKernel.shapes.map { try #require(index.allPairs(k: 8, kernelRows: $0)) }
        #expect(graphs.allSatisfy { $0 == graphs[0] })
    }

    /// The bfloat16 first pass of large sets must give exactly the plain scan's answer (same
    /// rows, same distances, same tie order), even among near-duplicates whose distances differ
    /// by less than bfloat16 can tell apart.
    @Test(arguments: [DistanceMetric.cosine, .l2])
    func boundedFirstPassGivesThePlainScansAnswer(metric: DistanceMetric) {
        let base = gaussianMatrix(rows: 1_500, dim: 100, seed: 11)
        var values = base.values
        // Rows 1000..<1100 are row 7 plus noise far below bfloat16's resolution (and some exact copies).
        for r in 1_000..<1_100 {
            for c in 0..<100 {
                let noise: Float = r % 10 == 0 ? 0 : Float((r * 31 + c * 17) % 13 - 6) * 1e-5
                values[r * 100 + c] = base.values[7 * 100 + c] + noise
            }
        }
        let m = LatentMatrix(rows: 1_500, dim: 100, values: values)
        let plain = NeighbourIndex(m, metric: metric, coarseMinimum: .max)
        let bounded = NeighbourIndex(m, metric: metric, coarseMinimum: 0)
        #expect(plain.coarse.isEmpty && !bounded.coarse.isEmpty)
        for row in [0, 7, 1_000, 1_005, 1_050, 1_499] {
            for k in [1, 10, 150] {
                let expected = plain.nearest(toRow: row, k: k)
                let got = bounded.nearest(toRow: row, k: k)
                #expect(got.map(\.row) == expected.map(\.row), "row \(row), k \(k)")
                #expect(got.map(\.distance) == expected.map(\.distance), "row \(row), k \(k)")
            }
        }
        let query = (0..<100).map { Float($0 % 7) - 3 }
        #expect(bounded.nearest(to: query, k: 20).map(\.row) == plain.nearest(to: query, k: 20).map(\.row))
    }

    @Test func allPairsOfEveryRowMatchesSingleQueries() throws {
        let m = gaussianMatrix(rows: 200, dim: 16, seed: 3)
        let index = NeighbourIndex(m)
        let graph = try #require(index.allPairs(k: 4))
        for row in 0..<m.rows {
            #expect(graph.neighbours(of: row).map(\.row) == index.nearest(toRow: row, k: 4).map(\.row), "row \(row)")
        }
    }

    @Test func singleQueryExcludesItselfAndFindsADuplicateAtDistanceZero() {
        var values = gaussianMatrix(rows: 50, dim: 20, seed: 11).values
        for c in 0..<20 { values[10 * 20 + c] = values[3 * 20 + c] * 2 }  // row 10 = 2 x row 3
        let m = LatentMatrix(rows: 50, dim: 20, values: values)
        let cosine = NeighbourIndex(m, metric: .cosine).nearest(toRow: 3, k: 3)
        #expect(cosine.count == 3)
        #expect(!cosine.contains { $0.row == 3 })
        #expect(cosine[0].row == 10)
        #expect(cosine[0].distance < 1e-5)
        // L2 does not ignore length: row 10 is far from row 3.
        let l2 = NeighbourIndex(m, metric: .l2).nearest(toRow: 3, k: 3)
        #expect(l2.map(\.row) == bruteForceNeighbours(m, row: 3, k: 3, .l2))
    }

    @Test func queryByVectorMatchesBruteForce() {
        let m = gaussianMatrix(rows: 500, dim: 64, seed: 5)
        let query = gaussianMatrix(rows: 1, dim: 64, seed: 99).values
        let got = NeighbourIndex(m, metric: .l2).nearest(to: query, k: 7).map(\.row)
        let all = LatentMatrix(rows: 501, dim: 64, values: m.values + query)
        #expect(got == bruteForceNeighbours(all, row: 500, k: 7, .l2))
    }

    @Test func tinyAndDegenerateSetsDoNotCrash() throws {
        let one = LatentMatrix(rows: 1, dim: 4, values: [1, 2, 3, 4])
        let graph = try #require(NeighbourIndex(one).allPairs(k: 3))
        #expect(graph.neighbours(of: 0).isEmpty)
        #expect(NeighbourIndex(one).nearest(toRow: 0, k: 3).isEmpty)
        // A zero vector has no direction: distance 1 from everything, never NaN.
        let zero = LatentMatrix(rows: 3, dim: 2, values: [0, 0, 1, 0, 0, 1])
        let n = NeighbourIndex(zero).nearest(toRow: 0, k: 2)
        #expect(n.map(\.distance) == [1, 1])
        // k larger than the set is clipped to rows - 1.
        let g3 = try #require(NeighbourIndex(zero).allPairs(k: 10))
        #expect(g3.k == 2)
    }

    @Test func cancelledAllPairsReturnsNil() {
        let m = gaussianMatrix(rows: 400, dim: 16, seed: 1)
        #expect(NeighbourIndex(m).allPairs(k: 3, isCancelled: { true }) == nil)
    }

    @Test func percentilesSayHowCloseNeighboursReallyAre() throws {
        // Random Gaussian latents in 512 dimensions: the nearest neighbour is hardly closer
        // than a random pair, and the percentile shows it.
        let m = gaussianMatrix(rows: 400, dim: 512, seed: 21)
        let index = NeighbourIndex(m)
        let distribution = DistanceDistribution(index: index, pairs: 5000)
        #expect(distribution.sortedSample.count == 5000)
        let nearest = try #require(index.nearest(toRow: 0, k: 1).first)
        let median = distribution.distance(atPercentile: 50)
        #expect(nearest.distance > 0.8 * median)
        #expect(distribution.percentile(of: nearest.distance) < 5)
        #expect(distribution.percentile(of: 0) == 0)
        #expect(distribution.percentile(of: 10) == 100)
        // Reproducible: same seed, same sample.
        #expect(DistanceDistribution(index: index, pairs: 5000) == distribution)
    }
}
