import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

/// What the reviewers said, read from the audit store in one go, so the report is built from
/// a consistent snapshot (and tests can build one without a database).
public struct ReviewSnapshot: Sendable {
    public var states: [ReviewerState]
    /// The audit-sample draws with their designs (inclusion probabilities).
    public var draws: [AuditSampleDraw]
    public var auditSample: Set<String> { Set(draws.flatMap(\.items)) }

    public init(states: [ReviewerState] = [], draws: [AuditSampleDraw] = []) {
        self.states = states
        self.draws = draws
    }

    /// A snapshot whose sample is one uniform draw of these ids from `population` train faces
    /// (for tests and simulations that script reviews without a database).
    public init(states: [ReviewerState], auditSample: Set<String>, population: Int? = nil) {
        let items = auditSample.sorted()
        self.init(
            states: states,
            draws: items.isEmpty
                ? []
                : [
                    AuditSampleDraw(
                        sample: UUID(), reviewer: "", timestampMicros: 0, seed: 0,
                        population: population ?? items.count, items: items, design: nil)
                ])
    }

    /// Reads every reviewer state and the audit-sample draws; an absent store means no reviews yet.
    public init(store: AuditStore?) throws {
        guard let store else {
            self.init()
            return
        }
        self.init(states: try store.allStates(), draws: try store.auditSampleDraws())
    }

    /// The consensus of every reviewed train row (the store's one rule), by row.
    func consensusByRow(_ dataset: Dataset) -> [Int: FaceConsensus] {
        var byRow: [Int: [ReviewerState]] = [:]
        for state in states where state.verdict != nil {
            guard let row = dataset.row(of: state.item), row < dataset.trainCount else { continue }
            byRow[row, default: []].append(state)
        }
        return byRow.compactMapValues(FaceConsensus.init(states:))
    }
}

/// Knobs of the report's statistics; the defaults are what the CLI and the TUI use.
public struct ReportOptions: Sendable {
    /// Quantile bins of the default ranking score for the noise estimate.
    package var noiseBins: Int
    public var simulations: Int
    package var permutations: Int
    /// Below this many confirmed errors question 2 says "too few to tell".
    package var minimumErrorsForClustering: Int
    /// Reviews the allocation advice plans for.
    package var nextReviewBudget: Int
    package var precisionCutoffs: [Int]
    package var histogramBins: Int
    public var seed: UInt64
    package var generatedAt: Date

    public init(
        noiseBins: Int = 5, simulations: Int = 4000, permutations: Int = 1999,
        minimumErrorsForClustering: Int = 5, nextReviewBudget: Int = 50,
        precisionCutoffs: [Int] = [10, 25, 50, 100], histogramBins: Int = 24, seed: UInt64 = 0x1ABE1,
        generatedAt: Date = Date()
    ) {
        self.noiseBins = noiseBins
        self.simulations = simulations
        self.permutations = permutations
        self.minimumErrorsForClustering = minimumErrorsForClustering
        self.nextReviewBudget = nextReviewBudget
        self.precisionCutoffs = precisionCutoffs
        self.histogramBins = histogramBins
        self.seed = seed
        self.generatedAt = generatedAt
    }
}

/// The consensus of one train face, as the report counts it: the store's one rule
/// (`ItemConsensus`), plus the reviewer states for notes and tags.
struct FaceConsensus {
    var states: [ReviewerState]
    var consensus: ItemConsensus
    var wrongShare: Double? { consensus.wrongShare }
    var isConfirmedError: Bool { consensus.decision == .labelWrong }
    var isConfirmedOK: Bool { consensus.decision == .labelOK }
    var isConflict: Bool { consensus.isConflict }
    var hasBadImage: Bool { consensus.hasBadImage }

    init?(states: [ReviewerState]) {
        guard let first = states.first, let consensus = ItemConsensus(item: first.item, states: states) else { return nil }
        self.states = states
        self.consensus = consensus
    }
}

extension AuditReport {
    /// Builds the report from the dataset, its evidence and the audit store (nil: no database
    /// yet). Pure apart from reading the store and the clock; safe on a background thread.
    /// O(train rows · (runs + k) + simulations · bins + permutations · errors²·dim).
    public static func build(
        dataset: Dataset, evidence: Evidence, store: AuditStore?,
        options: ReportOptions = ReportOptions()
    ) throws -> AuditReport {
        build(dataset: dataset, evidence: evidence, reviews: try ReviewSnapshot(store: store), options: options)
    }

