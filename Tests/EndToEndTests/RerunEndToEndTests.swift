import Foundation
import Testing
import TestSupport

/// `labelaudit rerun` as a user runs it: verdicts and flags written by the CLI, then a rerun.
@Suite struct RerunEndToEndTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/filesize_model.py")

    /// 200 train rows whose labels follow a hyperplane, ids 5, 50, 90 flipped; 10 test rows; an
    /// image file per row (sizes differ, which is all the example model looks at).
    func fixture() throws -> URL {
        let dir = try Executable.temporaryDirectory()
        var state: UInt64 = 7
        func gaussian() -> Double {
            func uniform() -> Double {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Double(state >> 11) + 0.5) / Double(1 << 53)
            }
            return (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())
        }
        let dim = 8
        let header = "id," + (1 ... dim).map { "z\($0)" }.joined(separator: ",")
        var train = header + ",glasses\n", test = header + "\n"
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        for id in 1 ... 210 {
            let z = (0 ..< dim).map { _ in gaussian() }
            let values = z.map { String(format: "%.4f", $0) }.joined(separator: ",")
            var label = z[0] - 0.5 * z[1] > 0 ? 1 : 0
            try Data(repeating: UInt8(id % 251), count: 500 + 40 * label + id % 17).write(to: dir.appendingPathComponent("images/face-\(id).jpg"))
            if [5, 50, 90].contains(id) { label = 1 - label }
            if id <= 200 { train += "\(id),\(values),\(label)\n" } else { test += "\(id),\(values)\n" }
        }
        try Data(train.utf8).write(to: dir.appendingPathComponent("train.csv"))
        try Data(test.utf8).write(to: dir.appendingPathComponent("test.csv"))
        return dir
    }

    func review(_ dir: URL) throws {
        for id in ["5", "50"] {
            let r = try Executable.run(["verdict", dir.path, id, "label_wrong", "--reviewer", "ann"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let r = try Executable.run(["flag", dir.path, "5", "50", "90", "--reviewer", "ann"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func rerunsTheLatentModelOnTheFlaggedFaces() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        try review(dir)
        let db = try Data(contentsOf: dir.appendingPathComponent("labelaudit.sqlite"))
        let r = try Executable.run(["rerun", dir.path, "--no-image"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(r.stdout.hasPrefix("rerun: latent-rerun (run 2) from latent (run 1)\n"))
        #expect(r.stdout.contains("trained on 200 of 200 train rows\n"))
        #expect(r.stdout.contains("corrections: 2 flipped (label_wrong), 0 dropped, 0 unsure (keep), 0 conflicting (treated as unsure)\n"))
        #expect(r.stdout.contains("confirmed errors the model agrees with: "))
        #expect(r.stdout.contains("faces (3): p, score and rank in the queue, before -> after\n"))
        let line5 = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("5 ") })
        #expect(line5.contains(" label_wrong "))
        #expect(line5.split(separator: " ", omittingEmptySubsequences: true)[1] != line5.split(separator: " ", omittingEmptySubsequences: true)[2])
        #expect(r.stdout.contains("\n90      "))
        #expect(r.stdout.contains("newly in the top 50: "))
        #expect(try Data(contentsOf: dir.appendingPathComponent("labelaudit.sqlite")) == db)

        let j = try Executable.run(["rerun", dir.path, "--json", "--unsure", "drop", "--top", "10", "--no-image"])
        #expect(j.status == 0, "\(j.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let run = try #require(object["run"] as? [String: Any])
        let parent = try #require(object["parent"] as? [String: Any])
        #expect(run["parentRunID"] as? Int == parent["id"] as? Int)
        #expect((run["auditEventID"] as? String)?.count == 36)
        #expect(object["reused"] as? Bool == true) // same corrections as the text run
        #expect(object["confirmedErrors"] as? Int == 2)
        #expect(object["top"] as? Int == 10)
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == ["5", "50", "90"])
        #expect(rows[0]["trainedLabel"] as? Int == 1 - (rows[0]["providedLabel"] as? Int ?? -1))
        #expect(rows[2]["trainedLabel"] as? Int == rows[2]["providedLabel"] as? Int)
        let after = try #require(rows[2]["after"] as? [String: Any])
        #expect(after["p"] as? Double != nil && after["rank"] as? Int != nil && after["score"] as? Double != nil)
        #expect((object["corrections"] as? [String: Any])?["flipped"] as? [String] == ["5", "50"])
        #expect((object["diff"] as? [String: Any])?["largestChanges"] as? [Any] != nil)
    }

    @Test func runsTheExampleModelCommandFromTheSettingsFile() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        try review(dir)
        let settings = #"{"modelCommand": "python3 '\#(RerunEndToEndTests.examples.path)'", "timeout": 120}"#
        try Data(settings.utf8).write(to: dir.appendingPathComponent("labelaudit.json"))
        let r = try Executable.run(["rerun", dir.path, "--model", "cmd", "--json", "--no-image"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let run = try #require(object["run"] as? [String: Any])
        #expect(run["source"] as? String == "command")
        #expect(run["failure"] == nil)
        #expect(object["logFile"] as? String == dir.appendingPathComponent("labelaudit-cache-models.log").path)
        let log = try String(contentsOf: dir.appendingPathComponent("labelaudit-cache-models.log"), encoding: .utf8)
        #expect(log.contains("filesize_model: 200 rows read"))
    }

    @Test func aFailingModelExitsWith1AndLeavesTheAuditDatabaseAlone() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        try review(dir)
        let db = try Data(contentsOf: dir.appendingPathComponent("labelaudit.sqlite"))
        let historyBefore = try Executable.run(["history", dir.path]).stdout
        let script = dir.appendingPathComponent("bad model.py")
        try Data("print('{\"id\": \"1\", \"p\": 0.5}')\nprint('{\"id\": \"1\", \"p\": 0.5}')\n".utf8).write(to: script)
        let r = try Executable.run(["rerun", dir.path, "--model-cmd", "python3 '\(script.path)'", "--no-image"])
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix("rerun: command (run 2) from no earlier run\n"))
        #expect(r.stderr.hasSuffix("labelaudit: the model run failed and was stored as failed (run 2): output line 2: id '1' answered twice (its stderr is in \(dir.path)/labelaudit-cache-models.log); the audit data is unchanged\n"))
        #expect(try Data(contentsOf: dir.appendingPathComponent("labelaudit.sqlite")) == db)
        #expect(try Executable.run(["history", dir.path]).stdout == historyBefore)
    }

    @Test func badInvocationsGetAClearMessage() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        let none = try Executable.run(["rerun", dir.path])
        #expect(none.status == 65)
        #expect(none.stdout == "")
        #expect(none.stderr == "labelaudit: no face is flagged for a rerun in the audit database (there is none yet); flag faces with `labelaudit flag DATASET ID...` (or F in the review app), or pass --ids FILE\n")

        let noCommand = try Executable.run(["rerun", dir.path, "--model", "cmd"])
        #expect(noCommand.status == 64)
        #expect(noCommand.stderr == "labelaudit: --model cmd needs a command: pass --model-cmd 'python3 predict.py' or set \"modelCommand\" in \(dir.path)/labelaudit.json\n")

        let ids = dir.appendingPathComponent("ids.txt")
        try Data("id\n5\n# a comment\n205\n".utf8).write(to: ids)
        let test = try Executable.run(["rerun", dir.path, "--ids", ids.path])
        #expect(test.status == 65)
        #expect(test.stderr == "labelaudit: 205: a test row; test rows have no label to audit and are never hand-labelled\n")

        try Data("5\n77777\n".utf8).write(to: ids)
        let unknown = try Executable.run(["rerun", dir.path, "--ids", ids.path])
        #expect(unknown.status == 65)
        #expect(unknown.stderr == "labelaudit: 77777: no such id in the dataset; ids are matched exactly as written in train.csv\n")

        let missing = try Executable.run(["rerun", dir.path, "--ids", dir.appendingPathComponent("nope.txt").path])
        #expect(missing.status == 66)
        #expect(missing.stderr == "labelaudit: \(dir.path)/nope.txt: cannot read the --ids file\n")

        try Data("5\n".utf8).write(to: ids)
        let piped = try Executable.run(["rerun", dir.path, "--ids", ids.path, "--model-cmd", "python3 x.py > out.txt"])
        #expect(piped.status == 64)
        #expect(piped.stderr == "labelaudit: the model command contains an unquoted '>': it is started without a shell, so pipes, redirections, variables and command lists do not work; quote the character if it is meant literally, or put the pipeline in a script\n")

        try Data("{\"modelCommand\": 3}".utf8).write(to: dir.appendingPathComponent("labelaudit.json"))
        let badSettings = try Executable.run(["rerun", dir.path, "--ids", ids.path, "--model", "cmd"])
        #expect(badSettings.status == 65)
        #expect(badSettings.stderr.hasPrefix("labelaudit: \(dir.path)/labelaudit.json: is not a JSON object like {\"modelCommand\": \"python3 predict.py\"} (modelCommand: "))

        let both = try Executable.run(["rerun", dir.path, "--flagged", "--ids", ids.path])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--flagged and --ids exclude each other"))
    }
}
