import Foundation
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
            Issue.record("missing snapshot \(file.path): run with LABELAUDIT_RECORD_SNAPSHOTS=1 to record it",
                         sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDifference = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(expectedLines.count, actualLines.count)
            Issue.record("""
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

    @Test func helpAt80x24() throws {
        let controller = makeController(rows: 24, columns: 80)
        _ = controller.handle(.character("?"))
        try assertSnapshot(ReviewScreen.render(controller), named: "help-80x24")
    }

    @Test func emptyQueueAndTooSmall() throws {
        let controller = makeController(rows: 24, columns: 80)
        _ = controller.runCommand("filter flagged")
        try assertSnapshot(ReviewScreen.render(controller), named: "empty-80x24")
        _ = controller.resize(rows: 15, columns: 50)
        try assertSnapshot(ReviewScreen.render(controller), named: "too-small-50x15")
    }

    @Test func asciiGlyphsWithoutUTF8() throws {
        let controller = ReviewController(backend: makeBackend(), rows: 24, columns: 80, colorModeName: "none", glyphs: .ascii)
        controller.reloadQueue()
        _ = controller.handle(.character("2"))
        _ = controller.handle(.character("f"))
        let grid = ReviewScreen.render(controller)
        try assertSnapshot(grid, named: "ascii-80x24")
    }

    @Test func partialRedrawMatchesAFullRender() {
        let controller = reviewedController(rows: 40, columns: 120)
        var grid = ReviewScreen.render(controller)
        for key: Key in [.tab, .character("j"), .character("j"), .tab, .character("j"), .character("3"), .character("z"),
                         .character("e"), .character("x"), .escape, .character("f")] {
            let redraw = controller.handle(key)
            ReviewScreen.render(controller, into: &grid, redraw: redraw)
            let full = ReviewScreen.render(controller)
            if let index = full.cells.indices.first(where: { full.cells[$0] != grid.cells[$0] }) {
                let where_ = "cell \(index / full.columns),\(index % full.columns)"
                let cells = "'\(String(grid.cells[index].glyph))' but a full render has '\(String(full.cells[index].glyph))'"
                Issue.record("after \(key) (redraw \(redraw.rawValue)): \(where_) is \(cells)")
            }
            #expect(grid.cursor == full.cursor, "after \(key)")
        }
    }
}
