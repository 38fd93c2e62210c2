import LabelAuditImaging

/// Text attributes of a cell; the terminal maps them to curses attributes.
public struct CellAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    package static let bold = CellAttributes(rawValue: 1 << 0)
    public static let dim = CellAttributes(rawValue: 1 << 1)
    package static let reverse = CellAttributes(rawValue: 1 << 2)
    package static let underline = CellAttributes(rawValue: 1 << 3)
    package static let italic = CellAttributes(rawValue: 1 << 4)
}

/// Colours and attributes of a run of text.
public struct CellStyle: Hashable, Sendable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var attributes: CellAttributes

    public init(
        foreground: TerminalColor = .terminalDefault, background: TerminalColor = .terminalDefault,
        attributes: CellAttributes = []
    ) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let plain = CellStyle()
}

/// One cell of the screen. A wide character occupies its cell and the next one, which is
/// marked `isContinuation` and never drawn on its own.
public struct ScreenCell: Hashable, Sendable {
    /// Stored as a `Glyph` (plain data); see there why.
    var code: Glyph
    public var style: CellStyle
    package var isContinuation: Bool

    public var glyph: Character {
        get { code.character }
        set { code = Glyph(newValue) }
    }

    public init(glyph: Character = " ", style: CellStyle = .plain, isContinuation: Bool = false) {
        code = Glyph(glyph)
        self.style = style
        self.isContinuation = isContinuation
    }

    /// A picture cell: one scalar, no `Character` built.
    init(scalar: Unicode.Scalar, style: CellStyle) {
        code = Glyph(scalar)
        self.style = style
        isContinuation = false
    }

    public static let blank = ScreenCell()
}

/// A cell position (row, column) on screen.
public struct CellPoint: Hashable, Sendable {
    public var row: Int
    public var column: Int
    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }
}

/// A rectangle of cells, in screen coordinates.
public struct CellRect: Hashable, Sendable {
    public var row: Int
    public var column: Int
    public var rows: Int
    public var columns: Int

    public init(row: Int, column: Int, rows: Int, columns: Int) {
        self.row = row
        self.column = column
        self.rows = max(0, rows)
        self.columns = max(0, columns)
    }

    public var isEmpty: Bool { rows == 0 || columns == 0 }
    public var bottom: Int { row + rows }
    public var right: Int { column + columns }

    public func contains(row pointRow: Int, column pointColumn: Int) -> Bool {
        pointRow >= row && pointRow < bottom && pointColumn >= column && pointColumn < right
    }
}

/// The whole screen as plain values: what the pure model produces and `Terminal` blits.
///
/// Writing is clipped to the grid, so layout code never needs bounds checks, and every string
/// is sanitised on the way in (see `TerminalText`).
public struct ScreenGrid: Hashable, Sendable {
    public let rows: Int
    public let columns: Int
    public private(set) var cells: [ScreenCell]
    /// Where the terminal cursor should show (the line editor's caret); nil hides it.
    public var cursor: CellPoint?
    /// Pictures drawn as real pixels over blank cells (kitty or sixel), after the cells.
    package var pixelSlots: [PixelSlot] = []

    public init(rows: Int, columns: Int) {
        self.rows = max(0, rows)
        self.columns = max(0, columns)
        cells = Array(repeating: .blank, count: self.rows * self.columns)
    }

    /// Makes every cell of `rect` differ from anything a frame holds, so the next frame drawn
    /// over this one sends them all (pixels under them are then erased).
    mutating func invalidate(_ rect: CellRect) {
        let invalid = ScreenCell(glyph: "\u{FFFF}")
        for row in max(0, rect.row)..<min(rows, rect.bottom) {
            for column in max(0, rect.column)..<min(columns, rect.right) { cells[row * columns + column] = invalid }
        }
    }

    /// True when some cell of `rect` differs from `old`.
    func differs(from old: ScreenGrid?, in rect: CellRect) -> Bool {
        guard let old, old.rows == rows, old.columns == columns else { return true }
        for row in max(0, rect.row)..<min(rows, rect.bottom) {
            for column in max(0, rect.column)..<min(columns, rect.right)
            where cells[row * columns + column] != old.cells[row * columns + column] {
                return true
            }
        }
        return false
    }

    public subscript(row: Int, column: Int) -> ScreenCell {
        get { cells[row * columns + column] }
        set { cells[row * columns + column] = newValue }
    }

