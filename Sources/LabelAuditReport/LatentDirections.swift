import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

/// Question 2's picture: every train face on the two latent directions that matter most, the
/// confirmed errors marked.
///
/// - x: the labelling boundary: the latent model's signed out-of-fold distance to its boundary
///   (positive on the glasses side);
/// - y: the direction that best separates the confirmed errors from the other faces once the
///   boundary is accounted for: the difference of the two groups' means in standardised latent
///   space, with its component along the boundary direction removed (the boundary direction is
///   the least-squares fit of the boundary distance on the standardised latents).
/// The separation is t = (mean y of errors − mean y of others) / pooled sd. Because y is fitted
/// on the same errors, t is large even when errors are placed at random in 512 dimensions; its
/// p-value therefore repeats the whole fit for random sets of faces of the same size
/// (permutations), p = (1 + #{t_random ≥ t}) / (1 + permutations). O(permutations · rows · dim).
enum LatentDirections {
    struct Result {
        var x: [Double]
        var y: [Double]
        var separation: Double
        var randomSeparation: Double
        var pValue: Double
        var permutations: Int
    }

    static func compute(dataset: Dataset, evidence: Evidence, errorRows: [Int], permutations: Int, seed: UInt64) -> Result? {
        let n = dataset.trainCount, dim = dataset.dim, m = errorRows.count
        guard m >= 2, n > m + 2, dim > 0,
              let latent = evidence.runs.last(where: { $0.source == .latent }) else { return nil }
        let boundary = (0 ..< n).map { latent.boundaryDistances[dataset.ids[$0]] }
        guard boundary.allSatisfy({ $0 != nil }) else { return nil }
        let x = boundary.map { $0! }
        // Standardised latents (train rows), row-major.
        var z = [Double](repeating: 0, count: n * dim)
        for j in 0 ..< dim {
            var mean = 0.0
            for i in 0 ..< n { mean += Double(dataset.latents[i, j]) }
            mean /= Double(n)
            var variance = 0.0
            for i in 0 ..< n { let d = Double(dataset.latents[i, j]) - mean; variance += d * d }
            let sd = max(1e-12, (variance / Double(max(1, n - 1))).squareRoot())
            for i in 0 ..< n { z[i * dim + j] = (Double(dataset.latents[i, j]) - mean) / sd }
        }
        // Boundary direction: the least-squares fit of x on z, approximated by the covariance
        // direction z'x (the latents are close to white; exact for white latents).
        var b = [Double](repeating: 0, count: dim)
        for i in 0 ..< n { for j in 0 ..< dim { b[j] += z[i * dim + j] * x[i] } }
        let bNorm = max(1e-12, b.reduce(0) { $0 + $1 * $1 }.squareRoot())
        b = b.map { $0 / bNorm }

        func direction(_ rows: [Int]) -> [Double] {
            var member = [Bool](repeating: false, count: n)
            for r in rows { member[r] = true }
            var inside = [Double](repeating: 0, count: dim), outside = inside
            for i in 0 ..< n {
                if member[i] { for j in 0 ..< dim { inside[j] += z[i * dim + j] } } else { for j in 0 ..< dim { outside[j] += z[i * dim + j] } }
            }
            var d = (0 ..< dim).map { inside[$0] / Double(rows.count) - outside[$0] / Double(n - rows.count) }
            let along = zip(d, b).reduce(0) { $0 + $1.0 * $1.1 }
            for j in 0 ..< dim { d[j] -= along * b[j] }
            let norm = max(1e-12, d.reduce(0) { $0 + $1 * $1 }.squareRoot())
            return d.map { $0 / norm }
        }
        func project(_ d: [Double]) -> [Double] {
            (0 ..< n).map { i in (0 ..< dim).reduce(0) { $0 + z[i * dim + $1] * d[$1] } }
        }
        func separation(_ rows: [Int], _ y: [Double]) -> Double {
            var member = [Bool](repeating: false, count: n)
            for r in rows { member[r] = true }
            var s1 = 0.0, s2 = 0.0, q1 = 0.0, q2 = 0.0
            for i in 0 ..< n { if member[i] { s1 += y[i]; q1 += y[i] * y[i] } else { s2 += y[i]; q2 += y[i] * y[i] } }
            let m1 = s1 / Double(rows.count), m2 = s2 / Double(n - rows.count)
            let pooled = ((q1 - Double(rows.count) * m1 * m1) + (q2 - Double(n - rows.count) * m2 * m2)) / Double(n - 2)
            return (m1 - m2) / max(1e-12, pooled.squareRoot())
        }
        let y = project(direction(errorRows))
        let observed = separation(errorRows, y)
        var random = ReportRandom(seed: seed ^ 0xD12E)
        var pool = Array(0 ..< n)
        var atLeast = 0, total = 0.0
        let count = max(19, permutations)
        for _ in 0 ..< count {
            random.choose(m, from: &pool)
            let rows = Array(pool[0 ..< m])
            let t = separation(rows, project(direction(rows)))
            total += t
            if t >= observed - 1e-12 { atLeast += 1 }
        }
        return Result(x: x, y: y, separation: finite(observed), randomSeparation: finite(total / Double(count)),
                      pValue: Double(1 + atLeast) / Double(1 + count), permutations: count)
    }

