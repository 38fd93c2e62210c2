import Foundation
import TestSupport
import Testing

@testable import LabelAuditImaging

@Suite("labelaudit render: glyph sets, zoom and real pixels")
struct RenderCommandTests {
    let face = Fixtures.repositoryRoot + "/Assets/demo/images/face-2.jpg"

    @Test("stdout not a terminal: auto asks nothing and prints glyphs; forced protocols print their bytes")
    func graphicsModes() throws {
        let glyphs = try Command.labelaudit(["render", face, "--cols", "20", "--rows", "10", "--colors", "truecolor"])
        #expect(glyphs.status == 0 && glyphs.stderr.isEmpty)
        #expect(glyphs.stdout.hasPrefix("\u{1B}[") && glyphs.stdout.split(separator: "\n").count == 10)
        // Quadrant glyphs by default (the half set alone has no quadrant).
        let quadrants = glyphs.stdout.unicodeScalars.filter { (0x2596...0x259F).contains($0.value) }.count
        #expect(quadrants > 0)
        let sixel = try Command.labelaudit([
            "render", face, "--cols", "20", "--rows", "10", "--graphics", "sixel", "--cell-pixels", "8x16",
        ])
        #expect(sixel.status == 0 && sixel.stdout.hasPrefix("\u{1B}P9;1;0q\"1;1;160;156"))
        let kitty = try Command.labelaudit(["render", face, "--cols", "20", "--rows", "10", "--graphics", "kitty"])
        #expect(kitty.status == 0 && kitty.stdout.hasPrefix("\u{1B}_Ga=T,f=24,s=200,v=200,i=1,c=20,r=10,"))
        // The cursor is moved below the kitty picture (it does not move the cursor itself).
        #expect(kitty.stdout.hasSuffix("\u{1B}\\" + String(repeating: "\n", count: 10)))
    }

    @Test("--symbols half and sextant, --zoom eyes-fill fills the box's width")
    func symbolsAndZoom() throws {
        let half = try Command.labelaudit([
            "render", face, "--cols", "20", "--rows", "10", "--symbols", "half", "--colors", "truecolor",
        ])
        let used = Set(half.stdout.unicodeScalars.filter { $0.value >= 0x2580 })
        #expect(used.isSubset(of: ["\u{2580}", "\u{258C}"]) && !used.isEmpty)
        let sextant = try Command.labelaudit([
            "render", face, "--cols", "20", "--rows", "10", "--symbols", "sextant", "--colors", "truecolor",
        ])
        #expect(sextant.stdout.unicodeScalars.contains { (0x1FB00...0x1FB3B).contains($0.value) })
        let band = try Command.labelaudit([
            "render", face, "--cols", "100", "--rows", "16", "--zoom", "eyes-fill", "--colors", "256",
        ])
        let lines = band.stdout.split(separator: "\n")
        #expect(lines.count >= 15)
        let visible = lines[0].replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(visible.unicodeScalars.count == 100)
    }

    @Test("a bad --cell-pixels is a usage error naming the value")
    func badCellPixels() throws {
        let result = try Command.labelaudit(["render", face, "--graphics", "sixel", "--cell-pixels", "0x20"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--cell-pixels must be WxH with each between 1 and 200 (got '0x20')"))
    }

    @Test(
        "inside tmux without passthrough, auto falls back to glyphs after asking (and leaves no reply on screen)",
        .enabled(if: TUITmux.tmuxPath != nil, "needs tmux"))
    func tmuxFallsBackToGlyphs() throws {
        let session = try TUISession(
            name: "render-graphics", columns: 80, rows: 24, environment: [:], subcommand: ["render"],
            arguments: [face, "--cols", "30", "--rows", "12", "--colors", "256"])
        let status = try session.waitForExit(timeout: 10)
        #expect(status == 0)
        let screen = try session.screen()
        let quadrants = screen.unicodeScalars.filter { (0x2580...0x259F).contains($0.value) }.count
        #expect(quadrants > 20)
        // tmux's own device-attributes answer was read, not echoed.
        #expect(!screen.contains("?1;2c") && !screen.contains("_G"))
    }
}
