/// Makes text that came from data (notes, ids, tags, file names) safe to show.
///
/// Stored text is kept exactly as written; only its display is made safe, so a note holding
/// an escape sequence can neither move the cursor, retitle the terminal nor inject markup.
public enum TerminalSafeText {
    /// Removes C0/C1 controls (keeping newlines when `keepNewlines`, tabs become spaces), whole
    /// ESC/CSI/OSC/DCS sequences, and bidi embedding/override/isolate marks that could reorder
    /// what is shown. O(n) in the number of Unicode scalars.
    public static func sanitized(_ text: String, keepNewlines: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let value = scalar.value
            if value == 0x1B || value == 0x9B || value == 0x9D || value == 0x90 || value == 0x9E || value == 0x9F {
                index = endOfEscapeSequence(scalars, from: index)
                continue
            }
            index += 1
            if value == 0x0A {
                out.append(keepNewlines ? scalar : " ")
            } else if value == 0x09 {
                out.append(" ")
            } else if value < 0x20 || (0x7F...0x9F).contains(value) {
                continue
            } else if isBidiControl(value) {
                continue
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// For messages that quote text from data or file names (a CSV header, an id, a path): every
    /// control character (C0, DEL, C1, so also each escape introducer) and every bidi control
    /// becomes a visible `?` instead of vanishing, so the user can find the offending bytes in the
    /// file, and nothing in the result can move the cursor, set a title, write the clipboard or
    /// reorder the line. Longer than `limit` characters: cut, with "…" and the length said.
    /// O(n) in the number of Unicode scalars.
    public static func visible(_ text: String, limit: Int = .max) -> String {
        var out = String.UnicodeScalarView()
        var kept = 0
        var cut = false
        for scalar in text.unicodeScalars {
            if kept >= limit {
                cut = true
                break
            }
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) || isBidiControl(value) {
                out.append("?")
            } else {
                out.append(scalar)
            }
            kept += 1
        }
        guard cut else { return String(out) }
        return String(out) + "… (cut at \(limit) of \(text.unicodeScalars.count) characters)"
    }

    /// One scalar as `visible` shows it: itself, or `?` for a control or bidi character (line
    /// breaks and tabs become a space when `breaksAsSpaces`).
    @inline(__always)
    public static func visibleScalar(_ scalar: Unicode.Scalar, breaksAsSpaces: Bool = false) -> Unicode.Scalar {
        let value = scalar.value
        if breaksAsSpaces && (value == 0x09 || value == 0x0A || value == 0x0D) { return " " }
        if value < 0x20 || (0x7F...0x9F).contains(value) || isBidiControl(value) { return "?" }
        return scalar
    }

    /// Whether `visible` or `sanitized` would change the text: it holds a control character or
    /// a bidi control.
    public static func hasControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            let value = scalar.value
            return value < 0x20 || (0x7F...0x9F).contains(value) || isBidiControl(value)
        }
    }

    /// Text for HTML element content and attribute values: sanitized (newlines kept), then
    /// `& < > " '` escaped.
    public static func htmlEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in sanitized(text, keepNewlines: true) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    package static func isBidiControl(_ value: UInt32) -> Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
            || value == 0x200E || value == 0x200F || value == 0x061C
    }

    /// Index just past the escape sequence starting at `start` (ECMA-48: CSI ends at a final
    /// byte 0x40-0x7E; OSC/DCS/PM/APC/SOS end at BEL or ST; others are ESC plus one character).
    static func endOfEscapeSequence(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        let first = scalars[index].value
        index += 1
        var kind: UInt32
        if first == 0x1B {
            guard index < scalars.count else { return index }
            kind = scalars[index].value
            index += 1
        } else {
            kind = first == 0x9B ? 0x5B : (first == 0x9D ? 0x5D : 0x50)
        }
        switch kind {
        case 0x5B:  // CSI: parameters and intermediates, then one final byte.
            while index < scalars.count {
                let value = scalars[index].value
                index += 1
                if (0x40...0x7E).contains(value) { break }
                if value < 0x20 || value > 0x7E { break }
            }
        case 0x5D, 0x50, 0x58, 0x5E, 0x5F:  // OSC, DCS, SOS, PM, APC: until BEL, ST or ESC \.
            while index < scalars.count {
                let value = scalars[index].value
                index += 1
                if value == 0x07 || value == 0x9C { break }
                if value == 0x1B {
                    if index < scalars.count && scalars[index].value == 0x5C { index += 1 }
                    break
                }
            }
        default:  // Two-character sequences (ESC 7, ESC c, ...); ESC ( B takes one more.
            if (0x28...0x2F).contains(kind) && index < scalars.count { index += 1 }
        }
        return index
    }
}

extension String {
    /// See `TerminalSafeText.sanitized(_:keepNewlines:)`.
    package var terminalSafe: String { TerminalSafeText.sanitized(self) }
    /// See `TerminalSafeText.htmlEscaped(_:)`.
    public var htmlEscaped: String { TerminalSafeText.htmlEscaped(self) }
}
