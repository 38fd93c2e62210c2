import Foundation

/// A fitted L2 logistic regression, with the standardisation folded into the weights so it
/// scores raw rows directly.
package struct LogisticModel: Sendable, Equatable {
    /// Weights in raw feature space: `logit = weights . x + bias`.
    package let weights: [Float]
    package let bias: Float
    /// Norm of the weights in standardised space: the logit divided by it is the signed
    /// distance to the decision boundary in standard deviations, comparable across folds.
    package let standardizedWeightNorm: Float
    /// The inverse regularisation strength it was fitted with (scikit-learn's `C`).
    package let inverseRegularization: Double
    /// Optimiser iterations used (diagnostics).
    package let iterations: Int

    /// O(dim).
    package func logit(_ matrix: LatentMatrix, row: Int) -> Float {
        matrix.values.withUnsafeBufferPointer { values in
            weights.withUnsafeBufferPointer { w in
                VectorKernels.dot(values.baseAddress! + row * matrix.dim, w.baseAddress!, matrix.dim) + bias
            }
        }
    }

    /// P(label = 1) of one row. O(dim).
    package func probability(_ matrix: LatentMatrix, row: Int) -> Double {
        LogisticMath.sigmoid(Double(logit(matrix, row: row)))
    }

    /// Signed distance to the boundary in standardised units (positive = class 1 side). O(dim).
    package func boundaryDistance(_ matrix: LatentMatrix, row: Int) -> Double {
        standardizedWeightNorm > 0 ? Double(logit(matrix, row: row)) / Double(standardizedWeightNorm) : 0
    }
}

enum LogisticMath {
    @inline(__always)
    static func sigmoid(_ z: Double) -> Double {
        z >= 0
            ? 1 / (1 + exp(-z))
            : {
                let e = exp(z)
                return e / (1 + e)
            }()
    }

    /// log(1 + exp(z)) without overflow.
    @inline(__always)
    static func softplus(_ z: Double) -> Double {
        z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
    }
}

