/// Cell pictures as ANSI text, the way chafa prints them: one SGR sequence whenever a cell's
/// colours differ from the previous cell's, a reset at every line end, so the picture can be
/// printed, piped, captured and scored. Glyphs come only from the renderer's own tables, so
/// nothing from data reaches the terminal.
public enum ANSIWriter {
    package static func ansi(_ picture: CellPicture) -> String {
        String(decoding: bytes(picture), as: UTF8.self)
    }

    /// The same text as UTF-8 bytes (what `labelaudit render` writes to stdout in one call).
    public static func bytes(_ picture: CellPicture) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(picture.columns * picture.rows * 24 + picture.rows * 8)
        for row in 0..<picture.rows {
            var foreground: TerminalColor? = nil
            var background: TerminalColor? = nil
            for column in 0..<picture.columns {
                let cell = picture.cells[row * picture.columns + column]
                // A space shows only its background, so its foreground need not be sent.
                let needsForeground = cell.glyph != " " && cell.foreground != foreground
                let needsBackground = cell.background != background
                if needsForeground || needsBackground {
                    out.append(0x1B)
                    out.append(UInt8(ascii: "["))
                    if needsForeground {
                        appendColor(cell.foreground, isForeground: true, to: &out)
                        foreground = cell.foreground
                    }
                    if needsBackground {
                        if needsForeground { out.append(UInt8(ascii: ";")) }
                        appendColor(cell.background, isForeground: false, to: &out)
                        background = cell.background
                    }
                    out.append(UInt8(ascii: "m"))
                }
                appendScalar(cell.glyph, to: &out)
            }
            out.append(contentsOf: [0x1B, UInt8(ascii: "["), UInt8(ascii: "0"), UInt8(ascii: "m"), 0x0A])
        }
        return out
    }

    private static func appendColor(_ color: TerminalColor, isForeground: Bool, to out: inout [UInt8]) {
        switch color {
        case .rgb(let red, let green, let blue):
            appendNumber(isForeground ? 38 : 48, to: &out)
            out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "2"), UInt8(ascii: ";")])
            appendNumber(Int(red), to: &out)
            out.append(UInt8(ascii: ";"))
            appendNumber(Int(green), to: &out)
            out.append(UInt8(ascii: ";"))
            appendNumber(Int(blue), to: &out)
        case .indexed(let index) where index < 8:
            appendNumber((isForeground ? 30 : 40) + Int(index), to: &out)
        case .indexed(let index) where index < 16:
            appendNumber((isForeground ? 90 : 100) + Int(index) - 8, to: &out)
        case .indexed(let index):
            appendNumber(isForeground ? 38 : 48, to: &out)
            out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "5"), UInt8(ascii: ";")])
            appendNumber(Int(index), to: &out)
        case .terminalDefault:
            appendNumber(isForeground ? 39 : 49, to: &out)
        }
    }

    private static func appendNumber(_ value: Int, to out: inout [UInt8]) {
        if value >= 100 { out.append(UInt8(48 + value / 100)) }
        if value >= 10 { out.append(UInt8(48 + (value / 10) % 10)) }
        out.append(UInt8(48 + value % 10))
    }

    private static func appendScalar(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        // Control characters never leave the renderer; guard anyway.
        let value = scalar.value
        if value < 0x20 || value == 0x7F || (0x80...0x9F).contains(value) {
            out.append(UInt8(ascii: "?"))
            return
        }
        for unit in UTF8.encode(scalar)! { out.append(unit) }
    }
}
