import LabelAuditImaging
import Testing

@testable import LabelAuditTUI

@Suite struct ColorModeTests {
    @Test func environmentDetection() {
        #expect(TerminalColorMode.requested(environment: ["NO_COLOR": "1", "COLORTERM": "truecolor"]) == TerminalColorMode.none)
        #expect(TerminalColorMode.requested(environment: ["NO_COLOR": "", "COLORTERM": "truecolor"]) == .truecolor)
        #expect(TerminalColorMode.requested(environment: ["COLORTERM": "24bit"]) == .truecolor)
        #expect(TerminalColorMode.requested(environment: ["TERM": "xterm-direct"]) == .truecolor)
        #expect(TerminalColorMode.requested(environment: ["TERM": "xterm-256color"]) == nil)
        #expect(TerminalColorMode.fromTerminal(colors: 256, hasColors: true) == .palette256)
        #expect(TerminalColorMode.fromTerminal(colors: 8, hasColors: true) == .palette16)
        #expect(TerminalColorMode.fromTerminal(colors: 0x1000000, hasColors: true) == .truecolor)
        #expect(TerminalColorMode.fromTerminal(colors: 256, hasColors: false) == TerminalColorMode.none)
    }

    @Test func colorsArgument() {
        #expect(TerminalColorMode(argument: "truecolor") == .truecolor)
        #expect(TerminalColorMode(argument: "256") == .palette256)
        #expect(TerminalColorMode(argument: "none") == TerminalColorMode.none)
        #expect(TerminalColorMode(argument: "rainbow") == nil)
    }

    @Test func directTerminfoCandidates() {
        #expect(TerminalColorMode.directTerminalCandidates(for: "tmux-256color") == ["tmux-direct", "xterm-direct"])
        #expect(TerminalColorMode.directTerminalCandidates(for: "xterm-256color") == ["xterm-direct"])
        #expect(TerminalColorMode.directTerminalCandidates(for: "kitty-direct") == ["kitty-direct"])
    }

    @Test func directModeClampsDarkColoursAwayFromPaletteIndices() {
        #expect(CursesColorNumber.number(for: .rgb(0, 0, 0), mode: .truecolor, terminalColors: 0x1000000) == 8)
        #expect(CursesColorNumber.number(for: .rgb(0, 0, 7), mode: .truecolor, terminalColors: 0x1000000) == 8)
        #expect(CursesColorNumber.number(for: .rgb(0, 0, 9), mode: .truecolor, terminalColors: 0x1000000) == 9)
        #expect(CursesColorNumber.number(for: .rgb(1, 2, 3), mode: .truecolor, terminalColors: 0x1000000) == 0x010203)
        #expect(CursesColorNumber.number(for: .terminalDefault, mode: .truecolor, terminalColors: 0x1000000) == -1)
    }

    @Test func palette256UsesOnlyIndices16To255() {
        for value in stride(from: 0, through: 255, by: 15) {
            let number = CursesColorNumber.number(
                for: .rgb(UInt8(value), UInt8(255 - value), UInt8(value / 2)),
                mode: .palette256, terminalColors: 256)
            #expect((16...255).contains(number))
        }
        #expect(CursesColorNumber.number(for: .rgb(255, 0, 0), mode: .palette256, terminalColors: 256) == 196)
        #expect(CursesColorNumber.number(for: .rgb(128, 128, 128), mode: .palette256, terminalColors: 256) == 244)
        #expect(CursesColorNumber.number(for: .rgb(250, 10, 10), mode: .palette16, terminalColors: 16) == 9)
        #expect(CursesColorNumber.number(for: .indexed(196), mode: .palette16, terminalColors: 8) == 1)
    }

}