    /// Calls `body` with each cell to send when `old` is on screen (every cell when nil), in
    /// screen order: the cells that differ, and the cell before a change (a wide glyph there
    /// would have overlapped it); the right halves of wide glyphs are skipped. `body` returns
    /// false to stop, and then so does this. O(cells).
    func forEachCellToSend(over old: ScreenGrid?, _ body: (_ row: Int, _ column: Int, _ cell: ScreenCell) -> Bool) -> Bool {
        for row in 0..<rows {
            for column in 0..<columns {
                let index = row * columns + column
                let current = cells[index]
                if current.isContinuation { continue }
                if let old, old.cells[index] == current,
                    column + 1 >= columns || old.cells[index + 1] == cells[index + 1]
                {
                    continue
                }
                if !body(row, column, current) { return false }
            }
        }
        return true
    }

    /// Fills `rect` (clipped) with spaces in `style`.
    public mutating func fill(_ rect: CellRect, style: CellStyle = .plain, glyph: Character = " ") {
        let top = max(0, rect.row)
        let bottom = min(rows, rect.bottom)
        let left = max(0, rect.column)
        let right = min(columns, rect.right)
        guard top < bottom, left < right else { return }
        let cell = ScreenCell(glyph: glyph, style: style)
        for row in top..<bottom {
            let base = row * columns
            for column in left..<right { cells[base + column] = cell }
        }
    }

    /// Writes `text` at (`row`, `column`), at most `maxWidth` columns (default: to the grid's
    /// edge), and returns the number of columns written. A wide character that would straddle
    /// the limit is replaced by a space, never split.
    @discardableResult
    public mutating func put(
        _ text: String, row: Int, column: Int, maxWidth: Int? = nil,
        style: CellStyle = .plain
    ) -> Int {
        guard row >= 0, row < rows, column < columns else { return 0 }
        let limit = min(columns, maxWidth.map { column + max(0, $0) } ?? columns)
        var position = column
        for character in TerminalText.sanitized(text) {
            let width = TerminalText.width(of: character)
            if width == 0 { continue }
            if position + width > limit {
                if position < limit, position >= 0 { self[row, position] = ScreenCell(glyph: " ", style: style) }
                position = limit
                break
            }
            if position >= 0 {
                clearWideCharacter(row: row, column: position)
                self[row, position] = ScreenCell(glyph: character, style: style)
                if width == 2 {
                    if position + 1 < columns {
                        clearWideCharacter(row: row, column: position + 1)
                        self[row, position + 1] = ScreenCell(glyph: " ", style: style, isContinuation: true)
                    }
                }
            }
            position += width
        }
        return max(0, position - max(0, column))
    }

    /// Keeps wide characters whole: overwriting either half of one blanks the other half.
    private mutating func clearWideCharacter(row: Int, column: Int) {
        let cell = self[row, column]
        if cell.isContinuation, column > 0 {
            self[row, column - 1] = ScreenCell(glyph: " ", style: self[row, column - 1].style)
        } else if !cell.isContinuation, column + 1 < columns, self[row, column + 1].isContinuation {
            self[row, column + 1] = ScreenCell(glyph: " ", style: self[row, column + 1].style)
        }
    }

    /// Copies a rendered picture to (`row`, `column`), clipped to the grid.
    package mutating func blit(_ picture: CellPicture, row: Int, column: Int) {
        for pictureRow in 0..<picture.rows {
            let targetRow = row + pictureRow
            guard targetRow >= 0, targetRow < rows else { continue }
            for pictureColumn in 0..<picture.columns {
                let targetColumn = column + pictureColumn
                guard targetColumn >= 0, targetColumn < columns else { continue }
                let source = picture[pictureRow, pictureColumn]
                let glyph: Unicode.Scalar = TerminalText.width(of: source.glyph) == 1 ? source.glyph : " "
                clearWideCharacter(row: targetRow, column: targetColumn)
                self[targetRow, targetColumn] = ScreenCell(
                    scalar: glyph, style: CellStyle(foreground: source.foreground, background: source.background))
            }
        }
    }

    /// The grid as plain text, one line per row (continuation cells omitted), for snapshots.
    public var text: String {
        var lines: [String] = []
        lines.reserveCapacity(rows)
        for row in 0..<rows {
            var line = ""
            for column in 0..<columns {
                let cell = self[row, column]
                if !cell.isContinuation { line.append(cell.glyph) }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
