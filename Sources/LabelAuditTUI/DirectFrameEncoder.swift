import LabelAuditImaging

/// Turns a screen grid into the bytes that change the last frame into it, for terminals that
/// take escape sequences directly (the review app's default output; curses' `doupdate` is the
/// other path). Pure: no terminal, so tests read its bytes.
///
/// A cursor move only where a run of changed cells starts, an SGR only where a colour leaves
/// the tolerance of the active one, and the emitted colour chosen to cover the longest run
/// (see `runCentre`). Compared with curses' `doupdate`, which re-sends both colours of every
/// picture cell through `tparm`, a frame that shows a new face takes less than half the bytes.
struct DirectFrameEncoder {
    let colorMode: TerminalColorMode
    /// The terminal's colour count (terminfo `colors`), for the palette modes.
    let terminalColors: Int
    let isUTF8: Bool
    /// The last frame's bytes.
    private(set) var output: [UInt8] = []
    /// The cells the frame being written draws, in order (kept to reuse its storage).
    private var drawn: [DrawnCell] = []

    init(colorMode: TerminalColorMode, terminalColors: Int, isUTF8: Bool) {
        self.colorMode = colorMode
        self.terminalColors = terminalColors
        self.isUTF8 = isUTF8
    }

    /// Encodes `grid` as the change from `old` (nil: draw every cell) into `output`. O(cells).
    mutating func encode(_ grid: ScreenGrid, over old: ScreenGrid?) {
        output.removeAll(keepingCapacity: true)
        append("\u{1B}[?25l\u{1B}[0m")
        // Pass 1: the cells that differ from the last frame, with the glyph each will show.
        drawn.removeAll(keepingCapacity: true)
        _ = grid.forEachCellToSend(over: old) { row, column, current in
            var glyph = Self.displayableGlyph(current, isUTF8: isUTF8)
            // An upper half block whose halves nearly match is a space; a space's
            // foreground is invisible, so it keeps whatever foreground is active.
            if glyph == Self.upperHalfBlock, Self.isClose(current.style.foreground, current.style.background) { glyph = .space }
            let wide = column + 1 < grid.columns && grid[row, column + 1].isContinuation
            drawn.append(
                DrawnCell(
                    row: row, column: column, width: wide ? 2 : 1, glyph: glyph, style: current.style,
                    foregroundShows: glyph != .space
                        || !current.style.attributes.isDisjoint(with: [.reverse, .underline])))
            return true
        }
        // Pass 2: the bytes.
        var style = CellStyle.plain
        var cursorRow = -1
        var cursorColumn = -1
        for k in drawn.indices {
            let cell = drawn[k]
            if cell.row != cursorRow || cell.column != cursorColumn { appendCursorMove(row: cell.row, column: cell.column) }
            var wanted = cell.style
            if !cell.foregroundShows { wanted.foreground = style.foreground }
            if wanted != style {
                let reset = wanted.attributes != style.attributes
                if cell.foregroundShows, reset || !Self.isClose(wanted.foreground, style.foreground) {
                    wanted.foreground = runCentre(from: k, foreground: true)
                }
                if reset || !Self.isClose(wanted.background, style.background) {
                    wanted.background = runCentre(from: k, foreground: false)
                }
                changeStyle(from: &style, to: wanted)
            }
            cell.glyph.appendUTF8(to: &output)
            cursorRow = cell.row
            cursorColumn = cell.column + cell.width
        }
        append("\u{1B}[0m")
        if let cursor = grid.cursor {
            appendCursorMove(row: cursor.row, column: cursor.column)
            append("\u{1B}[?25h")
        }
    }

    private static let upperHalfBlock = Glyph("\u{2580}" as Unicode.Scalar)

    /// `displayable` without building a `Character` for the usual case (a UTF-8 locale, or
    /// an ASCII glyph).
    static func displayableGlyph(_ cell: ScreenCell, isUTF8: Bool) -> Glyph {
        if isUTF8 || cell.code.firstByte < 0x80 { return cell.code }
        return Glyph(displayable(cell, isUTF8: isUTF8))
    }

    /// The glyph to send: in an ASCII locale, block glyphs become spaces painted in their
    /// dominant colour and anything else outside ASCII becomes `?`.
    static func displayable(_ cell: ScreenCell, isUTF8: Bool) -> Character {
        guard !isUTF8, let scalar = cell.glyph.unicodeScalars.first, scalar.value >= 0x80 else { return cell.glyph }
        if (0x2580...0x259F).contains(scalar.value) || (0x1FB00...0x1FB3B).contains(scalar.value) { return " " }
        return "?"
    }

    private mutating func appendCursorMove(row: Int, column: Int) {
        output.append(0x1B)
        output.append(UInt8(ascii: "["))
        appendNumber(row + 1)
        output.append(UInt8(ascii: ";"))
        appendNumber(column + 1)
        output.append(UInt8(ascii: "H"))
    }

    private mutating func append(_ text: String) {
        output.append(contentsOf: text.utf8)
    }

    /// Largest per-channel difference under which a picture colour reuses the colour already
    /// active: a step of 3/255 is not visible in a block-glyph picture, and smooth regions then
    /// need no escape sequence per cell (a third fewer bytes on a 1024 px face).
    static let colorTolerance = 3

