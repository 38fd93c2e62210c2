/// A mouse event in screen coordinates (0-based).
public struct MouseEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case click, wheelUp, wheelDown }
    public var kind: Kind
    public var row: Int
    public var column: Int

    public init(kind: Kind, row: Int, column: Int) {
        self.kind = kind
        self.row = row
        self.column = column
    }
}

/// A reply the terminal sent to one of our queries (device attributes, pixel sizes, the kitty
/// graphics query). Never a key: it is recognised by its shape and handed over whole, so a
/// reply can never be mistaken for typing.
public struct TerminalReply: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// `CSI ? ... c`: primary device attributes (4 among them: sixel).
        case deviceAttributes
        /// `CSI ... t`: window operations (sizes in pixels or cells).
        case windowSize
        /// `CSI ... R`: cursor position.
        case cursorPosition
        /// `APC G ... ST`: the kitty graphics protocol's answer.
        case kittyGraphics
        /// `DCS ... ST`: XTGETTCAP, DECRQSS and the like.
        case deviceControl
        /// `OSC ... ST`: colour queries and the like.
        case operatingSystem
    }

    public var kind: Kind
    /// The whole sequence as sent, introducer and terminator included.
    public var bytes: [UInt8]

    public init(kind: Kind, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }
}

/// One input event, independent of curses so that keymap and editor tests need no terminal.
public enum Key: Hashable, Sendable {
    case character(Character)
    /// Ctrl plus a letter, lower case (`.control("a")` is Ctrl-A).
    case control(Character)
    /// Alt (Meta) plus a character: ESC followed at once by the character. Bound to nothing, so
    /// an escape sequence the decoder does not know can never run a command.
    case meta(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, delete, tab, backTab
    case function(Int)
    /// Text that arrived as one paste (bracketed paste), however many reads it took.
    case paste(String)
    case mouse(MouseEvent)
    case resize
    /// The terminal answering a query; the app reads capabilities from it.
    case reply(TerminalReply)

    /// True for keys a person types as text (what a paste without brackets is made of).
    package var isText: Bool {
        if case .character = self { return true }
        return false
    }
}
