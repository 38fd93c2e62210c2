import LabelAuditCore
import LabelAuditEngine

/// Everything a key can ask the review app to do.
package enum ReviewAction: Hashable, Sendable {
    case moveDown, moveUp, pageDown, pageUp, first, last
    case switchPane
    case neighbourNext, neighbourPrevious
    case openNeighbour
    case back
    case toggleZoom
    case toggleInspect
    case toggleContactSheet
    case openOriginal, copyPath
    case verdict(Verdict)
    case toggleFlag
    case editNote
    case editTags
    case undo, redo
    case nextUnreviewed, nextWithoutMine
    case findNext, findPrevious
    case export
    case cancelJobs
    case rerun
    case find
    case command
    case help
    case quit
    case redraw

    /// Actions that record, edit or start work: they run only from a key the reviewer pressed
    /// on purpose, never from keys typed ahead as a panel closed (see `handle(batch:at:)`).
    package var needsDeliberateKey: Bool {
        switch self {
        case .verdict, .toggleFlag, .editNote, .editTags, .undo, .redo, .export, .rerun: return true
        default: return false
        }
    }
}

/// One `:` command: its names (first is the one shown), what it takes, what it does.
package struct CommandEntry: Hashable, Sendable {
    package enum Verb: Hashable, Sendable { case goto, filter, sort, sample, run, diff, set, quit }
    package var verb: Verb
    package var names: [String]
    package var usage: String
    package var help: String
}

/// The `:` commands, beside the keymap: `?` lists both and `:` dispatches through it.
package enum CommandTable {
    package static let entries: [CommandEntry] = [
        CommandEntry(verb: .goto, names: ["goto", "g", "id"], usage: ":goto ID", help: "open a face by id"),
        CommandEntry(
            verb: .filter, names: ["filter", "f"], usage: ":filter NAME",
            help: QueueFilter.commandNames),
        CommandEntry(verb: .sort, names: ["sort", "s"], usage: ":sort score|id|p", help: "order of the queue"),
        CommandEntry(
            verb: .sample, names: ["sample"], usage: ":sample N|off",
            help: "draw N random faces into the audit sample"),
        CommandEntry(verb: .run, names: ["run", "runs"], usage: ":run [NAME|all]", help: "list runs, rank by one, or all"),
        CommandEntry(verb: .diff, names: ["diff"], usage: ":diff A B", help: "faces whose p crossed 0.5 between runs"),
        CommandEntry(
            verb: .set, names: ["set"], usage: ":set NAME VALUE",
            help: "advance on|off (next face after a verdict), symbols half|quad|sextant; remembered"),
        CommandEntry(verb: .quit, names: ["quit", "q"], usage: ":quit", help: "quit (all is saved already)"),
    ]

    private static let byName: [String: CommandEntry] = {
        var table: [String: CommandEntry] = [:]
        for entry in entries {
            for name in entry.names {
                precondition(table[name] == nil, "CommandTable: \(name) listed twice")
                table[name] = entry
            }
        }
        return table
    }()

    /// The command a typed verb names (case-insensitive), nil when none does.
    package static func entry(named name: String) -> CommandEntry? {
        byName[name.lowercased()]
    }

    /// The names to suggest after an unknown verb.
    package static var knownNames: String {
        entries.map { $0.names[0] }.joined(separator: ", ")
    }
}

/// One line of the keymap: the keys, what they do, and the words `?` shows.
package struct KeyBinding: Hashable, Sendable {
    package var keys: [Key]
    /// How the keys are written in the help and the status bar hints.
    package var label: String
    package var action: ReviewAction
    package var help: String
}

