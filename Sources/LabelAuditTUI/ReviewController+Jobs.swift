import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

extension ReviewController {
    // MARK: jobs

    /// Starts `job` (off the UI thread when a launcher is set).
    public func start(_ job: ReviewJob) -> Redraw {
        if state.jobs[job] != nil {
            state.message = StatusMessage("\(Self.name(of: job)) is already running")
            return .status
        }
        state.jobs[job] = JobProgress(fraction: 0, text: "starting")
        if let jobLauncher {
            jobLauncher(job)
            return .status
        }
        let result: Result<String, ReviewError>
        do {
            result = .success(try backend.run(job, progress: { _, _ in }))
        } catch {
            result = .failure(error)
        }
        return finish(job, result: result)
    }

    /// A background job reported progress.
    public func progress(_ job: ReviewJob, fraction: Double, text: String) -> Redraw {
        guard state.jobs[job] != nil else { return [] }
        state.jobs[job] = JobProgress(fraction: fraction, text: text)
        return .status
    }

    /// A background job ended.
    public func finish(_ job: ReviewJob, result: Result<String, ReviewError>) -> Redraw {
        state.jobs[job] = nil
        switch result {
        case .success(let summary):
            state.message = StatusMessage(summary)
            if job == .rerunFlagged || job == .evidence {
                // New evidence re-ranks the queue; the reviewer stays on the face in view.
                reloadKeepingView()
                state.message = StatusMessage(summary)
                // Staged evidence: this stage is in view; start the next (the image model).
                if job == .evidence, let next = backend.startupJob { return Redraw.all.union(start(next)) }
                return .all
            }
        case .failure(let error):
            state.message = StatusMessage(error.message, isError: true)
        }
        return .status
    }

    /// `^X`: asks every running job to stop; each then ends with its own "cancelled" message.
    func cancelJobs() -> Redraw {
        let running = state.jobs.keys.sorted { Self.name(of: $0) < Self.name(of: $1) }
        guard !running.isEmpty else {
            state.message = StatusMessage("no job is running")
            return .status
        }
        let stopping = running.filter { backend.cancel($0) }
        state.message = StatusMessage(
            stopping.isEmpty
                ? "the running job cannot be stopped"
                : "cancelling " + stopping.map { Self.name(of: $0) }.joined(separator: ", ") + "…")
        return .status
    }

    /// Shows verdicts another process recorded (a teammate's merge, a second app, the CLI)
    /// without moving the reviewer or touching what is being typed.
    package func refreshFromElsewhere() -> Redraw {
        guard backend.reloadIfChangedElsewhere() else { return [] }
        let editor = state.editor
        let purpose = state.editPurpose
        let panel = state.panel
        reloadKeepingView()
        state.editor = editor
        state.editPurpose = purpose
        state.panel = panel
        if state.message == nil || state.message?.isError == false {
            state.message = StatusMessage("verdicts from elsewhere loaded (a merge, another app or the CLI)")
        }
        return .all
    }

    public static func name(of job: ReviewJob) -> String {
        switch job {
        case .export: return "export"
        case .rerunFlagged: return "rerun"
        case .evidence: return "evidence"
        }
    }
}
