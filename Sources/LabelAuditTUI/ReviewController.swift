import LabelAuditCore
import LabelAuditImaging

/// Turns keys, mouse events and job results into state changes. Owns the state; draws
/// nothing. Lives on the UI thread; only the backend (Sendable) crosses to job threads.
public final class ReviewController {
    public private(set) var state: ReviewState
    public let backend: any ReviewBackend
    /// Starts a job off the UI thread. When nil (tests), jobs run inline.
    public var jobLauncher: ((ReviewJob) -> Void)?
    private var pictureCache: [PictureRequest: CellPicture?] = [:]
    private static let pictureCacheLimit = 96
    /// How many faces after the cursor are rendered ahead (and one before).
    static let prefetchAhead = 3

    public init(backend: any ReviewBackend, rows: Int, columns: Int, colorModeName: String,
                glyphs: GlyphSet = .unicode, neighbourCount: Int = 8) {
        self.backend = backend
        state = ReviewState(screenRows: rows, screenColumns: columns, reviewer: backend.reviewer,
                            colorModeName: colorModeName, glyphs: glyphs, neighbourCount: neighbourCount)
    }

    public var layout: ScreenLayout {
        ScreenLayout(rows: state.screenRows, columns: state.screenColumns, neighbourCount: state.neighbourCount)
    }

    // MARK: loading

    /// Reloads the queue for the current filter/sort, keeping `id` selected when it is still there.
    @discardableResult
    public func reloadQueue(keeping id: String? = nil) -> Redraw {
        do {
            var rows = try backend.queue(state.filter, sort: state.sort)
            if let size = state.sampleSize, size < rows.count {
                rows = Self.reproducibleSample(of: rows, count: size)
            }
            state.rows = rows
        } catch {
            state.rows = []
            state.message = StatusMessage(error.message, isError: true)
        }
        let keep = id ?? state.focusID
        if let keep, let index = state.rows.firstIndex(where: { $0.id == keep }) {
            state.cursor = index
        } else {
            state.cursor = min(state.cursor, max(0, state.rows.count - 1))
        }
        state.openedID = nil
        state.history = []
        ensureCursorVisible()
        loadFocus()
        return .all
    }

    /// Loads detail and neighbours of the face in view.
    private func loadFocus() {
        state.neighbourCursor = 0
        guard let id = state.focusID else {
            state.detail = nil
            state.neighbours = []
            if state.pane == .neighbours { state.pane = .queue }
            return
        }
        do {
            state.detail = try backend.detail(for: id)
        } catch {
            state.detail = nil
            state.message = StatusMessage(error.message, isError: true)
        }
        do {
            state.neighbours = try backend.neighbours(of: id, count: state.neighbourCount)
        } catch {
            state.neighbours = []
            state.message = StatusMessage(error.message, isError: true)
        }
        if state.neighbours.isEmpty, state.pane == .neighbours { state.pane = .queue }
        requestPrefetch()
    }

    /// Asks the backend to render the faces around the cursor (and their neighbours'
    /// thumbnails) ahead of time: moving down then finds its pictures in the render cache.
    func requestPrefetch() {
        let layout = self.layout
        guard !layout.isTooSmall, !state.rows.isEmpty else { return }
        var ids: [String] = []
        if let focus = state.focusID { ids.append(focus) }
        let ahead = state.cursor + 1 ..< min(state.rows.count, state.cursor + 1 + Self.prefetchAhead)
        ids += ahead.map { state.rows[$0].id }
        if state.cursor > 0 { ids.append(state.rows[state.cursor - 1].id) }
        ids += state.neighbours.prefix(2).map(\.id)
        let thumbnail = layout.thumbnails.first
        backend.prefetch(PrefetchPlan(ids: ids, faceColumns: layout.face.columns, faceRows: layout.face.rows,
                                      zoomed: state.zoomed, thumbnailColumns: thumbnail?.columns ?? 0,
                                      thumbnailRows: thumbnail?.rows ?? 0,
                                      neighbourCount: min(state.neighbourCount, layout.thumbnails.count)))
    }

    /// The picture for a box, cached by (id, box, zoom) so redraws do not re-render.
    public func picture(id: String, columns: Int, rows: Int, zoomed: Bool) -> CellPicture? {
        let request = PictureRequest(id: id, columns: columns, rows: rows, zoomed: zoomed)
        if let cached = pictureCache[request] { return cached }
        if pictureCache.count >= Self.pictureCacheLimit { pictureCache.removeAll(keepingCapacity: true) }
        let picture = backend.picture(for: id, columns: columns, rows: rows, zoomed: zoomed)
        pictureCache[request] = picture
        return picture
    }