/// The single keymap table. `?` shows it and the status bar's hints come from it, so the
/// help can never disagree with what the keys do.
package enum Keymap {
    package static let bindings: [KeyBinding] = [
        KeyBinding(keys: [.character("j"), .down], label: "j Down", action: .moveDown, help: "next face in the queue"),
        KeyBinding(keys: [.character("k"), .up], label: "k Up", action: .moveUp, help: "previous face in the queue"),
        KeyBinding(keys: [.pageDown, .control("f")], label: "PgDn ^F", action: .pageDown, help: "page down"),
        KeyBinding(keys: [.pageUp, .control("b")], label: "PgUp ^B", action: .pageUp, help: "page up"),
        KeyBinding(keys: [.character("g"), .home], label: "g Home", action: .first, help: "first row"),
        KeyBinding(keys: [.character("G"), .end], label: "G End", action: .last, help: "last row"),
        KeyBinding(keys: [.tab, .backTab], label: "Tab", action: .switchPane, help: "switch queue / neighbours strip"),
        KeyBinding(
            keys: [.right, .character("l")], label: "Right l", action: .neighbourNext,
            help: "next neighbour (from the queue: into the strip)"),
        KeyBinding(
            keys: [.left, .character("h")], label: "Left h", action: .neighbourPrevious,
            help: "previous neighbour (from the first: back to the queue)"),
        KeyBinding(keys: [.enter], label: "Enter", action: .openNeighbour, help: "open the selected neighbour"),
        KeyBinding(keys: [.backspace], label: "Bksp", action: .back, help: "back to the previous face"),
        KeyBinding(keys: [.character("z")], label: "z", action: .toggleZoom, help: "zoom to the eye band"),
        KeyBinding(
            keys: [.character("c")], label: "c", action: .toggleContactSheet,
            help: "contact sheet: the filter's faces as a grid (Enter opens, Esc back)"),
        KeyBinding(
            keys: [.character("o")], label: "o", action: .openOriginal,
            help: "open the original image in your viewer ($LABELAUDIT_VIEWER, xdg-open), else show its path"),
        KeyBinding(
            keys: [.character("y")], label: "y", action: .copyPath, help: "copy the image's path to the clipboard (OSC 52)"),
        KeyBinding(
            keys: [.character("i")], label: "i", action: .toggleInspect,
            help: "inspect: this face alone, eye band full width (Esc back)"),
        KeyBinding(keys: [.character("1")], label: "1", action: .verdict(.labelOK), help: "verdict: label ok"),
        KeyBinding(keys: [.character("2")], label: "2", action: .verdict(.labelWrong), help: "verdict: label wrong"),
        KeyBinding(keys: [.character("3")], label: "3", action: .verdict(.unsure), help: "verdict: unsure"),
        KeyBinding(keys: [.character("4")], label: "4", action: .verdict(.badImage), help: "verdict: bad image"),
        KeyBinding(keys: [.character("f")], label: "f", action: .toggleFlag, help: "flag / unflag for rerun"),
        KeyBinding(keys: [.character("e")], label: "e", action: .editNote, help: "edit the note"),
        KeyBinding(keys: [.character("t")], label: "t", action: .editTags, help: "edit tags (comma separated)"),
        KeyBinding(keys: [.character("u")], label: "u", action: .undo, help: "undo your last change"),
        KeyBinding(keys: [.character("U"), .control("r")], label: "U ^R", action: .redo, help: "redo what u took back"),
        KeyBinding(keys: [.character("n")], label: "n", action: .nextUnreviewed, help: "next face nobody has a verdict on"),
        KeyBinding(keys: [.character("N")], label: "N", action: .nextWithoutMine, help: "next face without your verdict"),
        KeyBinding(keys: [.character("x")], label: "x", action: .export, help: "export the audit report"),
        KeyBinding(keys: [.character("R")], label: "R", action: .rerun, help: "rerun the picture models with the corrections"),
        KeyBinding(
            keys: [.control("x")], label: "^X", action: .cancelJobs, help: "cancel the running job (evidence, export, rerun)"),
        KeyBinding(keys: [.character("/")], label: "/", action: .find, help: "find ids, note text and tags"),
        KeyBinding(keys: [.character("]"), .function(3)], label: "] F3", action: .findNext, help: "next match of the last find"),
        KeyBinding(keys: [.character("[")], label: "[", action: .findPrevious, help: "previous match of the last find"),
        KeyBinding(keys: [.character(":")], label: ":", action: .command, help: "command line (the : commands below)"),
        KeyBinding(keys: [.character("?"), .function(1)], label: "? F1", action: .help, help: "this help"),
        KeyBinding(keys: [.control("l")], label: "^L", action: .redraw, help: "redraw the screen"),
        KeyBinding(keys: [.character("q")], label: "q", action: .quit, help: "quit (all is saved already)"),
    ]

    private static let table: [Key: ReviewAction] = {
        var table: [Key: ReviewAction] = [:]
        for binding in bindings {
            for key in binding.keys {
                precondition(table[key] == nil, "Keymap: \(key) bound twice")
                table[key] = binding.action
            }
        }
        return table
    }()

    /// The action bound to `key`, nil when the key does nothing.
    package static func action(for key: Key) -> ReviewAction? {
        table[key]
    }

    /// The binding of `action`, for hints.
    package static func binding(for action: ReviewAction) -> KeyBinding? {
        bindings.first { $0.action == action }
    }
}