    /// The scatter plot as a JPEG: all train faces grey, confirmed errors red, axes through 0.
    static func jpeg(_ result: Result, errorRows: [Int], width: Int = 720, height: Int = 480) -> [UInt8]? {
        var image = RGBImage(width: width, height: height, fill: (255, 255, 255))
        let margin = 24.0
        func range(_ v: [Double]) -> (Double, Double) {
            let sorted = v.sorted()
            let lo = sorted[Int(0.002 * Double(sorted.count - 1))], hi = sorted[Int(0.998 * Double(sorted.count - 1))]
            let pad = max(1e-9, (hi - lo) * 0.05)
            return (lo - pad, hi + pad)
        }
        let (x0, x1) = range(result.x), (y0, y1) = range(result.y)
        func px(_ v: Double) -> Int { Int(margin + (v - x0) / (x1 - x0) * (Double(width) - 2 * margin)) }
        func py(_ v: Double) -> Int { Int(Double(height) - margin - (v - y0) / (y1 - y0) * (Double(height) - 2 * margin)) }
        func dot(_ cx: Int, _ cy: Int, _ r: Int, _ colour: (UInt8, UInt8, UInt8)) {
            // Faces beyond the plotted quantiles (outliers) are left out, not drawn off the image.
            guard cx + r >= 0, cx - r < width, cy + r >= 0, cy - r < height else { return }
            for yy in max(0, cy - r) ... min(height - 1, cy + r) {
                for xx in max(0, cx - r) ... min(width - 1, cx + r) where (xx - cx) * (xx - cx) + (yy - cy) * (yy - cy) <= r * r {
                    let k = (yy * width + xx) * 3
                    image.pixels[k] = colour.0; image.pixels[k + 1] = colour.1; image.pixels[k + 2] = colour.2
                }
            }
        }
        // Axes through 0 (the boundary, and the mean of y).
        let ax = min(max(px(0), 0), width - 1), ay = min(max(py(0), 0), height - 1)
        for yy in 0 ..< height { let k = (yy * width + ax) * 3; image.pixels[k] = 120; image.pixels[k + 1] = 120; image.pixels[k + 2] = 120 }
        for xx in 0 ..< width { let k = (ay * width + xx) * 3; image.pixels[k] = 200; image.pixels[k + 1] = 200; image.pixels[k + 2] = 200 }
        let errors = Set(errorRows)
        for i in result.x.indices where !errors.contains(i) { dot(px(result.x[i]), py(result.y[i]), 1, (150, 160, 172)) }
        for i in errorRows { dot(px(result.x[i]), py(result.y[i]), 3, (200, 40, 40)) }
        return try? JPEGEncoder.encode(image, quality: 88)
    }
}
