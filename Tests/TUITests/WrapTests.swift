import Foundation
import Testing

@testable import LabelAuditTUI

@Suite struct WrapTests {
    @Test func wordsWrapAtSpacesAndLongWordsAreCut() {
        #expect(ReviewScreen.wrap("faint frames on a dark face", width: 12) == ["faint frames", "on a dark", "face"])
        #expect(ReviewScreen.wrap("abcdefghij klm", width: 4) == ["abcd", "efgh", "ij", "klm"])
        #expect(ReviewScreen.wrap("ab 眼鏡眼鏡 c", width: 4) == ["ab", "眼鏡", "眼鏡", "c"])
        #expect(ReviewScreen.wrap("line\nbreak\tand\u{1B}esc", width: 20) == ["line break and?esc"])
        #expect(ReviewScreen.wrap("a b c d e f", width: 3, maxLines: 2) == ["a b", "c d"])
        #expect(ReviewScreen.wrap("", width: 5).isEmpty)
    }

    /// Issue 15 item 6: a note of one unbroken megabyte (from a merge) once took 617 s to draw.
    /// Wrapping only what the pane shows makes it a few lines' work; the bound here is a hang
    /// check (a debug build on a loaded machine), not a speed bar.
    @Test func aMegabyteNoteOfOneWordDrawsAtOnce() throws {
        let fixture = try EngineFixture("huge-note")
        let note = String(repeating: "x", count: 1 << 20)
        _ = try fixture.backend.record(.note(note), for: "4")
        let controller = ReviewController(backend: fixture.backend, rows: 60, columns: 200, colorModeName: "truecolor")
        controller.reloadQueue()
        _ = controller.runCommand("filter train")
        _ = controller.runCommand("goto 4")
        let start = ContinuousClock.now
        let grid = ReviewScreen.render(controller)
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(grid.text.contains(" note    xxxxxxxx"))
        let lines = ReviewScreen.wrap(note, width: 50, maxLines: 30)
        #expect(lines.count == 30 && lines.allSatisfy { $0.count == 50 })
    }
}
