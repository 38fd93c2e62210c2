/// A single-line text editor for notes, tags, `/` and `:`.
///
/// The buffer is an array of grapheme clusters, so the cursor never lands inside a UTF-8
/// sequence or between a letter and its combining mark; widths follow wcwidth semantics
/// (`TerminalText.width`), so wide characters take two columns and the view scrolls by
/// columns, not characters. Editing keys follow readline: Ctrl-A/E/K/U/W, Home/End,
/// Backspace/Delete, arrows.
package struct LineEditor: Hashable, Sendable {
    /// What a key did to the editor.
    package enum Outcome: Hashable, Sendable {
        case editing
        case submitted(String)
        case cancelled
    }

    package private(set) var characters: [Character]
    /// Cursor position in characters (0...characters.count).
    package private(set) var cursor: Int
    /// Longest text accepted, in characters; input past it is dropped and counted.
    package let maximumLength: Int
    /// The text the editor opened with (as shown): submitting it unchanged changes nothing.
    package let initialText: String
    /// Characters typed or pasted past `maximumLength` since the editor opened.
    package private(set) var droppedCharacters = 0

    package init(text: String = "", maximumLength: Int = 4000) {
        self.maximumLength = maximumLength
        characters = Array(TerminalText.sanitized(text).prefix(maximumLength))
        cursor = characters.count
        initialText = String(characters)
    }

    /// True when the text differs from what the editor opened with.
    package var isChanged: Bool { text != initialText }

    package var text: String { String(characters) }

    /// Columns between the start of the text and the cursor.
    package var cursorColumn: Int {
        var width = 0
        for character in characters[..<cursor] { width += TerminalText.width(of: character) }
        return width
    }

    /// Applies one key. Unknown keys leave the editor as it is.
    package mutating func apply(_ key: Key) -> Outcome {
        switch key {
        case .character(let character): insert(String(character))
        case .paste(let text): insert(text)
        case .enter: return .submitted(text)
        case .escape, .control("c"), .control("g"): return .cancelled
        case .left, .control("b"): cursor = max(0, cursor - 1)
        case .right, .control("f"): cursor = min(characters.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = characters.count
        case .backspace, .control("h"):
            if cursor > 0 {
                characters.remove(at: cursor - 1)
                cursor -= 1
            }
        case .delete, .control("d"):
            if cursor < characters.count { characters.remove(at: cursor) }
        case .control("k"): characters.removeSubrange(cursor...)
        case .control("u"):
            characters.removeSubrange(..<cursor)
            cursor = 0
        case .control("w"): deleteWordBeforeCursor()
        default: break
        }
        return .editing
    }

    /// Inserts at the cursor; control characters are dropped and line breaks become spaces.
    package mutating func insert(_ text: String) {
        let clean = TerminalText.sanitized(text).filter { TerminalText.width(of: $0) > 0 }
        let room = max(0, maximumLength - characters.count)
        let accepted = Array(clean.prefix(room))
        droppedCharacters += clean.count - accepted.count
        guard !accepted.isEmpty else { return }
        characters.insert(contentsOf: accepted, at: cursor)
        cursor += accepted.count
    }

    private mutating func deleteWordBeforeCursor() {
        var start = cursor
        while start > 0, characters[start - 1].isWhitespace { start -= 1 }
        while start > 0, !characters[start - 1].isWhitespace { start -= 1 }
        characters.removeSubrange(start..<cursor)
        cursor = start
    }

    /// The part of the text visible in a field `width` columns wide, scrolled so the cursor is
    /// on screen, and the cursor's column inside that field.
    package func visibleSlice(width: Int) -> (text: String, cursorColumn: Int) {
        guard width > 1 else { return ("", 0) }
        var start = 0
        var columnsBeforeCursor = cursorColumn
        while columnsBeforeCursor > width - 1, start < cursor {
            columnsBeforeCursor -= TerminalText.width(of: characters[start])
            start += 1
        }
        var shown = ""
        var used = 0
        var index = start
        while index < characters.count {
            let characterWidth = TerminalText.width(of: characters[index])
            if used + characterWidth > width { break }
            shown.append(characters[index])
            used += characterWidth
            index += 1
        }
        return (shown, columnsBeforeCursor)
    }
}