    // MARK: input

    /// Handles one key (already coalesced by `KeyBurst`).
    public func handle(_ key: Key) -> Redraw {
        if case .resize = key { return [] }
        if case .mouse(let event) = key { return handle(event) }
        if state.editor != nil { return handleEditorKey(key) }
        if state.showsHelp || state.panel != nil {
            state.showsHelp = false
            state.panel = nil
            return .all
        }
        if layout.isTooSmall {
            if key == .character("q") || key == .control("c") { state.shouldQuit = true }
            return []
        }
        guard let action = Keymap.action(for: key) else {
            if case .escape = key { return clearMessage() }
            return []
        }
        return perform(action)
    }

    /// Applies a keymap action.
    public func perform(_ action: ReviewAction) -> Redraw {
        switch action {
        case .moveDown: return move(by: 1)
        case .moveUp: return move(by: -1)
        case .pageDown: return move(by: max(1, layout.queueList.rows - 1))
        case .pageUp: return move(by: -max(1, layout.queueList.rows - 1))
        case .first: return move(to: 0)
        case .last: return move(to: Int.max)
        case .switchPane:
            guard !state.neighbours.isEmpty else {
                state.message = StatusMessage("no neighbours to switch to")
                return .status
            }
            state.pane = state.pane == .queue ? .neighbours : .queue
            return [.queue, .neighbours, .status]
        case .openNeighbour:
            guard state.pane == .neighbours else {
                state.message = StatusMessage("Enter opens a neighbour: Tab to the neighbours strip first")
                return .status
            }
            return openNeighbour(at: state.neighbourCursor)
        case .back: return goBack()
        case .toggleZoom:
            state.zoomed.toggle()
            return [.face, .detail, .status]
        case .verdict(let verdict): return record(.verdict(verdict))
        case .toggleFlag: return record(.toggleFlag)
        case .editNote:
            guard let detail = editableDetail() else { return .status }
            return beginEditing(.note, text: detail.note)
        case .editTags:
            guard let detail = editableDetail() else { return .status }
            return beginEditing(.tags, text: detail.tags.joined(separator: ", "))
        case .undo: return undo()
        case .export: return start(.export)
        case .rerun: return start(.rerunFlagged)
        case .find: return beginEditing(.find, text: "")
        case .command: return beginEditing(.command, text: "")
        case .help:
            state.showsHelp = true
            return .overlay
        case .quit:
            state.shouldQuit = true
            return []
        case .redraw: return Redraw.all.union(.repaint)
        }
    }

    /// The terminal changed size.
    public func resize(rows: Int, columns: Int) -> Redraw {
        state.screenRows = rows
        state.screenColumns = columns
        ensureCursorVisible()
        requestPrefetch()
        return Redraw.all.union(.repaint)
    }

    /// Shows a non-blocking message in the status area.
    public func show(_ message: StatusMessage) -> Redraw {
        state.message = message
        return .status
    }

    private func clearMessage() -> Redraw {
        guard state.message != nil else { return [] }
        state.message = nil
        return .status
    }

    // MARK: mouse

    private func handle(_ event: MouseEvent) -> Redraw {
        if state.editor != nil || layout.isTooSmall { return [] }
        if state.showsHelp || state.panel != nil {
            state.showsHelp = false
            state.panel = nil
            return .all
        }
        let layout = self.layout
        switch event.kind {
        case .wheelUp, .wheelDown:
            let step = event.kind == .wheelDown ? 3 : -3
            let overStrip = layout.neighboursHeader.row <= event.row && event.row < layout.statusBar.row
                && event.column >= layout.neighboursHeader.column
            if overStrip, !state.neighbours.isEmpty {
                state.pane = .neighbours
                return moveNeighbour(by: step > 0 ? 1 : -1)
            }
            state.pane = .queue
            return move(by: step)
        case .click:
            if layout.queueList.contains(row: event.row, column: event.column) {
                let index = state.scrollTop + event.row - layout.queueList.row
                guard state.rows.indices.contains(index) else { return [] }
                state.pane = .queue
                return move(to: index)
            }
            for (slot, box) in layout.thumbnails.enumerated() {
                let caption = layout.captions[slot]
                let slotRect = CellRect(row: box.row, column: caption.column, rows: box.rows + caption.rows,
                                        columns: caption.columns)
                if slotRect.contains(row: event.row, column: event.column), state.neighbours.indices.contains(slot) {
                    state.pane = .neighbours
                    return openNeighbour(at: slot)
                }
            }
            return []
        }
    }

