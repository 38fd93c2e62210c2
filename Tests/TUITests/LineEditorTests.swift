import Testing

@testable import LabelAuditTUI

@Suite struct LineEditorTests {
    @Test func typesUTF8AndWideCharactersAndTracksColumns() {
        var editor = LineEditor()
        for character in "café 眼鏡" { _ = editor.apply(.character(character)) }
        #expect(editor.text == "café 眼鏡")
        #expect(editor.cursor == 7)
        #expect(editor.cursorColumn == 9)  // 5 narrow + 2 wide characters
        _ = editor.apply(.left)
        #expect(editor.cursorColumn == 7)
        _ = editor.apply(.backspace)
        #expect(editor.text == "café 鏡")
        #expect(editor.cursorColumn == 5)
    }

    @Test func backspaceRemovesAWholeGraphemeWithItsCombiningMark() {
        var editor = LineEditor(text: "ok e\u{301}")
        #expect(editor.characters.count == 4)
        _ = editor.apply(.backspace)
        #expect(editor.text == "ok ")
    }

    @Test func homeEndAndReadlineKeys() {
        var editor = LineEditor(text: "faint thin frames")
        _ = editor.apply(.home)
        #expect(editor.cursor == 0)
        _ = editor.apply(.control("e"))
        #expect(editor.cursor == 17)
        _ = editor.apply(.control("w"))
        #expect(editor.text == "faint thin ")
        _ = editor.apply(.control("a"))
        _ = editor.apply(.right)
        _ = editor.apply(.control("k"))
        #expect(editor.text == "f")
        _ = editor.apply(.end)
        _ = editor.apply(.character("x"))
        _ = editor.apply(.control("u"))
        #expect(editor.text == "")
        #expect(editor.cursor == 0)
    }

    @Test func deleteRemovesUnderTheCursor() {
        var editor = LineEditor(text: "abc")
        _ = editor.apply(.home)
        _ = editor.apply(.delete)
        #expect(editor.text == "bc")
        _ = editor.apply(.end)
        _ = editor.apply(.delete)
        #expect(editor.text == "bc")
    }

    @Test func pasteFlattensLineBreaksAndDropsControlCharacters() {
        var editor = LineEditor(text: "note: ")
        _ = editor.apply(.paste("two\nlines\u{1B}[31m red\u{7}"))
        #expect(editor.text == "note: two lines?[31m red?")
    }

    @Test func enterSubmitsAndEscapeCancels() {
        var editor = LineEditor(text: "眼鏡")
        #expect(editor.apply(.enter) == .submitted("眼鏡"))
        #expect(editor.apply(.escape) == .cancelled)
        #expect(editor.apply(.character("a")) == .editing)
    }

    @Test func inputPastTheMaximumIsDropped() {
        var editor = LineEditor(text: "", maximumLength: 3)
        _ = editor.apply(.paste("abcdef"))
        #expect(editor.text == "abc")
        _ = editor.apply(.character("z"))
        #expect(editor.text == "abc")
    }

    @Test func visibleSliceScrollsByColumnsKeepingTheCursorOnScreen() {
        let editor = LineEditor(text: "眼鏡眼鏡眼鏡")  // 12 columns
        let slice = editor.visibleSlice(width: 7)
        #expect(slice.text == "鏡眼鏡")
        #expect(slice.cursorColumn == 6)
        #expect(TerminalText.width(of: slice.text) <= 7)
        var atStart = editor
        _ = atStart.apply(.home)
        #expect(atStart.visibleSlice(width: 7) == ("眼鏡眼", 0))
    }
}