    /// The colour to emit at `drawn[start]` for one side (foreground or background): the centre
    /// of the box that holds this colour and as many of the following cells' colours as fit in
    /// 2 x `colorTolerance` per channel. Every colour of that run is then within the tolerance
    /// of what is active and needs no SGR of its own, so a smooth region costs about half the
    /// escape sequences of anchoring at its first colour, for the same largest error.
    /// Cells whose foreground does not show are passed over; a cell with other attributes or a
    /// non-RGB colour ends the run. Amortised O(1) per drawn cell: a run ends where the next
    /// starts.
    private func runCentre(from start: Int, foreground: Bool) -> TerminalColor {
        let first = drawn[start]
        let color = foreground ? first.style.foreground : first.style.background
        guard case .rgb(let r, let g, let b) = color else { return color }
        var low = SIMD3<Int32>(Int32(r), Int32(g), Int32(b))
        var high = low
        let limit = SIMD3<Int32>(repeating: Int32(2 * Self.colorTolerance))
        var next = start + 1
        while next < drawn.count {
            let cell = drawn[next]
            next += 1
            if cell.style.attributes != first.style.attributes { break }
            if foreground && !cell.foregroundShows { continue }
            guard case .rgb(let r, let g, let b) = foreground ? cell.style.foreground : cell.style.background else { break }
            let value = SIMD3<Int32>(Int32(r), Int32(g), Int32(b))
            let newLow = pointwiseMin(low, value)
            let newHigh = pointwiseMax(high, value)
            if any(newHigh &- newLow .> limit) { break }
            low = newLow
            high = newHigh
        }
        let centre = (low &+ high) / 2
        return .rgb(UInt8(centre.x), UInt8(centre.y), UInt8(centre.z))
    }

    static func isClose(_ a: TerminalColor, _ b: TerminalColor) -> Bool {
        switch (a, b) {
        case (.rgb(let r1, let g1, let b1), .rgb(let r2, let g2, let b2)):
            return abs(Int(r1) - Int(r2)) <= colorTolerance && abs(Int(g1) - Int(g2)) <= colorTolerance
                && abs(Int(b1) - Int(b2)) <= colorTolerance
        default:
            return a == b
        }
    }

    /// Emits the least that turns the active style into `next` (nearly equal colours count as
    /// equal; different attributes need a full reset).
    private mutating func changeStyle(from active: inout CellStyle, to next: CellStyle) {
        guard next.attributes == active.attributes else {
            appendStyle(next)
            active = next
            return
        }
        let foreground = !Self.isClose(next.foreground, active.foreground)
        let background = !Self.isClose(next.background, active.background)
        guard foreground || background else { return }
        output.append(0x1B)
        output.append(UInt8(ascii: "["))
        if foreground {
            appendColorOrDefault(next.foreground, base: 30)
            active.foreground = next.foreground
        }
        if background {
            if foreground { output.append(UInt8(ascii: ";")) }
            appendColorOrDefault(next.background, base: 40)
            active.background = next.background
        }
        output.append(UInt8(ascii: "m"))
    }

    /// One colour parameter without a leading separator; the default colour is 39 / 49.
    private mutating func appendColorOrDefault(_ color: TerminalColor, base: Int) {
        let start = output.count
        appendColor(color, base: base)
        if output.count == start {
            appendNumber(base + 9)
        } else {
            output.remove(at: start)  // the ";" appendColor puts first
        }
    }

    /// A non-negative decimal, most significant digit first.
    private mutating func appendNumber(_ value: Int) {
        if value < 10 {
            output.append(UInt8(48 + value))
        } else if value < 100 {
            output.append(UInt8(48 + value / 10))
            output.append(UInt8(48 + value % 10))
        } else if value < 1000 {
            output.append(UInt8(48 + value / 100))
            output.append(UInt8(48 + value / 10 % 10))
            output.append(UInt8(48 + value % 10))
        } else {
            appendNumber(value / 1000)
            let rest = value % 1000
            output.append(UInt8(48 + rest / 100))
            output.append(UInt8(48 + rest / 10 % 10))
            output.append(UInt8(48 + rest % 10))
        }
    }

    /// `ESC [ 0 ; attributes ; foreground ; background m` for the terminal's colour mode.
    private mutating func appendStyle(_ style: CellStyle) {
        output.append(0x1B)
        output.append(UInt8(ascii: "["))
        output.append(UInt8(ascii: "0"))
        let attributes = style.attributes
        if attributes.contains(.bold) { append(";1") }
        if attributes.contains(.dim) { append(";2") }
        if attributes.contains(.italic) { append(";3") }
        if attributes.contains(.underline) { append(";4") }
        if attributes.contains(.reverse) { append(";7") }
        appendColor(style.foreground, base: 30)
        appendColor(style.background, base: 40)
        output.append(UInt8(ascii: "m"))
    }

    private mutating func appendColor(_ color: TerminalColor, base: Int) {
        guard colorMode != .none else { return }
        let number = Int(CursesColorNumber.number(for: color, mode: colorMode, terminalColors: terminalColors))
        guard number >= 0 else { return }
        output.append(UInt8(ascii: ";"))
        switch colorMode {
        case .truecolor where number >= 8:
            appendNumber(base + 8)
            output.append(UInt8(ascii: ";"))
            output.append(UInt8(ascii: "2"))
            output.append(UInt8(ascii: ";"))
            appendNumber(number >> 16 & 0xFF)
            output.append(UInt8(ascii: ";"))
            appendNumber(number >> 8 & 0xFF)
            output.append(UInt8(ascii: ";"))
            appendNumber(number & 0xFF)
        case .palette256 where number >= 16:
            appendNumber(base + 8)
            append(";5;")
            appendNumber(number)
        default:
            // The 16 basic colours: 30-37 / 40-47, bright ones 90-97 / 100-107.
            appendNumber(number < 8 ? base + number : base + 60 + number - 8)
        }
    }
}

/// One cell a frame writes: where, how wide, the glyph shown and its style; whether its
/// foreground is visible (a plain space's is not, so it may keep any active foreground).
private struct DrawnCell {
    let row: Int
    let column: Int
    let width: Int
    let glyph: Glyph
    let style: CellStyle
    let foregroundShows: Bool
}