    public static func build(
        dataset: Dataset, evidence: Evidence, reviews: ReviewSnapshot,
        options: ReportOptions = ReportOptions()
    ) -> AuditReport {
        let n = dataset.trainCount
        var warnings = evidence.warnings
        // Reviews of train rows only: nothing human-made about a test id is ever reported.
        var byRow: [Int: [ReviewerState]] = [:]
        var ignored = Set<String>()
        for state in reviews.states where state.verdict != nil {
            guard let row = dataset.row(of: state.item), row < n else {
                ignored.insert(state.item)
                continue
            }
            byRow[row, default: []].append(state)
        }
        if !ignored.isEmpty {
            warnings.append("\(ignored.count) reviewed id(s) are not train rows of this dataset and were left out")
        }
        let consensus = byRow.compactMapValues(FaceConsensus.init(states:))
        let issues = LabelIssues(dataset: dataset, evidence: evidence)
        var rankOfRow = [Int](repeating: 0, count: n)
        var scoreOfRow = [Double](repeating: 0, count: n)
        var reasonOfRow = [String](repeating: "", count: n)
        for (position, ranked) in evidence.ranking.enumerated() where ranked.row < n {
            rankOfRow[ranked.row] = position + 1
            scoreOfRow[ranked.row] = ranked.score
            reasonOfRow[ranked.row] = ranked.reason
        }
        let sampledRows = Set(reviews.auditSample.compactMap { id in dataset.row(of: id).flatMap { $0 < n ? $0 : nil } })

        func face(_ row: Int) -> ReviewedFace {
            let id = dataset.ids[row]
            let verdicts = (byRow[row] ?? []).sorted { $0.reviewer < $1.reviewer }.map { state in
                ReviewerVerdictEntry(
                    reviewer: state.reviewer, verdict: state.verdict?.rawValue ?? "",
                    note: state.note, tags: state.tags,
                    at: state.verdictMicros.map(isoTime(micros:)))
            }
            let probabilities = evidence.runs.compactMap { run in
                run.probabilities[id].map { RunProbability(run: run.name, probability: $0) }
            }
            return ReviewedFace(
                id: id, row: row, givenLabel: Int(dataset.labels[row]), verdicts: verdicts,
                probabilities: probabilities, score: finite(scoreOfRow[row]), rank: rankOfRow[row],
                reason: reasonOfRow[row], inAuditSample: sampledRows.contains(row),
                imagePath: dataset.imagePaths[row])
        }
        let reviewedRows = byRow.keys.sorted { (rankOfRow[$0], $0) < (rankOfRow[$1], $1) }
        let errorRows = reviewedRows.filter { consensus[$0]!.isConfirmedError }
        let okRows = Set(reviewedRows.filter { consensus[$0]!.isConfirmedOK })

        let stratified = NoiseEstimator.estimate(
            ranking: evidence.ranking, trainCount: n, consensus: consensus,
            sampledRows: sampledRows, options: options)
        let (noise, noiseMatrix) = NoiseHeadline.build(
            dataset: dataset, issues: issues, consensus: consensus, draws: reviews.draws,
            stratified: stratified)
        var report = AuditReport(
            schemaVersion: currentSchemaVersion,
            generatedAt: isoTime(options.generatedAt),
            dataset: datasetSection(dataset),
            runs: runSections(evidence),
            progress: progress(
                dataset: dataset, byRow: byRow, consensus: consensus, sampledRows: sampledRows,
                ignored: ignored.count),
            confirmedErrors: errorRows.map(face),
            badImages: reviewedRows.filter { consensus[$0]!.hasBadImage }.map(face),
            conflicts: reviewedRows.filter { consensus[$0]!.isConflict }.map(face),
            noise: noise,
            noiseMatrix: noiseMatrix,
            clustering: ClusteringTester.test(
                dataset: dataset, evidence: evidence, errorRows: errorRows,
                sampledRows: sampledRows, options: options),
            precision: precision(dataset: dataset, evidence: evidence, consensus: consensus, cutoffs: options.precisionCutoffs),
            scoreHistogram: histogram(scores: scoreOfRow, errors: Set(errorRows), oks: okRows, bins: options.histogramBins),
            calibration: calibration(dataset: dataset, evidence: evidence, errors: Set(errorRows)),
            warnings: warnings)
        report.labelRows = labelRows(dataset: dataset, issues: issues, consensus: consensus)
        report.directionsPicture = report.clustering.picture
        report.clustering.picture = nil
        return report
    }

