import LabelAuditCore
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
            state.message = StatusMessage("id \(detail.id) is a test face: test faces are view only, never labelled by a person",
                                          isError: true)
            return nil
        }
        return detail
    }

    func record(_ change: ReviewChange) -> Redraw {
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

    func updateQueueRow(from detail: FaceDetail) {
        let mine = detail.verdicts.last { $0.reviewer == state.reviewer }?.verdict
        for index in state.rows.indices where state.rows[index].id == detail.id {
            state.rows[index].verdict = mine
            state.rows[index].flagged = detail.flagged
        }
        for index in state.neighbours.indices where state.neighbours[index].id == detail.id {
            state.neighbours[index].verdict = mine
        }
    }

    static func describe(_ change: ReviewChange, updated: FaceDetail) -> String {
        switch change {
        case .verdict(let verdict): return verdict.rawValue
        case .toggleFlag: return updated.flagged ? "flagged" : "unflagged"
        case .note(let note): return note.isEmpty ? "note cleared" : "note saved"
        case .tags(let tags): return tags.isEmpty ? "tags cleared" : "tags: \(tags.joined(separator: ", "))"
        }
    }

    func undo() -> Redraw {
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
}
