import Foundation
import LabelAuditCore
import LabelAuditStore
import Testing

@testable import LabelAuditEngine

/// The before/after answer: per face, whether a model agrees with the team's verdict (through
/// the one consensus rule); overall, confirmed errors still wrong and metrics against the
/// provided and the corrected labels.
@Suite struct RerunAgreementTests {
    @Test func agreementFollowsEveryConsensusDecision() {
        for label: UInt8 in [0, 1] {
            for p in [0.1, 0.5, 0.9] {
                let onOne = p >= 0.5
                #expect(
                    VerdictAgreement(p: p, providedLabel: label, decision: .labelOK)
                        == (onOne == (label == 1) ? .agrees : .disagrees))
                #expect(
                    VerdictAgreement(p: p, providedLabel: label, decision: .labelWrong)
                        == (onOne == (label == 0) ? .agrees : .disagrees))
                for undecided: ConsensusDecision? in [.conflict, .unsure, .badImage, nil] {
                    #expect(VerdictAgreement(p: p, providedLabel: label, decision: undecided) == .undecided)
                }
            }
            #expect(VerdictAgreement(p: nil, providedLabel: label, decision: .labelOK) == .unscored)
            #expect(VerdictAgreement(p: nil, providedLabel: label, decision: .labelWrong) == .unscored)
            #expect(VerdictAgreement(p: nil, providedLabel: label, decision: .conflict) == .undecided)
        }
    }

    /// Every decision the rule can reach, made by real reviewers in a real audit file, through
    /// a real rerun: each face's agreement before and after is what its p and decision say.
    @Test func aRerunReportsAgreementPerFaceForEveryDecision() throws {
        let fixture = try RerunFixture(train: 120)
        let verdicts: [(String, Verdict, String)] = [
            ("3", .labelWrong, "ann"), ("4", .labelOK, "ann"), ("5", .labelOK, "ann"), ("5", .labelWrong, "bob"),
            ("6", .unsure, "ann"), ("7", .badImage, "ann"), ("9", .labelWrong, "ann"), ("9", .unsure, "bob"),
            ("10", .badImage, "ann"), ("10", .labelOK, "bob"), ("17", .labelWrong, "ann"),
        ]
        let expected: [String: ConsensusDecision?] = [
            "3": .labelWrong, "4": .labelOK, "5": .conflict, "6": .unsure, "7": .badImage,
            "8": nil, "9": .labelWrong, "10": .labelOK, "17": .labelWrong,
        ]
        try fixture.review(verdicts, flags: Array(expected.keys))
        let store = try fixture.readOnlyStore()
        let result = try Rerun.run(engine: fixture.engine, store: store, options: RerunOptions(models: [.latent]))
        let model = result.models[0]
        let parent = try #require(model.parent)
        #expect(Set(result.rows.map(\.id)) == Set(expected.keys))
        var agreeBefore = 0
        var agreeAfter = 0
        for row in result.rows {
            let decision = expected[row.id]!
            #expect(row.verdict == decision, "\(row.id)")
            let change = try #require(row.models.first)
            #expect(change.run == "latent-rerun")
            func expectedAgreement(_ p: Double?) -> VerdictAgreement {
                guard let p else { return .unscored }
                switch decision {
                case .labelOK?: return (p >= 0.5) == (row.providedLabel == 1) ? .agrees : .disagrees
                case .labelWrong?: return (p >= 0.5) == (row.providedLabel == 0) ? .agrees : .disagrees
                default: return .undecided
                }
            }
            #expect(change.before == parent.probabilities[row.id] && change.after == model.run.probabilities[row.id])
            #expect(change.agreementBefore == expectedAgreement(change.before), "\(row.id)")
            #expect(change.agreementAfter == expectedAgreement(change.after), "\(row.id)")
            if change.agreementBefore == .agrees { agreeBefore += 1 }
            if change.agreementAfter == .agrees { agreeAfter += 1 }
        }
        let comparison = try #require(model.comparison)
        #expect(comparison.decidedFaces == 5)  // 3, 4, 9, 10, 17
        #expect(comparison.agreeBefore == agreeBefore && comparison.agreeAfter == agreeAfter)
        #expect(comparison.confirmedErrors == 3)  // 3, 9, 17
        #expect(
            result.summaryLine.hasPrefix(
                "rerun latent-rerun (from latent): confirmed errors still wrong \(comparison.stillWrongBefore!) -> \(comparison.stillWrongAfter) of 3; flagged faces agreeing with the verdict \(agreeBefore) -> \(agreeAfter) of 5; AUROC vs corrected labels "
            ))
    }

    /// Six faces by hand: the numbers are worked out here, not by the code under test.
    @Test func comparisonCountsStillWrongErrorsAndScoresAgainstBothLabelSets() throws {
        let folder = try temporaryFolder()
        let ids = (1...6).map(String.init)
        let dataset = Dataset(
            root: folder, trainFile: folder.appendingPathComponent("train.csv"), testFile: nil, ids: ids, trainCount: 6,
            labels: [1, 1, 0, 0, 1, 0], latents: LatentMatrix(rows: 6, dim: 1, values: [0, 1, 2, 3, 4, 5]),
            latentColumns: ["v1"], imagePaths: Array(repeating: nil, count: 6), imageDirectory: nil,
            predictionFiles: [], warnings: [])
        func run(_ p: [Double]) -> ModelRun {
            ModelRun(
                name: "m", source: .image, metrics: nil, outOfFold: true,
                probabilities: Dictionary(uniqueKeysWithValues: zip(ids, p)), datasetFingerprint: "f", inputKey: "k")
        }
        // 1: label_ok; 2: label_wrong (1 -> 0); 6: bad_image (left out).
        let consensus = [
            ItemConsensus(item: "1", verdicts: [.init(reviewer: "ann", verdict: .labelOK)])!,
            ItemConsensus(item: "2", verdicts: [.init(reviewer: "ann", verdict: .labelWrong)])!,
            ItemConsensus(item: "6", verdicts: [.init(reviewer: "ann", verdict: .badImage)])!,
        ]
        let corrections = Corrections.from(dataset: dataset, consensus: consensus, unsure: .keep, auditEventID: "E")
        #expect(corrections.labels == [1, 0, 0, 0, 1, 0] && corrections.trainRows == [0, 1, 2, 3, 4])
        let parent = run([0.9, 0.8, 0.2, 0.4, 0.6, 0.3])
        let after = run([0.9, 0.3, 0.2, 0.6, 0.7, 0.5])
        let c = ModelComparison(
            parent: parent, run: after, dataset: dataset, corrections: corrections, selectedRows: Array(0..<6))
        #expect(c.confirmedErrors == 1 && c.stillWrongBefore == 1 && c.stillWrongAfter == 0)
        #expect(c.unscoredBefore == 0 && c.unscoredAfter == 0)
        #expect(c.decidedFaces == 2 && c.agreeBefore == 1 && c.agreeAfter == 2)
        // Provided labels, all six rows: parent predicts 1 1 0 0 1 0 (all right), the rerun 1 0 0 1 1 1 (3 right).
        #expect(c.providedBefore?.accuracy == 1 && c.providedAfter.accuracy == 0.5 && c.providedAfter.rows == 6)
        // Corrected labels 1 0 0 0 1 over rows 1-5: parent 4 of 5 right, rerun 4 of 5; the rerun ranks every 1 above every 0.
        #expect(c.correctedBefore?.accuracy == 0.8 && c.correctedAfter.accuracy == 0.8 && c.correctedAfter.rows == 5)
        #expect(c.correctedAfter.auroc == 1)
        #expect(c.correctedBefore?.auroc == 5.0 / 6.0)  // 0.8 (a 0) outranks 0.6 (a 1) once in six pairs
        let logLoss = -(log(0.9) + log(0.7) + log(0.8) + log(0.4) + log(0.7)) / 5
        #expect(abs((c.correctedAfter.logLoss ?? 0) - logLoss) < 1e-12)
        #expect(c.outOfFold)
        // No parent: nothing before.
        let alone = ModelComparison(parent: nil, run: after, dataset: dataset, corrections: corrections, selectedRows: [0, 1])
        #expect(
            alone.stillWrongBefore == nil && alone.agreeBefore == nil && alone.providedBefore == nil
                && alone.correctedBefore == nil)
        #expect(alone.agreeAfter == 2)
    }

    @Test func undefinedMetricsStayUndefined() throws {
        let oneClass = RerunMetrics(probabilities: [0.2, 0.9], labels: [1, 1])
        #expect(oneClass.auroc == nil)
        #expect(oneClass.accuracy == 0.5 && oneClass.logLoss != nil)
        let none = RerunMetrics(probabilities: [], labels: [])
        #expect(none.rows == 0 && none.auroc == nil && none.logLoss == nil && none.accuracy == nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(oneClass), as: UTF8.self)
        #expect(json.hasPrefix(#"{"accuracy":0.5,"auroc":null,"logLoss":"#))
    }
}
