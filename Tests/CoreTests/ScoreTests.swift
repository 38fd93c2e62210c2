import Foundation
import Testing

@testable import LabelAuditCore

@Suite struct ScoreTests {
    @Test func selfConfidenceMarginAndEntropyOrderTheSameSuspiciousRows() {
        #expect(LabelQuality.selfConfidence(p: 0.8, label: 1) == 0.8)
        #expect(abs(LabelQuality.selfConfidence(p: 0.8, label: 0) - 0.2) < 1e-12)
        #expect(abs(LabelQuality.normalizedMargin(p: 0.8, label: 0) - -0.6) < 1e-12)
        let confidentRight = LabelQuality.confidenceWeightedEntropy(p: 0.99, label: 1)
        let unsure = LabelQuality.confidenceWeightedEntropy(p: 0.5, label: 1)
        let confidentWrong = LabelQuality.confidenceWeightedEntropy(p: 0.01, label: 1)
        #expect(confidentRight > unsure && unsure > confidentWrong)
        #expect(confidentRight > 0.9)
        #expect(abs(LabelQuality.surprise(p: 0, label: 1) - -log(1e-4)) < 1e-12)
    }

    @Test func confidentLearningMatchesTheHandWorkedJoint() {
        // Given 1: p = 0.9, 0.8, 0.7, 0.1 -> t1 = 0.625. Given 0: p(0) = 0.9, 0.8, 0.3 -> t0 = 0.6667.
        let p = [0.9, 0.8, 0.7, 0.1, 0.1, 0.2, 0.7]
        let y: [UInt8] = [1, 1, 1, 1, 0, 0, 0]
        let cl = ConfidentLearning(probabilities: p, labels: y)
        #expect(abs(cl.thresholds[1] - 0.625) < 1e-12)
        #expect(abs(cl.thresholds[0] - 2.0 / 3) < 1e-12)
        // Row 3 (p(0) = 0.9 >= t0) is confidently 0 but labelled 1; row 6 (p(1) = 0.7 >= t1) the reverse.
        #expect(cl.issues == [3, 6])
        #expect(cl.joint == [[2, 1], [1, 3]])
        // Calibrated: given 1 -> 1/4 of 4 rows; given 0 -> 1/3 of 3 rows.
        #expect(abs(cl.estimatedErrors - 2) < 1e-12)
    }

    @Test func aWeakModelDoesNotDrownAStrongOne() {
        // 200 rows; the strong model is right everywhere except it flags row 0 (p 0.02 vs label 1);
        // the weak model is noise that happens to flag row 1 hard.
        var labels = [UInt8](repeating: 0, count: 200)
        for r in 0..<100 { labels[r] = 1 }
        var strong: [Double?] = labels.map { $0 == 1 ? 0.97 : 0.03 }
        strong[0] = 0.02
        var weak: [Double?] = (0..<200).map { $0 % 2 == 0 ? 0.6 : 0.4 }
        weak[1] = 0.001
        let runs = [
            RunEvidence(name: "weak", probabilities: weak, outOfFold: true),
            RunEvidence(name: "strong", probabilities: strong, outOfFold: true),
        ]
        let weights = Ranking.weights(runs: runs, labels: labels)
        #expect(weights[0].weight < 0.05)
        #expect(weights[1].weight > 0.8)
        let ranked = Ranking.rank(labels: labels, runs: runs, boundaryDistances: [], graph: nil)
        #expect(ranked[0].row == 0)
        #expect(ranked[0].reason.hasPrefix("strong model 0.02 vs label 1"))
        // Unknown out-of-fold status halves the weight.
        let unknown = Ranking.weights(runs: [RunEvidence(name: "s", probabilities: strong, outOfFold: nil)], labels: labels)
        #expect(abs(unknown[0].weight - weights[1].weight / 2) < 1e-12)
    }

    @Test func reasonLineNamesModelBoundaryAndNeighbours() {
        // 20 train rows (0..9 labelled 1, 10..19 labelled 0) and one test row, 20. The image model
        // is right everywhere but row 0. Row 0's neighbours: 10, 11 (label 0), 1 (label 1), 20 (test).
        let labels: [UInt8] = (0..<20).map { $0 < 10 ? 1 : 0 }
        var p: [Double?] = labels.map { $0 == 1 ? 0.95 : 0.05 }
        p[0] = 0.03
        let image = RunEvidence(name: "image", probabilities: p, outOfFold: true)
        var indices = [Int32](repeating: -1, count: 21 * 4)
        indices[0..<4] = [10, 11, 1, 20]
        indices[4..<8] = [2, 3, 4, 5]
        let graph = NeighbourGraph(
            rows: 21, k: 4, metric: .cosine, indices: indices,
            distances: [Float](repeating: 0.5, count: 21 * 4))
        var margins: [Double?] = (0..<20).map { $0 < 10 ? 3 : -3 }
        margins[0] = 0.01
        let ranked = Ranking.rank(labels: labels, runs: [image], boundaryDistances: margins, graph: graph)
        #expect(ranked[0].row == 0)
        // Row 20 is a test row: never counted as a labelled neighbour.
        #expect(ranked[0].reason == "image model 0.03 vs label 1 - near the latent boundary - 2/3 neighbours disagree")
        #expect(ranked[0].labelledNeighbours == 3 && ranked[0].neighboursDisagreeing == 2)
        let row1 = ranked.first { $0.row == 1 }!
        #expect(row1.reason == "models agree with label 1 - 0/4 neighbours disagree")
        let row2 = ranked.first { $0.row == 2 }!
        #expect(row2.reason == "models agree with label 1")
    }

    @Test func theLatentRuleModelSpeaksThroughTheBoundaryNotTheModelTerm() {
        // The latent model "disagrees" with row 0 (it learnt the rule, the label is the rule's);
        // the image model agrees with every label. With an image model of skill, row 0 is not
        // ranked first for the latent model's surprise alone.
        let labels: [UInt8] = (0..<40).map { $0 < 20 ? 1 : 0 }
        var latent: [Double?] = labels.map { $0 == 1 ? 0.9 : 0.1 }
        latent[0] = 0.01
        var image: [Double?] = labels.map { $0 == 1 ? 0.9 : 0.1 }
        image[5] = 0.2
        let runs = [
            RunEvidence(name: "latent", probabilities: latent, outOfFold: true, modelsTheLabelRule: true),
            RunEvidence(name: "image", probabilities: image, outOfFold: true),
        ]
        let ranked = Ranking.rank(labels: labels, runs: runs, boundaryDistances: [], graph: nil)
        #expect(ranked[0].row == 5)
        #expect(ranked[0].reason == "image model 0.20 vs label 1")
        // Alone, the latent model does rank.
        let alone = Ranking.rank(labels: labels, runs: [runs[0]], boundaryDistances: [], graph: nil)
        #expect(alone[0].row == 0)
        #expect(alone[0].reason == "latent model 0.01 vs label 1")
    }
}
