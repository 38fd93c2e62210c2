import Dispatch
import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

/// The app's real `ReviewBackend`: a thin adapter from the Engine's `ReviewSession` (every
/// answer about faces, runs and verdicts) to the screen, adding what only a terminal needs:
/// pictures from the JPEG files through a shared `RenderCache`, rendered ahead of the cursor
/// on a background queue, and the jobs' cancellation.
///
/// The app starts before any evidence exists: until the `.evidence` job (started by the app
/// right after its first frame) finishes, the queue lists the train faces by id without p or
/// score.
public final class EngineReviewBackend: ReviewBackend, Sendable {
    public let session: ReviewSession
    /// Shared by the UI thread and the prefetch thread.
    package let renderCache: RenderCache
    public var reviewer: String { session.reviewer }
    public var engine: EvidenceEngine { session.engine }
    private var dataset: Dataset { session.engine.dataset }

    /// The running jobs' cancellation flags, and the rerun's handle (it stops a command).
    private let jobs = Locked(RunningJobs())
    private let prefetchGeneration = Locked(0)
    private let prefetchQueue = DispatchQueue(label: "labelaudit.prefetch", qos: .userInitiated)

    private struct RunningJobs {
        var flags: [ReviewJob: CancellationFlag] = [:]
        var rerun: BackgroundJob?
    }

    public init(session: ReviewSession, renderCache: RenderCache = RenderCache(capacity: 512)) {
        self.session = session
        self.renderCache = renderCache
    }

    // MARK: the session's answers

    /// `.evidence` until the evidence is complete: the first run delivers the latent stage
    /// (about a second), the controller starts the job again when it finishes, and the next run
    /// adds the image model (and, for large sets, the neighbour graph).
    public var startupJob: ReviewJob? { session.isEvidenceComplete ? nil : .evidence }

    public func install(_ evidence: Evidence) { session.install(evidence) }
    public func reloadIfChangedElsewhere() -> Bool { session.reloadIfChangedElsewhere() }
    public func shownRunName() -> String? { session.shownRunName() }
    public func runNames() -> [String] { session.runNames() }
    public func search(_ text: String) -> [String] { session.search(text) }

    public func queue(_ filter: QueueFilter, sort: QueueSort) throws(ReviewError) -> [QueueRow] {
        try session.queue(filter, sort: sort)
    }

    public func drawAuditSample(count: Int) throws(ReviewError) -> [String]? {
        try session.drawAuditSample(count: count)
    }

    public func detail(for id: String) throws(ReviewError) -> FaceDetail {
        try session.detail(for: id)
    }

    public func neighbours(of id: String, count: Int) throws(ReviewError) -> [NeighbourSummary] {
        try session.neighbours(of: id, count: count)
    }

    public func record(_ change: ReviewChange, for id: String) throws(ReviewError) -> FaceDetail {
        try session.record(change, for: id)
    }

    public func undo() throws(ReviewError) -> UndoOutcome {
        try session.undo()
    }

    public func selectRun(_ name: String?) throws(ReviewError) -> String {
        try session.selectRun(name)
    }

    /// The Engine's run diff as a panel: each change line opens its face with Enter, and the
    /// cursor starts on the face that changed most.
    public func diffRuns(_ first: String, _ second: String) throws(ReviewError) -> InfoPanel {
        let diff = try session.diff(first, second)
        let lines = diff.lines()
        var panel = InfoPanel(
            title: "diff \(diff.beforeName) -> \(diff.afterName)", lines: lines.map(\.text), lineIDs: lines.map(\.id))
        panel.selected = panel.lineIDs.firstIndex { $0 != nil } ?? 0
        return panel
    }

    // MARK: pictures

    public func picture(_ request: PictureRequest) -> CellPicture? {
        guard request.shape.columns > 0, request.shape.rows > 0, let path = session.imagePath(of: request.id) else { return nil }
        return try? renderCache.picture(path: path, options: request.renderOptions)
    }

    public func pixelDrawing(
        _ request: PictureRequest, protocol kind: GraphicsProtocol, cell: PixelSize, sixelRegisters: Int,
        imageID: UInt32, throughTmux: Bool
    ) -> PixelPicture.Drawing? {
        guard request.shape.columns > 0, request.shape.rows > 0, let path = session.imagePath(of: request.id) else { return nil }
        return try? PixelPicture.drawing(
            path: path, options: request.renderOptions, protocol: kind, cell: cell,
            sixelRegisters: sixelRegisters, imageID: imageID, throughTmux: throughTmux)
    }

    /// Renders the plan's faces in each of their boxes, then their neighbours' thumbnails, on
    /// one background queue (the other core stays for the UI thread); a newer plan makes the
    /// older one stop early.
    public func prefetch(_ plan: PrefetchPlan) {
        let generation = prefetchGeneration.withLock { value -> Int in
            value += 1
            return value
        }
        let session = session
        let renderCache = renderCache
        let dataset = dataset
        prefetchQueue.async { [prefetchGeneration] in
            let current = { prefetchGeneration.withLock { $0 == generation } }
            let thumbnailOptions = plan.thumbnail.map { PictureRequest(id: "", shape: $0, style: plan.style).renderOptions }
            func thumbnails(of row: Int) -> Bool {
                guard let thumbnailOptions, plan.neighbourCount > 0 else { return true }
                for entry in session.nearest(toRow: row, count: plan.neighbourCount) {
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
                        _ = try? renderCache.picture(
                            path: path, options: PictureRequest(id: id, shape: shape, style: plan.style).renderOptions)
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
    package func waitForPrefetch() {
        prefetchQueue.sync {}
    }

    // MARK: jobs

    public func run(_ job: ReviewJob, progress: @Sendable (Double, String) -> Void) throws(ReviewError) -> String {
        // Every job runs with a cancellation flag `cancel(_:)` sets (the rerun also through its
        // BackgroundJob, which stops an external command).
        let flag = CancellationFlag()
        jobs.withLock { $0.flags[job] = flag }
        defer { jobs.withLock { $0.flags[job] = nil } }
        let isCancelled: @Sendable () -> Bool = { flag.isCancelled }
        switch job {
        case .evidence:
            return try session.computeEvidence(progress: progress, isCancelled: isCancelled)
        case .export:
            return try session.exportReport(progress: progress, isCancelled: isCancelled)
        case .rerunFlagged:
            let rerun = BackgroundJob()
            jobs.withLock { $0.rerun = rerun }
            defer {
                rerun.finish()
                jobs.withLock { $0.rerun = nil }
            }
            return try session.rerunFlagged(progress: progress, job: rerun)
        }
    }

    /// Stops a running job: the evidence between its steps, an export before it writes, a rerun
    /// at once (an external command gets SIGTERM, then SIGKILL). True when it was running.
    public func cancel(_ job: ReviewJob) -> Bool {
        let (flag, rerun) = jobs.withLock { ($0.flags[job], $0.rerun) }
        guard let flag else { return false }
        flag.cancel()
        if job == .rerunFlagged { rerun?.cancel() }
        return true
    }
}
