import LabelAuditCore

/// Display width and sanitising of text on its way to the terminal.
///
/// Everything that reaches the screen passes through `ScreenGrid.put`, which calls
/// `TerminalText.sanitized`, so an id, note or file name holding escape sequences can never
/// reprogram the terminal. Widths follow wcwidth semantics but are computed here, not by the
/// C library, so that the pure screen model (and its snapshots) do not depend on the locale.
package enum TerminalText {
    /// Text from data as the screen shows it: Core's one sanitiser (`TerminalSafeText`'s
    /// visible form: each control, DEL and bidi override a `?`), with tabs and line breaks as
    /// spaces so a note stays on its line. Nothing in the result can reprogram the terminal.
    package static func sanitized(_ text: String) -> String {
        guard TerminalSafeText.hasControls(text) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { output.append(TerminalSafeText.visibleScalar(scalar, breaksAsSpaces: true)) }
        return String(output)
    }

    /// One character as `sanitized` would show it.
    package static func displayable(_ character: Character) -> Character {
        for scalar in character.unicodeScalars {
            let shown = TerminalSafeText.visibleScalar(scalar, breaksAsSpaces: true)
            if shown != scalar { return Character(shown) }
        }
        return character
    }

    /// Columns one scalar takes: 0 for combining marks and zero-width characters, 2 for East
    /// Asian wide/fullwidth characters and wide emoji, 1 otherwise (wcwidth semantics).
    package static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 { return 0 }
        if value < 0x300 { return 1 }
        // Box drawing, block elements and sextants: every picture cell asks, and the Unicode
        // property lookup below would dominate a frame's model time.
        if (0x2500...0x259F).contains(value) || (0x1FB00...0x1FB3B).contains(value) { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if value == 0x200B || (0x1160...0x11FF).contains(value) { return 0 }
        return isWide(value) ? 2 : 1
    }

    /// Columns a grapheme takes: its widest scalar, at most 2 (a base letter plus combining
    /// marks is 1; an emoji with a variation selector is 2).
    package static func width(of character: Character) -> Int {
        var widest = 0
        for scalar in character.unicodeScalars {
            widest = max(widest, width(of: scalar))
            if widest == 2 { break }
        }
        return widest
    }

    /// Columns a whole string takes.
    package static func width(of text: String) -> Int {
        var total = 0
        for character in text { total += width(of: character) }
        return total
    }

    /// The longest prefix of `text` that fits in `columns`, with `ellipsis` at the end when
    /// something was cut.
    package static func truncated(_ text: String, toWidth columns: Int, ellipsis: String = "…") -> String {
        guard columns > 0 else { return "" }
        if width(of: text) <= columns { return text }
        let ellipsisWidth = width(of: ellipsis)
        let budget = columns - ellipsisWidth
        guard budget >= 0 else { return "" }
        var result = ""
        var used = 0
        for character in text {
            let characterWidth = width(of: character)
            if used + characterWidth > budget { break }
            result.append(character)
            used += characterWidth
        }
        return result + ellipsis
    }

    /// Pads (or truncates) to exactly `columns` display columns.
    package static func padded(_ text: String, toWidth columns: Int, alignRight: Bool = false, ellipsis: String = "…") -> String {
        let cut = truncated(text, toWidth: columns, ellipsis: ellipsis)
        let gap = max(0, columns - width(of: cut))
        let padding = String(repeating: " ", count: gap)
        return alignRight ? padding + cut : cut + padding
    }

    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
            0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
            0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
            0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
            0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
            0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
            0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF,
            0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F320,
            0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA,
            0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440,
            0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A,
            0x1F595...0x1F596, 0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC,
            0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC,
            0x1F7E0...0x1F7EB, 0x1F90C...0x1F93A, 0x1F93C...0x1F945, 0x1F947...0x1F9FF,
            0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
