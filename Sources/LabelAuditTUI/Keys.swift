/// A mouse event in screen coordinates.
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

/// One input event, independent of curses so that keymap and editor tests need no terminal.
public enum Key: Hashable, Sendable {
    case character(Character)
    /// Ctrl plus a letter, lower case (`.control("a")` is Ctrl-A).
    case control(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, delete, tab, backTab
    case function(Int)
    /// Text that arrived as one paste (bracketed paste, or a burst of input while editing).
    case paste(String)
    case mouse(MouseEvent)
    case resize
}

/// Turns raw input bursts into keys: recognises bracketed paste (ESC [ 200 ~ ... ESC [ 201 ~),
/// which curses delivers as separate characters, and treats line breaks inside a burst of
/// typed text as part of that text. Pure, so it is tested without a terminal.
public enum KeyBurst {
    static let pasteStart: [Key] = [.escape, .character("["), .character("2"), .character("0"), .character("0"), .character("~")]
    static let pasteEnd: [Key] = [.escape, .character("["), .character("2"), .character("0"), .character("1"), .character("~")]

    /// Groups `keys` (all read without waiting, in order) into the keys the app acts on.
    public static func coalesce(_ keys: [Key]) -> [Key] {
        var result: [Key] = []
        var index = 0
        while index < keys.count {
            if matches(pasteStart, in: keys, at: index) {
                var text = ""
                var cursor = index + pasteStart.count
                while cursor < keys.count, !matches(pasteEnd, in: keys, at: cursor) {
                    switch keys[cursor] {
                    case .character(let character): text.append(character)
                    case .enter, .tab: text.append(" ")
                    case .paste(let inner): text += inner
                    default: break
                    }
                    cursor += 1
                }
                result.append(.paste(text))
                index = min(keys.count, cursor + pasteEnd.count)
                continue
            }
            result.append(keys[index])
            index += 1
        }
        return result
    }

    /// While a line editor is open, a line break followed by more typed text in the same
    /// burst is pasted text, not the reviewer pressing Enter: it becomes a space so a pasted
    /// multi-line note does not submit half of itself and run the rest as commands.
    public static func flattenedForEditing(_ keys: [Key]) -> [Key] {
        guard keys.count > 1 else { return keys }
        var result = keys
        for index in result.indices where result[index] == .enter {
            let textFollows = result[(index + 1)...].contains { key in
                if case .character = key { return true }
                if case .paste = key { return true }
                return false
            }
            if textFollows { result[index] = .character(" ") }
        }
        return result
    }

    private static func matches(_ pattern: [Key], in keys: [Key], at index: Int) -> Bool {
        guard index + pattern.count <= keys.count else { return false }
        for offset in 0..<pattern.count where keys[index + offset] != pattern[offset] { return false }
        return true
    }
}
