import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore
import TestSupport
import Testing

@testable import LabelAuditReport

@Suite struct ReportBuildTests {
    let demo = DemoFixture.shared

    @Test func withNoReviewsTheReportSaysWhatItCanAndHowToGetAnEstimate() throws {
        let report = try AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, store: nil)
        #expect(report.schemaVersion == 2)
        #expect(report.dataset.trainRows == 540 && report.dataset.testRows == 60)
        #expect(report.progress.reviewed == 0 && report.progress.queueSize == 540)
        #expect(report.confirmedErrors.isEmpty)
        // No reviews, but the models speak: what is known (nothing confirmed), their own estimate
        // labelled model-based, and the exact command for an unbiased one.
        #expect(report.noise.status == "model_based")
        #expect(report.noise.share == nil)
        #expect(report.noise.confirmedWrong == 0 && report.noise.lowerBoundShare == 0)
        let modelBased = try #require(report.noise.modelBasedWrongLabels)
        let cl = try #require(LabelIssues(dataset: demo.dataset, evidence: demo.evidence).confidentLearning)
        #expect(modelBased == cl.estimatedErrors)
        #expect(report.noise.nextStep.contains("`labelaudit sample \(demo.dataset.root.path) 100`"))
        #expect(
            report.noise.sentence.hasPrefix(
                "0 confirmed wrong label(s) so far, so at least 0.0% of the 540 training labels are wrong. The picture models (latent) estimate about \(Int(modelBased.rounded())) wrong labels"
            ))
        #expect(report.noise.sentence.contains("model-based"))
        #expect(report.noiseMatrix.basis == "model_based")
        #expect(report.noiseMatrix.label0GivenGlasses?.low == nil)
        // With nothing known, every bin is equally uncertain: the advice spreads 50 reviews evenly.
        #expect(report.noise.nextReviews.map(\.reviews) == [10, 10, 10, 10, 10])
        #expect(report.clustering.status == "too_few_errors")
        #expect(
            report.clustering.sentence
                == "Too few confirmed errors to tell (0 so far; at least 5 needed, and more make the answer firmer). Keep reviewing, ideally a random audit sample (`:sample 50`)."
        )
        #expect(report.labelRows.count == 540)
        #expect(report.labelRows.allSatisfy { $0.correctedLabel == $0.givenLabel && $0.changedBy.isEmpty })
        // Train metrics only.
        #expect(report.runs.map(\.trainRowsPredicted).allSatisfy { $0 <= 540 })
    }

    @Test func honestReviewsOfTheQueueAndARandomSampleEstimateTheTrueNoise() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try demo.store(in: folder)
        let queueTop = Array(demo.queue.prefix(80))
        try demo.review(queueTop, by: "ana", in: store)
        let trainIDs = Array(demo.dataset.ids[0..<demo.dataset.trainCount])
        let sample = try store.addAuditSample(count: 120, from: trainIDs, reviewer: "bo", seed: 11)
        try demo.review(sample, by: "bo", in: store)
        let report = try AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, store: store)
        let reviewed = Set(queueTop).union(sample)
        let expectedErrors = reviewed.intersection(demo.flipped)
        #expect(Set(report.confirmedErrors.map(\.id)) == expectedErrors)
        #expect(report.progress.reviewed == reviewed.count)
        #expect(report.progress.auditSampleSize == 120 && report.progress.auditSampleReviewed == 120)
        #expect(report.noise.status == "estimated")
        let truth = Double(demo.flipped.count) / 540
        let low = try #require(report.noise.shareLow)
        let high = try #require(report.noise.shareHigh)
        #expect(low <= truth && truth <= high, "interval \(low)...\(high) misses the true share \(truth)")
        #expect(high - low < 0.08, "interval \(low)...\(high)")
        #expect(report.noise.sample.faces == 120 && report.noise.sample.draws == 1 && report.noise.sample.weightedDraws == 0)
        // The stratified estimate stays beside it, and the noise matrix rests on the sample.
        #expect(report.noise.stratifiedShare != nil)
        #expect(report.noiseMatrix.basis == "audit_sample")
        let e0 = report.noiseMatrix.labelledZero.wrong
        let e1 = report.noiseMatrix.labelledOne.wrong
        // The directions are the same estimator on two domains; each is cut to what is certain
        // (at least its confirmed errors), which can only raise it.
        let total = try #require(report.noise.wrongLabels)
        #expect(e0.estimate + e1.estimate >= total - 1e-6 && e0.estimate + e1.estimate <= total + 3)
        #expect(Double(report.noiseMatrix.labelledZero.confirmedWrong) <= e0.estimate)
        #expect(report.noiseMatrix.labelledZero.faces + report.noiseMatrix.labelledOne.faces == 540)
        // The fully reviewed top 80 is a stratum of its own; the five bins after it rest on the sample.
        #expect(report.noise.bins.count == 6)
        #expect(
            report.noise.bins[0].firstRank == 1 && report.noise.bins[0].lastRank >= 80
                && ["census", "queue_head"].contains(report.noise.bins[0].basis))
        #expect(report.noise.bins.dropFirst().allSatisfy { $0.basis == "random_sample" || $0.basis == "census" })
        #expect(report.noise.bins.map(\.size).reduce(0, +) == 540)
        #expect(
            report.noise.method.contains(
                "The reviewed head of the queue (positions 1-\(report.noise.bins[0].lastRank)) is a stratum of its own, counted as reviewed."
            ))
        // Corrected labels flip exactly the confirmed errors, naming who changed them.
        let changed = report.labelRows.filter { $0.correctedLabel != $0.givenLabel }
        #expect(Set(changed.map(\.id)) == expectedErrors)
        #expect(changed.allSatisfy { !$0.changedBy.isEmpty && $0.review == "label_wrong" })
        // The default ranking found the errors: its top 10 are precise on the reviewed faces.
        let top = try #require(report.precision.first { $0.ranking == "default" })
        #expect(top.points.map(\.k) == [10, 25, 50, 100])
        #expect(top.points[0].reviewed == 10)
        #expect(report.scoreHistogram.confirmedErrors.reduce(0, +) == expectedErrors.count)
    }

    @Test func queueOnlyReviewsAreFlaggedAsLikelyOverstatedAndUnreviewedBinsWiden() throws {
        // Every other face of the queue's top 80: no reviewed head, so bin 1 rests on queue reviews.
        let top = stride(from: 0, to: 80, by: 2).map { demo.queue[$0] }
        let states = top.map { ReviewerState.verdict(demo.flipped.contains($0) ? .labelWrong : .labelOK, $0, by: "ana") }
        let report = AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot(states: states))
        #expect(report.noise.bins[0].basis == "queue")
        #expect(report.noise.bins[1...].allSatisfy { $0.basis == "none" })
        #expect(
            report.noise.method.contains(
                "Bin(s) 2, 3, 4, 5 have no reviews, so their share could be anything from 0 to 100%: that is most of the stratified interval's width."
            ))
        #expect(
            report.noise.method.contains(
                "Bin(s) 1 have only reviews from the queue, which shows likely errors first, so their share is probably overstated"
            ))
        // An unreviewed bin of 108 faces spans most of 0...100%.
        #expect(report.noise.bins[4].shareLow < 0.05 && report.noise.bins[4].shareHigh > 0.9)
        // Neyman: the unreviewed bins (variance 1/4) get the reviews, not the well-known bin.
        #expect(report.noise.nextReviews.allSatisfy { $0.bin != 1 || $0.reviews < 10 })
    }

    @Test func aSkippedFaceDoesNotEndTheReviewedHead() throws {
        // The top 60 reviewed except position 30: the head still covers 1...60 and the skipped
        // face is estimated from the head's own reviews.
        let reviewed = demo.queue.prefix(60).enumerated().filter { $0.offset != 29 }.map(\.element)
        let states = reviewed.map { ReviewerState.verdict(demo.flipped.contains($0) ? .labelWrong : .labelOK, $0, by: "ana") }
        let report = AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot(states: states))
        let head = report.noise.bins[0]
        #expect(head.firstRank == 1 && head.lastRank == 60 && head.size == 60 && head.reviewed == 59)
        #expect(head.basis == "queue_head")
        #expect(report.noise.bins.count == 6 && report.noise.bins.dropFirst().allSatisfy { $0.basis == "none" && $0.size == 96 })
        #expect(
            AuditReport.build(
                dataset: demo.dataset, evidence: demo.evidence,
                reviews: ReviewSnapshot(states: Array(states.prefix(8)))
            ).noise.bins.count == 5)
    }

    @Test func conflictsCountAsTheirShareAndChangeNoLabel() throws {
        let id = demo.queue[0]
        let states = [
            ReviewerState.verdict(.labelWrong, id, by: "ana"), ReviewerState.verdict(.labelOK, id, by: "bo"),
            ReviewerState.verdict(.labelWrong, demo.queue[1], by: "ana"),
            ReviewerState.verdict(.labelWrong, demo.queue[1], by: "bo"),
            ReviewerState.verdict(.badImage, demo.queue[2], by: "bo"),
        ]
        let report = AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot(states: states))
        #expect(report.conflicts.map(\.id) == [id])
        #expect(report.confirmedErrors.map(\.id) == [demo.queue[1]])
        #expect(report.badImages.map(\.id) == [demo.queue[2]])
        #expect(report.noise.bins[0].reviewed == 2 && report.noise.bins[0].wrong == 1.5)
        #expect(report.labelRows.first { $0.id == id }?.correctedLabel == report.labelRows.first { $0.id == id }?.givenLabel)
        let agreement = try #require(report.progress.agreement.first)
        #expect(agreement.reviewerA == "ana" && agreement.reviewerB == "bo" && agreement.overlap == 2 && agreement.agreed == 1)
    }

    @Test func testIDsAndUnknownIDsNeverReachTheReport() throws {
        let testID = demo.dataset.ids[demo.dataset.trainCount]
        let states = [
            ReviewerState.verdict(.labelWrong, testID, by: "ana"), ReviewerState.verdict(.labelWrong, "no-such-id", by: "ana"),
        ]
        let report = AuditReport.build(
            dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot(states: states, auditSample: [testID]))
        #expect(report.confirmedErrors.isEmpty && report.progress.reviewed == 0 && report.progress.auditSampleSize == 0)
        #expect(report.progress.ignoredItems == 2)
        #expect(report.warnings.contains("2 reviewed id(s) are not train rows of this dataset and were left out"))
        #expect(!report.labelRows.contains { $0.id == testID })
        #expect(!ReportWriter.json(report).contains("\"\(testID)\""))
    }

    @Test func cohensKappaMatchesAHandComputedExample() {
        // 10 items: 4 both ok, 3 both wrong, 2 ok/wrong, 1 wrong/ok.
        // po = 0.7, pA(ok) = 0.6, pB(ok) = 0.5, pe = 0.3 + 0.2 = 0.5, kappa = 0.4.
        let pairs: [(Verdict, Verdict)] =
            Array(repeating: (.labelOK, .labelOK), count: 4) + Array(repeating: (.labelWrong, .labelWrong), count: 3)
            + Array(repeating: (.labelOK, .labelWrong), count: 2) + [(.labelWrong, .labelOK)]
        #expect(abs(ReportStatistics.cohensKappa(pairs)! - 0.4) < 1e-12)
        #expect(ReportStatistics.cohensKappa([(Verdict.labelOK, Verdict.labelOK)]) == nil)
        #expect(ReportStatistics.cohensKappa([(Verdict, Verdict)]()) == nil)
    }

    @Test func betaSamplesHaveTheRightMean() {
        var random = ReportRandom(seed: 5)
        for (a, b) in [(1.0, 1.0), (2.0, 30.0), (0.5, 0.5), (40.0, 3.0)] {
            let draws = (0..<20_000).map { _ in random.beta(a, b) }
            let mean = draws.reduce(0, +) / Double(draws.count)
            #expect(abs(mean - a / (a + b)) < 0.01, "Beta(\(a), \(b)) mean \(mean)")
            #expect(draws.allSatisfy { $0 > 0 && $0 < 1 })
        }
    }

    @Test func clusteringAnswersWithPermutationTestsOnceThereAreEnoughErrors() throws {
        // Every flipped face confirmed: the demo's generator flips labels near its latent rule.
        let states = demo.flipped.sorted().map { ReviewerState.verdict(.labelWrong, $0, by: "ana") }
        let report = AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot(states: states))
        #expect(report.clustering.status == "tested")
        #expect(report.clustering.confirmedErrors == demo.flipped.count)
        #expect(
            Set(report.clustering.tests.map(\.name)) == [
                "nearest_other_error", "errors_among_neighbours", "nearest_neighbour_distance", "boundary_distance",
            ])
        #expect(report.clustering.tests.allSatisfy { $0.pValue > 0 && $0.pValue <= 1 && $0.permutations >= 99 })
        #expect(
            report.clustering.sentence.contains(
                "Caution: \(demo.flipped.count) of the \(demo.flipped.count) errors were found through the queue"))
        // Random "errors" show no clustering: the p-values are not small.
        let trainIDs = Array(demo.dataset.ids[0..<demo.dataset.trainCount])
        let randomIDs = stride(from: 3, to: 540, by: 29).map { trainIDs[$0] }
        let randomStates = randomIDs.map { ReviewerState.verdict(.labelWrong, $0, by: "ana") }
        let null = AuditReport.build(
            dataset: demo.dataset, evidence: demo.evidence,
            reviews: ReviewSnapshot(states: randomStates, auditSample: Set(randomIDs)))
        let together = try #require(null.clustering.tests.first { $0.name == "errors_among_neighbours" })
        #expect(together.pValue > 0.01)
        #expect(!null.clustering.sentence.contains("Caution"))
    }
}