    // MARK: navigation

    private func move(by delta: Int) -> Redraw {
        if state.pane == .neighbours { return moveNeighbour(by: delta) }
        let target = delta > 0 ? state.cursor.addingReportingOverflow(delta).partialValue : state.cursor + delta
        return move(to: target)
    }

    private func move(to index: Int) -> Redraw {
        if state.pane == .neighbours {
            let last = max(0, state.neighbours.count - 1)
            state.neighbourCursor = max(0, min(last, index))
            return [.neighbours, .status]
        }
        guard !state.rows.isEmpty else { return [] }
        let clamped = max(0, min(state.rows.count - 1, index))
        let returning = state.openedID != nil
        guard clamped != state.cursor || returning else { return [] }
        state.cursor = clamped
        state.openedID = nil
        state.history = []
        ensureCursorVisible()
        loadFocus()
        return [.queue, .face, .detail, .neighbours, .status]
    }

    private func moveNeighbour(by delta: Int) -> Redraw {
        guard !state.neighbours.isEmpty else { return [] }
        let target = max(0, min(state.neighbours.count - 1, state.neighbourCursor + delta))
        guard target != state.neighbourCursor else { return [] }
        state.neighbourCursor = target
        return [.neighbours, .status]
    }

    private func ensureCursorVisible() {
        let visible = max(1, layout.queueList.rows)
        if state.cursor < state.scrollTop { state.scrollTop = state.cursor }
        if state.cursor >= state.scrollTop + visible { state.scrollTop = state.cursor - visible + 1 }
        state.scrollTop = max(0, min(state.scrollTop, max(0, state.rows.count - visible)))
    }

    private func openNeighbour(at index: Int) -> Redraw {
        guard state.neighbours.indices.contains(index), let current = state.focusID else { return [] }
        state.history.append(current)
        state.openedID = state.neighbours[index].id
        loadFocus()
        state.pane = state.neighbours.isEmpty ? .queue : .neighbours
        return Redraw.focus.union(.queue)
    }

    private func goBack() -> Redraw {
        guard let previous = state.history.popLast() else {
            state.message = StatusMessage("nothing to go back to")
            return .status
        }
        let queueID = state.rows.indices.contains(state.cursor) ? state.rows[state.cursor].id : nil
        state.openedID = (state.history.isEmpty && previous == queueID) ? nil : previous
        loadFocus()
        return Redraw.focus.union(.queue)
    }

    /// Opens `id`: selects it in the queue when it is there, otherwise shows it on its own.
    private func go(to id: String) -> Redraw {
        let trimmed = id.trimmingCharactersInSpaces()
        guard !trimmed.isEmpty else { return [] }
        if let index = state.rows.firstIndex(where: { $0.id == trimmed }) {
            state.pane = .queue
            let redraw = move(to: index)
            state.message = StatusMessage("id \(trimmed): row \(index + 1) of \(state.rows.count)")
            return redraw.union([.queue, .status])
        }
        do {
            _ = try backend.detail(for: trimmed)
        } catch {
            state.message = StatusMessage(error.message, isError: true)
            return .status
        }
        if let current = state.focusID { state.history.append(current) }
        state.openedID = trimmed
        loadFocus()
        state.message = StatusMessage("id \(trimmed) is not in this queue (filter \(state.filter.name)); Backspace returns")
        return Redraw.focus.union(.queue)
    }

    // MARK: changes

    /// The face in view when it may take a verdict; otherwise sets an explaining message.
    private func editableDetail() -> FaceDetail? {
        guard let detail = state.detail else {
            state.message = StatusMessage("no face selected", isError: true)
            return nil
        }
        guard detail.split == .train else {
            state.message = StatusMessage("id \(detail.id) is a test face: test faces are view only, never labelled by a person",
                                          isError: true)
            return nil
        }
        return detail
    }

