import Foundation

/// Deterministic stratified k-fold assignment.
public enum Folds {
    /// The fold (0 ..< k) of each position of `labels`: each class is shuffled by a seeded
    /// SplitMix64 and dealt round-robin, so every fold has the same class balance (±1) and the
    /// assignment depends only on (labels, k, seed). O(n).
    public static func stratified(labels: [UInt8], k: Int, seed: UInt64 = 20_200_405) -> [Int] {
        precondition(k >= 2, "at least two folds")
        var folds = [Int](repeating: 0, count: labels.count)
        var rng = SplitMix64(seed: seed)
        var dealt = 0
        for cls in [UInt8(0), 1] {
            var positions = labels.indices.filter { labels[$0] == cls }
            rng.shuffle(&positions)
            for (i, p) in positions.enumerated() { folds[p] = (dealt + i) % k }
            dealt += positions.count
        }
        return folds
    }
}

/// Settings of the out-of-fold protocol.
public struct OutOfFoldOptions: Sendable {
    /// Outer folds: every train row is predicted by a model that never saw it.
    public var folds: Int
    /// 2 or more: choose C by inner cross-validation on each outer training part (with 3 or more
    /// outer folds the inner folds are the other outer folds, see `OutOfFold`); below 2: no
    /// search, the last grid value is used.
    public var innerFolds: Int
    /// Candidate C values (scikit-learn's convention: larger = weaker regularisation).
    public var grid: [Double]
    public var seed: UInt64

    /// The default grid: the seven values the latent model has always searched (0.001 ... 10, a
    /// factor of 4.6 apart) and two more at the same spacing on the strong side, where models
    /// with thousands of features (the image model) find their best C. The path starts strong
    /// and stops two steps past the best value, so the extra values cost little.
    public static let defaultGrid: [Double] = [0.000046, 0.00022, 0.001, 0.0046, 0.022, 0.1, 0.46, 2.2, 10]

    public init(
        folds: Int = 5, innerFolds: Int = 4,
        grid: [Double] = OutOfFoldOptions.defaultGrid, seed: UInt64 = 20_200_405
    ) {
        self.folds = folds
        self.innerFolds = innerFolds
        self.grid = grid
        self.seed = seed
    }

    /// A single fixed C: no inner search (used by the benchmark against scikit-learn and by
    /// reruns that keep the parent run's choice).
    public static func fixed(_ c: Double, folds: Int = 5, seed: UInt64 = 20_200_405) -> OutOfFoldOptions {
        OutOfFoldOptions(folds: folds, innerFolds: 0, grid: [c], seed: seed)
    }
}

/// Out-of-fold predictions for one model.
public struct OutOfFoldResult: Sendable {
    /// P(label = 1) for each row of `trainRows` (out of fold) then `otherRows` (full fit), keyed by row.
    public let probabilities: [Int: Double]
    /// Signed distance to the decision boundary (standardised units) of the model that scored the row.
    public let boundaryDistances: [Int: Double]
    /// Outer fold of each train row.
    public let foldOfRow: [Int: Int]
    /// C chosen on each outer fold, then for the full fit.
    public let chosenC: [Double]
    package let fullModel: LogisticModel
}

public enum CancellationError: Error, Equatable { case cancelled }

/// The out-of-fold protocol: stratified k folds; every train row is predicted by a model fitted
/// on the other folds, with C chosen by inner cross-validation on that model's own training
/// part (nested: the held-out fold never picks its own C); rows not in training (test rows) are
/// predicted by a fit on all train rows.
///
/// Shared work. With k >= 3 folds the inner folds of outer fold f are the other outer folds:
/// inner fold g of outer fold f trains on the folds other than f and g, the same fit as inner
/// fold f of outer fold g. So one regularisation path per pair of folds ({f, g}: k(k-1)/2 = 10
/// paths for 5 folds) serves every inner cross-validation, instead of k * innerFolds paths.
/// Each path runs from strong to weak regularisation, warm-started from the previous C; all
/// paths advance in lockstep and stop once every outer fold's inner loss has passed its
/// minimum by two grid steps. The outer fits start from the mean of their pairs' solutions at
/// the chosen C. All fits read one matrix, standardised on the fly with the statistics of all
/// train rows (label-free), so no fit copies the data. Jobs run on all cores.
///
/// Complexity: about (k(k-1)/2 * steps + k + 1) fits of O(iterations * n * d), where steps is
/// the number of grid values visited; O(k² * steps * d) memory besides the matrix.
public enum OutOfFold {
    /// Gradient tolerance (largest component, mean-loss scale) of the fits that only choose C:
    /// looser than the predicting fits' (measured on faces5000 and on synthetic latents: the
    /// same C chosen, out-of-fold log loss within 0.0001, 30% fewer passes over the data).
    static let pathTolerance = 1e-3
    /// The same for the fits that predict: scikit-learn's default `tol`.
    static let finalTolerance = 1e-4

