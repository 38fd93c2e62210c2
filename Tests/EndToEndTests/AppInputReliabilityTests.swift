import Foundation
import TestSupport
import Testing

/// The review app's row of the reliability suite (`make reliability`, issue 15): input that
/// must not record anything, hostile text that must not reach the terminal raw, and crashes
/// that must leave the terminal usable, each in a real terminal (tmux) on a real audit file.
/// Counts go to `$LABELAUDIT_RELIABILITY_ROWS` as the `app-input` row; `make test` runs the
/// same cases and fails on any non-zero count.
@Suite(.serialized, .enabled(if: TUITmux.tmuxPath != nil, "tmux is not installed: run `make deps` (or apt-get install tmux)"))
struct AppInputReliabilityTests {
    struct Tally {
        var tried = 0, crashes = 0, hangs = 0, wrongExit = 0, wrongMessage = 0, rawControl = 0, accidentalEvents = 0
        var failures: [String] = []

        var row: String {
            "row app-input tried=\(tried) crashes=\(crashes) hangs=\(hangs) wrong_exit=\(wrongExit) wrong_message=\(wrongMessage) "
                + "raw_control=\(rawControl) accidental_events=\(accidentalEvents)"
        }
    }

    static func events(_ dataset: URL, _ database: URL) throws -> Int {
        try Executable.run(["history", dataset.path, "--db", database.path]).stdout
            .split(separator: "\n").filter { $0 != "no history yet" }.count
    }

    /// Opens the app on a fresh small dataset, waits for the evidence, runs `body`, then
    /// compares the events written with `expected` and checks the app is alive.
    static func run(
        _ name: String, expected: Int = 0, tally: inout Tally, prepare: (URL, URL) throws -> Void = { _, _ in },
        _ body: (TUISession) throws -> Void
    ) {
        tally.tried += 1
        do {
            let (dataset, database) = try SmallDataset.make("rel-\(name)")
            try prepare(dataset, database)
            let before = try events(dataset, database)
            let session = try TUISession(
                name: "rel-\(name)", environment: TUIEndToEndTests.utf8Truecolor,
                arguments: [dataset.path, "--db", database.path, "--no-image", "--reviewer", "rel"])
            try session.waitForText("evidence ready", timeout: 60)
            try body(session)
            Thread.sleep(forTimeInterval: 0.3)
            if try session.screenWithHistory().contains("app exited with status") {
                tally.crashes += 1
                tally.failures.append("\(name): the app ended")
            }
            let written = try events(dataset, database) - before
            if written != expected {
                tally.accidentalEvents += abs(written - expected)
                tally.failures.append("\(name): \(written) events written, \(expected) expected")
            }
        } catch {
            tally.hangs += 1
            tally.failures.append("\(name): \(error)")
        }
    }

    static let bracketedStart = "\u{1B}[200~", bracketedEnd = "\u{1B}[201~"

    /// Sends raw bytes as if the terminal had (tmux send-keys -H: hex bytes, one write).
    static func sendBytes(_ session: TUISession, _ bytes: [UInt8]) throws {
        for chunk in stride(from: 0, to: bytes.count, by: 512) {
            let hex = bytes[chunk..<min(bytes.count, chunk + 512)].map { String(format: "%02x", $0) }
            try TUITmux.run(["-L", session.socket, "send-keys", "-t", session.target, "-H"] + hex)
        }
    }