    private func record(_ change: ReviewChange) -> Redraw {
        guard let detail = editableDetail() else { return .status }
        do {
            let updated = try backend.record(change, for: detail.id)
            state.detail = updated
            updateQueueRow(from: updated)
            state.message = StatusMessage("id \(detail.id): \(Self.describe(change, updated: updated)) (saved)")
        } catch {
            state.message = StatusMessage(error.message, isError: true)
        }
        return [.queue, .detail, .neighbours, .status]
    }

    private func updateQueueRow(from detail: FaceDetail) {
        let mine = detail.verdicts.last { $0.reviewer == state.reviewer }?.verdict
        for index in state.rows.indices where state.rows[index].id == detail.id {
            state.rows[index].verdict = mine
            state.rows[index].flagged = detail.flagged
        }
        for index in state.neighbours.indices where state.neighbours[index].id == detail.id {
            state.neighbours[index].verdict = mine
        }
    }

    private static func describe(_ change: ReviewChange, updated: FaceDetail) -> String {
        switch change {
        case .verdict(let verdict): return verdict.rawValue
        case .toggleFlag: return updated.flagged ? "flagged" : "unflagged"
        case .note(let note): return note.isEmpty ? "note cleared" : "note saved"
        case .tags(let tags): return tags.isEmpty ? "tags cleared" : "tags: \(tags.joined(separator: ", "))"
        }
    }

    private func undo() -> Redraw {
        do {
            let id = try backend.undo()
            let focus = state.focusID
            let opened = state.openedID
            let history = state.history
            reloadQueue(keeping: focus)
            if let opened {
                state.openedID = opened
                state.history = history
                loadFocus()
            }
            state.message = StatusMessage("undone: last change to id \(id)")
        } catch {
            state.message = StatusMessage(error.message, isError: true)
        }
        return .all
    }

    // MARK: line editor

    private func beginEditing(_ purpose: EditPurpose, text: String) -> Redraw {
        state.editor = LineEditor(text: text)
        state.editPurpose = purpose
        return .status
    }

    private func handleEditorKey(_ key: Key) -> Redraw {
        guard var editor = state.editor, let purpose = state.editPurpose else { return [] }
        let outcome = editor.apply(key)
        switch outcome {
        case .editing:
            state.editor = editor
            return .status
        case .cancelled:
            state.editor = nil
            state.editPurpose = nil
            return .status
        case .submitted(let text):
            state.editor = nil
            state.editPurpose = nil
            return submit(text, for: purpose).union(.status)
        }
    }

    private func submit(_ text: String, for purpose: EditPurpose) -> Redraw {
        switch purpose {
        case .note:
            return record(.note(text.trimmingCharactersInSpaces()))
        case .tags:
            let tags = text.split(separator: ",").map { String($0).trimmingCharactersInSpaces() }.filter { !$0.isEmpty }
            return record(.tags(tags))
        case .find:
            return go(to: text)
        case .command:
            return runCommand(text)
        }
    }

    /// `:goto ID`, `:filter F`, `:sort score|id|p`, `:sample N|off`.
    public func runCommand(_ line: String) -> Redraw {
        let parts = line.trimmingCharactersInSpaces().split(separator: " ", maxSplits: 1).map(String.init)
        guard let verb = parts.first?.lowercased() else { return [] }
        let argument = parts.count > 1 ? parts[1].trimmingCharactersInSpaces() : ""
        switch verb {
        case "goto", "g", "id":
            guard !argument.isEmpty else {
                state.message = StatusMessage(":goto needs an id, e.g. :goto 30", isError: true)
                return .status
            }
            return go(to: argument)
        case "filter", "f":
            guard let filter = QueueFilter(command: argument) else {
                state.message = StatusMessage("unknown filter '\(argument)': use ranked, train, test, flagged, reviewed, "
                    + "unreviewed, label_ok, label_wrong, unsure, bad_image or label=1,pred=0", isError: true)
                return .status
            }
            state.filter = filter
            state.pane = .queue
            let redraw = reloadQueue()
            state.message = StatusMessage("filter \(filter.name): \(state.rows.count) faces")
            return redraw
        case "sort", "s":
            guard let sort = QueueSort(rawValue: argument.lowercased()) else {
                state.message = StatusMessage("unknown sort '\(argument)': use score, id or p", isError: true)
                return .status
            }
            state.sort = sort
            return reloadQueue()
        case "sample":
            if argument.lowercased() == "off" || argument == "0" {
                state.sampleSize = nil
                return reloadQueue()
            }
            guard let size = Int(argument), size > 0 else {
                state.message = StatusMessage(":sample needs a positive count (or off), got '\(argument)'", isError: true)
                return .status
            }
            return drawSample(size)
        case "run", "runs":
            return chooseRun(argument)
        case "diff":
            let names = argument.split(separator: " ").map(String.init)
            guard names.count == 2 else {
                let known = backend.runNames().joined(separator: ", ")
                state.message = StatusMessage(":diff needs two run names, e.g. :diff latent image (runs: \(known.isEmpty ? "none yet" : known))",
                                              isError: true)
                return .status
            }
            do {
                state.panel = try backend.diffRuns(names[0], names[1])
                return .all
            } catch {
                state.message = StatusMessage(error.message, isError: true)
                return .status
            }
        case "q", "quit":
            state.shouldQuit = true
            return []
        default:
            state.message = StatusMessage("unknown command '\(verb)': use goto, filter, sort, sample, run or diff", isError: true)
            return .status
        }
    }

