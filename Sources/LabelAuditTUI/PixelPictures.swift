import LabelAuditImaging

/// A face drawn as real pixels (kitty or sixel) instead of glyphs: which picture, where, and
/// the image id kitty keeps it under (one id per slot of the screen, so a new face replaces
/// the old one).
package struct PixelSlot: Hashable, Sendable {
    /// The face pane (or the inspect view's face), the eye band above it.
    package enum Slot: UInt32, Hashable, Sendable, CaseIterable {
        case face = 1
        case band = 2
    }
    package var slot: Slot
    package var request: PictureRequest
    /// The cells the picture covers (placed at `box`'s origin, which the screen centred).
    package var box: CellRect
}

/// What the terminal must do after a frame so the pixel pictures on screen are the ones the
/// frame asks for. Pure, so the bookkeeping is tested without a terminal.
///
/// Sixel pixels live in the cells: text written over them erases them, and they stay until
/// something is written over them. So a box whose picture changed, or that went away, has its
/// cells re-sent (`invalidate`) before the new picture is drawn; and a picture whose cells the
/// frame re-sent (a closed panel) is drawn again. Kitty pictures live on their own layer under
/// an image id: a changed or vanished slot is deleted, a changed one placed again.
package enum PixelPlan {
    package struct Actions: Hashable, Sendable {
        /// Cells to send again this frame (whatever the new frame holds there).
        package var invalidate: [CellRect] = []
        /// Kitty image ids to delete before drawing.
        package var delete: [UInt32] = []
        /// Pictures to draw after the frame's cells.
        package var draw: [PixelSlot] = []
    }

    /// `cellsChanged(rect)`: the frame sends some cell inside `rect`.
    package static func actions(
        previous: [PixelSlot], current: [PixelSlot], protocol kind: GraphicsProtocol,
        cellsChanged: (CellRect) -> Bool
    ) -> Actions {
        var actions = Actions()
        let before = Dictionary(previous.map { ($0.slot, $0) }, uniquingKeysWith: { _, last in last })
        let now = Dictionary(current.map { ($0.slot, $0) }, uniquingKeysWith: { _, last in last })
        for (slot, old) in before where now[slot] != old {
            if kind == .sixel { actions.invalidate.append(old.box) } else { actions.delete.append(slot.rawValue) }
        }
        for placement in current {
            let unchanged = before[placement.slot] == placement
            // Sixel: re-sent cells erased part of the picture. Kitty: its layer is untouched.
            if unchanged && (kind == .kitty || !cellsChanged(placement.box)) { continue }
            if kind == .sixel && !unchanged { actions.invalidate.append(placement.box) }
            actions.draw.append(placement)
        }
        return actions
    }
}
