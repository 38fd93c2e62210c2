import Foundation

/// A fitted L2 logistic regression, with the standardisation folded into the weights so it
/// scores raw rows directly.
public struct LogisticModel: Sendable, Equatable {
    /// Weights in raw feature space: `logit = weights . x + bias`.
    public let weights: [Float]
    public let bias: Float
    /// Norm of the weights in standardised space: the logit divided by it is the signed
    /// distance to the decision boundary in standard deviations, comparable across folds.
    public let standardizedWeightNorm: Float
    /// The inverse regularisation strength it was fitted with (scikit-learn's `C`).
    public let inverseRegularization: Double
    /// Optimiser iterations used (diagnostics).
    public let iterations: Int

    /// O(dim).
    public func logit(_ matrix: LatentMatrix, row: Int) -> Float {
        matrix.values.withUnsafeBufferPointer { values in
            weights.withUnsafeBufferPointer { w in
                VectorKernels.dot(values.baseAddress! + row * matrix.dim, w.baseAddress!, matrix.dim) + bias
            }
        }
    }

    /// P(label = 1) of one row. O(dim).
    public func probability(_ matrix: LatentMatrix, row: Int) -> Double {
        LogisticMath.sigmoid(Double(logit(matrix, row: row)))
    }

    /// Signed distance to the boundary in standardised units (positive = class 1 side). O(dim).
    public func boundaryDistance(_ matrix: LatentMatrix, row: Int) -> Double {
        standardizedWeightNorm > 0 ? Double(logit(matrix, row: row)) / Double(standardizedWeightNorm) : 0
    }
}

enum LogisticMath {
    @inline(__always)
    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : { let e = exp(z); return e / (1 + e) }()
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
/// penalised) divided by n: mean log loss + |w|² / (2 C n). Each evaluation is two streaming
/// passes over the n x d standardised rows (SIMD dot and axpy), so a fit costs
/// O(iterations * n * d) time and O(n * d) memory for the standardised copy.
public enum LogisticRegression {
    /// Fits on `rows` of `matrix` with the label of row r at `labels[r]`.
    /// `warmStart` (standardised weights + bias, as returned in `FitState`) speeds up a path of C values.
    public static func fit(_ matrix: LatentMatrix, rows: [Int], labels: [UInt8], inverseRegularization c: Double,
                           maxIterations: Int = 500, gradientTolerance: Double = 1e-5) -> LogisticModel {
        fitState(matrix, rows: rows, labels: labels, c: c, warmStart: nil,
                 maxIterations: maxIterations, gradientTolerance: gradientTolerance).model
    }

    /// Standardised parameters of a fit, reusable as a warm start for the next C.
    public struct FitState: Sendable {
        public let model: LogisticModel
        public let parameters: [Double]
    }

    public static func fitState(_ matrix: LatentMatrix, rows: [Int], labels: [UInt8], c: Double,
                                warmStart: [Double]?, maxIterations: Int = 500,
                                gradientTolerance: Double = 1e-5) -> FitState {
        let standardized = StandardizedRows(matrix, rows: rows)
        let y = rows.map { Float(labels[$0]) }
        return fitStandardized(standardized, y: y, c: c, warmStart: warmStart,
                               maxIterations: maxIterations, gradientTolerance: gradientTolerance)
    }

    static func fitStandardized(_ data: StandardizedRows, y: [Float], c: Double, warmStart: [Double]?,
                                maxIterations: Int, gradientTolerance: Double) -> FitState {
        let d = data.dim, n = data.count
        precondition(n > 0 && y.count == n)
        let objective = Objective(data: data, y: y, penalty: 1 / (c * Double(n)))
        var x = warmStart ?? {
            // Start at the prior: zero weights, bias = log-odds of the labels.
            var start = [Double](repeating: 0, count: d + 1)
            let positives = Double(y.reduce(0, +))
            let prior = min(max(positives / Double(n), 1e-6), 1 - 1e-6)
            start[d] = log(prior / (1 - prior))
            return start
        }()
        let iterations = LBFGS.minimize(&x, maxIterations: maxIterations, gradientTolerance: gradientTolerance) {
            objective.evaluate($0, gradient: &$1)
        }
        return FitState(model: data.rawModel(standardizedParameters: x, c: c, iterations: iterations), parameters: x)
    }

    /// The penalised mean log loss and its gradient over standardised rows.
    struct Objective {
        let data: StandardizedRows
        let y: [Float]
        let penalty: Double

        func evaluate(_ x: [Double], gradient: inout [Double]) -> Double {
            let d = data.dim, n = data.count
            let w = x[0 ..< d].map { Float($0) }
            let b = Float(x[d])
            var loss = 0.0
            var residualSum = 0.0
            var g = [Float](repeating: 0, count: d)
            data.values.withUnsafeBufferPointer { values in
                w.withUnsafeBufferPointer { wp in
                    g.withUnsafeMutableBufferPointer { gp in
                        for i in 0 ..< n {
                            let row = values.baseAddress! + i * d
                            let z = Double(VectorKernels.dot(row, wp.baseAddress!, d) + b)
                            let label = Double(y[i])
                            // log loss = softplus(z) - y z
                            loss += LogisticMath.softplus(z) - label * z
                            let residual = LogisticMath.sigmoid(z) - label
                            residualSum += residual
                            VectorKernels.axpy(Float(residual), row, gp.baseAddress!, d)
                        }
                    }
                }
            }
            let inverseN = 1 / Double(n)
            var norm2 = 0.0
            for j in 0 ..< d {
                gradient[j] = Double(g[j]) * inverseN + penalty * x[j]
                norm2 += x[j] * x[j]
            }
            gradient[d] = residualSum * inverseN
            return loss * inverseN + 0.5 * penalty * norm2
        }
    }
}

/// The chosen rows of a matrix, standardised (mean 0, standard deviation 1 per column, from
/// those rows only) into one contiguous buffer. Constant columns are left centred at 0.
struct StandardizedRows: Sendable {
    let dim: Int
    let count: Int
    let mean: [Float]
    let scale: [Float]
    var values: [Float]

