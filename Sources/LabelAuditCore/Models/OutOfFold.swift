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
    /// Inner folds used to choose C on each outer training part.
    public var innerFolds: Int
    /// Candidate C values (scikit-learn's convention: larger = weaker regularisation).
    public var grid: [Double]
    public var seed: UInt64

    public init(folds: Int = 5, innerFolds: Int = 3,
                grid: [Double] = [0.001, 0.0046, 0.022, 0.1, 0.46, 2.2, 10], seed: UInt64 = 20_200_405) {
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
    public let fullModel: LogisticModel
}

public enum CancellationError: Error, Equatable { case cancelled }

/// The out-of-fold protocol: stratified k folds; on each outer training part C is chosen by
/// inner k-fold cross-validation (mean log loss over a warm-started path from strong to weak
/// regularisation) and the held-out fold is predicted; rows not in training (test rows) are
/// predicted by a fit on all training rows with C chosen the same way.
///
/// Complexity: (folds + 1) * (innerFolds * |grid| + 1) fits of O(iterations * n * d); outer
/// folds run on all cores. Works on any feature matrix (latents, image features) and any label
/// vector and row subset, so a rerun can retrain on corrected labels without flagged rows.
public enum OutOfFold {
    public static func run(_ matrix: LatentMatrix, trainRows: [Int], labels: [UInt8], otherRows: [Int],
                           options: OutOfFoldOptions = OutOfFoldOptions(),
                           progress: (@Sendable (Double) -> Void)? = nil,
                           isCancelled: (@Sendable () -> Bool)? = nil) throws(CancellationError) -> OutOfFoldResult {
        precondition(!trainRows.isEmpty, "no training rows")
        let trainLabels = trainRows.map { labels[$0] }
        let classes = Set(trainLabels)
        let folds = Folds.stratified(labels: trainLabels, k: min(options.folds, max(2, trainRows.count)), seed: options.seed)
        let foldCount = (folds.max() ?? 0) + 1
        // Job f < foldCount: outer fold f; job foldCount: the full fit.
        let jobs = foldCount + 1
        var results = [Job?](repeating: nil, count: jobs)
        let shared = UncheckedSendable(results.withUnsafeMutableBufferPointer { $0.baseAddress! })
        let workers = min(Parallelism.workers, jobs)
        let next = WorkCounter(limit: jobs)
        Parallelism.run(workers: workers) { _ in
            while let job = next.next() {
                if let isCancelled, isCancelled() { return }
                let fitRows: [Int], scoreRows: [Int]
                if job < foldCount {
                    fitRows = trainRows.indices.filter { folds[$0] != job }.map { trainRows[$0] }
                    scoreRows = trainRows.indices.filter { folds[$0] == job }.map { trainRows[$0] }
                } else {
                    fitRows = trainRows
                    scoreRows = otherRows
                }
                let c = classes.count < 2 ? options.grid[0]
                    : chooseC(matrix, rows: fitRows, labels: labels, options: options)
                let model = LogisticRegression.fit(matrix, rows: fitRows, labels: labels, inverseRegularization: c)
                var scored: [(Int, Double, Double)] = []
                scored.reserveCapacity(scoreRows.count)
                for r in scoreRows {
                    scored.append((r, model.probability(matrix, row: r), model.boundaryDistance(matrix, row: r)))
                }
                shared.value[job] = Job(c: c, model: model, scored: scored)
                progress?(Double(next.finishOne()) / Double(jobs))
            }
        }
        if let isCancelled, isCancelled() { throw .cancelled }
        var probabilities: [Int: Double] = [:], distances: [Int: Double] = [:], foldOfRow: [Int: Int] = [:]
        for (i, r) in trainRows.enumerated() { foldOfRow[r] = folds[i] }
        var chosen: [Double] = []
        for job in results {
            guard let job else { throw .cancelled }
            chosen.append(job.c)
            for (r, p, d) in job.scored {
                probabilities[r] = p
                distances[r] = d
            }
        }
        return OutOfFoldResult(probabilities: probabilities, boundaryDistances: distances, foldOfRow: foldOfRow,
                               chosenC: chosen, fullModel: results[jobs - 1]!.model)
    }

    struct Job: Sendable {
        let c: Double
        let model: LogisticModel
        let scored: [(Int, Double, Double)]
    }

    /// Inner cross-validation: the C of the grid with the lowest mean held-out log loss.
    static func chooseC(_ matrix: LatentMatrix, rows: [Int], labels: [UInt8], options: OutOfFoldOptions) -> Double {
        guard options.grid.count > 1, options.innerFolds >= 2, rows.count >= options.innerFolds * 2 else {
            return options.grid.last ?? 1
        }
        let rowLabels = rows.map { labels[$0] }
        let inner = Folds.stratified(labels: rowLabels, k: options.innerFolds, seed: options.seed &+ 1)
        let grid = options.grid.sorted()
        var totals = [Double](repeating: 0, count: grid.count)
        for f in 0 ..< options.innerFolds {
            let fitRows = rows.indices.filter { inner[$0] != f }.map { rows[$0] }
            let heldOut = rows.indices.filter { inner[$0] == f }.map { rows[$0] }
            guard Set(fitRows.map { labels[$0] }).count == 2 else { continue }
            let data = StandardizedRows(matrix, rows: fitRows)
            let y = fitRows.map { Float(labels[$0]) }
            var warm: [Double]? = nil
            for (g, c) in grid.enumerated() {
                let state = LogisticRegression.fitStandardized(data, y: y, c: c, warmStart: warm,
                                                               maxIterations: 300, gradientTolerance: 1e-4)
                warm = state.parameters
                let p = heldOut.map { state.model.probability(matrix, row: $0) }
                totals[g] += Metrics.logLoss(probabilities: p, labels: heldOut.map { labels[$0] }) * Double(heldOut.count)
            }
        }
        var best = 0
        for g in grid.indices where totals[g] < totals[best] - 1e-12 { best = g }
        return grid[best]
    }
}

