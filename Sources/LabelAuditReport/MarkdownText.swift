import LabelAuditCore

/// The one Markdown escaper of the reports: text from the data (ids, notes, names, paths) and the
/// report's own sentences become one line of Markdown that reads as text. Only what would break
/// the syntax is escaped, with a backslash: `\` `` ` `` `*` `[` `]` `<` `>` `|` `~` everywhere
/// (code, emphasis, links, HTML, tables, strikethrough), `_` at a word's edge (inside a word,
/// as in label_wrong, it cannot start emphasis), `&` before a letter or `#` (an entity), and at the
/// start of the text `#` `+` `-` `=` and a number followed by `.` or `)` (headings, lists).
/// Control characters and escape sequences go first (`TerminalSafeText.sanitized`), line breaks
/// become spaces. So `9.6%` stays `9.6%` and `/data/set` stays `/data/set`.
/// `code: true` keeps backticks, for the report's own sentences that quote commands;
/// `atLineStart: false` (a table cell) leaves the start-of-line rules out: no list or heading
/// starts inside a cell, so `64.8%` stays as it is there too.
enum MarkdownText {
    static func escaped(_ text: String, code: Bool = false, atLineStart: Bool = true) -> String {
        let characters = Array(TerminalSafeText.sanitized(text).map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        var out = ""
        out.reserveCapacity(characters.count)
        for (index, character) in characters.enumerated() {
            let previous = index > 0 ? characters[index - 1] : nil
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            var escape = false
            switch character {
            case "\\", "*", "[", "]", "<", ">", "|", "~": escape = true
            case "`": escape = !code
            case "_":
                let inWord =
                    (previous?.isLetter == true || previous?.isNumber == true)
                    && (next?.isLetter == true || next?.isNumber == true)
                escape = !inWord
            case "&": escape = next?.isLetter == true || next == "#"
            case "#", "+", "-", "=": escape = atLineStart && index == 0
            case ".", ")":
                escape = atLineStart && index > 0 && characters[0..<index].allSatisfy(\.isNumber)
            default: break
            }
            if escape { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
