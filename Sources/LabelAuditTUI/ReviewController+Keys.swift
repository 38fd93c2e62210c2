import LabelAuditCore
import LabelAuditImaging

extension ReviewController {
    // MARK: input

    /// Text keys in one read at which the read counts as a paste without brackets: a person
    /// does not type six characters between two reads of the input loop.
    static let burstThreshold = 6
    /// How long after a panel or editor closes a key that records something is refused, so a
    /// paste that a terminal delivers in several chunks cannot close a panel in one chunk and
    /// record in the next (its chunks come a millisecond apart). Shorter than two deliberate
    /// presses: even a rolled key pair of a fast typist is 40 ms or more apart.
    static let settleTime: Duration = .milliseconds(30)

    /// Handles one deliberate key press (tests, and keys that arrived alone).
    public func handle(_ key: Key) -> Redraw {
        handle(batch: [key], at: nil)
    }

    /// Handles the keys that arrived together at `time` (one read of the terminal; nil: no
    /// clock, for tests of single keys).
    ///
    /// The rules that keep input from recording anything by accident:
    /// - a modal (help, a panel, the line editor) owns every key until it closes;
    /// - a bracketed paste is text: in an editor it is inserted, elsewhere it is ignored;
    /// - in a burst (text faster than a person types: a paste from a terminal without
    ///   bracketed paste, or keys typed ahead during a stall), keys that record, edit or start
    ///   work are refused; `:` and `/` still open their line, which takes the rest as text, and
    ///   a line break with more text after it in the burst is a space, not Enter;
    /// - the same keys are refused when they arrive in the read that closed a modal, or within
    ///   `settleTime` after it.
    public func handle(batch keys: [Key], at time: ContinuousClock.Instant?) -> Redraw {
        let isBurst = keys.count(where: \.isText) >= Self.burstThreshold
        var textAfter = [Bool](repeating: false, count: keys.count)
        var seenText = false
        for index in keys.indices.reversed() {
            textAfter[index] = seenText
            if keys[index].isText { seenText = true }
        }
        var redraw: Redraw = []
        var closedInThisBatch = false
        for (index, original) in keys.enumerated() {
            if state.shouldQuit { break }
            var key = original
            if isBurst, state.editor != nil, key == .enter, textAfter[index] { key = .character(" ") }
            let wasModal = isModal
            var refusal: String?
            if closedInThisBatch {
                refusal = "it came with the keys that closed a panel"
            } else if let time, let closed = lastModalClose, time - closed < Self.settleTime {
                refusal = "it came right after a panel closed"
            } else if isBurst {
                refusal = "it came in a burst of typed-ahead or pasted text"
            }
            redraw.formUnion(handleOne(key, refusal: refusal))
            if wasModal, !isModal {
                closedInThisBatch = true
                lastModalClose = time
            }
        }
        return redraw
    }

    /// True while a panel or the line editor owns the keys.
    package var isModal: Bool { state.editor != nil || state.panel != nil }

    /// One key; `refusal` says why a key that records, edits or starts work must not run now.
    private func handleOne(_ key: Key, refusal: String?) -> Redraw {
        switch key {
        case .resize, .meta: return []
        case .reply(let reply): return terminalReplied(reply)
        case .mouse(let event): return handle(event)
        default: break
        }
        if state.editor != nil { return handleEditorKey(key) }
        if let panel = state.panel { return handlePanelKey(key, panel: panel) }
        if layout.isTooSmall {
            if key == .character("q") || key == .control("c") { state.shouldQuit = true }
            return []
        }
        if case .paste(let text) = key {
            state.message = StatusMessage(
                "ignored a paste of \(text.count) characters: paste into a note (e), tags (t), "
                    + "find (/) or a command (:)", isError: true)
            return .status
        }
        guard let action = Keymap.action(for: key) else {
            if case .escape = key {
                if state.inspecting { return perform(.toggleInspect) }
                if state.contactSheet { return perform(.toggleContactSheet) }
                return clearMessage()
            }
            return []
        }
        if let refusal, action.needsDeliberateKey {
            state.message = StatusMessage("ignored '\(ReviewScreen.keyName(key))': \(refusal); press it again", isError: true)
            return .status
        }
        // The message line shows the last action's outcome: an older one (an error above all)
        // never outlives the next action.
        let hadMessage = state.message != nil
        state.message = nil
        return perform(action).union(hadMessage ? .status : [])
    }

    /// A panel owns every key: it moves, opens, closes; nothing else happens.
    private func handlePanelKey(_ key: Key, panel: InfoPanel) -> Redraw {
        var panel = panel
        let page = max(1, state.screenRows - 8)
        switch key {
        case .escape, .character("q"), .character("?"), .function(1):
            return closePanel()
        case .enter:
            guard let id = panel.selectedID else { return closePanel() }
            _ = closePanel()
            return go(to: id).union(.all)
        case .character("j"), .down: panel.selected += 1
        case .character("k"), .up: panel.selected -= 1
        case .pageDown, .control("f"), .character(" "): panel.selected += page
        case .pageUp, .control("b"): panel.selected -= page
        case .character("g"), .home: panel.selected = 0
        case .character("G"), .end: panel.selected = panel.lines.count - 1
        case .character(":"):
            _ = closePanel()
            return beginEditing(.command, text: "").union(.all)
        case .character("/"):
            _ = closePanel()
            return beginEditing(.find, text: "").union(.all)
        default:
            return []
        }
        panel.selected = max(0, min(panel.lines.count - 1, panel.selected))
        state.panel = panel
        return .overlay
    }

