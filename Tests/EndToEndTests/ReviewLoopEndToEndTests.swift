import Foundation
import TestSupport
import Testing

/// Issue 19's review loop in a real terminal (tmux), on the real app and a real audit file.
@Suite(.serialized, .enabled(if: TUITmux.tmuxPath != nil, "tmux is not installed: run `make deps` (or apt-get install tmux)"))
struct ReviewLoopEndToEndTests {
    static func history(_ dataset: URL, _ database: URL) throws -> [String] {
        try Executable.run(["history", dataset.path, "--db", database.path]).stdout
            .split(separator: "\n").map(String.init).filter { $0 != "no history yet" }
    }

    @Test func aReviewerWorksThroughTheQueue() throws {
        let (session, dataset, database) = try TUIEndToEndTests.session(
            "loop", columns: 200, rows: 60,
            extra: ["--reviewer", "ana"])
        try session.waitForText("evidence ready", timeout: 60)
        try session.send(":")
        try session.type("filter train")
        try session.send("Enter")
        try session.waitForText("1/60 train faces")

        // 50 verdicts, each moving on to the next face by itself.
        for index in 1...50 {
            try session.send(index % 7 == 0 ? "2" : "1")
            try session.waitForText("\(index + 1)/60 train faces")
        }
        var events = try Self.history(dataset, database)
        #expect(events.count == 50)
        #expect(events.filter { $0.contains("-> label_wrong") }.count == 7)

        // n: the next face nobody has a verdict on (row 51), also from the top.
        try session.send("g")
        try session.waitForText("1/60 train faces")
        try session.send("n")
        try session.waitForText("51/60 train faces")

        // A note on this face, then find it by a word of its text from the top.
        let noted = try #require(TUIEngineEndToEndTests.shownID(try session.screen()))
        try session.send("e")
        try session.waitFor("the note editor") { $0.split(separator: "\n").contains { $0.hasPrefix("note:") } }
        try session.type("thin wire frames, barely visible")
        try session.send("Enter")
        try session.waitForText("note saved")
        try session.send("g")
        try session.waitForText("1/60 train faces")
        try session.send("/")
        try session.type("barely")
        try session.send("Enter")
        try session.waitForText("match 1 of 1 for 'barely'")
        #expect(TUIEngineEndToEndTests.shownID(try session.screen()) == noted)

        // The whole neighbour strip with the arrows, then open the last neighbour.
        try session.send("Right")
        var screen = try session.waitForText("Left/Right move, Enter open")
        let total = try #require(Self.neighbourCount(screen))
        for _ in 1..<total {
            try session.send("Right")
        }
        screen = try session.waitFor("the last neighbour in view") { screen in
            guard let range = Self.neighbourRange(screen) else { return false }
            return range.last == total
        }
        try session.send("Enter")
        screen = try session.waitForText("\(noted) (Bksp back)")
        #expect(TUIEngineEndToEndTests.shownID(screen) != noted)
        try session.send("BSpace")
        try session.waitFor("back") { TUIEngineEndToEndTests.shownID($0) == noted }

        // A second process records a verdict: it shows within a second, without a key.
        try session.send("G")
        screen = try session.waitForText("60/60 train faces")
        let last = try #require(TUIEngineEndToEndTests.shownID(screen))
        let started = Date()
        let cli = try Executable.run(["verdict", dataset.path, last, "label_wrong", "--db", database.path, "--reviewer", "bo"])
        #expect(cli.status == 0, "\(cli.stderr)")
        try session.waitFor("bo's verdict on screen", timeout: 1.5) { $0.contains("✗ label_wrong bo") }
        #expect(Date().timeIntervalSince(started) < 1.5)
        events = try Self.history(dataset, database)
        #expect(events.count == 52)
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }

    /// "neighbours in latent space 1-5 of 8" -> 8.
    static func neighbourCount(_ screen: String) -> Int? {
        guard let range = screen.range(of: #"neighbours in latent space \d+-\d+ of (\d+)"#, options: .regularExpression) else {
            return nil
        }
        return Int(screen[range].split(separator: " ").last ?? "")
    }

