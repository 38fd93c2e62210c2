import Foundation
import LabelAuditCore
import LabelAuditStore

extension ReviewSession {
    /// Names of the model runs that can rank the queue: the evidence's runs, then later ones.
    public func runNames() -> [String] { state.withLock { $0.runOrder } }

    /// The run whose p the queue and the neighbour strip show (nil before any run).
    public func shownRunName() -> String? { state.withLock { Self.shownRun($0)?.name } }

    /// The chosen run, else the first (an imported classifier when there is one, else the
    /// latent model).
    static func shownRun(_ state: State) -> ModelRun? {
        if let active = state.activeRun, let run = state.runsByName[active] { return run }
        return state.evidence?.runs.first
    }

    /// Chooses the run whose p is shown and ranks the queue (nil: all runs combined); returns
    /// a line for the status bar.
    public func selectRun(_ name: String?) throws(ReviewError) -> String {
        try state.withLock { state throws(ReviewError) -> String in
            guard state.evidence != nil else {
                throw ReviewError("no model run yet: the evidence is still being computed")
            }
            guard let name else {
                state.activeRun = nil
                rerank(&state)
                return "ranking: all runs combined (\(state.runOrder.joined(separator: ", ")))"
            }
            guard state.runsByName[name] != nil else {
                throw ReviewError(Self.unknownRun(name, runs: state.runOrder))
            }
            state.activeRun = name
            rerank(&state)
            return "run \(name): its p is shown and ranks the queue (:run all combines again)"
        }
    }

    static func unknownRun(_ name: String, runs: [String]) -> String {
        "no model run named '\(TerminalSafeText.visible(name, limit: 80))'; runs: \(runs.joined(separator: ", "))"
    }

    /// What changed between two runs (the Engine's one `RunDiff`).
    public func diff(_ first: String, _ second: String) throws(ReviewError) -> RunDiff {
        let (before, after) = try state.withLock { state throws(ReviewError) -> (ModelRun, ModelRun) in
            for name in [first, second] where state.runsByName[name] == nil {
                throw ReviewError(Self.unknownRun(name, runs: state.runOrder))
            }
            return (state.runsByName[first]!, state.runsByName[second]!)
        }
        return RunDiff(from: before, to: after, dataset: dataset)
    }

    // MARK: jobs

    /// Computes the evidence in stages: a first call stops after the latent stage (unless
    /// everything is cached), the next completes it (and, for large sets, adds the neighbour
    /// graph), so the queue is ranked within a second and refined while the reviewer works.
    /// Returns a line for the status bar.
    public func computeEvidence(
        progress: @Sendable (Double, String) -> Void,
        isCancelled: @escaping @Sendable () -> Bool
    ) throws(ReviewError) -> String {
        let first = state.withLock { $0.evidence == nil }
        let stage: EvidenceStage = first ? .latent : .complete
        let result: Evidence
        do throws(EvidenceError) {
            result = try withoutActuallyEscaping(progress) { report throws(EvidenceError) in
                try engine.evidence(
                    through: stage, progress: { step in report(step.fraction, step.message) },
                    isCancelled: isCancelled)
            }
        } catch {
            state.withLock { $0.evidenceComplete = true }
            if case .cancelled = error {
                throw ReviewError("evidence: cancelled; the queue stays as it was (start the app again to rank it)")
            }
            throw ReviewError("evidence: \(error.description)")
        }
        var withGraph = result
        // Large sets: the all-pairs graph waits for the next call, so the queue shows first.
        let graphPending = result.neighbours == nil && dataset.count > engine.options.backgroundNeighboursAbove
        if result.isComplete && graphPending && !first {
            do throws(EvidenceError) {
                let graph = try withoutActuallyEscaping(progress) { report throws(EvidenceError) in
                    try engine.computeNeighbours(progress: { step in report(step.fraction, step.message) })
                }
                withGraph = engine.rank(runs: result.runs, neighbours: graph, warnings: result.warnings)
            } catch {
                // Queries stay available without the graph.
            }
        }
        let others = (try? engine.allRuns()) ?? []
        state.withLock { state in
            install(withGraph, extraRuns: others, into: &state)
            state.evidenceComplete = result.isComplete && !(graphPending && first)
        }
        let names = withGraph.runs.map(\.name).joined(separator: ", ")
        var summary =
            !result.isComplete
            ? "ranked \(withGraph.ranking.count) train faces by \(names); the image model is next"
            : graphPending && first
                ? "ranked \(withGraph.ranking.count) train faces by \(names); the neighbour graph is next"
                : "evidence ready: \(names) ranked \(withGraph.ranking.count) train faces"
        if let warning = withGraph.warnings.first {
            summary += "; warning: \(warning)"
        }
        return summary
    }

    /// Writes the audit report of the evidence in view to `reportExport`'s destination.
    public func exportReport(
        progress: @Sendable (Double, String) -> Void,
        isCancelled: @Sendable () -> Bool
    ) throws(ReviewError) -> String {
        guard let reportExport else { throw ReviewError("x (export) has no destination: start with --report FILE") }
        guard let evidence else {
            throw ReviewError("x (export) needs the evidence: wait until the status bar says evidence ready")
        }
        return try reportExport.write(dataset, evidence, store, isCancelled, progress)
    }

    /// Retrains with the reviewers' corrections (the rerun engine), then ranks by the new
    /// runs; `job` stops it (an external command gets SIGTERM, then SIGKILL).
    public func rerunFlagged(progress: @Sendable (Double, String) -> Void, job: BackgroundJob) throws(ReviewError) -> String {
        let result: RerunResult
        do throws(RerunError) {
            result = try withoutActuallyEscaping(progress) { report throws(RerunError) in
                try Rerun.run(
                    engine: engine, store: store, options: rerunOptions,
                    progress: { step in report(step.fraction, step.message) }, isCancelled: { job.isCancelled })
            }
        } catch {
            throw ReviewError("rerun: \(error.description)")
        }
        if result.failure != nil { throw ReviewError(result.summaryLine) }
        let others = (try? engine.allRuns()) ?? []
        state.withLock { install(result.evidenceAfter, extraRuns: others, into: &$0) }
        guard let first = result.models.first, let parent = first.parent else { return result.summaryLine }
        return result.summaryLine + "; :diff \(parent.name) \(first.run.name) shows what changed"
    }
}

/// Writes the audit report of the evidence in view. The Report module makes one
/// (`ReportExport.auditReport(to:)`); the Engine cannot depend on the Report, so the app's
/// caller hands it in.
public struct ReportExport: Sendable {
    public let destination: URL
    /// (dataset, evidence, store, isCancelled, progress) -> a line for the status bar. Checks
    /// `isCancelled` before it writes anything.
    public let write:
        @Sendable (
            Dataset, Evidence, AuditStore, @Sendable () -> Bool,
            @Sendable (Double, String) -> Void
        ) throws(ReviewError) -> String

    public init(
        destination: URL,
        write:
            @escaping @Sendable (
                Dataset, Evidence, AuditStore, @Sendable () -> Bool,
                @Sendable (Double, String) -> Void
            ) throws(ReviewError) -> String
    ) {
        self.destination = destination
        self.write = write
    }
}