/// L2-regularised logistic regression fitted by L-BFGS on standardised features.
///
/// The objective is scikit-learn's (`LogisticRegression(penalty="l2", C=c)`, intercept not
/// penalised) divided by n: mean log loss + |w|² / (2 C n), with w the weights of the
/// standardised features. The standardisation is never materialised: it is folded into the
/// weights of each evaluation (x·(s∘w) + b - μ·(s∘w)) and into the gradient, so a fit reads the
/// caller's matrix in place and needs O(d) memory of its own, and every fold of a protocol
/// shares the one matrix. Each evaluation streams the rows once (four rows at a time against
/// the weights, then the same four into the gradient, SIMD): O(iterations * n * d) time.
package enum LogisticRegression {
    /// Fits on `rows` of `matrix` with the label of row r at `labels[r]`.
    package static func fit(
        _ matrix: LatentMatrix, rows: [Int], labels: [UInt8], inverseRegularization c: Double,
        maxIterations: Int = 500, gradientTolerance: Double = 1e-5
    ) -> LogisticModel {
        let problem = FitProblem(Standardized(matrix, rows: rows), rows: rows, labels: labels)
        return fitStandardized(
            problem, c: c, warmStart: nil, maxIterations: maxIterations,
            gradientTolerance: gradientTolerance
        ).model
    }

    /// Standardised parameters of a fit, reusable as a warm start for the next C.
    package struct FitState: Sendable {
        package let model: LogisticModel
        /// Standardised weights, then the bias.
        package let parameters: [Double]
    }

    /// Fits on rows of `matrix` standardised by `standardization` (from a shared set of rows, so
    /// parameters of different folds are comparable and warm-start each other).
    static func fitStandardized(
        _ problem: FitProblem, c: Double, warmStart: [Double]?,
        maxIterations: Int, gradientTolerance: Double
    ) -> FitState {
        let d = problem.data.dim
        let n = problem.count
        precondition(n > 0)
        let objective = Objective(problem: problem, penalty: 1 / (c * Double(n)))
        var x =
            warmStart
            ?? {
                // Start at the prior: zero weights, bias = log-odds of the labels.
                var start = [Double](repeating: 0, count: d + 1)
                let positives = Double(problem.y.reduce(0, +))
                let prior = min(max(positives / Double(n), 1e-6), 1 - 1e-6)
                start[d] = log(prior / (1 - prior))
                return start
            }()
        let iterations = LBFGS.minimize(&x, maxIterations: maxIterations, gradientTolerance: gradientTolerance) {
            objective.evaluate($0, gradient: &$1)
        }
        return FitState(model: problem.data.rawModel(standardizedParameters: x, c: c, iterations: iterations), parameters: x)
    }

    /// The penalised mean log loss and its gradient in standardised coordinates.
    struct Objective {
        let problem: FitProblem
        let penalty: Double

        func evaluate(_ x: [Double], gradient: inout [Double]) -> Double {
            let data = problem.data
            let d = data.dim
            let n = problem.count
            // Raw-space weights and bias of these standardised parameters.
            var w = [Float](repeating: 0, count: d)
            var bias = x[d]
            for j in 0..<d {
                let raw = x[j] * Double(data.scale[j])
                w[j] = Float(raw)
                bias -= raw * Double(data.mean[j])
            }
            var rawGradient = [Float](repeating: 0, count: d)
            let (loss, residualSum) = LogisticKernel.lossAndGradient(
                data.matrix, rows: problem.rows, y: problem.y, weights: w, bias: Float(bias), gradient: &rawGradient)
            // d/dv_j = s_j (Σ r_i x_ij - μ_j Σ r_i) / n + λ v_j
            let inverseN = 1 / Double(n)
            var norm2 = 0.0
            for j in 0..<d {
                gradient[j] =
                    Double(data.scale[j]) * (Double(rawGradient[j]) - Double(data.mean[j]) * residualSum) * inverseN
                    + penalty * x[j]
                norm2 += x[j] * x[j]
            }
            gradient[d] = residualSum * inverseN
            return loss * inverseN + 0.5 * penalty * norm2
        }
    }
}

/// A matrix seen standardised (mean 0, standard deviation 1 per column, statistics from a
/// chosen set of rows) without a standardised copy. Constant columns get scale 1.
///
/// When a column's mean is far from zero in units of its spread, the folded form
/// x·(s∘w) - μ·(s∘w) loses precision to cancellation in Float32; such matrices are centred into
/// a copy once (O(n·d) memory), which keeps the arithmetic exact for any data.
struct Standardized: Sendable {
    let matrix: LatentMatrix
    let mean: [Float]
    let scale: [Float]
    /// Added to the stored means: non-zero only for a centred copy (the raw means, which the
    /// raw-space model has to subtract).
    let offset: [Float]

    var dim: Int { matrix.dim }

    init(_ source: LatentMatrix, rows: [Int]) {
        let dim = source.dim
        var sum = [Double](repeating: 0, count: dim)
        var sumSquares = [Double](repeating: 0, count: dim)
        source.values.withUnsafeBufferPointer { src in
            for r in rows {
                let from = src.baseAddress! + r * dim
                for j in 0..<dim {
                    let v = Double(from[j])
                    sum[j] += v
                    sumSquares[j] += v * v
                }
            }
        }
        let n = Double(max(rows.count, 1))
        var mean = [Float](repeating: 0, count: dim)
        var scale = [Float](repeating: 1, count: dim)
        var farFromZero = false
        for j in 0..<dim {
            let m = sum[j] / n
            let variance = max(0, sumSquares[j] / n - m * m)
            mean[j] = Float(m)
            scale[j] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 1
            if abs(m) * Double(scale[j]) > 16 { farFromZero = true }
        }
        if farFromZero {
            var centred = source.values
            centred.withUnsafeMutableBufferPointer { v in
                for r in 0..<source.rows {
                    let row = v.baseAddress! + r * dim
                    for j in 0..<dim { row[j] -= mean[j] }
                }
            }
            matrix = LatentMatrix(rows: source.rows, dim: dim, values: centred)
            offset = mean
            self.mean = [Float](repeating: 0, count: dim)
        } else {
            matrix = source
            offset = [Float](repeating: 0, count: dim)
            self.mean = mean
        }
        self.scale = scale
    }

