import Foundation
import LabelAuditCore
import LabelAuditStore

/// One reviewer's audit of one dataset: the evidence in view, the runs that can rank the
/// queue, and every reviewer's verdicts, notes, tags and flags from the shared audit store.
///
/// The review app's only source of answers (the TUI adapts it to its screen, the CLI asks
/// the same types): the queue, a face's detail, its neighbours, what a change records, what
/// an undo takes back, what a search finds. Reads are answered from memory, because the UI
/// thread asks them every frame: reviewer states are loaded once, refreshed per item after
/// each write and reloaded when another process writes the audit file. Every write is
/// committed by the store before the call returns.
///
/// Thread-safe: all mutable state sits behind one lock (`Locked`), held only for memory work.
public final class ReviewSession: Sendable {
    public let reviewer: String
    public let engine: EvidenceEngine
    public let store: AuditStore
    /// What `rerunFlagged` reruns (default: the image model on the flagged faces).
    public let rerunOptions: RerunOptions
    /// Where `exportReport` writes the audit report; nil: no destination was given.
    public let reportExport: ReportExport?
    package var dataset: Dataset { engine.dataset }

    /// Everything that changes while the app runs.
    struct State {
        var evidence: Evidence?
        /// Successful runs by name: the evidence's runs plus later runs in the cache (reruns).
        var runsByName: [String: ModelRun] = [:]
        var runOrder: [String] = []
        var activeRun: String?
        var rankByRow: [Int: RankedRow] = [:]
        var statesByItem: [String: [ReviewerState]] = [:]
        var neighbourMemo: [Int: [EvidenceEngine.NeighbourEntry]] = [:]
        /// The audit file's change counter at the last check (see `reloadIfChangedElsewhere`).
        var lastChangeCounter: Int?
        var evidenceComplete = false
    }

    let state: Locked<State>

    /// Loads every reviewer's current state from `store` (one query).
    public init(
        engine: EvidenceEngine, store: AuditStore, reviewer: String,
        rerunOptions: RerunOptions = RerunOptions(), reportExport: ReportExport? = nil
    ) throws(ReviewError) {
        self.engine = engine
        self.store = store
        self.reviewer = reviewer
        self.rerunOptions = rerunOptions
        self.reportExport = reportExport
        var initial = State()
        do {
            for reviewerState in try store.allStates() {
                initial.statesByItem[reviewerState.item, default: []].append(reviewerState)
            }
        } catch {
            throw ReviewError(Self.describe(error))
        }
        state = Locked(initial)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? AuditStoreError { return error.description }
        return String(describing: error)
    }

    /// The dataset row of `id`, or an error naming the id and how ids are matched.
    package func row(of id: String) throws(ReviewError) -> Int {
        guard let row = dataset.row(of: id) else {
            throw ReviewError(
                "no face with id '\(TerminalSafeText.visible(id, limit: 80))' in this dataset "
                    + "(\(dataset.trainCount) train and \(dataset.testCount) test ids); ids are matched exactly")
        }
        return row
    }

    /// The image file of `id`, nil when the face has none (or the id is unknown).
    public func imagePath(of id: String) -> String? {
        dataset.row(of: id).flatMap { dataset.imagePaths[$0] }
    }

    // MARK: evidence

    /// The evidence in view, nil until the first stage is computed.
    public var evidence: Evidence? { state.withLock { $0.evidence } }

    /// True once the evidence is complete (or failed for good): no further evidence job is due.
    public var isEvidenceComplete: Bool { state.withLock { $0.evidenceComplete } }

    /// Installs evidence computed elsewhere (tests, or a caller that already has it).
    public func install(_ evidence: Evidence) {
        let others = (try? engine.allRuns()) ?? []
        state.withLock { install(evidence, extraRuns: others, into: &$0) }
    }

    func install(_ evidence: Evidence, extraRuns: [ModelRun], into state: inout State) {
        state.evidence = evidence
        state.runsByName = [:]
        state.runOrder = []
        for run in evidence.runs where state.runsByName[run.name] == nil {
            state.runsByName[run.name] = run
            state.runOrder.append(run.name)
        }
        // Later successful runs of this dataset (reruns, older imports), newest per name.
        for run in extraRuns.reversed() where run.failure == nil && state.runsByName[run.name] == nil {
            state.runsByName[run.name] = run
            state.runOrder.append(run.name)
        }
        if let active = state.activeRun, state.runsByName[active] == nil { state.activeRun = nil }
        rerank(&state)
    }

    /// The scores the queue sorts by: the combined ranking, or one run's surprise at the label.
    func rerank(_ state: inout State) {
        state.rankByRow = [:]
        guard let evidence = state.evidence else { return }
        if let active = state.activeRun, let run = state.runsByName[active] {
            for ranked in ReviewQueue.ranking(by: run, ranking: evidence.ranking, dataset: dataset) {
                state.rankByRow[ranked.row] = ranked
            }
        } else {
            for ranked in evidence.ranking { state.rankByRow[ranked.row] = ranked }
        }
    }

    /// Reloads every reviewer's state when another process (a teammate's app, a merge, the
    /// CLI) wrote the audit file since the last call; true when something changed. One
    /// `PRAGMA data_version` per call, so the app can ask twice a second.
    public func reloadIfChangedElsewhere() -> Bool {
        guard let counter = try? store.changeCounter() else { return false }
        let previous = state.withLock { state -> Int? in
            defer { state.lastChangeCounter = counter }
            return state.lastChangeCounter
        }
        guard let previous, previous != counter, let states = try? store.allStates() else { return false }
        var byItem: [String: [ReviewerState]] = [:]
        for reviewerState in states { byItem[reviewerState.item, default: []].append(reviewerState) }
        state.withLock { $0.statesByItem = byItem }
        return true
    }

