import LabelAuditCore
import Foundation
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
        let coloured = (0 ..< 200).filter { grid.cells[bandRow * 200 + $0].style.background != .terminalDefault }
        #expect(coloured.count >= 190, "\(coloured.count) columns of the band are picture")
        #expect(grid.text.split(separator: "\n")[0].hasPrefix(" inspect  id 14  label "))
        // Same keys: move, record, flag; Esc (or i) goes back to the queue on the same face.
        let next = controller.state.rows[controller.state.cursor + 1].id
        _ = controller.handle(.character("j"))
        #expect(controller.state.focusID == next && controller.state.inspecting)
        _ = controller.handle(.character("2"))
        #expect(try fixture.store.state(item: next, reviewer: "ana")?.verdict == .labelWrong)
        _ = controller.handle(.character("f"))
        #expect(try fixture.store.flaggedItems() == [next])
        _ = controller.handle(.escape)
        #expect(!controller.state.inspecting && controller.state.focusID == next)
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func snapshots(columns: Int, rows: Int) throws {
        let controller = makeController(rows: rows, columns: columns)
        _ = controller.handle(.character("i"))
        try SnapshotTests().assertSnapshot(ReviewScreen.render(controller), named: "inspect-\(columns)x\(rows)")
    }
}
