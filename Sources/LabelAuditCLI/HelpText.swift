/// Discussion texts as paragraphs: the source keeps them readable at 100 columns, the help
/// printer wraps them to the terminal. Lines of a paragraph are joined with spaces; a blank
/// line ends a paragraph; a line that starts a list item (`- `, `* `, a number and `.`) or is
/// indented (an example command) stays on a line of its own.
package enum HelpText {
    package static func reflow(_ text: String) -> String {
        var out: [String] = []
        var paragraph = ""
        func flush() {
            if !paragraph.isEmpty { out.append(paragraph) }
            paragraph = ""
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                flush()
                if out.last != "" { out.append("") }
                continue
            }
            let standsAlone =
                line.hasPrefix(" ") || trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ")
                || trimmed.range(of: #"^\d+[.)] "#, options: .regularExpression) != nil
            if standsAlone {
                flush()
                paragraph = line
                if line.hasPrefix(" ") { flush() }
                continue
            }
            paragraph = paragraph.isEmpty ? trimmed : paragraph + " " + trimmed
        }
        flush()
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n")
    }
}
