import Foundation
import LabelAuditCore
import TestSupport
import Testing

@testable import LabelAuditTUI

/// Text snapshots of the pure screen model, compared exactly with the files committed under
/// Tests/TUITests/Snapshots. To record a new or changed layout on purpose, run the tests with
/// LABELAUDIT_RECORD_SNAPSHOTS=1 and review the diff before committing.
@Suite struct SnapshotTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    func assertSnapshot(_ grid: ScreenGrid, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = Self.folder.appendingPathComponent(name + ".txt")
        let actual = grid.text + "\n"
        if ProcessInfo.processInfo.environment["LABELAUDIT_RECORD_SNAPSHOTS"] == "1" {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record(
                "missing snapshot \(file.path): run with LABELAUDIT_RECORD_SNAPSHOTS=1 to record it",
                sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDifference =
                zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(expectedLines.count, actualLines.count)
            Issue.record(
                """
                snapshot \(name) differs at line \(firstDifference + 1):
                expected: \(firstDifference < expectedLines.count ? String(expectedLines[firstDifference]) : "<end>")
                actual:   \(firstDifference < actualLines.count ? String(actualLines[firstDifference]) : "<end>")
                """, sourceLocation: sourceLocation)
        }
    }

    /// A reviewer mid-session: a verdict, a flag, a note with wide characters and with
    /// escape sequences from the data, a colleague's verdict, the neighbours pane selected.
    func reviewedController(rows: Int, columns: Int) -> ReviewController {
        let controller = makeController(rows: rows, columns: columns)
        _ = controller.handle(.character("2"))
        _ = controller.handle(.character("f"))
        _ = controller.handle(.character("e"))
        controller.type("no glasses visible; 眼鏡なし \u{1B}[2J")
        _ = controller.handle(.character("j"))
        _ = controller.handle(.character("1"))
        _ = controller.handle(.character("k"))
        _ = controller.handle(.tab)
        _ = controller.handle(.character("j"))
        return controller
    }

    @Test(arguments: [(24, 80), (40, 120), (60, 200)])
    func mainLayout(rows: Int, columns: Int) throws {
        let controller = reviewedController(rows: rows, columns: columns)
        let grid = ReviewScreen.render(controller)
        #expect(grid.rows == rows && grid.columns == columns)
        #expect(!grid.text.contains("\u{1B}"))
        try assertSnapshot(grid, named: "main-\(columns)x\(rows)")
    }

    @Test func neighbourOpenedAndZoomed() throws {
        let controller = reviewedController(rows: 40, columns: 120)
        _ = controller.handle(.enter)
        _ = controller.handle(.character("z"))
        try assertSnapshot(ReviewScreen.render(controller), named: "neighbour-zoomed-120x40")
    }

    @Test func editingANoteShowsTheLineEditorAndItsCursor() throws {
        let controller = makeController(rows: 24, columns: 80)
        _ = controller.handle(.character("e"))
        _ = controller.handle(.paste("faint frames 眼鏡"))
        _ = controller.handle(.left)
        let grid = ReviewScreen.render(controller)
        #expect(grid.cursor == CellPoint(row: 23, column: 6 + 15))
        try assertSnapshot(grid, named: "editing-80x24")
    }

    @Test func emptyQueueAndTooSmall() throws {
        let controller = makeController(rows: 24, columns: 80)
        _ = controller.runCommand("filter flagged")
        try assertSnapshot(ReviewScreen.render(controller), named: "empty-80x24")
        _ = controller.resize(rows: 15, columns: 50)
        try assertSnapshot(ReviewScreen.render(controller), named: "too-small-50x15")
    }

    @Test func asciiGlyphsWithoutUTF8() throws {
        let controller = ReviewController(
            backend: try DemoSession().backend, rows: 24, columns: 80, colorModeName: "none",
            glyphs: .ascii)
        controller.reloadQueue()
        _ = controller.handle(.character("2"))
        _ = controller.handle(.character("f"))
        let grid = ReviewScreen.render(controller)
        try assertSnapshot(grid, named: "ascii-80x24")
    }

    /// The team view: a conflict (≠), the team's label_wrong and label_ok from others, a flag.
    @Test(arguments: [(24, 80), (40, 120), (60, 200)])
    func queueWithTheTeamsVerdicts(rows: Int, columns: Int) throws {
        let session = try DemoSession("team-\(columns)")
        let ids = DemoFixture.shared.queue
        let teammates = try session.elsewhere()
        try teammates.record(verdict: .labelWrong, item: ids[1], reviewer: "ana")
        try teammates.record(verdict: .labelOK, item: ids[1], reviewer: "bo")
        try teammates.record(verdict: .labelWrong, item: ids[2], reviewer: "bo")
        try teammates.record(verdict: .labelOK, item: ids[3], reviewer: "cy")
        try teammates.setFlag(true, item: ids[3], reviewer: "cy")
        let controller = session.controller(rows: rows, columns: columns)
        #expect(controller.refreshFromElsewhere() == .all)
        #expect(controller.state.rows[1].team == .conflict && controller.state.rows[2].team == .labelWrong)
        #expect(controller.state.rows[3].team == .labelOK && controller.state.rows[3].flagged)
        try assertSnapshot(ReviewScreen.render(controller), named: "team-\(columns)x\(rows)")
    }

    @Test(arguments: [(24, 80), (40, 120), (60, 200)])
    func contactSheet(rows: Int, columns: Int) throws {
        let session = try DemoSession("sheet-\(columns)")
        try session.elsewhere().record(verdict: .labelWrong, item: DemoFixture.shared.queue[2], reviewer: "bo")
        let controller = session.controller(rows: rows, columns: columns)
        _ = controller.refreshFromElsewhere()
        _ = controller.handle(.character("c"))
        _ = controller.handle(.right)
        let grid = ReviewScreen.render(controller)
        #expect(controller.state.contactSheet && controller.state.cursor == 1)
        try assertSnapshot(grid, named: "sheet-\(columns)x\(rows)")
        _ = controller.handle(.enter)
        #expect(!controller.state.contactSheet && controller.state.focusID == DemoFixture.shared.queue[1])
    }

    @Test(arguments: [(24, 80), (40, 120), (60, 200)])
    func help(rows: Int, columns: Int) throws {
        let controller = makeController(rows: rows, columns: columns)
        _ = controller.handle(.character("?"))
        try assertSnapshot(ReviewScreen.render(controller), named: "help-\(columns)x\(rows)")
    }

    @Test func partialRedrawMatchesAFullRender() {
        let controller = reviewedController(rows: 40, columns: 120)
        var grid = ReviewScreen.render(controller)
        for key: Key in [
            .tab, .right, .right, .tab, .character("j"), .character("3"), .character("z"),
            .character("e"), .character("x"), .escape, .character("f"), .character("n"), .left,
        ] {
            let redraw = controller.handle(key)
            ReviewScreen.render(controller, into: &grid, redraw: redraw)
            let full = ReviewScreen.render(controller)
            if let index = full.cells.indices.first(where: { full.cells[$0] != grid.cells[$0] }) {
                let place = "cell \(index / full.columns),\(index % full.columns)"
                let cells = "'\(String(grid.cells[index].glyph))' but a full render has '\(String(full.cells[index].glyph))'"
                Issue.record("after \(key) (redraw \(redraw.rawValue)): \(place) is \(cells)")
            }
            #expect(grid.cursor == full.cursor, "after \(key)")
        }
    }
}
