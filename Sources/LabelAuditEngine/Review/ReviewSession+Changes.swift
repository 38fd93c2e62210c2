import Foundation
import LabelAuditCore
import LabelAuditStore

extension ReviewSession {
    /// Commits `change` for `id` (the store has it on disk when this returns) and returns the
    /// face's new detail. Test faces are refused: they never get a human label.
    public func record(_ change: ReviewChange, for id: String) throws(ReviewError) -> FaceDetail {
        let row = try row(of: id)
        guard row < dataset.trainCount else {
            throw ReviewError(
                "id \(TerminalSafeText.visible(id, limit: 80)) is a test face: test faces are never labelled by a person")
        }
        do {
            switch change {
            case .verdict(let verdict):
                try store.record(verdict: verdict, item: id, reviewer: reviewer)
            case .toggleFlag:
                let flagged = state.withLock { $0.statesByItem[id]?.first { $0.reviewer == reviewer }?.flagged ?? false }
                try store.setFlag(!flagged, item: id, reviewer: reviewer)
            case .setFlag(let flagged):
                try store.setFlag(flagged, item: id, reviewer: reviewer)
            case .note(let note):
                try store.setNote(note.isEmpty ? nil : note, item: id, reviewer: reviewer)
            case .tags(let tags):
                try store.setTags(tags, item: id, reviewer: reviewer)
            }
            try refresh(items: [id])
        } catch {
            throw ReviewError(Self.describe(error))
        }
        return state.withLock { detail(id: id, row: row, in: $0) }
    }

    /// Reads the items' states again after a write.
    func refresh(items: Set<String>) throws {
        for item in items {
            let states = try store.state(item: item)
            state.withLock { $0.statesByItem[item] = states.isEmpty ? nil : states }
        }
    }

    /// Undoes this reviewer's latest change: the face it touched and how to redo it.
    public func undo() throws(ReviewError) -> UndoOutcome {
        let events: [AuditEvent]
        do {
            events = try store.undo(reviewer: reviewer)
            try refresh(items: Set(events.map(\.item)))
        } catch {
            throw ReviewError(Self.describe(error))
        }
        guard let first = events.first else {
            throw ReviewError("nothing to undo: \(TerminalSafeText.visible(reviewer, limit: 80)) has no change left to take back")
        }
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
    }

    /// Ids whose id, note or tags (anyone's) contain `text`, case-insensitively, in dataset
    /// order, an exact id first.
    public func search(_ text: String) -> [String] {
        let needle = text.trimmingCharacters(in: .whitespaces)
        guard !needle.isEmpty else { return [] }
        let dataset = dataset
        return state.withLock { state in
            var found: [String] = []
            if dataset.row(of: needle) != nil { found.append(needle) }
            for id in dataset.ids where id != needle {
                let states = state.statesByItem[id] ?? []
                let hit =
                    id.localizedStandardContains(needle)
                    || states.contains { reviewerState in
                        (reviewerState.note?.localizedStandardContains(needle) ?? false)
                            || reviewerState.tags.contains { $0.localizedStandardContains(needle) }
                    }
                if hit { found.append(id) }
            }
            return found
        }
    }
}
