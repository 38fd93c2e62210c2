import Foundation
import Testing
@testable import LabelAuditCore

/// Labels from a hyperplane on the first coordinate plus a little of the second, with the
/// given positions flipped.
func hyperplaneLabels(_ m: LatentMatrix, flips: Set<Int> = []) -> [UInt8] {
    (0 ..< m.rows).map { r in
        let clean: UInt8 = m[r, 0] + 0.5 * m[r, 1] > 0.3 ? 1 : 0
        return flips.contains(r) ? 1 - clean : clean
    }
}

@Suite struct ModelTests {
    @Test func foldsAreStratifiedDeterministicAndSeeded() {
        let labels: [UInt8] = (0 ..< 103).map { $0 % 3 == 0 ? 1 : 0 }
        let folds = Folds.stratified(labels: labels, k: 5, seed: 1)
        #expect(folds == Folds.stratified(labels: labels, k: 5, seed: 1))
        #expect(folds != Folds.stratified(labels: labels, k: 5, seed: 2))
        for f in 0 ..< 5 {
            let inFold = labels.indices.filter { folds[$0] == f }
            let positives = inFold.filter { labels[$0] == 1 }.count
            #expect(abs(inFold.count - 103 / 5) <= 1)
            #expect(abs(positives - 35 / 5) <= 1)
        }
    }

    @Test func logisticRegressionLearnsAHyperplaneAndReachesTheOptimum() {
        let m = gaussianMatrix(rows: 600, dim: 20, seed: 4)
        let labels = hyperplaneLabels(m, flips: [1, 2, 3])
        let rows = Array(0 ..< 600)
        let model = LogisticRegression.fit(m, rows: rows, labels: labels, inverseRegularization: 1)
        // The learnt direction is the planted one.
        #expect(model.weights[0] > 0 && model.weights[1] > 0)
        #expect(model.weights[0] > 1.5 * model.weights[1])
        for j in 2 ..< 20 { #expect(abs(model.weights[j]) < model.weights[1]) }
        // First-order optimality: the gradient of the objective at the solution is ~0.
        let data = StandardizedRows(m, rows: rows)
        let objective = LogisticRegression.Objective(data: data, y: labels.map(Float.init), penalty: 1 / 600.0)
        let state = LogisticRegression.fitStandardized(data, y: labels.map(Float.init), c: 1, warmStart: nil,
                                                       maxIterations: 500, gradientTolerance: 1e-6)
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
        let train = Array(0 ..< 350), test = Array(350 ..< 400)
        let result = try OutOfFold.run(m, trainRows: train, labels: labels, otherRows: test)
        #expect(result.probabilities.count == 400)
        #expect(result.chosenC.count == 6)
        #expect(Set(result.foldOfRow.values) == Set(0 ..< 5))
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
        let subset = Array(0 ..< 300).filter { $0 % 7 != 0 }
        let before = try OutOfFold.run(m, trainRows: subset, labels: labels, otherRows: [], options: .fixed(1))
        #expect(before.probabilities.count == subset.count)
        #expect(before.probabilities[7] == nil)
        labels[1] = 1 - labels[1]
        let after = try OutOfFold.run(m, trainRows: subset, labels: labels, otherRows: [], options: .fixed(1))
        #expect(after.probabilities[1] != before.probabilities[1])
        #expect(after.chosenC == [1, 1, 1, 1, 1, 1])
    }

    @Test func singleClassTrainingDoesNotCrash() throws {
        let m = gaussianMatrix(rows: 30, dim: 4, seed: 2)
        let labels = [UInt8](repeating: 1, count: 30)
        let result = try OutOfFold.run(m, trainRows: Array(0 ..< 30), labels: labels, otherRows: [])
        #expect(result.probabilities.values.allSatisfy { $0 > 0.9 })
    }

    @Test func cancellationStopsTheProtocol() {
        let m = gaussianMatrix(rows: 100, dim: 4, seed: 2)
        #expect(throws: CancellationError.cancelled) {
            try OutOfFold.run(m, trainRows: Array(0 ..< 100), labels: hyperplaneLabels(m), otherRows: [],
                              isCancelled: { true })
        }
    }

    @Test func metricsMatchHandComputedValues() {
        let p = [0.9, 0.2, 0.6, 0.4], y: [UInt8] = [1, 0, 0, 1]
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