    @Test func theAppsInputRecordsNothingByAccident() throws {
        var tally = Tally()
        var paste = ""
        var line = 0
        while paste.utf8.count < 100_000 {
            paste += "\(line) 2 0 1 ~ 1234 f u frames\n"
            line += 1
        }
        let file = try TemporaryFolder("rel-paste").write(paste, to: "paste.txt")

        // A 100 KB bracketed paste into the note editor, then Enter: one note, nothing else.
        Self.run("paste-note", expected: 1, tally: &tally) { session in
            try session.send("e")
            try session.waitFor("editor") { $0.split(separator: "\n").contains { $0.hasPrefix("note:") } }
            try TUITmux.run(["-L", session.socket, "load-buffer", "-b", "p", file.path])
            try TUITmux.run(["-L", session.socket, "paste-buffer", "-p", "-b", "p", "-t", session.target])
            try session.waitFor("paste in") { $0.contains("note:") && $0.contains("frames") }
            try session.send("Enter")
            try session.waitForText("note saved")
        }
        // The same paste outside any editor: ignored.
        Self.run("paste-queue", tally: &tally) { session in
            try TUITmux.run(["-L", session.socket, "load-buffer", "-b", "p", file.path])
            try TUITmux.run(["-L", session.socket, "paste-buffer", "-p", "-b", "p", "-t", session.target])
            try session.waitForText("ignored a paste")
        }
        // Without brackets (a terminal that does not bracket): a burst of digits and keys.
        Self.run("burst", tally: &tally) { session in
            try session.type("1234fu2143ffuu")
            try session.waitForText("ignored '")
        }
        // A paste whose end marker arrives in a later write, one byte at a time.
        Self.run("split-marker", expected: 1, tally: &tally) { session in
            try session.send("e")
            try session.waitFor("editor") { $0.split(separator: "\n").contains { $0.hasPrefix("note:") } }
            try Self.sendBytes(session, Array((Self.bracketedStart + "2 0 1 ~ note").utf8))
            for byte in Array(Self.bracketedEnd.utf8) {
                try Self.sendBytes(session, [byte])
                Thread.sleep(forTimeInterval: 0.02)
            }
            try Self.sendBytes(session, Array("2".utf8))
            try session.send("Enter")
            try session.waitForText("note saved")
        }
        // Every panel, with keys typed at it and right behind the key that closes it.
        for (panel, open) in [("help", ["?"]), ("runs", [":", "run", "Enter"]), ("diff", [":", "diff latent latent", "Enter"])] {
            Self.run("panel-\(panel)", tally: &tally) { session in
                for key in open { try key.count > 1 && key != "Enter" ? session.type(key) : session.send(key) }
                try session.waitFor("\(panel) open") { $0.contains("Esc close") }
                try session.type("1234ftue")
                try TUITmux.run(["-L", session.socket, "send-keys", "-t", session.target, "q", "2", "f", "1", "u"])
                try session.waitFor("\(panel) closed") { !$0.contains("Esc close") }
            }
        }
        // Escape sequences the app does not know, mouse reports whose raw bytes are digits,
        // an OSC 52 clipboard write and a title change sent as input: none becomes a key.
        Self.run("sequences", tally: &tally) { session in
            let noise =
                "\u{1B}[12;34;56X\u{1B}[?1;2$y\u{1B}]52;c;MTIzNA==\u{07}\u{1B}]0;1234\u{07}\u{1B}[M\u{20}\u{31}\u{32}"
                + "\u{1B}[<0;1;2m\u{1B}O2\u{1B}[2~\u{1B}P1$r0m\u{1B}\\"
            try Self.sendBytes(session, Array(noise.utf8))
            try session.send("j")
            try session.waitForText("2/")
        }

        // Hostile text from the data (a teammate's note): nothing of it reaches the terminal raw.
        tally.tried += 1
        do {
            let (dataset, database) = try SmallDataset.make("rel-hostile")
            let hostile = "evil \u{1B}]52;c;aGFja2Vk\u{07}\u{1B}]0;pwned\u{07}\u{1B}[2J\u{202E}tail"
            let first = try Executable.run(["rank", dataset.path, "--no-image", "--top", "1", "--json"]).stdout
            let id = try #require(
                first.range(of: #""id" : "(\d+)""#, options: .regularExpression).map {
                    String(first[$0].split(separator: "\"")[2])
                })
            _ = try Executable.run([
                "verdict", dataset.path, id, "unsure", "--db", database.path, "--reviewer", "bo", "--note", hostile,
            ])
            let session = try TUISession(
                name: "rel-hostile", environment: TUIEndToEndTests.utf8Truecolor,
                arguments: [dataset.path, "--db", database.path, "--no-image", "--reviewer", "rel"])
            try TUITmux.run(["-L", session.socket, "set-option", "-g", "set-clipboard", "on"])
            let title = try session.value("#{pane_title}")
            try session.waitForText("evidence ready", timeout: 60)
            try session.send(":")
            try session.type("goto \(id)")
            try session.send("Enter")
            try session.waitForText("evil")
            // The note shows with each control as a visible ?: the clipboard and the title are
            // untouched, the screen was not cleared, the line not reversed.
            let plain = try session.screen()
            let buffers = try TUITmux.run(["-L", session.socket, "list-buffers"]).output
            if try session.value("#{pane_title}") != title || !plain.contains("?]52;c;aGFja2Vk?")
                || buffers.contains("hacked") || plain.contains("\u{202E}") || !plain.contains("neighbours in latent space")
            {
                tally.rawControl += 1
                tally.failures.append("hostile note reached the terminal")
            }
        } catch {
            tally.hangs += 1
            tally.failures.append("hostile: \(error)")
        }

        // Crashes leave the terminal usable: main screen, no mouse reporting, cursor shown.
        for signal in [SIGILL, SIGSEGV, SIGBUS, SIGABRT] {
            tally.tried += 1
            do {
                let (session, _, _) = try TUIEndToEndTests.session("rel-crash-\(signal)", extra: ["--reviewer", "rel"])
                try session.waitForText("evidence ready", timeout: 60)
                let pid = try #require(try session.appProcessID())
                kill(pid, signal)
                if try session.waitForExit() != 128 + Int(signal) { tally.wrongExit += 1 }
                if try session.value("#{alternate_on}") != "0" || session.value("#{mouse_any_flag}") != "0"
                    || session.value("#{cursor_flag}") != "1"
                {
                    tally.rawControl += 1
                    tally.failures.append("signal \(signal): terminal not restored")
                }
            } catch {
                tally.hangs += 1
                tally.failures.append("signal \(signal): \(error)")
            }
        }

        if let path = ProcessInfo.processInfo.environment["LABELAUDIT_RELIABILITY_ROWS"], !path.isEmpty,
            let handle = FileHandle(forWritingAtPath: path)
        {
            handle.seekToEndOfFile()
            handle.write(Data((tally.row + "\n").utf8))
            try? handle.close()
        }
        #expect(tally.failures.isEmpty, "\(tally.row): \(tally.failures)")
        #expect(tally.tried == 13)
    }
}
