import LabelAuditCore
import LabelAuditImaging

extension ReviewController {
    // MARK: navigation

    /// Moves in the queue (and gives the queue the focus back from the strip).
    func move(by delta: Int) -> Redraw {
        let target = delta > 0 ? state.cursor.addingReportingOverflow(delta).partialValue : state.cursor + delta
        return move(to: target)
    }

    func move(to index: Int) -> Redraw {
        var redraw: Redraw = []
        if state.pane == .neighbours {
            state.pane = .queue
            redraw = [.queue, .neighbours, .status]
        }
        guard !state.rows.isEmpty else { return redraw }
        let clamped = max(0, min(state.rows.count - 1, index))
        let returning = state.openedID != nil
        guard clamped != state.cursor || returning else { return redraw }
        state.cursor = clamped
        state.openedID = nil
        state.history = []
        ensureCursorVisible()
        loadFocus()
        return [.queue, .face, .detail, .neighbours, .status]
    }

    /// The first neighbour the strip shows: the selection is always in view (the strip scrolls
    /// a whole page when the selection leaves it).
    static func neighbourWindowStart(cursor: Int, count: Int, slots: Int) -> Int {
        guard slots > 0, count > slots else { return 0 }
        return min(max(0, cursor - slots + 1), count - slots)
    }

    /// Right/l: from the queue into the strip (its first shown neighbour), in the strip to the
    /// next one. Left/h: to the previous one, and from the first back to the queue.
    func stepInStrip(by delta: Int) -> Redraw {
        guard !state.neighbours.isEmpty else {
            state.message = StatusMessage("no neighbours to move to")
            return .status
        }
        if state.pane == .queue {
            guard delta > 0 else { return [] }
            state.pane = .neighbours
            return [.queue, .neighbours, .status]
        }
        if delta < 0, state.neighbourCursor == 0 {
            state.pane = .queue
            return [.queue, .neighbours, .status]
        }
        return moveNeighbour(by: delta)
    }

    func moveNeighbour(by delta: Int) -> Redraw {
        guard !state.neighbours.isEmpty else { return [] }
        let target = max(0, min(state.neighbours.count - 1, state.neighbourCursor + delta))
        guard target != state.neighbourCursor else { return [] }
        state.neighbourCursor = target
        return [.neighbours, .status]
    }

    func ensureCursorVisible() {
        let visible = max(1, layout.queueList.rows)
        if state.cursor < state.scrollTop { state.scrollTop = state.cursor }
        if state.cursor >= state.scrollTop + visible { state.scrollTop = state.cursor - visible + 1 }
        state.scrollTop = max(0, min(state.scrollTop, max(0, state.rows.count - visible)))
    }

    func openNeighbour(at index: Int) -> Redraw {
        guard state.neighbours.indices.contains(index), let current = state.focusID else { return [] }
        state.history.append(current)
        state.openedID = state.neighbours[index].id
        loadFocus()
        state.pane = state.neighbours.isEmpty ? .queue : .neighbours
        return Redraw.focus.union(.queue)
    }