    private func closePanel() -> Redraw {
        state.panel = nil
        return .all
    }

    /// The terminal answered a query: graphics support and the cell size. Once its answer is
    /// complete, `--graphics auto` picks kitty or sixel when it has them (glyphs otherwise).
    func terminalReplied(_ reply: TerminalReply) -> Redraw {
        let before = (state.pixels, state.graphics.cellPixels)
        state.graphics.absorb(reply.bytes)
        if reply.kind == .kittyGraphics, insideTmux, state.graphics.kitty { state.pixelsThroughTmux = true }
        if state.graphicsMode == .auto, state.graphics.complete || state.graphics.kitty {
            // Inside tmux only a kitty answer through the passthrough counts: tmux answers the
            // device attributes itself, and cannot draw sixel.
            state.pixels = insideTmux ? (state.pixelsThroughTmux ? .kitty : nil) : state.graphics.preferred
        }
        guard (state.pixels, state.graphics.cellPixels) != before else { return [] }
        pixelCache.removeAll()
        return Redraw.all.union(.repaint)
    }

    /// Applies a keymap action.
    public func perform(_ action: ReviewAction) -> Redraw {
        if state.contactSheet, let redraw = performOnSheet(action) { return redraw }
        switch action {
        case .moveDown: return move(by: 1)
        case .moveUp: return move(by: -1)
        case .pageDown: return move(by: max(1, layout.queueList.rows - 1))
        case .pageUp: return move(by: -max(1, layout.queueList.rows - 1))
        case .first: return move(to: 0)
        case .last: return move(to: Int.max)
        case .neighbourNext: return stepInStrip(by: 1)
        case .neighbourPrevious: return stepInStrip(by: -1)
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
            requestPrefetch()
            return [.face, .detail, .status]
        case .toggleInspect:
            state.inspecting.toggle()
            state.contactSheet = false
            requestPrefetch()
            return .all
        case .openOriginal: return openOriginal()
        case .copyPath: return copyImagePath()
        case .toggleContactSheet:
            state.contactSheet.toggle()
            state.inspecting = false
            state.pane = .queue
            if state.openedID != nil { _ = move(to: state.cursor) }
            requestPrefetch()
            return .all
        case .verdict(let verdict): return record(.verdict(verdict))
        case .toggleFlag: return record(.toggleFlag)
        case .editNote:
            guard let detail = editableDetail() else { return .status }
            return beginEditing(.note, text: detail.note)
        case .editTags:
            guard let detail = editableDetail() else { return .status }
            return beginEditing(.tags, text: detail.tags.joined(separator: ", "))
        case .undo: return undo()
        case .redo: return redo()
        case .nextUnreviewed: return nextFace(without: .anyone)
        case .nextWithoutMine: return nextFace(without: .mine)
        case .findNext: return stepMatch(by: 1)
        case .findPrevious: return stepMatch(by: -1)
        case .export: return start(.export)
        case .cancelJobs: return cancelJobs()
        case .rerun: return start(.rerunFlagged)
        case .find: return beginEditing(.find, text: "")
        case .command: return beginEditing(.command, text: "")
        case .help:
            state.panel = HelpPanel.make(glyphs: state.glyphs)
            return .overlay
        case .quit:
            state.shouldQuit = true
            return []
        case .redraw: return Redraw.all.union(.repaint)
        }
    }

    /// The terminal changed size.
    package func resize(rows: Int, columns: Int) -> Redraw {
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

    func clearMessage() -> Redraw {
        guard state.message != nil else { return [] }
        state.message = nil
        return .status
    }

    // MARK: mouse

    func handle(_ event: MouseEvent) -> Redraw {
        if state.editor != nil || layout.isTooSmall { return [] }
        if let panel = state.panel {
            switch event.kind {
            case .wheelUp: return handlePanelKey(.up, panel: panel)
            case .wheelDown: return handlePanelKey(.down, panel: panel)
            case .click: return closePanel()
            }
        }
        if state.contactSheet {
            switch event.kind {
            case .click: return clickOnSheet(row: event.row, column: event.column)
            case .wheelUp: return performOnSheet(.moveUp) ?? []
            case .wheelDown: return performOnSheet(.moveDown) ?? []
            }
        }
        if state.inspecting {
            switch event.kind {
            case .click: return []
            case .wheelUp: return move(by: -1)
            case .wheelDown: return move(by: 1)
            }
        }
        let layout = self.layout
        switch event.kind {
        case .wheelUp, .wheelDown:
            let step = event.kind == .wheelDown ? 3 : -3
            let overStrip =
                layout.neighboursHeader.row <= event.row && event.row < layout.statusBar.row
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
                let slotRect = CellRect(
                    row: box.row, column: caption.column, rows: box.rows + caption.rows,
                    columns: caption.columns)
                if slotRect.contains(row: event.row, column: event.column), state.neighbours.indices.contains(slot) {
                    state.pane = .neighbours
                    return openNeighbour(at: slot)
                }
            }
            return []
        }
    }
}