    public static func run(
        _ matrix: LatentMatrix, trainRows: [Int], labels: [UInt8], otherRows: [Int],
        options: OutOfFoldOptions = OutOfFoldOptions(),
        progress: (@Sendable (Double) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws(CancellationError) -> OutOfFoldResult {
        precondition(!trainRows.isEmpty, "no training rows")
        let trainLabels = trainRows.map { labels[$0] }
        let twoClasses = Set(trainLabels).count == 2
        let folds = Folds.stratified(labels: trainLabels, k: min(options.folds, max(2, trainRows.count)), seed: options.seed)
        let foldCount = (folds.max() ?? 0) + 1
        let rowsOfFold: [[Int]] = {
            var grouped = [[Int]](repeating: [], count: foldCount)
            for (i, r) in trainRows.enumerated() { grouped[folds[i]].append(r) }
            return grouped
        }()
        let data = Standardized(matrix, rows: trainRows)
        let grid = options.grid.sorted()
        let search = twoClasses && grid.count > 1 && options.innerFolds >= 2

        // 1. The C of each outer fold and of the full fit, with warm starts for their fits.
        var foldC = [Double](repeating: twoClasses ? (options.grid.last ?? 1) : (options.grid.first ?? 1), count: foldCount)
        var fullC = foldC[0]
        var warm = [[Double]?](repeating: nil, count: foldCount + 1)
        let fitShare = search ? 0.8 : 0.0
        if search && foldCount >= 3 {
            let path = try pairPath(
                matrix, data, rowsOfFold: rowsOfFold, labels: labels, grid: grid,
                progress: progress.map { report in { @Sendable in report($0 * fitShare) } },
                isCancelled: isCancelled)
            for f in 0..<foldCount {
                foldC[f] = path.cs[path.foldChoice[f]]
                warm[f] = path.meanSolution(pairsWith: f, at: path.foldChoice[f])
            }
            fullC = path.cs[path.fullChoice]
            warm[foldCount] = path.meanSolution(pairsWith: nil, at: path.fullChoice)
        } else if search {
            for f in 0..<foldCount {
                let fitRows = rowsOfFold.enumerated().filter { $0.offset != f }.flatMap(\.element)
                foldC[f] =
                    grid[
                        chooseC(
                            matrix, data, rows: fitRows, labels: labels, grid: grid, innerFolds: options.innerFolds,
                            seed: options.seed)]
            }
            fullC =
                grid[
                    chooseC(
                        matrix, data, rows: trainRows, labels: labels, grid: grid, innerFolds: options.innerFolds,
                        seed: options.seed)]
        }
        if isCancelled?() == true { throw .cancelled }

        // 2. Outer fits (job f < foldCount) and the full fit (job foldCount).
        let jobs = foldCount + 1
        var results = [Job?](repeating: nil, count: jobs)
        let shared = UncheckedSendable(results.withUnsafeMutableBufferPointer { $0.baseAddress! })
        let next = WorkCounter(limit: jobs)
        let chosen = foldC + [fullC]
        let starts = warm
        Parallelism.run(workers: min(Parallelism.workers, jobs)) { _ in
            while let job = next.next() {
                if let isCancelled, isCancelled() { return }
                let fitRows: [Int]
                let scoreRows: [Int]
                if job < foldCount {
                    fitRows = rowsOfFold.enumerated().filter { $0.offset != job }.flatMap(\.element)
                    scoreRows = rowsOfFold[job]
                } else {
                    fitRows = trainRows
                    scoreRows = otherRows
                }
                let problem = FitProblem(data, rows: fitRows, labels: labels)
                let model = LogisticRegression.fitStandardized(
                    problem, c: chosen[job], warmStart: starts[job],
                    maxIterations: 500, gradientTolerance: finalTolerance
                ).model
                var scored: [(Int, Double, Double)] = []
                scored.reserveCapacity(scoreRows.count)
                for r in scoreRows {
                    scored.append((r, model.probability(matrix, row: r), model.boundaryDistance(matrix, row: r)))
                }
                shared.value[job] = Job(c: chosen[job], model: model, scored: scored)
                progress?(fitShare + (1 - fitShare) * Double(next.finishOne()) / Double(jobs))
            }
        }
        if let isCancelled, isCancelled() { throw .cancelled }
        var probabilities: [Int: Double] = [:]
        var distances: [Int: Double] = [:]
        var foldOfRow: [Int: Int] = [:]
        probabilities.reserveCapacity(trainRows.count + otherRows.count)
        distances.reserveCapacity(trainRows.count + otherRows.count)
        foldOfRow.reserveCapacity(trainRows.count)
        for (i, r) in trainRows.enumerated() { foldOfRow[r] = folds[i] }
        var chosenC: [Double] = []
        for job in results {
            guard let job else { throw .cancelled }
            chosenC.append(job.c)
            for (r, p, d) in job.scored {
                probabilities[r] = p
                distances[r] = d
            }
        }
        return OutOfFoldResult(
            probabilities: probabilities, boundaryDistances: distances, foldOfRow: foldOfRow,
            chosenC: chosenC, fullModel: results[jobs - 1]!.model)
    }

    struct Job: Sendable {
        let c: Double
        let model: LogisticModel
        let scored: [(Int, Double, Double)]
    }

    /// What the pair paths found: the C values visited (in order), the step chosen per outer
    /// fold and for the full fit, and every pair's solution at every step (warm starts).
    struct PairPath {
        let pairs: [(Int, Int)]
        let cs: [Double]
        let foldChoice: [Int]
        let fullChoice: Int
        /// foldLoss[f][step]: the summed inner held-out log loss of outer fold f at cs[step].
        let foldLoss: [[Double]]
        /// solutions[pair][step], nil where the pair could not be fitted (one class).
        let solutions: [[[Double]?]]

        /// The mean of the solutions at `step` of the pairs holding `fold` (all pairs when nil).
        func meanSolution(pairsWith fold: Int?, at step: Int) -> [Double]? {
            var sum: [Double]? = nil
            var count = 0.0
            for (p, pair) in pairs.enumerated() where fold == nil || pair.0 == fold || pair.1 == fold {
                guard step < solutions[p].count, let x = solutions[p][step] else { continue }
                if sum == nil { sum = [Double](repeating: 0, count: x.count) }
                for j in x.indices { sum![j] += x[j] }
                count += 1
            }
            return sum.map { s in s.map { $0 / count } }
        }
    }

    /// One warm-started path per pair of folds, in lockstep over the grid (ascending), with the
    /// held-out log loss of each pair fit on both of its folds credited to the other fold's
    /// inner cross-validation. The path stops at the first C where every curve (each outer
    /// fold's and the total) is past its minimum; then one more C halfway (geometrically)
    /// between the best and its better neighbour refines the choice, so a coarse grid costs
    /// little accuracy.
    static func pairPath(
        _ matrix: LatentMatrix, _ data: Standardized, rowsOfFold: [[Int]], labels: [UInt8], grid: [Double],
        progress: (@Sendable (Double) -> Void)?,
        isCancelled: (@Sendable () -> Bool)?
    ) throws(CancellationError) -> PairPath {
        let k = rowsOfFold.count
        let pairs: [(Int, Int)] = (0..<k).flatMap { f in (f + 1..<k).map { (f, $0) } }
        let problems: [FitProblem?] = pairs.map { pair in
            let rows = rowsOfFold.enumerated().filter { $0.offset != pair.0 && $0.offset != pair.1 }.flatMap(\.element)
            guard Set(rows.map { labels[$0] }).count == 2 else { return nil }
            return FitProblem(data, rows: rows, labels: labels)
        }
        var solutions = [[[Double]?]](repeating: [], count: pairs.count)
        var cs: [Double] = []
        // loss[f][step]: summed held-out log loss of outer fold f's inner folds at cs[step].
        var loss = [[Double]](repeating: [], count: k)
        let total = pairs.count * (grid.count + 1)
        var finished = 0

        func advance(_ c: Double, warmFrom: Int?) throws(CancellationError) {
            var outcomes = [(x: [Double], onFirst: Double, onSecond: Double)?](repeating: nil, count: pairs.count)
            let shared = UncheckedSendable(outcomes.withUnsafeMutableBufferPointer { $0.baseAddress! })
            let starts = solutions.map { steps in warmFrom.map { steps[$0] } ?? steps.last ?? nil }
            let next = WorkCounter(limit: pairs.count)
            Parallelism.run(workers: min(Parallelism.workers, pairs.count)) { _ in
                while let p = next.next() {
                    if let isCancelled, isCancelled() { return }
                    guard let problem = problems[p] else { continue }
                    let state = LogisticRegression.fitStandardized(
                        problem, c: c, warmStart: starts[p],
                        maxIterations: 300, gradientTolerance: pathTolerance)
                    let (f, g) = pairs[p]
                    shared.value[p] = (
                        state.parameters,
                        heldOutLoss(state.model, matrix, rows: rowsOfFold[f], labels: labels),
                        heldOutLoss(state.model, matrix, rows: rowsOfFold[g], labels: labels)
                    )
                }
            }
            if let isCancelled, isCancelled() { throw .cancelled }
            let step = cs.count
            cs.append(c)
            for f in 0..<k { loss[f].append(0) }
            for (p, (f, g)) in pairs.enumerated() {
                solutions[p].append(outcomes[p]?.x)
                guard let outcome = outcomes[p] else { continue }
                loss[f][step] += outcome.onSecond  // held-out fold g is an inner fold of outer fold f
                loss[g][step] += outcome.onFirst
            }
            finished += pairs.count
            progress?(Double(finished) / Double(total))
        }
        func overall() -> [Double] { cs.indices.map { s in loss.reduce(0) { $0 + $1[s] } } }

        for c in grid {
            try advance(c, warmFrom: nil)
            let last = cs.count - 1
            if last >= 1 && (loss + [overall()]).allSatisfy({ argmin($0) < last }) { break }
        }
        // Refine around the best C of the total curve.
        let curve = overall()
        let best = argmin(curve)
        let neighbours = [best - 1, best + 1].filter { cs.indices.contains($0) }
        if let side = neighbours.min(by: { curve[$0] < curve[$1] }), cs.count > 1 {
            try advance((cs[best] * cs[side]).squareRoot(), warmFrom: best)
        }
        progress?(1)
        let final = overall()
        return PairPath(
            pairs: pairs, cs: cs, foldChoice: loss.map(argmin), fullChoice: argmin(final), foldLoss: loss,
            solutions: solutions)
    }

    /// The first index of the smallest value (an earlier step wins ties).
    static func argmin(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] < values[best] - 1e-12 { best = i }
        return best
    }

    /// Summed log loss of `model` on `rows` of the caller's matrix. O(rows * dim).
    static func heldOutLoss(_ model: LogisticModel, _ matrix: LatentMatrix, rows: [Int], labels: [UInt8]) -> Double {
        var total = 0.0
        for r in rows {
            let p = min(max(model.probability(matrix, row: r), 1e-15), 1 - 1e-15)
            total -= labels[r] == 1 ? log(p) : log(1 - p)
        }
        return total
    }

    /// Inner cross-validation on one training part (used when there are only two outer folds):
    /// the grid index with the lowest summed held-out log loss, over a warm-started path.
    static func chooseC(
        _ matrix: LatentMatrix, _ data: Standardized, rows: [Int], labels: [UInt8], grid: [Double], innerFolds: Int, seed: UInt64
    ) -> Int {
        guard grid.count > 1, innerFolds >= 2, rows.count >= innerFolds * 2 else { return grid.count - 1 }
        let inner = Folds.stratified(labels: rows.map { labels[$0] }, k: innerFolds, seed: seed &+ 1)
        var totals = [Double](repeating: 0, count: grid.count)
        for f in 0..<innerFolds {
            let fitRows = rows.indices.filter { inner[$0] != f }.map { rows[$0] }
            let heldOut = rows.indices.filter { inner[$0] == f }.map { rows[$0] }
            guard Set(fitRows.map { labels[$0] }).count == 2 else { continue }
            let problem = FitProblem(data, rows: fitRows, labels: labels)
            var warm: [Double]? = nil
            for (g, c) in grid.enumerated() {
                let state = LogisticRegression.fitStandardized(
                    problem, c: c, warmStart: warm, maxIterations: 300, gradientTolerance: pathTolerance)
                warm = state.parameters
                totals[g] += heldOutLoss(state.model, matrix, rows: heldOut, labels: labels)
            }
        }
        return argmin(totals)
    }
}
