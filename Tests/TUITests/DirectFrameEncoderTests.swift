import LabelAuditImaging
import Testing

@testable import LabelAuditTUI

/// What a truecolor terminal shows after reading the encoder's bytes: a tiny interpreter of
/// the sequences it emits (cursor position, SGR reset / attributes / 38;2 / 48;2 / 39 / 49).
private struct ScreenReplay {
    struct Shown: Equatable {
        var glyph: Character
        var foreground: TerminalColor
        var background: TerminalColor
    }

    var cells: [[Shown?]]
    var sgrCount = 0
    var cursorMoves = 0

    init(rows: Int, columns: Int) {
        cells = Array(repeating: Array(repeating: nil, count: columns), count: rows)
    }

    mutating func read(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var foreground = TerminalColor.terminalDefault
        var background = TerminalColor.terminalDefault
        var row = 0
        var column = 0
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "\u{1B}" {
                var end = text.index(index, offsetBy: 2)
                while !text[end].isLetter { end = text.index(after: end) }
                let parameters = text[text.index(index, offsetBy: 2)..<end]
                switch text[end] {
                case "H":
                    let parts = parameters.split(separator: ";").map { Int($0)! }
                    row = parts[0] - 1
                    column = parts[1] - 1
                    cursorMoves += 1
                case "m":
                    sgrCount += 1
                    var values = parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
                    while !values.isEmpty {
                        let code = values.removeFirst()
                        switch code {
                        case 0:
                            foreground = .terminalDefault
                            background = .terminalDefault
                        case 38, 48:
                            #expect(values.removeFirst() == 2)
                            let color = TerminalColor.rgb(UInt8(values[0]), UInt8(values[1]), UInt8(values[2]))
                            values.removeFirst(3)
                            if code == 38 { foreground = color } else { background = color }
                        case 39: foreground = .terminalDefault
                        case 49: background = .terminalDefault
                        default: break
                        }
                    }
                default: break
                }
                index = text.index(after: end)
                continue
            }
            cells[row][column] = Shown(glyph: text[index], foreground: foreground, background: background)
            column += 1
            index = text.index(after: index)
        }
    }
}

private func channelError(_ a: TerminalColor, _ b: TerminalColor) -> Int {
    guard case .rgb(let r1, let g1, let b1) = a, case .rgb(let r2, let g2, let b2) = b else { return a == b ? 0 : .max }
    return max(abs(Int(r1) - Int(r2)), abs(Int(g1) - Int(g2)), abs(Int(b1) - Int(b2)))
}

@Suite struct DirectFrameEncoderTests {
    private func encoder() -> DirectFrameEncoder {
        DirectFrameEncoder(colorMode: .truecolor, terminalColors: 256, isUTF8: true)
    }

    /// A smooth picture row (both halves of every cell one step apart): each shown colour is
    /// within the tolerance of the wanted one, and one SGR covers a run of 7 steps, where
    /// anchoring at the run's first colour would cover 4.
    @Test func smoothPictureRowsTakeFewEscapesAndStayWithinTheTolerance() {
        var grid = ScreenGrid(rows: 1, columns: 70)
        for column in 0..<70 {
            let value = UInt8(40 + column)
            grid[0, column] = ScreenCell(
                glyph: "\u{2580}",
                style: CellStyle(
                    foreground: .rgb(value, 20, 200),
                    background: .rgb(20, value, 100)))
        }
        var encoder = encoder()
        encoder.encode(grid, over: nil)
        var replay = ScreenReplay(rows: 1, columns: 70)
        replay.read(encoder.output)
        for column in 0..<70 {
            let shown = replay.cells[0][column]!
            #expect(shown.glyph == "\u{2580}")
            #expect(channelError(shown.foreground, grid[0, column].style.foreground) <= DirectFrameEncoder.colorTolerance)
            #expect(channelError(shown.background, grid[0, column].style.background) <= DirectFrameEncoder.colorTolerance)
        }
        // 70 steps / 7 per run = 10 runs (both colours change together), plus the opening and closing resets.
        #expect(replay.sgrCount == 12)
    }

    @Test func anUnchangedFrameWritesNoCellsAndOneChangeMovesTheCursorOnce() {
        var grid = ScreenGrid(rows: 3, columns: 10)
        grid.put("labelaudit", row: 1, column: 0)
        var encoder = encoder()
        encoder.encode(grid, over: nil)
        var unchanged = ScreenReplay(rows: 3, columns: 10)
        encoder.encode(grid, over: grid)
        unchanged.read(encoder.output)
        #expect(unchanged.cells.allSatisfy { $0.allSatisfy { $0 == nil } })
        #expect(unchanged.cursorMoves == 0)

        var changed = grid
        changed[2, 7] = ScreenCell(glyph: "x")
        encoder.encode(changed, over: grid)
        var replay = ScreenReplay(rows: 3, columns: 10)
        replay.read(encoder.output)
        // The cell before a change is sent again (a wide glyph there would have covered it).
        #expect(replay.cursorMoves == 1)
        #expect(replay.cells[2][7]?.glyph == "x")
        #expect(replay.cells[2][6]?.glyph == " ")
        #expect(replay.cells.joined().compactMap { $0 }.count == 2)
    }

    /// A space shows no foreground, so it keeps the active one: the spaces between two
    /// same-coloured blocks cost no SGR; and a block whose halves match is sent as a space.
    @Test func spacesKeepTheActiveForeground() {
        var grid = ScreenGrid(rows: 1, columns: 4)
        let block = CellStyle(foreground: .rgb(200, 10, 10), background: .rgb(10, 10, 10))
        grid[0, 0] = ScreenCell(glyph: "\u{2580}", style: block)
        grid[0, 1] = ScreenCell(glyph: " ", style: CellStyle(foreground: .rgb(1, 2, 3), background: .rgb(10, 10, 10)))
        grid[0, 2] = ScreenCell(glyph: "\u{2580}", style: CellStyle(foreground: .rgb(11, 11, 11), background: .rgb(10, 10, 10)))
        grid[0, 3] = ScreenCell(glyph: "\u{2580}", style: block)
        var encoder = encoder()
        encoder.encode(grid, over: nil)
        var replay = ScreenReplay(rows: 1, columns: 4)
        replay.read(encoder.output)
        #expect(replay.cells[0].map { $0!.glyph } == ["\u{2580}", " ", " ", "\u{2580}"])
        #expect(replay.sgrCount == 3)  // the opening reset, the block's colours, the closing reset
    }
}