    /// The standardised parameters as a model on the caller's raw rows.
    func rawModel(standardizedParameters x: [Double], c: Double, iterations: Int) -> LogisticModel {
        var weights = [Float](repeating: 0, count: dim)
        var bias = x[dim]
        var norm2 = 0.0
        for j in 0..<dim {
            let w = x[j] * Double(scale[j])
            weights[j] = Float(w)
            bias -= w * (Double(mean[j]) + Double(offset[j]))
            norm2 += x[j] * x[j]
        }
        return LogisticModel(
            weights: weights, bias: Float(bias), standardizedWeightNorm: Float(norm2.squareRoot()),
            inverseRegularization: c, iterations: iterations)
    }
}

/// One fit's rows of a shared standardised matrix and their labels.
struct FitProblem: Sendable {
    let data: Standardized
    /// Row indices into `data.matrix`, ascending (streamed in order).
    let rows: [Int32]
    /// The label of each of `rows`, as 0 or 1.
    let y: [Float]

    var count: Int { rows.count }

    init(_ data: Standardized, rows: [Int], labels: [UInt8]) {
        self.data = data
        let sorted = rows.sorted()
        self.rows = sorted.map { Int32($0) }
        y = sorted.map { Float(labels[$0]) }
    }
}

/// The hot loop of every fit.
enum LogisticKernel {
    /// Over the given rows: Σ softplus(z) - y z (the unnormalised log loss), Σ residuals, and
    /// `gradient += Σ residual_i x_i` (raw space), with z = x·w + b and residual = σ(z) - y.
    /// Four rows share each pass over the weights and over the gradient. O(rows * dim).
    static func lossAndGradient(
        _ matrix: LatentMatrix, rows: [Int32], y: [Float], weights: [Float], bias: Float,
        gradient: inout [Float]
    ) -> (loss: Double, residualSum: Double) {
        let d = matrix.dim
        let n = rows.count
        var loss = 0.0
        var residualSum = 0.0
        matrix.values.withUnsafeBufferPointer { values in
            weights.withUnsafeBufferPointer { w in
                gradient.withUnsafeMutableBufferPointer { g in
                    let base = values.baseAddress!
                    var i = 0
                    while i + 4 <= n {
                        let x0 = base + Int(rows[i]) * d
                        let x1 = base + Int(rows[i + 1]) * d
                        let x2 = base + Int(rows[i + 2]) * d
                        let x3 = base + Int(rows[i + 3]) * d
                        let z = VectorKernels.dot4(x0, x1, x2, x3, w.baseAddress!, d)
                        var r = SIMD4<Float>()
                        for k in 0..<4 {
                            let zk = Double(z[k] + bias)
                            let label = Double(y[i + k])
                            loss += LogisticMath.softplus(zk) - label * zk
                            let residual = LogisticMath.sigmoid(zk) - label
                            residualSum += residual
                            r[k] = Float(residual)
                        }
                        VectorKernels.axpy4(r, x0, x1, x2, x3, g.baseAddress!, d)
                        i += 4
                    }
                    while i < n {
                        let x = base + Int(rows[i]) * d
                        let zk = Double(VectorKernels.dot(x, w.baseAddress!, d) + bias)
                        let label = Double(y[i])
                        loss += LogisticMath.softplus(zk) - label * zk
                        let residual = LogisticMath.sigmoid(zk) - label
                        residualSum += residual
                        VectorKernels.axpy(Float(residual), x, g.baseAddress!, d)
                        i += 1
                    }
                }
            }
        }
        return (loss, residualSum)
    }
}

