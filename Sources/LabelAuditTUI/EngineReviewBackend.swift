import Dispatch
import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditReport
import LabelAuditStore

/// The real `ReviewBackend`: evidence from the `EvidenceEngine`, verdicts in the shared
/// `AuditStore`, pictures from the JPEG files through a shared `RenderCache`.
///
/// The app starts before any evidence exists: until the `.evidence` job (started by the app
/// right after its first frame) finishes, the queue lists the train faces by id without p or
/// score. Every audit write is committed by the store before `record` returns. Reads the UI
/// thread makes are answered from memory: reviewer states are loaded once and refreshed per
/// item after each write; neighbours come from the cached all-pairs graph (or one brute-force
/// query, O(rows · dim), memoised per row).
public final class EngineReviewBackend: ReviewBackend, @unchecked Sendable {
    public let reviewer: String
    public let engine: EvidenceEngine
    public let store: AuditStore
    /// Shared by the UI thread and the prefetch thread.
    public let renderCache: RenderCache
    private var dataset: Dataset { engine.dataset }

    private let lock = NSLock()
    // Guarded by `lock`:
    private var evidence: Evidence?
    /// Successful runs by name: the evidence's runs plus later runs in the cache (reruns).
    private var runsByName: [String: ModelRun] = [:]
    private var runOrder: [String] = []
    private var activeRun: String?
    private var rankByRow: [Int: RankedRow] = [:]
    private var statesByItem: [String: [ReviewerState]] = [:]
    private var neighbourMemo: [Int: [EvidenceEngine.NeighbourEntry]] = [:]
    /// The running jobs' cancellation flags.
    private var cancelFlags: [ReviewJob: CancellationFlag] = [:]
    /// The audit file's change counter at the last check (see `reloadIfChangedElsewhere`).
    private var lastChangeCounter: Int?
    private var prefetchGeneration = 0
    private var evidenceComplete = false
    /// The rerun in progress, so `cancel(.rerunFlagged)` can stop it.
    private var rerunJob: BackgroundJob?

    private let prefetchQueue = DispatchQueue(label: "labelaudit.prefetch", qos: .userInitiated)
    /// What `R` reruns (default: the image model on the flagged faces).
    public let rerunOptions: RerunOptions
    /// Where `x` writes the audit report; the extension picks the format (md, html, json, csv).
    public let reportURL: URL?

