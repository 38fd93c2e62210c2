/// A colour as a terminal is told it: 24-bit, a palette index, or the terminal's default.
public enum TerminalColor: Hashable, Sendable {
    case rgb(UInt8, UInt8, UInt8)
    /// xterm palette index (the renderer only emits 16...255 in 256-colour mode, 0...15 in 16-colour mode).
    case indexed(UInt8)
    case terminalDefault
}

/// One terminal cell of a rendered picture: a glyph drawn in `foreground` over `background`.
public struct GlyphCell: Hashable, Sendable {
    public var glyph: Unicode.Scalar
    public var foreground: TerminalColor
    public var background: TerminalColor

    public init(glyph: Unicode.Scalar, foreground: TerminalColor, background: TerminalColor) {
        self.glyph = glyph
        self.foreground = foreground
        self.background = background
    }
}

/// A picture rendered for the terminal: `rows` lines of `columns` cells, row-major.
/// The TUI blits these; `labelaudit render` prints them as ANSI.
public struct CellPicture: Hashable, Sendable {
    public let columns: Int
    public let rows: Int
    public var cells: [GlyphCell]

    public init(columns: Int, rows: Int, cells: [GlyphCell]) {
        precondition(cells.count == columns * rows)
        self.columns = columns
        self.rows = rows
        self.cells = cells
    }

    public subscript(row: Int, column: Int) -> GlyphCell {
        cells[row * columns + column]
    }
}
