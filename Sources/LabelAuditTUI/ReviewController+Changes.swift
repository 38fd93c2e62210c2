import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

extension ReviewController {
    // MARK: changes

    /// The face in view when it may take a verdict; otherwise sets an explaining message.
    func editableDetail() -> FaceDetail? {
        guard let detail = state.detail else {
            state.message = StatusMessage("no face selected", isError: true)
            return nil
        }
        guard detail.split == .train else {
            state.message = StatusMessage(
                "id \(TerminalText.sanitized(detail.id)) is a test face: test faces are view only, "
                    + "never labelled by a person", isError: true)
            return nil
        }
        return detail
    }

    /// Commits `change` for the face in view. A verdict on the queue's own row moves on to the
    /// next row when auto-advance is on (a face opened from the neighbours stays in view).
    func record(_ change: ReviewChange) -> Redraw {
        guard let detail = editableDetail() else { return .status }
        var redraw: Redraw = [.queue, .detail, .neighbours, .status]
        do {
            let updated = try backend.record(change, for: detail.id)
            redoStack.removeAll()
            state.detail = updated
            updateQueueRow(from: updated)
            var text = "id \(TerminalText.sanitized(detail.id)): \(Self.describe(change, updated: updated)) (saved)"
            if case .verdict = change, state.autoAdvance, state.openedID == nil, state.cursor + 1 < state.rows.count {
                redraw.formUnion(move(by: 1))
                text += "; next face"
            }
            state.message = StatusMessage(text)
        } catch {
            state.message = StatusMessage(error.message, isError: true)
        }
        return redraw
    }

    /// Brings the queue's and the strip's marks for `detail`'s face up to date.
    func updateQueueRow(from detail: FaceDetail) {
        let mine = detail.verdicts.last { $0.reviewer == state.reviewer }?.verdict
        for index in state.rows.indices where state.rows[index].id == detail.id {
            state.rows[index].verdict = mine
            state.rows[index].team = detail.team
            state.rows[index].reviewers = detail.verdicts.count
            state.rows[index].flagged = !detail.flaggedBy.isEmpty || detail.flagged
        }
        for index in state.neighbours.indices where state.neighbours[index].id == detail.id {
            state.neighbours[index].verdict = mine
            state.neighbours[index].team = detail.team
        }
    }

    static func describe(_ change: ReviewChange, updated: FaceDetail) -> String {
        switch change {
        case .verdict(let verdict): return verdict.rawValue
        case .toggleFlag, .setFlag: return updated.flagged ? "flagged" : "unflagged"
        case .note(let note): return note.isEmpty ? "note cleared" : "note saved"
        case .tags(let tags):
            return tags.isEmpty ? "tags cleared" : "tags: \(TerminalText.sanitized(tags.joined(separator: ", ")))"
        }
    }

    /// Takes back this reviewer's latest change (a new event; the log keeps both) and
    /// remembers how to redo it.
    func undo() -> Redraw {
        do {
            let outcome = try backend.undo()
            redoStack.append(outcome)
            reloadKeepingView()
            state.message = StatusMessage("undone: last change to id \(TerminalText.sanitized(outcome.id)) (U redoes)")
        } catch {
            state.message = StatusMessage(error.message, isError: true)
        }
        return .all
    }

    /// Puts back what the last undo took (as new events), while nothing else was changed since.
    func redo() -> Redraw {
        guard let outcome = redoStack.popLast() else {
            state.message = StatusMessage("nothing to redo: redo follows an undo (u)")
            return .status
        }
        do {
            for change in outcome.redo { _ = try backend.record(change, for: outcome.id) }
            reloadKeepingView()
            state.message = StatusMessage("redone: change to id \(TerminalText.sanitized(outcome.id))")
        } catch {
            state.message = StatusMessage(error.message, isError: true)
        }
        return .all
    }

    /// Reloads the queue and the face in view without moving the reviewer.
    func reloadKeepingView() {
        let focus = state.focusID
        let opened = state.openedID
        let history = state.history
        let neighbourCursor = state.neighbourCursor
        reloadQueue(keeping: opened == nil ? focus : history.first ?? focus)
        if let opened {
            state.openedID = opened
            state.history = history
            loadFocus()
        }
        state.neighbourCursor = min(neighbourCursor, max(0, state.neighbours.count - 1))
    }
}
