import LabelAuditCore
import LabelAuditImaging

extension ReviewController {
    // MARK: navigation

    func move(by delta: Int) -> Redraw {
        if state.pane == .neighbours { return moveNeighbour(by: delta) }
        let target = delta > 0 ? state.cursor.addingReportingOverflow(delta).partialValue : state.cursor + delta
        return move(to: target)
    }

    func move(to index: Int) -> Redraw {
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
