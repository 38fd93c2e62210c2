import Foundation
import LabelAuditCore
import TestSupport
import Testing

/// The real app (`labelaudit DATASET`, the default command) on a small real dataset: JPEG
/// files from the demo generator, the evidence engine, the SQLite audit store. Driven in tmux;
/// what the reviewer did is then read back with the CLI (`notes --json`, `history`).
@Suite(.serialized, .enabled(if: TUITmux.tmuxPath != nil, "tmux is not installed: run `make deps` (or apt-get install tmux)"))
struct TUIEngineEndToEndTests {
    static let environment = ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "COLORTERM": "truecolor", "NO_COLOR": ""]

    static func fixture(_ name: String) throws -> (dataset: URL, database: URL) {
        try SmallDataset.make(name)
    }

    /// The id in the detail panel ("id      47  train").
    static func shownID(_ screen: String) -> String? {
        for line in screen.split(separator: "\n") {
            guard let range = line.range(of: #" id +(\S+)  (train|test)"#, options: .regularExpression) else { continue }
            let words = line[range].split(separator: " ")
            if words.count >= 2 { return String(words[1]) }
        }
        return nil
    }

    @Test func reviewTheRealDatasetThenReadTheStoreWithTheCLI() throws {
        _ = try TUITmux.binary
        let (dataset, database) = try Self.fixture("engine")
        let predictions = dataset.deletingLastPathComponent().appendingPathComponent("classifier.csv")
        let session = try TUISession(
            name: "engine", environment: Self.environment, subcommand: [],
            arguments: [
                dataset.path, "--db", database.path, "--reviewer", "alice",
                "--predictions", predictions.path, "--no-image",
            ])
        var screen = try session.waitForText("evidence ready: classifier, latent", timeout: 60)
        #expect(screen.contains("reviewer alice  truecolor"))
        #expect(try session.value("#{alternate_on}") == "1")
        #expect(try session.screen(escapes: true).contains("\u{1B}[38;2;"), "the face is drawn from its JPEG in 24-bit colour")
        #expect(screen.contains("neighbours in latent space"))
        #expect(screen.contains(" p       0."), "the detail shows each run's p")

        // Move down, open a neighbour, come back.
        let first = try #require(Self.shownID(screen))
        try session.send("j")
        screen = try session.waitFor("the second face") { Self.shownID($0) != nil && Self.shownID($0) != first }
        let second = try #require(Self.shownID(screen))
        try session.send("Tab", "Enter")
        screen = try session.waitForText("\(second) (Bksp back)")
        let opened = try #require(Self.shownID(screen))
        #expect(opened != second)
        try session.send("BSpace")
        screen = try session.waitFor("back on \(second)") { Self.shownID($0) == second && !$0.contains("(Bksp back)") }

        // Verdicts, a note with accents and wide characters, undo of the last verdict.
        try session.recordVerdictsNoteAndUndo(id: second, reviewer: "alice")

        // Flag the face. R retrains the picture models: with --no-image and no model command
        // there is none, and it says so (RerunEndToEndTests drives R with the image model).
        try session.send("f")
        try session.waitForText("id \(second): flagged (saved)")
        try session.send("R")
        try session.waitForText("rerun: no picture model to retrain", timeout: 60)

        // Export the audit report (a background job) beside the audit database.
        try session.send("x")
        try session.waitForText("report written: ", timeout: 60)
        let reportFile = database.deletingLastPathComponent().appendingPathComponent("labelaudit-report.html")
        #expect(FileManager.default.fileExists(atPath: reportFile.path))

        // Switch the run that ranks the queue, and diff two runs.
        try session.send(":")
        try session.type("run classifier")
        try session.send("Enter")
        screen = try session.waitForText("run classifier: its p is shown and ranks the queue")
        #expect(screen.contains("sort score  ranked by classifier"))
        try session.send(":")
        try session.type("diff latent classifier")
        try session.send("Enter")
        screen = try session.waitForText("diff latent -> classifier")
        #expect(screen.contains("faces scored by both"))
        try session.send("Escape")
        try session.waitFor("panel closed") { !$0.contains("diff latent -> classifier") }
        try session.send(":")
        try session.type("run nosuch")
        try session.send("Enter")
        try session.waitForText("no model run named 'nosuch'; runs: classifier, latent")

        // Resize: smaller, too small, back.
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "80", "-y", "24"])
        screen = try session.waitFor("80x24 layout") { $0.split(separator: "\n").count <= 24 && $0.contains("faces where") }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 80 })
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "50", "-y", "15"])
        try session.waitForText("terminal too small: 50x15")
        try TUITmux.run(["-L", session.socket, "resize-window", "-t", session.target, "-x", "120", "-y", "40"])
        try session.waitForText("faces where a model disagrees")

        try session.send("q")
        #expect(try session.waitForExit() == 0)
        #expect(try session.value("#{alternate_on}") == "0")

        // What reached the audit store, read by the CLI.
        let notes = try Executable.run(["notes", dataset.path, "--db", database.path, "--json"])
        #expect(notes.status == 0, "\(notes.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(notes.stdout.utf8)) as? [String: Any])
        let entries = try #require(json["entries"] as? [[String: Any]])
        let mine = try #require(entries.first { ($0["item"] as? String) == second })
        #expect(mine["reviewer"] as? String == "alice")
        #expect(mine["verdict"] as? String == "label_wrong")
        #expect(mine["note"] as? String == "café 眼鏡 frames")
        let history = try Executable.run(["history", dataset.path, "--db", database.path])
        #expect(history.status == 0)
        let lines = history.stdout.split(separator: "\n")
        #expect(lines.count == 5, "verdict, note, verdict, undo, flag: \(history.stdout)")
        #expect(lines.dropLast().last?.contains("alice  \(second)  undo verdict: label_ok -> label_wrong") == true)
        #expect(lines.last?.contains("alice  \(second)  flag") == true)
    }

    @Test func testFacesAreViewOnly() throws {
        let (dataset, database) = try Self.fixture("viewonly")
        let session = try TUISession(
            name: "viewonly", environment: Self.environment, subcommand: [],
            arguments: [dataset.path, "--db", database.path, "--reviewer", "bo", "--no-image"])
        try session.waitForText("evidence ready", timeout: 60)
        try session.send(":")
        try session.type("goto 61")
        try session.send("Enter")
        try session.waitForText("id 61 is not in this queue")
        try session.send("2")
        try session.waitForText("id 61 is a test face: test faces are view only, never labelled by a person")
        try session.send("q")
        #expect(try session.waitForExit() == 0)
        let history = try Executable.run(["history", dataset.path, "--db", database.path])
        #expect(history.stdout == "no history yet\n", "a test face takes no verdict")
    }
}
