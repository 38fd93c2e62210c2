import Foundation
import TestSupport
import Testing

/// Issue 15's two input bugs, reproduced in a real terminal (tmux) on the real app and a real
/// audit file: a 100 KB paste into the note editor, and typing after `:run` and `:diff`.
/// What the app recorded is read back with the CLI (`history`), event by event.
@Suite(.serialized, .enabled(if: TUITmux.tmuxPath != nil, "tmux is not installed: run `make deps` (or apt-get install tmux)"))
struct InputSafetyEndToEndTests {
    static func history(_ dataset: URL, _ database: URL) throws -> [String] {
        let result = try Executable.run(["history", dataset.path, "--db", database.path])
        #expect(result.status == 0, "history: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init).filter { $0 != "no history yet" }
    }

    @Test func aHugePasteIntoTheNoteEditorSavesTheNoteAndNothingElse() throws {
        let (dataset, database) = try TUIEngineEndToEndTests.fixture("paste")
        let recorded = try Executable.run([
            "verdict", dataset.path, "7", "label_wrong", "--db", database.path, "--reviewer", "ana",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let session = try TUISession(
            name: "paste", environment: TUIEngineEndToEndTests.environment, subcommand: [],
            arguments: [dataset.path, "--db", database.path, "--reviewer", "ana", "--no-image"])
        try session.waitForText("evidence ready", timeout: 60)
        try session.send(":")
        try session.type("goto 7")
        try session.send("Enter")
        try session.waitFor("face 7") { TUIEngineEndToEndTests.shownID($0) == "7" }
        try session.send("e")
        try session.waitFor("the note editor") { $0.split(separator: "\n").contains { $0.hasPrefix("note:") } }
        // 100 KB with digits, tildes and line breaks, pasted the way a terminal pastes it.
        var text = ""
        var line = 0
        while text.utf8.count < 100_000 {
            text += "line \(line): 2 0 1 ~ 1234 frames faint 眼鏡\n"
            line += 1
        }
        let file = try TemporaryFolder("paste").write(text, to: "paste.txt")
        try TUITmux.run(["-L", session.socket, "load-buffer", "-b", "big", file.path])
        try TUITmux.run(["-L", session.socket, "paste-buffer", "-p", "-b", "big", "-t", session.target])
        try session.waitFor("the paste in the editor") { $0.contains("note:") && $0.contains("frames faint") }
        #expect(try Self.history(dataset, database).count == 1, "the paste wrote an event")
        try session.send("Enter")
        try session.waitForText("note saved")
        let events = try Self.history(dataset, database)
        #expect(events.count == 2)
        #expect(events.last?.contains("ana  7  note") == true, "the second event is the note: \(events.last ?? "")")
        let notes = try Executable.run(["notes", dataset.path, "--db", database.path, "--json"])
        #expect(notes.stdout.contains("\"label_wrong\""))
        #expect(!notes.stdout.contains("\"label_ok\""))
        #expect(notes.stdout.contains("line 0: 2 0 1 ~ 1234 frames faint 眼鏡 line 1:"))
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }

    @Test func typingAfterRunAndDiffPanelsRecordsNothing() throws {
        let (dataset, database) = try TUIEngineEndToEndTests.fixture("panels")
        let predictions = dataset.deletingLastPathComponent().appendingPathComponent("classifier.csv")
        let session = try TUISession(
            name: "panels", environment: TUIEngineEndToEndTests.environment, subcommand: [],
            arguments: [
                dataset.path, "--db", database.path, "--reviewer", "ana",
                "--predictions", predictions.path, "--no-image",
            ])
        try session.waitForText("evidence ready", timeout: 60)
        // :run opens a panel; typed text (digits, f, t, e) lands nowhere while it is open.
        try session.send(":")
        try session.type("run")
        try session.send("Enter")
        try session.waitForText("model runs")
        try session.type("1234ft")
        try session.send("e")
        try session.type("oops")
        try session.send("Enter")
        // ':' at a panel closes it and opens the command line: what follows is a command.
        try session.send(":")
        try session.type("goto 43")
        try session.send("Enter")
        try session.waitFor("face 43") { TUIEngineEndToEndTests.shownID($0) == "43" }
        // :diff opens a panel; keys typed ahead in the same read as the q that closes it record
        // nothing. (ESC followed at once by a key is Alt+key, as in every terminal app.)
        try session.send(":")
        try session.type("diff latent classifier")
        try session.send("Enter")
        try session.waitForText("diff latent -> classifier")
        try session.type("ff2")
        try TUITmux.run(["-L", session.socket, "send-keys", "-t", session.target, "q", "2", "f", "1"])
        try session.waitFor("panel closed") { !$0.contains("diff latent -> classifier") }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try Self.history(dataset, database).isEmpty, "typing at panels recorded something")
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }
}
