import LabelAuditCore
import Foundation
import Testing
import TestSupport

/// One tmux server (private socket) with one session running the app.
extension TUISession {
    /// What both review tests drive on the face `id`: label_wrong, a note with accents and wide
    /// characters, label_ok, then undo, which must bring back `reviewer`'s label_wrong.
    func recordVerdictsNoteAndUndo(id: String, reviewer: String) throws {
        try send("2")
        try waitForText("id \(id): label_wrong (saved)")
        try send("e")
        try waitFor("the note editor") { $0.split(separator: "\n").contains { $0.hasPrefix("note:") } }
        try type("café 眼鏡 frames")
        try send("Enter")
        var screen = try waitForText("id \(id): note saved (saved)")
        #expect(screen.contains("café 眼鏡 frames"))
        try send("1")
        try waitForText("id \(id): label_ok (saved)")
        try send("u")
        screen = try waitForText("undone: last change to id \(id)")
        #expect(screen.contains("✗ label_wrong \(reviewer)"))
    }
}

@Suite(.serialized, .enabled(if: TUITmux.tmuxPath != nil, "tmux is not installed: run `make deps` (or apt-get install tmux)"))
struct TUIEndToEndTests {
    static let utf8Truecolor = ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "COLORTERM": "truecolor", "NO_COLOR": ""]

    @Test func reviewSessionUnderTmux() throws {
        _ = try TUITmux.binary
        let folder = try TUITmux.scratch("session")
        let export = folder.appendingPathComponent("export.csv")
        let session = try TUISession(name: "session", environment: Self.utf8Truecolor,
                                     arguments: ["--reviewer", "ana", "--export", export.path])
        var screen = try session.waitForText("1/6  filter ranked  sort score  reviewer ana  truecolor")
        #expect(screen.contains("id      14  train"))
        #expect(try session.value("#{alternate_on}") == "1")
        // Pictures arrive in 24-bit colour.
        #expect(try session.screen(escapes: true).contains("\u{1B}[38;2;"))

        // Move, open a neighbour, come back.
        try session.send("j")
        screen = try session.waitForText("2/6  filter ranked")
        #expect(screen.contains("id      47  train"))
        try session.send("Tab", "Enter")
        screen = try session.waitForText("47 (Bksp back)")
        #expect(!screen.contains("id      47  train"))
        try session.send("BSpace")
        screen = try session.waitForText("id      47  train")
        #expect(!screen.contains("(Bksp back)"))

        // Verdicts, a note with non-ASCII and wide text, undo of the last one.
        try session.recordVerdictsNoteAndUndo(id: "47", reviewer: "ana")

        // Resize: the layout follows; too small says so; back again.
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "80", "-y", "24"])
        screen = try session.waitFor("80x24 layout") { $0.split(separator: "\n").count <= 24 && $0.contains("2/6  filter") }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 80 })
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "50", "-y", "15"])
        try session.waitForText("terminal too small: 50x15")
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "120", "-y", "40"])
        try session.waitForText("2/6  filter ranked")

        // Export (a background job) and check what reached the data.
        try session.send("x")
        try session.waitForText("exported 2 annotated faces to")
        let csv = try String(contentsOf: export, encoding: .utf8)
        #expect(csv == "id,reviewer,verdict,flagged,tags,note\n3,colleague,unsure,0,,\n47,ana,label_wrong,0,,café 眼鏡 frames\n")

        // SIGTERM restores the terminal and says so.
        let pid = try #require(try session.appProcessID())
        #expect(kill(pid, SIGTERM) == 0)
        #expect(try session.waitForExit() == 143)
        #expect(try session.value("#{alternate_on}") == "0")
        #expect(try session.screenWithHistory().contains("labelaudit: stopped by SIGTERM; every change so far is saved"))
    }

    @Test func quitWithQRestoresTheTerminal() throws {
        let session = try TUISession(name: "quit", environment: Self.utf8Truecolor, arguments: ["--reviewer", "bo"])
        try session.waitForText("reviewer bo")
        try session.send("?")
        try session.waitForText("keys and commands")
        // Help owns the keys: a verdict key does nothing, Escape closes it.
        try session.send("2")
        try session.send("Escape")
        try session.waitFor("help closed") { !$0.contains("keys and commands") }
        try session.send("q")
        #expect(try session.waitForExit() == 0)
        #expect(try session.value("#{alternate_on}") == "0")
    }

    /// A crash (a Swift trap is SIGILL, a bad access SIGSEGV, abort SIGABRT) dies with its
    /// signal but leaves the terminal usable: main screen, cursor shown, no mouse reporting.
    @Test(arguments: [SIGILL, SIGSEGV, SIGABRT])
    func aCrashRestoresTheTerminal(signal: Int32) throws {
        let session = try TUISession(name: "crash\(signal)", environment: Self.utf8Truecolor, arguments: ["--reviewer", "bo"])
        try session.waitForText("reviewer bo")
        #expect(try session.value("#{alternate_on}") == "1")
        #expect(try session.value("#{mouse_any_flag}") == "1")
        let pid = try #require(try session.appProcessID())
        #expect(kill(pid, signal) == 0)
        #expect(try session.waitForExit() == 128 + Int(signal))
        #expect(try session.value("#{alternate_on}") == "0")
        #expect(try session.value("#{mouse_any_flag}") == "0")
        #expect(try session.value("#{cursor_flag}") == "1")
    }

    @Test func noColorAndNoUTF8FallBack() throws {
        let session = try TUISession(name: "plain", environment: ["LANG": "C", "LC_ALL": "C", "NO_COLOR": "1",
                                                                  "COLORTERM": "truecolor"],
                                     arguments: ["--reviewer", "cy", "--no-mouse"])
        let screen = try session.waitForText("reviewer cy  none")
        #expect(screen.contains("no UTF-8 locale: ASCII glyphs, coarse pictures; run with LANG=C.UTF-8"))
        #expect(!screen.contains("│"))
        #expect(screen.contains("|"))
        #expect(!(try session.screen(escapes: true)).contains("\u{1B}[38;2;"))
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }

    @Test func fatalErrorIsPrintedAfterTheTerminalIsRestored() throws {
        let session = try TUISession(name: "fatal", environment: Self.utf8Truecolor,
                                     arguments: ["--frame-log", "/nonexistent-labelaudit-dir/frames.log"])
        #expect(try session.waitForExit() == 1)
        #expect(try session.value("#{alternate_on}") == "0")
        #expect(try session.screenWithHistory().contains(
            "labelaudit: cannot write the frame log /nonexistent-labelaudit-dir/frames.log: check the folder exists and is writable"))
    }

    @Test func badColorsArgumentIsRefusedBeforeTheScreenOpens() throws {
        let session = try TUISession(name: "badcolors", environment: Self.utf8Truecolor, arguments: ["--colors", "rainbow"])
        #expect(try session.waitForExit() == 64)
        #expect(try session.screenWithHistory().contains("Error: --colors 'rainbow' is not a colour mode: use truecolor, 256, 16 or none"))
    }
}
