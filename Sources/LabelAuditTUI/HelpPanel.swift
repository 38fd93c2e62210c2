/// `?`: every key and every `:` command, from the two tables the app dispatches through, so
/// the help can never disagree with what the keys do. A panel like any other (j/k scroll).
enum HelpPanel {
    static let title = "keys and commands"

    /// What the columns and marks on screen mean.
    static func legend(_ glyphs: GlyphSet) -> [String] {
        [
            "queue columns: L the provided label; p the probability of glasses from the run named",
            "  in the status bar (p: NAME; :run NAME chooses); score how suspicious the label is",
            "  (higher first); v the team's verdict; f flagged for a rerun by anyone",
            "marks: \(glyphs.labelOK) label ok  \(glyphs.labelWrong) label wrong  \(glyphs.unsure) unsure  "
                + "\(glyphs.badImage) bad image  \(glyphs.differs) reviewers disagree  \(glyphs.flag) flagged",
            "neighbours: \(glyphs.differs) before an id: its label differs from this face's; Lx its label;",
            "  top 0.02%: only 0.02% of all pairs of faces are this close (small: unusually close);",
            "  d the latent distance; the mark before 'top' is the team's verdict on the neighbour",
            "status bar: 3/760 means face 3 of the 760 the filter lists (named beside it)",
        ]
    }

    static func make(glyphs: GlyphSet = .unicode) -> InfoPanel {
        var lines: [String] = []
        let keyWidth = max(
            Keymap.bindings.map { TerminalText.width(of: $0.label) }.max() ?? 0,
            CommandTable.entries.map { TerminalText.width(of: $0.usage) }.max() ?? 0)
        for binding in Keymap.bindings {
            lines.append(TerminalText.padded(binding.label, toWidth: keyWidth) + " " + binding.help)
        }
        lines.append("")
        for entry in CommandTable.entries {
            lines.append(TerminalText.padded(entry.usage, toWidth: keyWidth) + " " + entry.help)
        }
        lines.append("")
        lines += legend(glyphs)
        var panel = InfoPanel(title: title, lines: lines)
        panel.isHelp = true
        return panel
    }
}