    /// Loads every reviewer's current state from `store` (one query).
    public init(engine: EvidenceEngine, store: AuditStore, reviewer: String,
                renderCache: RenderCache = RenderCache(capacity: 512),
                rerunOptions: RerunOptions = RerunOptions(), reportURL: URL? = nil) throws(ReviewBackendError) {
        self.rerunOptions = rerunOptions
        self.reportURL = reportURL
        self.engine = engine
        self.store = store
        self.reviewer = reviewer
        self.renderCache = renderCache
        do {
            for state in try store.allStates() { statesByItem[state.item, default: []].append(state) }
        } catch {
            throw ReviewBackendError(Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? AuditStoreError { return error.description }
        return String(describing: error)
    }

    private func locked<T>(_ body: () throws(ReviewBackendError) -> T) throws(ReviewBackendError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func withLock<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }


    // MARK: evidence

    /// `.evidence` until the evidence is complete: the first run delivers the latent stage
    /// (about a second), the controller starts the job again when it finishes, and the next run
    /// adds the image model (and, for large sets, the neighbour graph).
    public var startupJob: ReviewJob? { withLock { evidenceComplete } ? nil : .evidence }

    /// Installs evidence computed elsewhere (tests, or a caller that already has it).
    public func install(_ evidence: Evidence) {
        let others = (try? engine.allRuns()) ?? []
        withLock { installLocked(evidence, extraRuns: others) }
    }

    private func installLocked(_ evidence: Evidence, extraRuns: [ModelRun]) {
        self.evidence = evidence
        runsByName = [:]
        runOrder = []
        for run in evidence.runs where runsByName[run.name] == nil {
            runsByName[run.name] = run
            runOrder.append(run.name)
        }
        // Later successful runs of this dataset (reruns, older imports), newest per name.
        for run in extraRuns.reversed() where run.failure == nil && runsByName[run.name] == nil {
            runsByName[run.name] = run
            runOrder.append(run.name)
        }
        if let active = activeRun, runsByName[active] == nil { activeRun = nil }
        rerankLocked()
    }

    /// The scores the queue sorts by: the combined ranking, or one run's surprise at the label.
    private func rerankLocked() {
        rankByRow = [:]
        guard let evidence else { return }
        if let active = activeRun, let run = runsByName[active] {
            for ranked in ReviewQueue.ranking(by: run, ranking: evidence.ranking, dataset: dataset) { rankByRow[ranked.row] = ranked }
        } else {
            for ranked in evidence.ranking { rankByRow[ranked.row] = ranked }
        }
    }

    public func reloadIfChangedElsewhere() -> Bool {
        guard let counter = try? store.changeCounter() else { return false }
        let previous = withLock { () -> Int? in
            defer { lastChangeCounter = counter }
            return lastChangeCounter
        }
        guard let previous, previous != counter, let states = try? store.allStates() else { return false }
        var byItem: [String: [ReviewerState]] = [:]
        for state in states { byItem[state.item, default: []].append(state) }
        withLock { statesByItem = byItem }
        return true
    }

    public func shownRunName() -> String? {
        withLock { shownRunLocked()?.name }
    }

    /// The run whose p the queue shows: the chosen one, else the first (an imported
    /// classifier when there is one, else the latent model).
    private func shownRunLocked() -> ModelRun? {
        if let active = activeRun, let run = runsByName[active] { return run }
        return evidence?.runs.first
    }

    // MARK: queue

    public func queue(_ filter: QueueFilter, sort: QueueSort) throws(ReviewBackendError) -> [QueueRow] {
        let sample = filter == .sample ? try auditSampleIDs() : []
        return withLock {
            ReviewQueue.rows(ReviewQueue.Inputs(
                dataset: dataset, scores: rankByRow, isRanked: evidence != nil,
                disagreeingRuns: activeRun.flatMap { runsByName[$0] }.map { [$0] } ?? (evidence?.runs ?? []),
                shownRun: shownRunLocked(), states: statesByItem, reviewer: reviewer, sample: sample),
                filter: filter, sort: sort)
        }
    }

    private func auditSampleIDs() throws(ReviewBackendError) -> Set<String> {
        do {
            return try store.auditSample()
        } catch {
            throw ReviewBackendError(Self.describe(error))
        }
    }

    /// Records `count` more uniformly random train faces as the audit sample (a noise
    /// estimate needs faces picked whatever their score).
    public func drawAuditSample(count: Int) throws(ReviewBackendError) -> [String]? {
        do {
            return try store.addAuditSample(count: count, from: Array(dataset.ids[0 ..< dataset.trainCount]), reviewer: reviewer)
        } catch {
            throw ReviewBackendError(Self.describe(error))
        }
    }

    // MARK: detail

    private func myStateLocked(_ id: String) -> ReviewerState? {
        statesByItem[id]?.first { $0.reviewer == reviewer }
    }

    static func reviewVerdict(_ verdict: Verdict?) -> Verdict? {
        verdict.flatMap { Verdict(rawValue: $0.rawValue) }
    }

    private func row(of id: String) throws(ReviewBackendError) -> Int {
        guard let row = dataset.row(of: id) else {
            throw ReviewBackendError("no face with id '\(TerminalText.sanitized(id))' in this dataset "
                + "(\(dataset.trainCount) train and \(dataset.testCount) test ids); ids are matched exactly")
        }
        return row
    }

    public func detail(for id: String) throws(ReviewBackendError) -> FaceDetail {
        let row = try row(of: id)
        return withLock { detailLocked(id: id, row: row) }
    }

    private func detailLocked(id: String, row: Int) -> FaceDetail {
        let label = dataset.label(of: row)
        var names = runOrder.filter { name in evidence?.runs.contains { $0.name == name } ?? false }
        if let active = activeRun {
            names.removeAll { $0 == active }
            names.insert(active, at: 0)
        }
        let runs = names.compactMap { name in
            runsByName[name]?.probabilities[id].map { RunProbability(run: name, probability: $0) }
        }
        let reason: String
        if evidence == nil {
            reason = "evidence is being computed (status bar shows progress)"
        } else if label != nil {
            reason = rankByRow[row]?.reason ?? "no model has a prediction for this face"
        } else {
            let ones = runs.filter { $0.probability >= 0.5 }.count
            reason = "test face (view only): \(ones) of \(runs.count) runs say 1"
        }
        let states = statesByItem[id] ?? []
        let verdicts = states.compactMap { state in
            Self.reviewVerdict(state.verdict).map { ReviewerVerdict(reviewer: state.reviewer, verdict: $0) }
        }
        let mine = states.first { $0.reviewer == reviewer }
        let imageName = dataset.imagePaths[row].map { ($0 as NSString).lastPathComponent }
        var detail = FaceDetail(id: id, split: dataset.split(of: row), label: label, runs: runs, reason: reason,
                                verdicts: verdicts, note: mine?.note ?? "", tags: mine?.tags ?? [], flagged: mine?.flagged ?? false,
                                imageName: imageName)
        detail.flaggedBy = states.filter(\.flagged).map(\.reviewer)
        detail.teamNotes = states.compactMap { state in
            guard state.reviewer != reviewer, let note = state.note, !note.isEmpty else { return nil }
            return ReviewerNote(reviewer: state.reviewer, note: note)
        }
        detail.imagePath = dataset.imagePaths[row]
        return detail
    }

    // MARK: neighbours

    public func neighbours(of id: String, count: Int) throws(ReviewBackendError) -> [NeighbourSummary] {
        let row = try row(of: id)
        let entries = nearest(toRow: row, count: count)
        return withLock {
            let shown = shownRunLocked()
            return entries.map { entry in
                let states = statesByItem[entry.id] ?? []
                return NeighbourSummary(id: entry.id, label: entry.label, probability: shown?.probabilities[entry.id],
                                        distance: Double(entry.distance), closerShare: entry.closerShare,
                                        pairsMeasured: entry.pairsMeasured,
                                        verdict: states.first { $0.reviewer == reviewer }?.verdict,
                                        team: ConsensusDecision(states.compactMap(\.verdict)))
            }
        }
    }

    /// The engine's neighbours (the all-pairs graph when it is deep enough), memoised per row.
    func nearest(toRow row: Int, count: Int) -> [EvidenceEngine.NeighbourEntry] {
        guard count > 0 else { return [] }
        let (graph, memo) = withLock { (evidence?.neighbours, neighbourMemo[row]) }
        if let memo, memo.count >= count { return Array(memo.prefix(count)) }
        let entries = engine.nearest(toRow: row, k: count, graph: graph)
        if graph == nil || graph!.graph.k < count { withLock { neighbourMemo[row] = entries } }
        return entries
    }

    // MARK: pictures

    public func picture(_ request: PictureRequest) -> CellPicture? {
        guard request.shape.columns > 0, request.shape.rows > 0, let row = dataset.row(of: request.id),
              let path = dataset.imagePaths[row] else { return nil }
        return try? renderCache.picture(path: path, options: request.renderOptions)
    }

    public func pixelDrawing(_ request: PictureRequest, protocol kind: GraphicsProtocol, cell: PixelSize, sixelRegisters: Int,
                             imageID: UInt32, throughTmux: Bool) -> PixelPicture.Drawing? {
        guard request.shape.columns > 0, request.shape.rows > 0, let row = dataset.row(of: request.id),
              let path = dataset.imagePaths[row] else { return nil }
        return try? PixelPicture.drawing(path: path, options: request.renderOptions, protocol: kind, cell: cell,
                                         sixelRegisters: sixelRegisters, imageID: imageID, throughTmux: throughTmux)
    }

    /// Renders the plan's faces in each of their boxes, then their neighbours' thumbnails, on
    /// one background queue (the other core stays for the UI thread); a newer plan makes the
    /// older one stop early.
    public func prefetch(_ plan: PrefetchPlan) {
        let generation = withLock { () -> Int in
            prefetchGeneration += 1
            return prefetchGeneration
        }
        prefetchQueue.async { [self] in
            let current = { self.withLock { self.prefetchGeneration == generation } }
            let thumbnailOptions = plan.thumbnail.map { PictureRequest(id: "", shape: $0, style: plan.style).renderOptions }
            func thumbnails(of row: Int) -> Bool {
                guard let thumbnailOptions, plan.neighbourCount > 0 else { return true }
                for entry in nearest(toRow: row, count: plan.neighbourCount) {
                    guard current() else { return false }
                    if let path = dataset.imagePaths[entry.row] {
                        _ = try? renderCache.picture(path: path, options: thumbnailOptions)
                    }
                }
                return true
            }
            for (position, id) in plan.ids.enumerated() {
                guard current(), let row = dataset.row(of: id) else { continue }
                if let path = dataset.imagePaths[row] {
                    for shape in plan.shapes where shape.columns > 0 && shape.rows > 0 {
                        _ = try? renderCache.picture(path: path, options: PictureRequest(id: id, shape: shape, style: plan.style).renderOptions)
                    }
                }
                // Thumbnails of the next face matter most; further faces only get their own picture.
                if position <= 1, !thumbnails(of: row) { return }
            }
            // Then the remaining faces' thumbnails.
            for id in plan.ids.dropFirst(2) {
                guard let row = dataset.row(of: id), thumbnails(of: row) else { return }
            }
        }
    }

    /// Blocks until the prefetch work queued so far is done (tests and benches).
    public func waitForPrefetch() {
        prefetchQueue.sync {}
    }

    // MARK: changes

    public func record(_ change: ReviewChange, for id: String) throws(ReviewBackendError) -> FaceDetail {
        let row = try row(of: id)
        guard row < dataset.trainCount else {
            throw ReviewBackendError("id \(TerminalText.sanitized(id)) is a test face: test faces are never labelled by a person")
        }
        do {
            switch change {
            case .verdict(let verdict):
                guard let stored = Verdict(rawValue: verdict.rawValue) else {
                    throw ReviewBackendError("unknown verdict \(verdict.rawValue)")
                }
                try store.record(verdict: stored, item: id, reviewer: reviewer)
            case .toggleFlag:
                let flagged = withLock { myStateLocked(id)?.flagged ?? false }
                try store.setFlag(!flagged, item: id, reviewer: reviewer)
            case .setFlag(let flagged):
                try store.setFlag(flagged, item: id, reviewer: reviewer)
            case .note(let note):
                try store.setNote(note.isEmpty ? nil : note, item: id, reviewer: reviewer)
            case .tags(let tags):
                try store.setTags(tags, item: id, reviewer: reviewer)
            }
            try refresh(items: [id])
        } catch let error as ReviewBackendError {
            throw error
        } catch {
            throw ReviewBackendError(Self.describe(error))
        }
        return withLock { detailLocked(id: id, row: row) }
    }

    private func refresh(items: Set<String>) throws {
        for item in items {
            let states = try store.state(item: item)
            withLock { statesByItem[item] = states.isEmpty ? nil : states }
        }
    }

    public func undo() throws(ReviewBackendError) -> UndoOutcome {
        do {
            let events = try store.undo(reviewer: reviewer)
            guard let first = events.first else {
                throw ReviewBackendError("nothing to undo: \(reviewer) has no change left to take back")
            }
            try refresh(items: Set(events.map(\.item)))
            // Each undo event's old value is what it took away: setting it again redoes it.
            let redo: [ReviewChange] = events.filter { $0.item == first.item }.reversed().compactMap { event in
                switch event.field {
                case .verdict: return event.oldValue.flatMap(Verdict.init(rawValue:)).map(ReviewChange.verdict)
                case .note: return .note(event.oldValue ?? "")
                case .tags: return .tags(AuditStore.decodeTags(event.oldValue))
                case .flag: return .setFlag(event.oldValue == "1")
                }
            }
            return UndoOutcome(id: first.item, redo: redo)
        } catch let error as ReviewBackendError {
            throw error
        } catch {
            throw ReviewBackendError(Self.describe(error))
        }
    }

    public func search(_ text: String) -> [String] {
        let needle = text.trimmingCharacters(in: .whitespaces)
        guard !needle.isEmpty else { return [] }
        return withLock {
            var found: [String] = []
            if dataset.row(of: needle) != nil { found.append(needle) }
            for id in dataset.ids where id != needle {
                let states = statesByItem[id] ?? []
                let hit = id.localizedStandardContains(needle)
                    || states.contains { state in
                        (state.note?.localizedStandardContains(needle) ?? false)
                            || state.tags.contains { $0.localizedStandardContains(needle) }
                    }
                if hit { found.append(id) }
            }
            return found
        }
    }

    // MARK: runs

    public func runNames() -> [String] { withLock { runOrder } }

    public func selectRun(_ name: String?) throws(ReviewBackendError) -> String {
        try locked { () throws(ReviewBackendError) -> String in
            guard evidence != nil else {
                throw ReviewBackendError("no model run yet: the evidence is still being computed")
            }
            guard let name else {
                activeRun = nil
                rerankLocked()
                return "ranking: all runs combined (\(runOrder.joined(separator: ", ")))"
            }
            guard runsByName[name] != nil else {
                throw ReviewBackendError("no model run named '\(TerminalText.sanitized(name))'; runs: \(runOrder.joined(separator: ", "))")
            }
            activeRun = name
            rerankLocked()
            return "run \(name): its p is shown and ranks the queue (:run all combines again)"
        }
    }

    public func diffRuns(_ first: String, _ second: String) throws(ReviewBackendError) -> InfoPanel {
        let (before, after) = try locked { () throws(ReviewBackendError) -> (ModelRun, ModelRun) in
            for name in [first, second] where runsByName[name] == nil {
                throw ReviewBackendError("no model run named '\(TerminalText.sanitized(name))'; runs: \(runOrder.joined(separator: ", "))")
            }
            return (runsByName[first]!, runsByName[second]!)
        }
        // One computation (the Engine's RunDiff); each change line opens its face with Enter.
        // The cursor starts on the face that changed most.
        let lines = RunDiff(from: before, to: after, dataset: dataset).lines()
        var panel = InfoPanel(title: "diff \(before.name) -> \(after.name)", lines: lines.map(\.text), lineIDs: lines.map(\.id))
        panel.selected = panel.lineIDs.firstIndex { $0 != nil } ?? 0
        return panel
    }

    // MARK: jobs

    public func run(_ job: ReviewJob, progress: @Sendable (Double, String) -> Void) throws(ReviewBackendError) -> String {
        // Every job runs with a cancellation flag `cancel(_:)` sets (the rerun also through its
        // BackgroundJob, which stops an external command).
        let flag = CancellationFlag()
        withLock { cancelFlags[job] = flag }
        defer { withLock { cancelFlags[job] = nil } }
        switch job {
        case .evidence:
            return try computeEvidence(progress: progress)
        case .export:
            return try exportReport(progress: progress)
        case .rerunFlagged:
            return try rerunFlagged(progress: progress)
        }
    }

    /// Builds the audit report from the evidence in view and the store, and writes it.
    private func exportReport(progress: @Sendable (Double, String) -> Void) throws(ReviewBackendError) -> String {
        guard let reportURL else { throw ReviewBackendError("x (export) has no destination: start with --report FILE") }
        guard let evidence = withLock({ self.evidence }) else {
            throw ReviewBackendError("x (export) needs the evidence: wait until the status bar says evidence ready")
        }
        let format = ReportFormat(rawValue: reportURL.pathExtension.lowercased()) ?? .html
        progress(0.1, "building the report")
        let report: AuditReport
        do {
            report = try AuditReport.build(dataset: dataset, evidence: evidence, store: store)
        } catch {
            throw ReviewBackendError(Self.describe(error))
        }
        if withLock({ cancelFlags[.export]?.isCancelled }) == true {
            throw ReviewBackendError("export: cancelled; nothing was written")
        }
        progress(0.6, "writing \(reportURL.lastPathComponent)")
        do throws(ReportWriteError) {
            let files = try ReportWriter.write(report, format: format, to: reportURL)
            return "report written: \(files.map(\.path).joined(separator: ", "))"
        } catch {
            throw ReviewBackendError(error.description)
        }
    }

    /// Retrains with the reviewers' corrections (the rerun engine), then shows the new run's
    /// ranking; `:diff PARENT NEW` compares the two runs.
    private func rerunFlagged(progress: @Sendable (Double, String) -> Void) throws(ReviewBackendError) -> String {
        // The job handle `cancel(.rerunFlagged)` reaches while the rerun runs on this thread.
        let job = BackgroundJob()
        withLock { rerunJob = job }
        defer {
            job.finish()
            withLock { rerunJob = nil }
        }
        let result: RerunResult
        do throws(RerunError) {
            result = try withoutActuallyEscaping(progress) { report throws(RerunError) in
                try Rerun.run(engine: engine, store: store, options: rerunOptions,
                              progress: { step in report(step.fraction, step.message) }, isCancelled: { job.isCancelled })
            }
        } catch {
            throw ReviewBackendError("rerun: \(error.description)")
        }
        if result.failure != nil { throw ReviewBackendError(result.summaryLine) }
        let others = (try? engine.allRuns()) ?? []
        withLock { installLocked(result.evidenceAfter, extraRuns: others) }
        guard let first = result.models.first, let parent = first.parent else { return result.summaryLine }
        return result.summaryLine + "; :diff \(parent.name) \(first.run.name) shows what changed"
    }

    /// Stops a running job: the evidence between its steps, an export before it writes, a rerun
    /// at once (an external command gets SIGTERM, then SIGKILL). True when it was running.
    public func cancel(_ job: ReviewJob) -> Bool {
        guard let flag = withLock({ cancelFlags[job] }) else { return false }
        flag.cancel()
        if job == .rerunFlagged { withLock { rerunJob }?.cancel() }
        return true
    }

    private func computeEvidence(progress: @Sendable (Double, String) -> Void) throws(ReviewBackendError) -> String {
        // Staged: a first run stops after the latent stage (unless everything is cached), the
        // next one (started by the controller when this one finishes) completes it.
        let first = withLock { evidence == nil }
        let stage: EvidenceStage = first ? .latent : .complete
        let result: Evidence
        do throws(EvidenceError) {
            let cancelled = withLock { cancelFlags[.evidence] }
            result = try withoutActuallyEscaping(progress) { report throws(EvidenceError) in
                try engine.evidence(through: stage, progress: { step in report(step.fraction, step.message) },
                                    isCancelled: { cancelled?.isCancelled ?? false })
            }
        } catch {
            withLock { evidenceComplete = true }
            if case .cancelled = error {
                throw ReviewBackendError("evidence: cancelled; the queue stays as it was (start the app again to rank it)")
            }
            throw ReviewBackendError("evidence: \(error.description)")
        }
        var withGraph = result
        // Large sets: the all-pairs graph waits for the next run, so the queue shows first.
        let graphPending = result.neighbours == nil && engine.dataset.count > engine.options.backgroundNeighboursAbove
        if result.isComplete && graphPending && !first {
            // Large sets leave the all-pairs graph to us: still off the UI thread.
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
        withLock {
            installLocked(withGraph, extraRuns: others)
            evidenceComplete = result.isComplete && !(graphPending && first)
        }
        let names = withGraph.runs.map(\.name).joined(separator: ", ")
        var summary = !result.isComplete
            ? "ranked \(withGraph.ranking.count) train faces by \(names); the image model is next"
            : graphPending && first ? "ranked \(withGraph.ranking.count) train faces by \(names); the neighbour graph is next"
            : "evidence ready: \(names) ranked \(withGraph.ranking.count) train faces"
        if let warning = withGraph.warnings.first {
            summary += "; warning: \(warning)"
        }
        return summary
    }
}