    /// `:sample N`: the backend's audit sample when it keeps one (shown as the `sample` filter),
    /// else a reproducible sample of the current queue.
    private func drawSample(_ size: Int) -> Redraw {
        let drawn: [String]?
        do {
            drawn = try backend.drawAuditSample(count: size)
        } catch {
            state.message = StatusMessage(error.message, isError: true)
            return .status
        }
        guard let drawn else {
            state.sampleSize = size
            return reloadQueue()
        }
        state.sampleSize = nil
        state.filter = .sample
        state.pane = .queue
        let redraw = reloadQueue(keeping: drawn.first)
        state.message = StatusMessage(drawn.isEmpty
            ? "no face left to sample: every train face is in the audit sample already"
            : "added \(drawn.count) random faces to the audit sample; filter sample: \(state.rows.count) faces")
        return redraw
    }

    /// `:run` lists the runs, `:run NAME` shows and ranks by one run, `:run all` goes back to
    /// the combined ranking.
    private func chooseRun(_ argument: String) -> Redraw {
        let names = backend.runNames()
        if argument.isEmpty {
            state.panel = InfoPanel(title: "model runs (:run NAME chooses, :run all combines, :diff A B compares)",
                                    lines: names.isEmpty ? ["no model run yet"] : names.map { name in
                                        (name == state.activeRun ? "* " : "  ") + name
                                    })
            return .all
        }
        let choice: String? = ["all", "default", "combined"].contains(argument.lowercased()) ? nil : argument
        do {
            let summary = try backend.selectRun(choice)
            state.activeRun = choice
            let redraw = reloadQueue()
            state.message = StatusMessage(summary)
            return redraw
        } catch {
            state.message = StatusMessage(error.message, isError: true)
            return .status
        }
    }

    /// A fixed-seed sample (same rows every time for the same queue), kept in queue order.
    static func reproducibleSample(of rows: [QueueRow], count: Int) -> [QueueRow] {
        var generator = SplitMix64(seed: 0x5EED_1AB3_1A0D_17ED)
        var indices = Array(rows.indices)
        for position in 0..<count {
            let pick = position + Int(generator.next() % UInt64(indices.count - position))
            indices.swapAt(position, pick)
        }
        return indices.prefix(count).sorted().map { rows[$0] }
    }

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
        let result: Result<String, ReviewBackendError>
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
    public func finish(_ job: ReviewJob, result: Result<String, ReviewBackendError>) -> Redraw {
        state.jobs[job] = nil
        switch result {
        case .success(let summary):
            state.message = StatusMessage(summary)
            if job == .rerunFlagged || job == .evidence {
                // Evidence re-ranks the queue: the cursor stays on the reviewer's face.
                var redraw = reloadQueue(keeping: job == .evidence ? state.focusID : nil)
                state.message = StatusMessage(summary)
                // Staged evidence: this stage is in view (cursor kept on its face); start the next.
                if job == .evidence, let next = backend.startupJob { redraw.formUnion(start(next)) }
                return redraw
            }
        case .failure(let error):
            state.message = StatusMessage(error.message, isError: true)
        }
        return .status
    }

    public static func name(of job: ReviewJob) -> String {
        switch job {
        case .export: return "export"
        case .rerunFlagged: return "rerun"
        case .evidence: return "evidence"
        }
    }
}

extension String {
    func trimmingCharactersInSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