    init(_ matrix: LatentMatrix, rows: [Int]) {
        let dim = matrix.dim
        self.dim = dim
        count = rows.count
        var sum = [Double](repeating: 0, count: dim), sumSquares = [Double](repeating: 0, count: dim)
        var values = [Float](repeating: 0, count: rows.count * dim)
        matrix.values.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for (k, r) in rows.enumerated() {
                    let from = src.baseAddress! + r * dim
                    (dst.baseAddress! + k * dim).update(from: from, count: dim)
                    for j in 0 ..< dim {
                        let v = Double(from[j])
                        sum[j] += v
                        sumSquares[j] += v * v
                    }
                }
            }
        }
        let n = Double(max(rows.count, 1))
        var mean = [Float](repeating: 0, count: dim), scale = [Float](repeating: 1, count: dim)
        for j in 0 ..< dim {
            let m = sum[j] / n
            let variance = max(0, sumSquares[j] / n - m * m)
            mean[j] = Float(m)
            scale[j] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 1
        }
        values.withUnsafeMutableBufferPointer { v in
            for k in 0 ..< rows.count {
                let row = v.baseAddress! + k * dim
                for j in 0 ..< dim { row[j] = (row[j] - mean[j]) * scale[j] }
            }
        }
        self.mean = mean
        self.scale = scale
        self.values = values
    }

    /// Folds the standardisation into raw-space weights.
    func rawModel(standardizedParameters x: [Double], c: Double, iterations: Int) -> LogisticModel {
        var weights = [Float](repeating: 0, count: dim)
        var bias = x[dim]
        var norm2 = 0.0
        for j in 0 ..< dim {
            let w = x[j] * Double(scale[j])
            weights[j] = Float(w)
            bias -= w * Double(mean[j])
            norm2 += x[j] * x[j]
        }
        return LogisticModel(weights: weights, bias: Float(bias), standardizedWeightNorm: Float(norm2.squareRoot()),
                             inverseRegularization: c, iterations: iterations)
    }
}

/// Limited-memory BFGS (m = 10) with a backtracking Armijo line search.
/// O(iterations * (evaluation + m * parameters)).
enum LBFGS {
    static func minimize(_ x: inout [Double], maxIterations: Int, gradientTolerance: Double,
                         _ f: ([Double], inout [Double]) -> Double) -> Int {
        let n = x.count, memory = 10
        var g = [Double](repeating: 0, count: n)
        var fx = f(x, &g)
        var sHistory: [[Double]] = [], yHistory: [[Double]] = [], rhoHistory: [Double] = []
        var iteration = 0
        while iteration < maxIterations {
            if g.reduce(0.0, { max($0, abs($1)) }) < gradientTolerance { break }
            // Two-loop recursion: direction = -H g.
            var q = g
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for k in stride(from: sHistory.count - 1, through: 0, by: -1) {
                let a = rhoHistory[k] * dot(sHistory[k], q)
                alphas[k] = a
                for j in 0 ..< n { q[j] -= a * yHistory[k][j] }
            }
            if let s = sHistory.last, let yv = yHistory.last {
                let gamma = dot(s, yv) / max(dot(yv, yv), 1e-300)
                for j in 0 ..< n { q[j] *= gamma }
            } else {
                let norm = dot(g, g).squareRoot()
                for j in 0 ..< n { q[j] /= max(norm, 1e-12) }
            }
            for k in 0 ..< sHistory.count {
                let beta = rhoHistory[k] * dot(yHistory[k], q)
                for j in 0 ..< n { q[j] += sHistory[k][j] * (alphas[k] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(direction, g)
            if slope >= 0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                direction = g.map { -$0 }
                slope = dot(direction, g)
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
            }
            var step = 1.0
            var candidate = x, candidateGradient = g, fCandidate = fx
            var accepted = false
            for _ in 0 ..< 40 {
                for j in 0 ..< n { candidate[j] = x[j] + step * direction[j] }
                fCandidate = f(candidate, &candidateGradient)
                if fCandidate <= fx + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            iteration += 1
            if !accepted { break }
            var s = [Double](repeating: 0, count: n), yv = [Double](repeating: 0, count: n)
            for j in 0 ..< n {
                s[j] = candidate[j] - x[j]
                yv[j] = candidateGradient[j] - g[j]
            }
            let sy = dot(s, yv)
            let improvement = fx - fCandidate
            x = candidate; g = candidateGradient; fx = fCandidate
            if sy > 1e-12 {
                sHistory.append(s); yHistory.append(yv); rhoHistory.append(1 / sy)
                if sHistory.count > memory { sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst() }
            }
            if improvement < 1e-12 * max(1, abs(fx)) { break }
        }
        return iteration
    }

    @inline(__always)
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for j in 0 ..< a.count { s += a[j] * b[j] }
        return s
    }
}
