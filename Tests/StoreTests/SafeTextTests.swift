import LabelAuditCore
import Testing

@Suite struct SafeTextDisplay {
    @Test func escapeSequencesAndControlsAreRemoved() {
        #expect(TerminalSafeText.sanitized("\u{1B}[2J\u{1B}[Hhi\u{1B}[31mred\u{1B}[0m") == "hired")
        #expect(TerminalSafeText.sanitized("a\u{1B}]0;title\u{07}b\u{1B}]8;;http://x\u{1B}\\c") == "abc")
        #expect(TerminalSafeText.sanitized("a\u{9B}31mb\u{0}c\u{7F}d\u{85}e") == "abcde")
        #expect(TerminalSafeText.sanitized("tab\there\nline\r") == "tab here line")
        #expect(TerminalSafeText.sanitized("x\ny", keepNewlines: true) == "x\ny")
        #expect(TerminalSafeText.sanitized("\u{1B}(Bok\u{1B}") == "ok")
    }

    @Test func bidiOverridesGoButRightToLeftTextAndCombiningMarksStay() {
        #expect(TerminalSafeText.sanitized("\u{202E}gnp.exe\u{202C} \u{2067}x\u{2069}") == "gnp.exe x")
        let hebrew = "\u{05E9}\u{05DC}\u{05D5}\u{05DD} e\u{301}"
        #expect(Array(TerminalSafeText.sanitized(hebrew).unicodeScalars) == Array(hebrew.unicodeScalars))
    }

    @Test func htmlIsEscapedAfterSanitizing() {
        #expect(
            "<script>alert('x') & \"y\"</script>\u{1B}[1m".htmlEscaped
                == "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;")
        #expect("two\nlines\u{0}".htmlEscaped == "two\nlines")
        #expect("'); DROP TABLE event; --".terminalSafe == "'); DROP TABLE event; --")
    }
}