    func goBack() -> Redraw {
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
    func go(to id: String) -> Redraw {
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
}

extension ReviewController {
    enum VerdictOwner { case anyone, mine }

    /// `n`/`N`: the next queue row after the cursor with no verdict from anyone (or none from
    /// this reviewer); says so when there is none.
    func nextFace(without owner: VerdictOwner) -> Redraw {
        let start = state.cursor
        let order = Array(state.rows.indices.dropFirst(start + 1)) + Array(state.rows.indices.prefix(start + 1))
        let found = order.first { index in
            let row = state.rows[index]
            guard row.split == .train else { return false }
            return owner == .anyone ? row.reviewers == 0 : row.verdict == nil
        }
        guard let found else {
            state.message = StatusMessage(
                owner == .anyone
                    ? "every face in this queue has a verdict from someone"
                    : "every face in this queue has your verdict")
            return .status
        }
        let redraw = move(to: found)
        let left = state.rows.filter { $0.split == .train && (owner == .anyone ? $0.reviewers == 0 : $0.verdict == nil) }.count
        state.message = StatusMessage(
            (found <= start ? "wrapped to the top: " : "") + "row \(found + 1) of \(state.rows.count); "
                + "\(left) without \(owner == .anyone ? "any verdict" : "your verdict")")
        return redraw.union(.status)
    }

    /// `/TEXT`: the faces whose id, note or tags hold TEXT; goes to the first one from the
    /// cursor on (in the queue when it is there, else on its own).
    func find(_ text: String) -> Redraw {
        let query = text.trimmingCharactersInSpaces()
        guard !query.isEmpty else { return [] }
        let matches = backend.search(query)
        guard !matches.isEmpty else {
            state.search = nil
            state.message = StatusMessage("no id, note or tag holds '\(TerminalText.sanitized(query))'", isError: true)
            return .status
        }
        // Queue order first (what the reviewer sees), then the rest in dataset order.
        let position = Dictionary(state.rows.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let inQueue = matches.filter { position[$0] != nil }.sorted { position[$0]! < position[$1]! }
        var ordered = inQueue + matches.filter { position[$0] == nil }
        var start = inQueue.firstIndex { position[$0]! >= state.cursor } ?? 0
        // An id typed in full goes to that face first.
        if let exact = ordered.firstIndex(of: query) {
            ordered.remove(at: exact)
            ordered.insert(query, at: 0)
            start = 0
        }
        state.search = SearchState(query: query, matches: ordered, index: start)
        return showMatch()
    }

    /// `]`/`[`: the next or previous match of the last find (wrapping).
    func stepMatch(by delta: Int) -> Redraw {
        guard var search = state.search, !search.matches.isEmpty else {
            state.message = StatusMessage("no find yet: / searches ids, notes and tags")
            return .status
        }
        search.index = (search.index + delta + search.matches.count) % search.matches.count
        state.search = search
        return showMatch()
    }

    private func showMatch() -> Redraw {
        guard let search = state.search else { return [] }
        let id = search.matches[search.index]
        let redraw = go(to: id)
        state.message = StatusMessage(
            "match \(search.index + 1) of \(search.matches.count) for '\(TerminalText.sanitized(search.query))': "
                + "id \(TerminalText.sanitized(id))\(state.openedID == nil ? "" : " (not in this queue; Bksp returns)")  ] next  [ previous"
        )
        return redraw.union(.status)
    }
}

extension ReviewController {
    var sheetLayout: ContactSheetLayout {
        ContactSheetLayout(rows: state.screenRows, columns: state.screenColumns)
    }

    /// Movement on the contact sheet: Left/Right by a tile, Up/Down by a row of tiles, PgUp/PgDn
    /// by a page, Enter opens the selected face. Other actions (verdicts, flags) act on the
    /// selected face as anywhere else: nil lets them through.
    func performOnSheet(_ action: ReviewAction) -> Redraw? {
        let sheet = sheetLayout
        let redraw: Redraw
        switch action {
        case .moveDown: redraw = move(by: sheet.columnsOfTiles)
        case .moveUp: redraw = move(by: -sheet.columnsOfTiles)
        case .neighbourNext: redraw = move(by: 1)
        case .neighbourPrevious: redraw = move(by: -1)
        case .pageDown: redraw = move(by: sheet.perPage)
        case .pageUp: redraw = move(by: -sheet.perPage)
        case .openNeighbour:
            state.contactSheet = false
            requestPrefetch()
            return .all
        case .switchPane, .toggleZoom, .back:
            return []
        default:
            return nil
        }
        return redraw.isEmpty ? [] : .all
    }

    /// A click on a tile selects it; a click on the selected tile opens it.
    func clickOnSheet(row: Int, column: Int) -> Redraw {
        let sheet = sheetLayout
        let first = state.cursor / max(1, sheet.perPage) * sheet.perPage
        for (slot, tile) in sheet.tiles.enumerated() {
            let caption = sheet.captions[slot]
            let area = CellRect(row: tile.row, column: caption.column, rows: tile.rows + 1, columns: caption.columns)
            guard area.contains(row: row, column: column), state.rows.indices.contains(first + slot) else { continue }
            if first + slot == state.cursor { return performOnSheet(.openNeighbour) ?? [] }
            _ = move(to: first + slot)
            return .all
        }
        return []
    }
}

extension ReviewController {
    /// `o`: the face's original picture in the user's viewer; without a display, its path.
    func openOriginal() -> Redraw {
        guard let detail = state.detail else { return [] }
        guard let path = detail.imagePath else {
            state.message = StatusMessage("id \(TerminalText.sanitized(detail.id)) has no image file", isError: true)
            return .status
        }
        switch openImage(path) {
        case .opened(let program, _):
            state.message = StatusMessage("opened \(TerminalText.sanitized(path)) with \(TerminalText.sanitized(program))")
        case .noDisplay(let absolute):
            state.message = StatusMessage("no display to open it on: \(TerminalText.sanitized(absolute)) (y copies the path)")
        case .failed(let program, let reason, let absolute):
            state.message = StatusMessage(
                "could not start \(TerminalText.sanitized(program)) (\(TerminalText.sanitized(reason))): "
                    + "\(TerminalText.sanitized(absolute)); set $LABELAUDIT_VIEWER", isError: true)
        }
        return .status
    }

    /// `y`: the image's full path to the clipboard, through the terminal (OSC 52).
    func copyImagePath() -> Redraw {
        guard let detail = state.detail, let path = detail.imagePath else {
            state.message = StatusMessage("no image file to copy the path of", isError: true)
            return .status
        }
        let absolute = OriginalImage.absolutePath(path)
        // Inside tmux both forms: tmux takes the plain one with `set-clipboard on`, the outer
        // terminal the wrapped one with `allow-passthrough on`; either is enough.
        pendingTerminalBytes += OriginalImage.clipboardSequence(absolute)
        if insideTmux { pendingTerminalBytes += OriginalImage.clipboardSequence(absolute, tmuxPassthrough: true) }
        state.message = StatusMessage("copied \(TerminalText.sanitized(absolute)) (where the terminal allows OSC 52)")
        return .status
    }

    /// Hands the run loop what it must write to the terminal after the frame.
    package func takeTerminalBytes() -> [UInt8] {
        defer { pendingTerminalBytes.removeAll() }
        return pendingTerminalBytes
    }
}