    // MARK: queue

    /// The queue the reviewer works through, filtered and sorted (`ReviewQueue` decides).
    public func queue(_ filter: QueueFilter, sort: QueueSort) throws(ReviewError) -> [QueueRow] {
        let sample = filter == .sample ? try auditSampleIDs() : []
        let dataset = dataset
        return state.withLock { state in
            ReviewQueue.rows(
                ReviewQueue.Inputs(
                    dataset: dataset, scores: state.rankByRow, isRanked: state.evidence != nil,
                    disagreeingRuns: state.activeRun.flatMap { state.runsByName[$0] }.map { [$0] }
                        ?? (state.evidence?.runs ?? []),
                    shownRun: Self.shownRun(state), states: state.statesByItem, reviewer: reviewer, sample: sample),
                filter: filter, sort: sort)
        }
    }

    private func auditSampleIDs() throws(ReviewError) -> Set<String> {
        do {
            return try store.auditSample()
        } catch {
            throw ReviewError(Self.describe(error))
        }
    }

    /// Records `count` more uniformly random train faces as the audit sample (a noise
    /// estimate needs faces picked whatever their score) and returns them.
    public func drawAuditSample(count: Int) throws(ReviewError) -> [String] {
        do {
            return try store.addAuditSample(count: count, from: Array(dataset.ids[0..<dataset.trainCount]), reviewer: reviewer)
        } catch {
            throw ReviewError(Self.describe(error))
        }
    }

    // MARK: detail

    /// Everything the detail panel shows about `id`.
    public func detail(for id: String) throws(ReviewError) -> FaceDetail {
        let row = try row(of: id)
        return state.withLock { detail(id: id, row: row, in: $0) }
    }

    func detail(id: String, row: Int, in state: State) -> FaceDetail {
        let label = dataset.label(of: row)
        var names = state.runOrder.filter { name in state.evidence?.runs.contains { $0.name == name } ?? false }
        if let active = state.activeRun {
            names.removeAll { $0 == active }
            names.insert(active, at: 0)
        }
        let runs = names.compactMap { name in
            state.runsByName[name]?.probabilities[id].map { RunProbability(run: name, probability: $0) }
        }
        let reason: String
        if state.evidence == nil {
            reason = "evidence is being computed (status bar shows progress)"
        } else if label != nil {
            reason = state.rankByRow[row]?.reason ?? "no model has a prediction for this face"
        } else {
            let ones = runs.filter { $0.probability >= 0.5 }.count
            reason = "test face (view only): \(ones) of \(runs.count) runs say 1"
        }
        let states = state.statesByItem[id] ?? []
        let verdicts = states.compactMap { reviewerState in
            reviewerState.verdict.map { ReviewerVerdict(reviewer: reviewerState.reviewer, verdict: $0) }
        }
        let mine = states.first { $0.reviewer == reviewer }
        let imageName = dataset.imagePaths[row].map { ($0 as NSString).lastPathComponent }
        var detail = FaceDetail(
            id: id, split: dataset.split(of: row), label: label, runs: runs, reason: reason,
            verdicts: verdicts, note: mine?.note ?? "", tags: mine?.tags ?? [], flagged: mine?.flagged ?? false,
            imageName: imageName)
        detail.flaggedBy = states.filter(\.flagged).map(\.reviewer)
        detail.teamNotes = states.compactMap { reviewerState in
            guard reviewerState.reviewer != reviewer, let note = reviewerState.note, !note.isEmpty else { return nil }
            return ReviewerNote(reviewer: reviewerState.reviewer, note: note)
        }
        detail.imagePath = dataset.imagePaths[row]
        return detail
    }

    // MARK: neighbours

    /// The `count` nearest faces in latent space, with their p, closeness and verdicts.
    public func neighbours(of id: String, count: Int) throws(ReviewError) -> [NeighbourSummary] {
        let row = try row(of: id)
        let entries = nearest(toRow: row, count: count)
        return state.withLock { state in
            let shown = Self.shownRun(state)
            return entries.map { entry in
                let states = state.statesByItem[entry.id] ?? []
                return NeighbourSummary(
                    id: entry.id, label: entry.label, probability: shown?.probabilities[entry.id],
                    distance: Double(entry.distance), closerShare: entry.closerShare,
                    pairsMeasured: entry.pairsMeasured,
                    verdict: states.first { $0.reviewer == reviewer }?.verdict,
                    team: ConsensusDecision(states.compactMap(\.verdict)))
            }
        }
    }

    /// The engine's neighbours (the all-pairs graph when it is deep enough), memoised per row.
    public func nearest(toRow row: Int, count: Int) -> [EvidenceEngine.NeighbourEntry] {
        guard count > 0 else { return [] }
        let (graph, memo) = state.withLock { ($0.evidence?.neighbours, $0.neighbourMemo[row]) }
        if let memo, memo.count >= count { return Array(memo.prefix(count)) }
        let entries = engine.nearest(toRow: row, k: count, graph: graph)
        if graph == nil || graph!.graph.k < count { state.withLock { $0.neighbourMemo[row] = entries } }
        return entries
    }
}