    static func neighbourRange(_ screen: String) -> ClosedRange<Int>? {
        guard let range = screen.range(of: #"latent space \d+-\d+"#, options: .regularExpression) else { return nil }
        let numbers = screen[range].split(separator: " ").last?.split(separator: "-").compactMap { Int($0) } ?? []
        return numbers.count == 2 ? numbers[0]...numbers[1] : nil
    }

    /// `y` puts the image's path on the clipboard through OSC 52: tmux (with set-clipboard on)
    /// keeps it as its newest paste buffer.
    @Test func yCopiesThePathToTheClipboard() throws {
        let (session, dataset, _) = try TUIEndToEndTests.session("clipboard", extra: ["--reviewer", "ana"])
        try TUITmux.run(["-L", session.socket, "set-option", "-g", "set-clipboard", "on"])
        let screen = try session.waitForText("evidence ready", timeout: 60)
        let id = try #require(TUIEngineEndToEndTests.shownID(screen))
        try session.send("y")
        try session.waitForText("copied ")
        let buffer = try TUITmux.run(["-L", session.socket, "show-buffer"]).output
        #expect(buffer == dataset.appendingPathComponent("images/face-\(id).jpg").path)
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }

    @Test func withoutUserTheReviewerIsTheLoginName() throws {
        let (dataset, database) = try SmallDataset.make("login-name")
        var environment = ProcessInfo.processInfo.environment
        environment["USER"] = nil
        environment["LOGNAME"] = nil
        let result = try Executable.run(
            ["verdict", dataset.path, "3", "label_ok", "--db", database.path], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let entry = try #require(getpwuid(getuid()))
        let login = String(cString: try #require(entry.pointee.pw_name))
        #expect(try Self.history(dataset, database).first?.contains("  \(login)  3  verdict") == true)
    }
}

/// Issue 19: `--oof` said once for a predictions file is remembered with its run, keyed by the
/// file's content: the warning does not come back and the run's weight does not flip.
@Suite struct RememberedOutOfFoldTests {
    static func models(_ dataset: URL, _ arguments: [String]) throws -> (warned: Bool, weight: Double?) {
        let result = try Executable.run(["models", dataset.path, "--no-image", "--json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let warned = result.stderr.contains("not known to be out of fold")
        let runs = json["runs"] as? [[String: Any]] ?? []
        let weight = runs.first { ($0["name"] as? String) == "classifier" }?["weight"] as? Double
        return (warned, weight)
    }

    @Test func sayingOOFOnceIsRemembered() throws {
        let (dataset, _) = try SmallDataset.make("remembered-oof")
        // A good classifier (what the pictures show, a little unsure), so its weight matters.
        let truth = try String(
            contentsOf: dataset.deletingLastPathComponent().appendingPathComponent("truth/truth.csv"), encoding: .utf8)
        var predictions = "id,glasses\n"
        for line in truth.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            predictions += "\(fields[0]),\(fields[2] == "1" ? "0.9" : "0.1")\n"
        }
        let file = dataset.deletingLastPathComponent().appendingPathComponent("classifier.csv").path
        try predictions.write(toFile: file, atomically: true, encoding: .utf8)
        let unknown = try Self.models(dataset, ["--predictions", file])
        #expect(unknown.warned)
        let said = try Self.models(dataset, ["--predictions", file, "--oof"])
        #expect(!said.warned)
        let later = try Self.models(dataset, ["--predictions", file])
        #expect(!later.warned, "the earlier --oof is remembered")
        #expect(later.weight == said.weight && later.weight != unknown.weight)
        // Other content: not the same predictions, nothing remembered.
        try (try String(contentsOfFile: file, encoding: .utf8)).replacingOccurrences(of: "0.9", with: "0.8")
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Self.models(dataset, ["--predictions", file]).warned)
    }
}
