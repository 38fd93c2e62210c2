import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine
import LabelAuditReport
import LabelAuditStore

/// `make bench` entry point: the noise estimate's coverage by simulation. Scripted
/// honest reviewers (the truth file is read only to script them and to score) review the
/// queue's top K faces, then an audit sample of n faces drawn afresh in every run, once
/// importance-weighted (the `sample` command's design) and once uniform; every run prints the
/// estimates (model-assisted and stratified) beside the true share. `--dump` writes what
/// PPI++ needs (Benchmarks/report_bench.py compares it on the same uniform samples).
struct NoiseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise-bench",
        abstract: "The noise estimate's coverage over simulated audits with scripted reviewers.")
    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Option(help: "CSV with columns id and flipped (1 = the provided label is wrong).") var truth: String
    @Option(help: "Budgets QUEUE+SAMPLE, comma-separated.") var budgets = "100+50,200+100,300+200"
    @Option var runs = 100
    @Option var seed: UInt64 = 1
    @Option(help: "Write the runs' uniform samples and predictions as JSON here (for PPI++).") var dump: String?

    struct Estimate: Encodable {
        var design: String
        var estimator: String
        var share: Double
        var low: Double
        var high: Double
    }

    struct Run: Encodable {
        var run: Int
        var estimates: [Estimate]
        /// The uniform sample's rows (0-based train rows), for PPI++.
        var uniformRows: [Int]
        var weightedRows: [Int]
    }

    struct Budget: Encodable {
        var queue: Int
        var sample: Int
        var trueShare: Double
        /// Per train row: in the reviewed queue head, wrong (truth), calibrated P(wrong) from the queue's reviews.
        var inQueue: [Bool]
        var wrong: [Int]
        var predicted: [Double]
        /// The weighted design's inclusion probabilities.
        var inclusion: [Double]
        var runs: [Run]
    }

    func run() throws {
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        let dataset = engine.dataset
        let result = try EvidenceCLI.evidence(engine)
        let flipped = try ReportBench.readTruth(truth, dataset: dataset)
        let n = dataset.trainCount
        let trueShare = Double(flipped.count) / Double(max(1, n))
        // Queue reviews at time 1, the draw at 2, the sample's reviews at 3.
        func honest(_ rows: [Int], by reviewer: String, at time: Int64) -> [ReviewerState] {
            rows.map { row in
                let id = dataset.ids[row]
                return ReviewerState(
                    item: id, reviewer: reviewer, verdict: flipped.contains(id) ? .labelWrong : .labelOK,
                    firstMicros: time, updatedMicros: time, verdictMicros: time)
            }
        }
        var dumped: [Budget] = []
        print("budget    design    estimator          runs  mean estimate  true share  coverage  mean width (points)")
        for budget in budgets.split(separator: ",") {
            let parts = budget.split(separator: "+").compactMap { Int($0) }
            guard parts.count == 2 else { throw ValidationError("--budgets: expected QUEUE+SAMPLE, got \(budget)") }
            let (queue, size) = (parts[0], parts[1])
            let queueRows = result.ranking.prefix(queue).map(\.row)
            let queueStates = honest(queueRows, by: "queue", at: 1)
            let queueOnly = ReviewSnapshot(states: queueStates)
            let weights = AuditDesign.weights(dataset: dataset, evidence: result, reviews: queueOnly)
            let inclusion = AuditStore.inclusionProbabilities(weights.map(\.weight), count: size)
            var design: [String: Double] = [:]
            for (entry, pi) in zip(weights, inclusion) { design[entry.item] = pi }
            var runsOut: [Run] = []
            var tallies: [String: (covered: Int, width: Double, sum: Double, runs: Int)] = [:]
            for r in 0..<runs {
                let runSeed = seed &+ UInt64(r) &* 0x9E37_79B9
                var estimates: [Estimate] = []
                let weightedRows = AuditStore.paretoDraw(inclusion: inclusion, count: size, seed: runSeed)
                let uniformRows = AuditStore.paretoDraw(
                    inclusion: [Double](repeating: Double(size) / Double(n), count: n),
                    count: size, seed: runSeed ^ 0xA5A5)
                for (kind, rows, pis) in [("weighted", weightedRows, design as [String: Double]?), ("uniform", uniformRows, nil)]
                {
                    let draw = AuditSampleDraw(
                        sample: UUID(), reviewer: "sample", timestampMicros: 2, seed: runSeed, population: n,
                        items: rows.map { dataset.ids[$0] }, design: pis)
                    let reviews = ReviewSnapshot(states: queueStates + honest(rows, by: "sample", at: 3), draws: [draw])
                    let (noise, _) = AuditReport.noise(
                        dataset: dataset, evidence: result, reviews: reviews,
                        options: ReportOptions(simulations: 2000, seed: runSeed))
                    if let share = noise.share, let low = noise.shareLow, let high = noise.shareHigh {
                        estimates.append(Estimate(design: kind, estimator: "model-assisted", share: share, low: low, high: high))
                    }
                    if kind == "uniform", let share = noise.stratifiedShare, let low = noise.stratifiedShareLow,
                        let high = noise.stratifiedShareHigh
                    {
                        estimates.append(Estimate(design: kind, estimator: "stratified", share: share, low: low, high: high))
                    }
                }
                for e in estimates {
                    let key = "\(e.design)|\(e.estimator)"
                    var t = tallies[key] ?? (0, 0, 0, 0)
                    if e.low <= trueShare + 1e-12 && trueShare <= e.high + 1e-12 { t.covered += 1 }
                    t.width += e.high - e.low
                    t.sum += e.share
                    t.runs += 1
                    tallies[key] = t
                }
                runsOut.append(Run(run: r, estimates: estimates, uniformRows: uniformRows, weightedRows: weightedRows))
            }
            for key in ["weighted|model-assisted", "uniform|model-assisted", "uniform|stratified"] {
                guard let t = tallies[key], t.runs > 0 else { continue }
                let parts = key.split(separator: "|").map(String.init)
                let label = "\(queue)+\(size)"
                print(
                    label.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + parts[0].padding(toLength: 10, withPad: " ", startingAt: 0)
                        + parts[1].padding(toLength: 19, withPad: " ", startingAt: 0)
                        + String(
                            format: "%4d  %12.3f%%  %9.3f%%  %7.1f%%  %9.3f", t.runs, 100 * t.sum / Double(t.runs),
                            100 * trueShare,
                            100 * Double(t.covered) / Double(t.runs), 100 * t.width / Double(t.runs)))
            }
            if dump != nil {
                let predicted = AuditDesign.calibratedErrorProbabilities(dataset: dataset, evidence: result, reviews: queueOnly)
                let inQueue = Set(queueRows)
                dumped.append(
                    Budget(
                        queue: queue, sample: size, trueShare: trueShare, inQueue: (0..<n).map { inQueue.contains($0) },
                        wrong: (0..<n).map { flipped.contains(dataset.ids[$0]) ? 1 : 0 }, predicted: predicted,
                        inclusion: inclusion, runs: runsOut))
            }
        }
        if let dump {
            let data = try JSONEncoder().encode(dumped)
            try data.write(to: URL(fileURLWithPath: dump))
        }
    }
}
