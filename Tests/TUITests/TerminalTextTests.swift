import Foundation
import LabelAuditImaging
import Testing

@testable import LabelAuditTUI

@Suite struct TerminalTextTests {
    @Test func widthsFollowWcwidth() {
        #expect(TerminalText.width(of: "a") == 1)
        #expect(TerminalText.width(of: "眼") == 2)
        #expect(TerminalText.width(of: "e\u{301}" as Character) == 1)
        #expect(TerminalText.width(of: "\u{1F600}" as Character) == 2)
        #expect(TerminalText.width(of: "café 眼鏡") == 9)
        #expect(TerminalText.width(of: Unicode.Scalar(0x200B)!) == 0)
        // The picture glyphs (a fast path): box drawing, block elements, sextants are narrow.
        #expect(TerminalText.width(of: "\u{2502}\u{2580}\u{259F}\u{1FB00}\u{1FB3B}") == 5)
        #expect(TerminalText.width(of: "\u{1FB3C}" as Character) == 1)
    }

    @Test func controlCharactersNeverReachTheScreen() {
        #expect(TerminalText.sanitized("id\u{1B}]0;pwned\u{7}") == "id?]0;pwned?")
        #expect(TerminalText.sanitized("a\tb\nc\rd") == "a b c d")
        #expect(TerminalText.sanitized("\u{9B}31m\u{7F}") == "?31m?")
        #expect(TerminalText.sanitized("abc\u{202E}fed") == "abc?fed")
        #expect(TerminalText.sanitized("plain 眼鏡") == "plain 眼鏡")
    }

    @Test func truncationRespectsWideCharacters() {
        #expect(TerminalText.truncated("眼鏡眼鏡", toWidth: 5) == "眼鏡…")
        #expect(TerminalText.truncated("abcdef", toWidth: 4, ellipsis: "~") == "abc~")
        #expect(TerminalText.padded("眼", toWidth: 4) == "眼  ")
        #expect(TerminalText.padded("7", toWidth: 3, alignRight: true) == "  7")
    }

    @Test func gridKeepsWideCharactersWholeAndClips() {
        var grid = ScreenGrid(rows: 1, columns: 5)
        let written = grid.put("a眼鏡", row: 0, column: 0)
        #expect(written == 5)
        #expect(grid.text == "a眼鏡")
        #expect(grid[0, 2].isContinuation)
        grid.put("x", row: 0, column: 2)  // overwrites the second half of 眼
        #expect(grid.text == "a x鏡")
        var narrow = ScreenGrid(rows: 1, columns: 4)
        narrow.put("ab眼鏡", row: 0, column: 1)
        #expect(narrow.text == " ab ")
        var escape = ScreenGrid(rows: 1, columns: 8)
        escape.put("\u{1B}[2J!", row: 0, column: 0)
        #expect(escape.text == "?[2J!   ")
    }

    @Test func blitClipsPicturesToTheGrid() {
        let cell = GlyphCell(glyph: "\u{2580}", foreground: .rgb(255, 0, 0), background: .rgb(0, 0, 255))
        let picture = CellPicture(columns: 3, rows: 2, cells: Array(repeating: cell, count: 6))
        var grid = ScreenGrid(rows: 2, columns: 4)
        grid.blit(picture, row: 1, column: 2)
        #expect(grid.text == "    \n  ▀▀")
        #expect(grid[1, 2].style.foreground == .rgb(255, 0, 0))
        #expect(grid[1, 3].style.background == .rgb(0, 0, 255))
    }
}

@Suite struct NumberFormattingTests {
    /// The queue's hand-rolled fixed-point formatting must print what printf prints, ties,
    /// signs, zero padding and widths included.
    @Test func fixedMatchesPrintf() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [
            0, -0.0, 0.005, 0.015, 0.125, 0.995, 0.999, 1, 1.005, 2.675, -0.001, -0.5, -1.005,
            9.995, 99.995, 99_999.5, 12_345.5, 0.0000001, 123_456_789, -42.42,
        ]
        for _ in 0..<5_000 { values.append(Double.random(in: -200...200, using: &generator)) }
        for _ in 0..<2_000 { values.append(Double(Int.random(in: -20_000...20_000, using: &generator)) / 1_000) }
        for value in values {
            for (decimals, width) in [(2, 4), (2, 5), (0, 5), (2, 0), (1, 0), (0, 0)] {
                #expect(
                    ReviewScreen.fixed(value, decimals: decimals, width: width)
                        == String(format: "%\(width).\(decimals)f", value), "\(value) %\(width).\(decimals)f")
            }
        }
    }
}

@Suite struct GlyphTests {
    /// Every kind of grapheme a note or a picture can put in a cell comes back unchanged, as
    /// a Character and as bytes, whether kept inline or in the table.
    @Test(
        arguments: [
            "a", " ", "\u{2580}", "\u{1FB00}", "e\u{301}", "眼", "\u{1F600}", "🇩🇪",
            "👩‍👩‍👧‍👦", "a\u{301}\u{302}\u{303}", "\u{1F44D}\u{1F3FD}",
        ] as [Character])
    func roundTrips(_ character: Character) {
        let glyph = Glyph(character)
        #expect(glyph.character == character)
        var bytes: [UInt8] = []
        glyph.appendUTF8(to: &bytes)
        #expect(bytes == Array(character.utf8))
        #expect(glyph == Glyph(character))
        #expect(glyph.isASCII == (character.utf8.count == 1))
        var cell = ScreenCell(glyph: character)
        #expect(cell.glyph == character)
        cell.glyph = "x"
        #expect(cell == ScreenCell(glyph: "x"))
    }

    @Test func scalarsAndCharactersMakeTheSameGlyph() {
        #expect(Glyph("\u{2580}" as Unicode.Scalar) == Glyph("\u{2580}" as Character))
        #expect(Glyph("\u{1F600}" as Unicode.Scalar) == Glyph("\u{1F600}" as Character))
        #expect(Glyph("a" as Character) != Glyph("b" as Character))
        #expect(Glyph("👩‍👩‍👧‍👦" as Character) != Glyph("👩‍👩‍👧" as Character))
    }
}