/// Limited-memory BFGS (m = 10) with a backtracking Armijo line search.
/// O(iterations * (evaluation + m * parameters)).
enum LBFGS {
    static func minimize(
        _ x: inout [Double], maxIterations: Int, gradientTolerance: Double,
        _ f: ([Double], inout [Double]) -> Double
    ) -> Int {
        let n = x.count
        let memory = 10
        var g = [Double](repeating: 0, count: n)
        var fx = f(x, &g)
        var sHistory: [[Double]] = []
        var yHistory: [[Double]] = []
        var rhoHistory: [Double] = []
        var iteration = 0
        var q = [Double](repeating: 0, count: n)
        var candidate = x
        var candidateGradient = g
        while iteration < maxIterations {
            if g.reduce(0.0, { max($0, abs($1)) }) < gradientTolerance { break }
            // Two-loop recursion: direction = -H g.
            for j in 0..<n { q[j] = g[j] }
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for k in stride(from: sHistory.count - 1, through: 0, by: -1) {
                let a = rhoHistory[k] * dot(sHistory[k], q)
                alphas[k] = a
                yHistory[k].withUnsafeBufferPointer { yk in for j in 0..<n { q[j] -= a * yk[j] } }
            }
            if let s = sHistory.last, let yv = yHistory.last {
                let gamma = dot(s, yv) / max(dot(yv, yv), 1e-300)
                for j in 0..<n { q[j] *= gamma }
            } else {
                let norm = dot(g, g).squareRoot()
                for j in 0..<n { q[j] /= max(norm, 1e-12) }
            }
            for k in 0..<sHistory.count {
                let beta = rhoHistory[k] * dot(yHistory[k], q)
                sHistory[k].withUnsafeBufferPointer { sk in for j in 0..<n { q[j] += sk[j] * (alphas[k] - beta) } }
            }
            // q now holds H g; the direction is -q.
            var slope = -dot(q, g)
            if slope >= 0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                for j in 0..<n { q[j] = g[j] }
                slope = -dot(g, g)
                sHistory.removeAll()
                yHistory.removeAll()
                rhoHistory.removeAll()
            }
            var step = 1.0
            var fCandidate = fx
            var accepted = false
            for _ in 0..<40 {
                for j in 0..<n { candidate[j] = x[j] - step * q[j] }
                fCandidate = f(candidate, &candidateGradient)
                if fCandidate <= fx + 1e-4 * step * slope {
                    accepted = true
                    break
                }
                step *= 0.5
            }
            iteration += 1
            if !accepted { break }
            var s = [Double](repeating: 0, count: n)
            var yv = [Double](repeating: 0, count: n)
            for j in 0..<n {
                s[j] = candidate[j] - x[j]
                yv[j] = candidateGradient[j] - g[j]
            }
            let sy = dot(s, yv)
            let improvement = fx - fCandidate
            swap(&x, &candidate)
            swap(&g, &candidateGradient)
            fx = fCandidate
            if sy > 1e-12 {
                sHistory.append(s)
                yHistory.append(yv)
                rhoHistory.append(1 / sy)
                if sHistory.count > memory {
                    sHistory.removeFirst()
                    yHistory.removeFirst()
                    rhoHistory.removeFirst()
                }
            }
            if improvement < 1e-12 * max(1, abs(fx)) { break }
        }
        return iteration
    }

    @inline(__always)
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var s0 = 0.0
                var s1 = 0.0
                var j = 0
                while j + 2 <= a.count {
                    s0 += a[j] * b[j]
                    s1 += a[j + 1] * b[j + 1]
                    j += 2
                }
                if j < a.count { s0 += a[j] * b[j] }
                return s0 + s1
            }
        }
    }
}
