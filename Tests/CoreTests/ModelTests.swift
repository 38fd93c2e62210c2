import Foundation
import Testing

@testable import LabelAuditCore

/// Labels from a hyperplane on the first coordinate plus a little of the second, with the
/// given positions flipped.
func hyperplaneLabels(_ m: LatentMatrix, flips: Set<Int> = []) -> [UInt8] {
    (0..<m.rows).map { r in
        let clean: UInt8 = m[r, 0] + 0.5 * m[r, 1] > 0.3 ? 1 : 0
        return flips.contains(r) ? 1 - clean : clean
    }
}

@Suite struct ModelTests {
    @Test func foldsAreStratifiedDeterministicAndSeeded() {
        let labels: [UInt8] = (0..<103).map { $0 % 3 == 0 ? 1 : 0 }
        let folds = Folds.stratified(labels: labels, k: 5, seed: 1)
        #expect(folds == Folds.stratified(labels: labels, k: 5, seed: 1))
        #expect(folds != Folds.stratified(labels: labels, k: 5, seed: 2))
        for f in 0..<5 {
            let inFold = labels.indices.filter { folds[$0] == f }
            let positives = inFold.filter { labels[$0] == 1 }.count
            #expect(abs(inFold.count - 103 / 5) <= 1)
            #expect(abs(positives - 35 / 5) <= 1)
        }
    }

