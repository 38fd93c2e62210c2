import Foundation
import LabelAuditCore
import Testing

@testable import LabelAuditTUI

/// Issue 14's inspect view: the current face alone, its eye band as wide as the terminal,
/// worked with the same keys as the queue.
@Suite struct InspectViewTests {
    @Test(arguments: [(200, 60, 190), (120, 40, 110), (80, 24, 70)])
    func theEyeBandIsAsWideAsTheTerminal(columns: Int, rows: Int, atLeast: Int) {
        let inspect = InspectLayout(rows: rows, columns: columns)
        #expect(inspect.band.columns >= atLeast)
        #expect(Double(inspect.band.columns) >= 0.95 * Double(columns) || columns < 100)
        #expect(inspect.band.rows >= 10, "a band \(inspect.band.rows) rows high")
        #expect(inspect.face.bottom <= rows - 2 && inspect.detail.bottom <= rows - 2, "status lines stay free")
        #expect(inspect.face.rows >= 6)
    }

    @Test func aRealFaceFillsTheBandAndTheKeysWork() throws {
        let fixture = try EngineFixture("inspect")
        _ = try fixture.computeEvidence()
        let controller = ReviewController(backend: fixture.backend, rows: 60, columns: 200, colorModeName: "truecolor")
        controller.reloadQueue()
        _ = controller.runCommand("filter train")
        _ = controller.runCommand("goto 14")
        #expect(controller.handle(.character("i")) == .all)
        #expect(controller.state.inspecting)
        let inspect = InspectLayout(rows: 60, columns: 200)
        let grid = ReviewScreen.render(controller)
        // The band's box is drawn edge to edge (picture cells carry a background colour).
        let bandRow = inspect.band.row + inspect.band.rows / 2
        let coloured = (0..<200).filter { grid.cells[bandRow * 200 + $0].style.background != .terminalDefault }
        #expect(coloured.count >= 190, "\(coloured.count) columns of the band are picture")
        #expect(grid.text.split(separator: "\n")[0].hasPrefix(" inspect  id 14  label "))
        // Same keys: move, record, flag; Esc (or i) goes back to the queue on the same face.
        let next = controller.state.rows[controller.state.cursor + 1].id
        _ = controller.handle(.character("j"))
        #expect(controller.state.focusID == next && controller.state.inspecting)
        _ = controller.handle(.character("f"))
        #expect(try fixture.store.flaggedItems() == [next])
        // A verdict moves on to the next face, still in the inspect view.
        let after = controller.state.rows[controller.state.cursor + 1].id
        _ = controller.handle(.character("2"))
        #expect(try fixture.store.state(item: next, reviewer: "ana")?.verdict == .labelWrong)
        #expect(controller.state.focusID == after && controller.state.inspecting)
        _ = controller.handle(.escape)
        #expect(!controller.state.inspecting && controller.state.focusID == after)
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func snapshots(columns: Int, rows: Int) throws {
        let controller = makeController(rows: rows, columns: columns)
        _ = controller.handle(.character("i"))
        try SnapshotTests().assertSnapshot(ReviewScreen.render(controller), named: "inspect-\(columns)x\(rows)")
    }
}

/// The bookkeeping of pixel pictures: what to erase, delete and draw after each frame.
@Suite struct PixelPlanTests {
    static func slot(_ kind: PixelSlot.Slot, _ id: String, row: Int = 2) -> PixelSlot {
        PixelSlot(
            slot: kind, request: PictureRequest(id: id, shape: PictureShape(columns: 40, rows: 20, zoomed: kind == .band)),
            box: CellRect(row: row, column: 4, rows: 10, columns: 40))
    }

    @Test func sixelRedrawsWhatChangedOrWasOverwrittenAndErasesWhatWent() {
        let face1 = Self.slot(.face, "1")
        let face2 = Self.slot(.face, "2")
        let band = Self.slot(.band, "1", row: 14)
        // First frame: draw everything, nothing to erase.
        var plan = PixelPlan.actions(previous: [], current: [face1, band], protocol: .sixel) { _ in true }
        #expect(plan.draw == [face1, band] && plan.invalidate == [face1.box, band.box] && plan.delete.isEmpty)
        // Same pictures, cells untouched: nothing to do.
        plan = PixelPlan.actions(previous: [face1, band], current: [face1, band], protocol: .sixel) { _ in false }
        #expect(plan == PixelPlan.Actions())
        // A panel closed over the band (its cells were re-sent): draw the band again only.
        plan = PixelPlan.actions(previous: [face1, band], current: [face1, band], protocol: .sixel) { $0 == band.box }
        #expect(plan.draw == [band] && plan.invalidate.isEmpty)
        // The next face: erase the old box, draw the new; the band went away: erased.
        plan = PixelPlan.actions(previous: [face1, band], current: [face2], protocol: .sixel) { _ in false }
        #expect(plan.draw == [face2])
        #expect(Set(plan.invalidate) == [face1.box, band.box, face2.box])
    }

    @Test func kittyDeletesChangedAndVanishedSlotsAndIgnoresCells() {
        let face1 = Self.slot(.face, "1")
        let face2 = Self.slot(.face, "2")
        let band = Self.slot(.band, "1", row: 14)
        var plan = PixelPlan.actions(previous: [face1, band], current: [face1, band], protocol: .kitty) { _ in true }
        #expect(plan == PixelPlan.Actions(), "kitty pictures live on their own layer")
        plan = PixelPlan.actions(previous: [face1, band], current: [face2], protocol: .kitty) { _ in true }
        #expect(Set(plan.delete) == [PixelSlot.Slot.face.rawValue, PixelSlot.Slot.band.rawValue])
        #expect(plan.draw == [face2] && plan.invalidate.isEmpty)
    }

    @Test func theScreenLeavesPixelBoxesBlankAndNamesThem() throws {
        let fixture = try EngineFixture("pixel-slots")
        _ = try fixture.computeEvidence()
        let controller = ReviewController(backend: fixture.backend, rows: 40, columns: 120, colorModeName: "truecolor")
        controller.reloadQueue()
        controller.apply(graphics: .sixel)
        _ = controller.handle(.character("i"))
        let grid = ReviewScreen.render(controller)
        #expect(grid.pixelSlots.map(\.slot) == [.band, .face])
        let band = try #require(grid.pixelSlots.first)
        #expect(band.box.columns >= 110, "the band spans the terminal")
        #expect(grid[band.box.row + 1, band.box.column + 5] == .blank, "the cells under the pixels are blank")
        let bytes = try #require(controller.pixelBytes(for: band))
        #expect(bytes.starts(with: Array("\u{1B}P".utf8)), "sixel starts with DCS")
        // A panel over the screen: glyphs, no pixels (kitty would cover the panel).
        _ = controller.handle(.character("?"))
        #expect(ReviewScreen.render(controller).pixelSlots.isEmpty)
    }
}