    // MARK: sections

    static func datasetSection(_ dataset: Dataset) -> DatasetSection {
        let trainMissing = dataset.imagePaths[0..<dataset.trainCount].filter { $0 == nil }.count
        return DatasetSection(
            root: dataset.root.path, trainRows: dataset.trainCount, testRows: dataset.testCount,
            latentDimensions: dataset.dim, prevalence: finite(dataset.prevalence),
            missingImagesTrain: trainMissing,
            missingImagesTest: dataset.missingImageCount - trainMissing,
            imageDirectory: dataset.imageDirectory?.path)
    }

    static func runSections(_ evidence: Evidence) -> [RunSection] {
        evidence.runs.map { run in
            let weight = evidence.weights.first { $0.name == run.name }?.weight ?? 0
            return RunSection(
                name: run.name, source: run.source.rawValue, outOfFold: run.outOfFold, weight: finite(weight),
                trainLogLoss: run.metrics.map { finiteOrNil($0.logLoss) } ?? nil,
                trainAccuracy: run.metrics.map { finiteOrNil($0.accuracy) } ?? nil,
                trainAUROC: run.metrics.map { finiteOrNil($0.auroc) } ?? nil,
                trainRowsPredicted: run.metrics?.rows ?? 0, createdAt: isoTime(run.createdAt))
        }
    }

    static func progress(
        dataset: Dataset, byRow: [Int: [ReviewerState]], consensus: [Int: FaceConsensus],
        sampledRows: Set<Int>, ignored: Int
    ) -> ReviewProgress {
        var perReviewer: [String: ReviewerProgress] = [:]
        var verdictsByReviewer: [String: [Int: Verdict]] = [:]
        for (row, states) in byRow {
            for state in states {
                guard let verdict = state.verdict else { continue }
                var entry =
                    perReviewer[state.reviewer]
                    ?? ReviewerProgress(reviewer: state.reviewer, verdicts: 0, labelOK: 0, labelWrong: 0, unsure: 0, badImage: 0)
                entry.verdicts += 1
                switch verdict {
                case .labelOK: entry.labelOK += 1
                case .labelWrong: entry.labelWrong += 1
                case .unsure: entry.unsure += 1
                case .badImage: entry.badImage += 1
                }
                perReviewer[state.reviewer] = entry
                verdictsByReviewer[state.reviewer, default: [:]][row] = verdict
            }
        }
        let names = perReviewer.keys.sorted()
        var agreement: [ReviewerAgreement] = []
        for (i, a) in names.enumerated() {
            for b in names[(i + 1)...] {
                let va = verdictsByReviewer[a]!
                let vb = verdictsByReviewer[b]!
                let pairs = va.keys.filter { vb[$0] != nil }.sorted().map { (va[$0]!, vb[$0]!) }
                guard !pairs.isEmpty else { continue }
                let agreed = pairs.filter { $0.0 == $0.1 }.count
                agreement.append(
                    ReviewerAgreement(
                        reviewerA: a, reviewerB: b, overlap: pairs.count, agreed: agreed,
                        kappa: ReportStatistics.cohensKappa(pairs).map(finite)))
            }
        }
        let decisive = consensus.values.filter { $0.wrongShare != nil }.count
        let sampleReviewed = sampledRows.filter { consensus[$0]?.wrongShare != nil }.count
        return ReviewProgress(
            queueSize: dataset.trainCount, reviewed: byRow.count, decisive: decisive,
            perReviewer: names.map { perReviewer[$0]! }, agreement: agreement,
            auditSampleSize: sampledRows.count, auditSampleReviewed: sampleReviewed, ignoredItems: ignored)
    }

    /// The default ranking and each run's |p - label| ranking (the given label's surprise),
    /// scored by precision among reviewed faces in the top k.
    static func precision(
        dataset: Dataset, evidence: Evidence, consensus: [Int: FaceConsensus],
        cutoffs: [Int]
    ) -> [RankingPrecision] {
        var orders: [(String, [Int])] = [("default", evidence.ranking.map(\.row))]
        for run in evidence.runs {
            var scored: [(Int, Double)] = []
            for row in 0..<dataset.trainCount {
                guard let p = run.probabilities[dataset.ids[row]] else { continue }
                scored.append((row, abs(p - Double(dataset.labels[row]))))
            }
            scored.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            orders.append(("|p - label| of \(run.name)", scored.map(\.0)))
        }
        let ks = Array(Set(cutoffs.map { min($0, dataset.trainCount) }.filter { $0 > 0 })).sorted()
        return orders.map { name, order in
            RankingPrecision(
                ranking: name,
                points: ks.map { k in
                    var reviewed = 0
                    var wrong = 0
                    for row in order.prefix(k) {
                        guard let c = consensus[row] else { continue }
                        if c.isConfirmedError {
                            reviewed += 1
                            wrong += 1
                        } else if c.isConfirmedOK {
                            reviewed += 1
                        }
                    }
                    return PrecisionPoint(
                        k: k, reviewed: reviewed, wrong: wrong,
                        precision: reviewed > 0 ? Double(wrong) / Double(reviewed) : nil)
                })
        }
    }