    @Test func logisticRegressionLearnsAHyperplaneAndReachesTheOptimum() {
        let m = gaussianMatrix(rows: 600, dim: 20, seed: 4)
        let labels = hyperplaneLabels(m, flips: [1, 2, 3])
        let rows = Array(0..<600)
        let model = LogisticRegression.fit(m, rows: rows, labels: labels, inverseRegularization: 1)
        // The learnt direction is the planted one.
        #expect(model.weights[0] > 0 && model.weights[1] > 0)
        #expect(model.weights[0] > 1.5 * model.weights[1])
        for j in 2..<20 { #expect(abs(model.weights[j]) < model.weights[1]) }
        // First-order optimality: the gradient of the objective at the solution is ~0.
        let problem = FitProblem(Standardized(m, rows: rows), rows: rows, labels: labels)
        let objective = LogisticRegression.Objective(problem: problem, penalty: 1 / 600.0)
        let state = LogisticRegression.fitStandardized(problem, c: 1, warmStart: nil, maxIterations: 500, gradientTolerance: 1e-6)
        var gradient = [Double](repeating: 0, count: 21)
        _ = objective.evaluate(state.parameters, gradient: &gradient)
        #expect(gradient.map(abs).max()! < 1e-4)
        let accuracy = Metrics.accuracy(probabilities: rows.map { model.probability(m, row: $0) }, labels: labels)
        #expect(accuracy > 0.97)
    }

    @Test func outOfFoldScoresEveryTrainRowFromAModelThatNeverSawIt() throws {
        let m = gaussianMatrix(rows: 400, dim: 16, seed: 8)
        // Row 5 gets an impossible label: in-sample it would be partly fitted, out of fold it is not.
        let labels = hyperplaneLabels(m, flips: [5])
        let train = Array(0..<350)
        let test = Array(350..<400)
        let result = try OutOfFold.run(m, trainRows: train, labels: labels, otherRows: test)
        #expect(result.probabilities.count == 400)
        #expect(result.chosenC.count == 6)
        #expect(result.chosenC.allSatisfy { $0 > 0 })
        #expect(Set(result.foldOfRow.values) == Set(0..<5))
        let p = train.map { result.probabilities[$0]! }
        let metrics = ModelMetrics(probabilities: p, labels: train.map { labels[$0] })
        #expect(metrics.accuracy > 0.93 && metrics.auroc > 0.97)
        // The flipped row's given label is surprising out of fold.
        #expect(LabelQuality.selfConfidence(p: result.probabilities[5]!, label: labels[5]) < 0.5)
        // Same inputs, same outputs.
        let again = try OutOfFold.run(m, trainRows: train, labels: labels, otherRows: test)
        #expect(again.probabilities == result.probabilities)
        // The boundary distance has the sign of the logit.
        for r in [0, 10, 20] { #expect((result.boundaryDistances[r]! > 0) == (result.probabilities[r]! > 0.5)) }
    }

    @Test func retrainingOnASubsetWithCorrectedLabelsUsesOnlyThoseRows() throws {
        let m = gaussianMatrix(rows: 300, dim: 8, seed: 12)
        var labels = hyperplaneLabels(m)
        let subset = Array(0..<300).filter { $0 % 7 != 0 }
        let before = try OutOfFold.run(m, trainRows: subset, labels: labels, otherRows: [], options: .fixed(1))
        #expect(before.probabilities.count == subset.count)
        #expect(before.probabilities[7] == nil)
        labels[1] = 1 - labels[1]
        let after = try OutOfFold.run(m, trainRows: subset, labels: labels, otherRows: [], options: .fixed(1))
        #expect(after.probabilities[1] != before.probabilities[1])
        #expect(after.chosenC == [1, 1, 1, 1, 1, 1])
    }

    @Test func theFoldedStandardisationFitsWhatACentredCopyFits() {
        // Columns far from zero (mean 1000, spread 1): the folded form would cancel in Float32,
        // so a centred copy is made, and the model scores raw rows exactly like one fitted on
        // data that was centred by hand.
        let base = gaussianMatrix(rows: 300, dim: 6, seed: 21)
        let labels = hyperplaneLabels(base, flips: [4, 9])
        var shifted = base
        for r in 0..<300 { for j in 0..<6 { shifted[r, j] += 1000 } }
        let rows = Array(0..<300)
        let onShifted = LogisticRegression.fit(shifted, rows: rows, labels: labels, inverseRegularization: 0.5)
        let onBase = LogisticRegression.fit(base, rows: rows, labels: labels, inverseRegularization: 0.5)
        for r in [0, 7, 50, 299] {
            #expect(abs(onShifted.probability(shifted, row: r) - onBase.probability(base, row: r)) < 1e-3)
        }
        #expect(Standardized(shifted, rows: rows).offset.allSatisfy { abs($0 - 1000) < 1 })
        #expect(Standardized(base, rows: rows).offset.allSatisfy { $0 == 0 })
    }

    @Test func innerFoldsAreTheOtherOuterFoldsAndTheHeldOutFoldNeverPicksItsC() throws {
        let m = gaussianMatrix(rows: 500, dim: 12, seed: 31)
        let labels = hyperplaneLabels(m, flips: [3, 30, 300])
        let train = Array(0..<450)
        let result = try OutOfFold.run(m, trainRows: train, labels: labels, otherRows: Array(450..<500))
        // The pair paths: one per pair of the 5 folds; fold f's curve sums the losses of the 4
        // pair fits that leave f out and hold out another fold.
        let trainLabels = train.map { labels[$0] }
        let folds = Folds.stratified(labels: trainLabels, k: 5, seed: OutOfFoldOptions().seed)
        let rowsOfFold = (0..<5).map { f in train.indices.filter { folds[$0] == f }.map { train[$0] } }
        let data = Standardized(m, rows: train)
        let path = try OutOfFold.pairPath(
            m, data, rowsOfFold: rowsOfFold, labels: labels,
            grid: OutOfFoldOptions.defaultGrid, progress: nil, isCancelled: nil)
        #expect(path.pairs.count == 10)
        #expect(result.chosenC.count == 6)
        #expect(result.chosenC[0..<5] == ArraySlice(path.foldChoice.map { path.cs[$0] }))
        // Fold 0's inner losses never see fold 0's labels: flip them all and its curve is the
        // same at every grid value both paths visited (the other folds' curves change).
        var scrambled = labels
        for r in rowsOfFold[0] { scrambled[r] = 1 - scrambled[r] }
        let scrambledPath = try OutOfFold.pairPath(
            m, Standardized(m, rows: train), rowsOfFold: rowsOfFold, labels: scrambled,
            grid: OutOfFoldOptions.defaultGrid, progress: nil, isCancelled: nil)
        let common = zip(path.cs, scrambledPath.cs).prefix { $0.0 == $0.1 }.count
        #expect(common >= 2)
        #expect(Array(path.foldLoss[0].prefix(common)) == Array(scrambledPath.foldLoss[0].prefix(common)))
        #expect(Array(path.foldLoss[1].prefix(common)) != Array(scrambledPath.foldLoss[1].prefix(common)))
        // The path stopped early: not every grid value was fitted, then one refinement halfway.
        #expect(path.cs.count <= OutOfFoldOptions.defaultGrid.count + 1)
        let refined = path.cs.last!
        #expect(!OutOfFoldOptions.defaultGrid.contains(refined))
    }

    @Test func singleClassTrainingDoesNotCrash() throws {
        let m = gaussianMatrix(rows: 30, dim: 4, seed: 2)
        let labels = [UInt8](repeating: 1, count: 30)
        let result = try OutOfFold.run(m, trainRows: Array(0..<30), labels: labels, otherRows: [])
        #expect(result.probabilities.values.allSatisfy { $0 > 0.9 })
    }

    @Test func cancellationStopsTheProtocol() {
        let m = gaussianMatrix(rows: 100, dim: 4, seed: 2)
        #expect(throws: CancellationError.cancelled) {
            try OutOfFold.run(
                m, trainRows: Array(0..<100), labels: hyperplaneLabels(m), otherRows: [],
                isCancelled: { true })
        }
    }

    @Test func metricsMatchHandComputedValues() {
        let p = [0.9, 0.2, 0.6, 0.4]
        let y: [UInt8] = [1, 0, 0, 1]
        let expected = -(log(0.9) + log(0.8) + log(0.4) + log(0.4)) / 4
        #expect(abs(Metrics.logLoss(probabilities: p, labels: y) - expected) < 1e-12)
        #expect(Metrics.accuracy(probabilities: p, labels: y) == 0.5)
        // Positives score 0.9, 0.4; negatives 0.2, 0.6: pairs won 0.9>0.2, 0.9>0.6, 0.4>0.2 = 3/4.
        #expect(Metrics.auroc(probabilities: p, labels: y) == 0.75)
        // Ties count half.
        #expect(Metrics.auroc(scores: [0.5, 0.5], positives: [true, false]) == 0.5)
        #expect(Metrics.auroc(scores: [0.5, 0.7], positives: [true, true]).isNaN)
        // Probabilities of exactly 0 or 1 are clipped as scikit-learn does, not infinite.
        #expect(abs(Metrics.logLoss(probabilities: [0], labels: [1]) - -log(1e-15)) < 1e-9)
    }
}
