/// `?`: every key and every `:` command, from the two tables the app dispatches through, so
/// the help can never disagree with what the keys do. A panel like any other (j/k scroll).
enum HelpPanel {
    static let title = "keys and commands"

    static func make() -> InfoPanel {
        var lines: [String] = []
        let keyWidth = max(Keymap.bindings.map { TerminalText.width(of: $0.label) }.max() ?? 0,
                           CommandTable.entries.map { TerminalText.width(of: $0.usage) }.max() ?? 0)
        for binding in Keymap.bindings {
            lines.append(TerminalText.padded(binding.label, toWidth: keyWidth) + " " + binding.help)
        }
        lines.append("")
        for entry in CommandTable.entries {
            lines.append(TerminalText.padded(entry.usage, toWidth: keyWidth) + " " + entry.help)
        }
        var panel = InfoPanel(title: title, lines: lines)
        panel.isHelp = true
        return panel
    }
}
