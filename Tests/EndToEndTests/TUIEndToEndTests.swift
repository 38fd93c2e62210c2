import Foundation
import LabelAuditCore
import TestSupport
import Testing

extension TUISession {
    /// What both review tests drive on the face `id`: label_wrong (which moves on to the next
    /// face), back to it, a note with accents and wide characters, label_ok, then undo, which
    /// must bring back `reviewer`'s label_wrong.
    func recordVerdictsNoteAndUndo(id: String, reviewer: String) throws {
        try send("2")
        try waitForText("id \(id): label_wrong (saved); next face")
        try send("k")
        try waitFor("back on \(id)") { TUIEngineEndToEndTests.shownID($0) == id }
        try send("e")
        try waitFor("the note editor") { $0.split(separator: "\n").contains { $0.hasPrefix("note:") } }
        try type("café 眼鏡 frames")
        try send("Enter")
        var screen = try waitForText("id \(id): note saved (saved)")
        #expect(screen.contains("café 眼鏡 frames"))
        try send("1")
        try waitForText("id \(id): label_ok (saved)")
        try send("u")
        try waitForText("undone: last change to id \(id)")
        try send("k")
        screen = try waitFor("back on \(id)") { TUIEngineEndToEndTests.shownID($0) == id }
        #expect(screen.contains("✗ label_wrong \(reviewer)"))
    }
}

@Suite(.serialized, .enabled(if: TUITmux.tmuxPath != nil, "tmux is not installed: run `make deps` (or apt-get install tmux)"))
struct TUIEndToEndTests {
    static let utf8Truecolor = ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "COLORTERM": "truecolor", "NO_COLOR": ""]

    /// The real app on a small dataset, without the image model (the latent model is quick).
    static func session(
        _ name: String, environment: [String: String] = utf8Truecolor, columns: Int = 120, rows: Int = 40,
        extra: [String] = []
    ) throws -> (TUISession, dataset: URL, database: URL) {
        let (dataset, database) = try SmallDataset.make(name)
        let session = try TUISession(
            name: name, columns: columns, rows: rows, environment: environment,
            arguments: [dataset.path, "--db", database.path, "--no-image"] + extra)
        return (session, dataset, database)
    }

    @Test func reviewSessionUnderTmux() throws {
        let (session, dataset, database) = try Self.session("session", extra: ["--reviewer", "ana"])
        var screen = try session.waitForText("evidence ready", timeout: 60)
        #expect(screen.contains("faces where a model disagrees with the label"))
        #expect(try session.value("#{alternate_on}") == "1")
        // Pictures arrive in 24-bit colour.
        #expect(try session.screen(escapes: true).contains("\u{1B}[38;2;"))

        // Move, open a neighbour, come back.
        let first = try #require(TUIEngineEndToEndTests.shownID(screen))
        try session.send("j")
        screen = try session.waitFor("the second face") { TUIEngineEndToEndTests.shownID($0).map { $0 != first } ?? false }
        let second = try #require(TUIEngineEndToEndTests.shownID(screen))
        try session.send("Right")
        try session.send("Enter")
        screen = try session.waitForText("\(second) (Bksp back)")
        try session.send("BSpace")
        screen = try session.waitFor("back on \(second)") {
            TUIEngineEndToEndTests.shownID($0) == second && !$0.contains("(Bksp back)")
        }

        // Verdicts, a note with non-ASCII and wide text, undo of the last one.
        try session.recordVerdictsNoteAndUndo(id: second, reviewer: "ana")

        // Resize: the layout follows; too small says so; back again.
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "80", "-y", "24"])
        screen = try session.waitFor("80x24 layout") { $0.split(separator: "\n").count <= 24 && $0.contains("faces where") }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 80 })
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "50", "-y", "15"])
        try session.waitForText("terminal too small: 50x15")
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "120", "-y", "40"])
        try session.waitForText("faces where a model disagrees")

        // SIGTERM restores the terminal and says so.
        let pid = try #require(try session.appProcessID())
        #expect(kill(pid, SIGTERM) == 0)
        #expect(try session.waitForExit() == 143)
        #expect(try session.value("#{alternate_on}") == "0")
        #expect(try session.screenWithHistory().contains("labelaudit: stopped by SIGTERM; every change so far is saved"))
        let notes = try Executable.run(["notes", dataset.path, "--db", database.path, "--json"])
        #expect(notes.stdout.contains("\"café 眼鏡 frames\""))
    }

    @Test func quitWithQRestoresTheTerminal() throws {
        let (session, _, _) = try Self.session("quit", extra: ["--reviewer", "bo"])
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
        let (session, _, _) = try Self.session("crash\(signal)", extra: ["--reviewer", "bo"])
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
        let (session, _, _) = try Self.session(
            "plain",
            environment: [
                "LANG": "C", "LC_ALL": "C", "NO_COLOR": "1",
                "COLORTERM": "truecolor",
            ], extra: ["--reviewer", "cy", "--no-mouse"])
        let screen = try session.waitForText("reviewer cy  none")
        #expect(screen.contains("no UTF-8 locale: ASCII glyphs, coarse pictures; run with LANG=C.UTF-8"))
        #expect(!screen.contains("│"))
        #expect(screen.contains("|"))
        #expect(!(try session.screen(escapes: true)).contains("\u{1B}[38;2;"))
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }

    @Test func fatalErrorIsPrintedAfterTheTerminalIsRestored() throws {
        let (session, _, _) = try Self.session("fatal", extra: ["--frame-log", "/nonexistent-labelaudit-dir/frames.log"])
        #expect(try session.waitForExit() == 1)
        #expect(try session.value("#{alternate_on}") == "0")
        #expect(
            try session.screenWithHistory().contains(
                "labelaudit: cannot write the frame log /nonexistent-labelaudit-dir/frames.log: check the folder exists and is writable"
            ))
    }

    @Test func badColorsArgumentIsRefusedBeforeTheScreenOpens() throws {
        let (session, _, _) = try Self.session("badcolors", extra: ["--colors", "rainbow"])
        #expect(try session.waitForExit() == 64)
        #expect(
            try session.screenWithHistory().contains(
                "Error: --colors 'rainbow' is not a colour mode: use truecolor, 256, 16 or none"))
    }
}