    static func histogram(scores: [Double], errors: Set<Int>, oks: Set<Int>, bins: Int) -> ScoreHistogram {
        let finiteScores = scores.filter(\.isFinite)
        guard let low = finiteScores.min(), let high = finiteScores.max(), bins > 0 else {
            return ScoreHistogram(edges: [], all: [], confirmedErrors: [], confirmedOK: [])
        }
        let width = high > low ? (high - low) / Double(bins) : 1
        let edges = (0...bins).map { low + Double($0) * width }
        var all = [Int](repeating: 0, count: bins)
        var wrong = all
        var ok = all
        for (row, score) in scores.enumerated() where score.isFinite {
            let bin = min(bins - 1, max(0, Int((score - low) / width)))
            all[bin] += 1
            if errors.contains(row) { wrong[bin] += 1 }
            if oks.contains(row) { ok[bin] += 1 }
        }
        return ScoreHistogram(edges: edges, all: all, confirmedErrors: wrong, confirmedOK: ok)
    }

    /// Ten equal-width probability bins per run over the train rows it predicts.
    static func calibration(dataset: Dataset, evidence: Evidence, errors: Set<Int>) -> [CalibrationCurve] {
        evidence.runs.map { run in
            var count = [Int](repeating: 0, count: 10)
            var sumP = [Double](repeating: 0, count: 10)
            var provided = sumP
            var corrected = sumP
            for row in 0..<dataset.trainCount {
                guard let p = run.probabilities[dataset.ids[row]], p.isFinite else { continue }
                let bin = min(9, max(0, Int(p * 10)))
                let label = Double(dataset.labels[row])
                count[bin] += 1
                sumP[bin] += p
                provided[bin] += label
                corrected[bin] += errors.contains(row) ? 1 - label : label
            }
            return CalibrationCurve(
                run: run.name,
                bins: (0..<10).map { b in
                    let c = Double(count[b])
                    return CalibrationBin(
                        low: Double(b) / 10, high: Double(b + 1) / 10, count: count[b],
                        meanPredicted: count[b] > 0 ? sumP[b] / c : nil,
                        providedRate: count[b] > 0 ? provided[b] / c : nil,
                        correctedRate: count[b] > 0 ? corrected[b] / c : nil)
                })
        }
    }

    /// Corrected labels and cleanlab-style issues per train row. The issues are the model's
    /// view, from the ranking's picture evidence (`LabelIssues`: the skill-weighted pool of the
    /// picture models): label_score = pooled P(given label), predicted_label = pooled p >= 0.5,
    /// is_label_issue = confident learning on the pooled probabilities (the same rows `rank`
    /// marks); `review` adds the reviewers' consensus beside it. Corrected labels follow the
    /// consensus rule only.
    static func labelRows(dataset: Dataset, issues: LabelIssues, consensus: [Int: FaceConsensus]) -> [LabelRow] {
        let flagged = issues.issueRows
        return (0..<dataset.trainCount).map { row in
            let id = dataset.ids[row]
            let given = dataset.labels[row]
            let c = consensus[row]?.consensus
            let p = issues.probabilities[row]
            return LabelRow(
                id: id, givenLabel: given, correctedLabel: c?.correctedLabel(given: given) ?? given,
                changedBy: c?.decision == .labelWrong ? c!.wrongSayers : [],
                isLabelIssue: flagged.contains(row), labelScore: issues.labelScore(row: row, label: given),
                predictedLabel: p.map { $0 >= 0.5 ? 1 : 0 }, review: c?.decision.rawValue)
        }
    }
}

func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
func finiteOrNil(_ value: Double) -> Double? { value.isFinite ? value : nil }

func isoTime(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}

func isoTime(micros: Int64) -> String {
    isoTime(Date(timeIntervalSince1970: Double(micros) / 1_000_000))
}
