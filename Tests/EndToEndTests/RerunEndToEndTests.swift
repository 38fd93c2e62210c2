import Foundation
import TestSupport
import Testing

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
        let header = "id," + (1...dim).map { "z\($0)" }.joined(separator: ",")
        var train = header + ",glasses\n"
        var test = header + "\n"
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        for id in 1...210 {
            let z = (0..<dim).map { _ in gaussian() }
            let values = z.map { String(format: "%.4f", $0) }.joined(separator: ",")
            var label = z[0] - 0.5 * z[1] > 0 ? 1 : 0
            try Data(repeating: UInt8(id % 251), count: 500 + 40 * label + id % 17).write(
                to: dir.appendingPathComponent("images/face-\(id).jpg"))
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

    /// Issue 17's bar: after a review round, the default rerun (the image model) answers per
    /// face and overall against the verdicts, a fresh process lists the run with its parent and
    /// audit state, its diff names the faces that changed, and a fresh app lists it and opens a
    /// changed face from `:diff`.
    @Test func afterVerdictsTheDefaultRerunAnswersAgainstThemAndPersists() throws {
        let folder = try TUITmux.scratch("rerun-default")
        let dataset = folder.appendingPathComponent("faces")
        let truthFolder = folder.appendingPathComponent("truth")
        let db = folder.appendingPathComponent("audit.sqlite").path
        let made = try Executable.run([
            "demo", "generate", "--out", dataset.path, "--truth", truthFolder.path, "--train", "120",
            "--test", "6", "--size", "96", "--dim", "16", "--seed", "3",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        // A review round as a reviewer would do it: the queue's top 10 judged from the truth
        // (what the picture shows); the 10 flagged.
        let truth = try String(contentsOf: truthFolder.appendingPathComponent("truth.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let wrong = Set(truth.filter { $0[3] == "1" && Int($0[0])! <= 120 }.map { $0[0] })
        let ranked = try Executable.run(["rank", dataset.path, "--db", db, "--top", "10", "--json"])
        #expect(ranked.status == 0, "\(ranked.stderr)")
        let top = try #require(
            (try JSONSerialization.jsonObject(with: Data(ranked.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]]
        )
        .compactMap { $0["id"] as? String }
        #expect(top.count == 10)
        // Any confirmed error the queue's top missed is found and judged too (all of them, on this set).
        let reviewed = top + wrong.subtracting(top).sorted()
        for id in reviewed {
            let verdict = try Executable.run([
                "verdict", dataset.path, id, wrong.contains(id) ? "label_wrong" : "label_ok", "--db", db, "--reviewer", "ann",
            ])
            #expect(verdict.status == 0, "\(verdict.stderr)")
        }
        #expect(try Executable.run(["flag", dataset.path] + top + ["--db", db, "--reviewer", "ann"]).status == 0)
        let confirmed = wrong.count
        #expect(confirmed >= 2)

        // The default rerun: the image model, before and after, against the verdicts.
        let text = try Executable.run(["rerun", dataset.path, "--db", db])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("\nimage-rerun (run 3) from image (run 2)\n"), "\(text.stdout)")
        #expect(!text.stdout.contains("latent-rerun") && !text.stdout.contains("note: "))
        #expect(text.stdout.contains("  confirmed errors (label_wrong by consensus) the model still gets wrong: "))
        #expect(text.stdout.contains(" of \(confirmed)\n"))
        #expect(text.stdout.contains("  selected faces whose verdict the model agrees with: "))
        #expect(text.stdout.contains(" of 10 with a label_ok or label_wrong verdict\n"))
        #expect(text.stdout.contains("  against the corrected labels (120 rows)"))
        for id in top {
            let line = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix(id + " ") }, "face \(id)")
            // "p agrees|disagrees -> p agrees|disagrees", before and after.
            let marks = line.split(separator: " ").filter { $0 == "agrees" || $0 == "disagrees" }
            #expect(marks.count == 2, "\(line)")
            #expect(line.contains(wrong.contains(id) ? " label_wrong " : " label_ok "))
        }
        let json = try Executable.run(["rerun", dataset.path, "--db", db, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let model = try #require((object["models"] as? [[String: Any]])?.first)
        #expect(model["reused"] as? Bool == true)
        let comparison = try #require(model["comparison"] as? [String: Any])
        #expect(comparison["confirmedErrors"] as? Int == confirmed)
        #expect(comparison["stillWrongBefore"] as? Int != nil && comparison["stillWrongAfter"] as? Int != nil)
        #expect(comparison["agreeBefore"] as? Int != nil && comparison["agreeAfter"] as? Int != nil)
        for key in ["providedBefore", "providedAfter", "correctedBefore", "correctedAfter"] {
            let metrics = try #require(comparison[key] as? [String: Any], "\(key)")
            #expect(
                metrics["auroc"] as? Double != nil && metrics["logLoss"] as? Double != nil
                    && metrics["accuracy"] as? Double != nil)
        }
        let event = try #require((model["run"] as? [String: Any])?["auditEventID"] as? String)

        // A fresh process lists it with its parent and the audit state it used.
        let models = try Executable.run(["models", dataset.path, "--db", db])
        #expect(models.status == 0, "\(models.stderr)")
        let listed = try #require(models.stdout.split(separator: "\n").first { $0.hasPrefix("3 ") })
        #expect(listed.split(separator: " ", omittingEmptySubsequences: true).prefix(4) == ["3", "image-rerun", "image", "2"])
        #expect(listed.contains("event \(event), \(confirmed) correction(s) (\(confirmed) flipped, 0 dropped)"))
        #expect(listed.hasSuffix("  ok"))

        // Its diff names the faces that changed, largest first.
        let diffJSON = try Executable.run(["models", dataset.path, "--db", db, "--diff", "image", "image-rerun", "--json"])
        #expect(diffJSON.status == 0, "\(diffJSON.stderr)")
        let changes = try #require(
            (try JSONSerialization.jsonObject(with: Data(diffJSON.stdout.utf8)) as? [String: Any])?["changes"] as? [[String: Any]]
        )
        let changed = try #require(changes.first?["id"] as? String)
        #expect(abs((changes[0]["after"] as? Double ?? 0) - (changes[0]["before"] as? Double ?? 0)) > 0)
        let diffText = try Executable.run(["models", dataset.path, "--db", db, "--diff", "2", "3", "--diff-top", "3"])
        #expect(diffText.stdout.hasPrefix("diff image (run 2) -> image-rerun (run 3)\n"))
        #expect(diffText.stdout.contains("\n  \(changed) "))

        // A fresh app reads the run list from the cache; :diff opens the face that changed most.
        guard TUITmux.tmuxPath != nil else { return }
        let session = try TUISession(
            name: "rerun-default", environment: TUIEngineEndToEndTests.environment, subcommand: [],
            arguments: [dataset.path, "--db", db, "--reviewer", "ann"])
        try session.waitForText("evidence ready", timeout: 60)
        try session.send(":")
        try session.type("run")
        try session.send("Enter")
        try session.waitForText("image-rerun")
        try session.send("Escape")
        try session.send(":")
        try session.type("diff image image-rerun")
        try session.send("Enter")
        try session.waitForText("diff image -> image-rerun")
        try session.send("Enter")
        try session.waitFor("face \(changed) opened") {
            TUIEngineEndToEndTests.shownID($0) == changed && !$0.contains("diff image -> image-rerun")
        }
        // R in the app retrains the same picture model (the same corrections: its stored run).
        try session.send("R")
        try session.waitForText("rerun image-rerun (from image, cached): confirmed errors still wrong", timeout: 60)
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }

    @Test func rerunsTheLatentModelOnRequestAndSaysWhatItMeasures() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        try review(dir)
        let db = try Data(contentsOf: dir.appendingPathComponent("labelaudit.sqlite"))
        let r = try Executable.run(["rerun", dir.path, "--model", "latent", "--no-image"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(r.stdout.hasPrefix("rerun of 3 face(s); audit state: event "))
        #expect(
            r.stdout.contains(
                ", 2 correction(s): 2 flipped (label_wrong), 0 dropped; 0 unsure (keep), 0 conflicting (treated as unsure)\n"))
        #expect(r.stdout.contains("trained on 200 of 200 train rows\n"))
        #expect(r.stdout.contains("note: \(Self.latentNote)\n"))
        #expect(r.stdout.contains("\nlatent-rerun (run 2) from latent (run 1)\n"))
        #expect(r.stdout.contains("  confirmed errors (label_wrong by consensus) the model still gets wrong: "))
        #expect(
            r.stdout.contains(
                "faces (3): the team's verdict; each model's p before -> after, and whether it agrees with the verdict; rank in the queue\n"
            ))
        let line5 = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("5 ") })
        #expect(line5.contains(" label_wrong "))
        let words = line5.split(separator: " ", omittingEmptySubsequences: true)
        #expect(words[1] != words[2])  // provided label, trained label
        #expect(r.stdout.contains("\n90 "))
        #expect(r.stdout.contains("newly in the top 50 of the queue: "))
        #expect(try Data(contentsOf: dir.appendingPathComponent("labelaudit.sqlite")) == db)

        let j = try Executable.run([
            "rerun", dir.path, "--model", "latent", "--json", "--unsure", "drop", "--top", "10", "--no-image",
        ])
        #expect(j.status == 0, "\(j.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let model = try #require((object["models"] as? [[String: Any]])?.first)
        let run = try #require(model["run"] as? [String: Any])
        let parent = try #require(model["parent"] as? [String: Any])
        #expect(run["parentRunID"] as? Int == parent["id"] as? Int)
        #expect((run["auditEventID"] as? String)?.count == 36)
        #expect(model["reused"] as? Bool == true)  // same corrections as the text run
        let comparison = try #require(model["comparison"] as? [String: Any])
        #expect(comparison["confirmedErrors"] as? Int == 2)
        #expect(comparison["decidedFaces"] as? Int == 2)
        #expect((comparison["correctedAfter"] as? [String: Any])?["rows"] as? Int == 200)
        #expect(object["top"] as? Int == 10)
        #expect(object["notes"] as? [String] == [Self.latentNote])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == ["5", "50", "90"])
        #expect(rows[0]["trainedLabel"] as? Int == 1 - (rows[0]["providedLabel"] as? Int ?? -1))
        #expect(rows[0]["verdict"] as? String == "label_wrong")
        #expect(rows[2]["trainedLabel"] as? Int == rows[2]["providedLabel"] as? Int)
        #expect(rows[2]["verdict"] == nil)
        let after = try #require(rows[2]["after"] as? [String: Any])
        #expect(after["rank"] as? Int != nil && after["score"] as? Double != nil)
        let face = try #require((rows[0]["models"] as? [[String: Any]])?.first)
        #expect(face["run"] as? String == "latent-rerun")
        #expect(["agrees", "disagrees"].contains(face["agreementAfter"] as? String ?? ""))
        #expect((object["corrections"] as? [String: Any])?["flipped"] as? [String] == ["5", "50"])
        #expect((model["diff"] as? [String: Any])?["largestChanges"] as? [Any] != nil)
    }

    static let latentNote =
        "the latent model learns the labelling rule from the latents, the rule that made the noisy labels: "
        + "its agreement with the labels says how well it copies that rule, not whether it sees glasses, and the queue's picture evidence does not come from it"

    @Test func runsTheExampleModelCommandFromTheSettingsFile() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        try review(dir)
        let settings = #"{"modelCommand": "python3 '\#(RerunEndToEndTests.examples.path)'", "timeout": 120}"#
        try Data(settings.utf8).write(to: dir.appendingPathComponent("labelaudit.json"))
        let r = try Executable.run(["rerun", dir.path, "--model", "cmd", "--json", "--no-image"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.count == 1)
        let run = try #require(models[0]["run"] as? [String: Any])
        let baseline = try #require(models[0]["parent"] as? [String: Any])
        #expect(run["source"] as? String == "command" && run["name"] as? String == "command-rerun")
        #expect(baseline["name"] as? String == "command" && run["parentRunID"] as? Int == baseline["id"] as? Int)
        #expect(models[0]["baselineReused"] as? Bool == false)
        #expect(run["failure"] == nil)
        #expect(object["logFile"] as? String == dir.appendingPathComponent("labelaudit-cache-models.log").path)
        let log = try String(contentsOf: dir.appendingPathComponent("labelaudit-cache-models.log"), encoding: .utf8)
        #expect(log.contains("filesize_model: 200 rows read"))
        // Without --model, the settings' command is one of the default picture models; its
        // stored baseline and rerun are reused.
        let again = try Executable.run(["rerun", dir.path, "--json", "--no-image"])
        #expect(again.status == 0, "\(again.stderr)")
        let second = try #require(
            (try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])?["models"] as? [[String: Any]])
        #expect(second.count == 1 && second[0]["baselineReused"] as? Bool == true && second[0]["reused"] as? Bool == true)
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
        #expect(
            r.stdout.contains(
                "\ncommand (run 2) from no earlier run\n  failed: baseline on the provided labels: output line 2: id '1' answered twice\n"
            ))
        #expect(
            r.stderr.hasSuffix(
                "labelaudit: the model run failed and was stored as failed (run 2): baseline on the provided labels: output line 2: id '1' answered twice (its stderr is in \(dir.path)/labelaudit-cache-models.log); the audit data is unchanged\n"
            ))
        #expect(try Data(contentsOf: dir.appendingPathComponent("labelaudit.sqlite")) == db)
        #expect(try Executable.run(["history", dir.path]).stdout == historyBefore)
    }

    @Test func badInvocationsGetAClearMessage() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        let none = try Executable.run(["rerun", dir.path])
        #expect(none.status == 65)
        #expect(none.stdout == "")
        #expect(
            none.stderr
                == "labelaudit: no face is flagged for a rerun in the audit database (there is none yet); flag faces with `labelaudit flag DATASET ID...` (or f in the review app), or pass --ids FILE\n"
        )

        let noModel = try Executable.run(["rerun", dir.path, "--no-image"])
        #expect(noModel.status == 64)
        #expect(noModel.stdout == "")
        #expect(
            noModel.stderr
                == "labelaudit: no picture model to retrain: the image model is off (--no-image) and no model command is configured (--model-cmd, or \"modelCommand\" in <dataset>/labelaudit.json); `labelaudit rerun --model latent` retrains the latent model instead (it learns the noisy labelling rule, so it measures that rule, not the pictures)\n"
        )

        let noCommand = try Executable.run(["rerun", dir.path, "--model", "cmd"])
        #expect(noCommand.status == 64)
        #expect(
            noCommand.stderr
                == "labelaudit: --model cmd needs a command: pass --model-cmd 'python3 predict.py' or set \"modelCommand\" in \(dir.path)/labelaudit.json\n"
        )

        let ids = dir.appendingPathComponent("ids.txt")
        try Data("id\n5\n# a comment\n205\n".utf8).write(to: ids)
        let test = try Executable.run(["rerun", dir.path, "--ids", ids.path])
        #expect(test.status == 65)
        #expect(test.stderr == "labelaudit: 205: a test row; test rows have no label to audit and are never hand-labelled\n")

        try Data("5\n77777\n".utf8).write(to: ids)
        let unknown = try Executable.run(["rerun", dir.path, "--ids", ids.path])
        #expect(unknown.status == 65)
        #expect(
            unknown.stderr == "labelaudit: 77777: no such id in the dataset; ids are matched exactly as written in train.csv\n")

        let missing = try Executable.run(["rerun", dir.path, "--ids", dir.appendingPathComponent("nope.txt").path])
        #expect(missing.status == 66)
        #expect(missing.stderr == "labelaudit: \(dir.path)/nope.txt: cannot read the --ids file\n")

        try Data("5\n".utf8).write(to: ids)
        let piped = try Executable.run(["rerun", dir.path, "--ids", ids.path, "--model-cmd", "python3 x.py > out.txt"])
        #expect(piped.status == 64)
        #expect(
            piped.stderr
                == "labelaudit: the model command contains an unquoted '>': it is started without a shell, so pipes, redirections, variables and command lists do not work; quote the character if it is meant literally, or put the pipeline in a script\n"
        )

        try Data("{\"modelCommand\": 3}".utf8).write(to: dir.appendingPathComponent("labelaudit.json"))
        let badSettings = try Executable.run(["rerun", dir.path, "--ids", ids.path, "--model", "cmd"])
        #expect(badSettings.status == 65)
        #expect(
            badSettings.stderr.hasPrefix(
                "labelaudit: \(dir.path)/labelaudit.json: is not a JSON object like {\"modelCommand\": \"python3 predict.py\"} (modelCommand: "
            ))

        let both = try Executable.run(["rerun", dir.path, "--flagged", "--ids", ids.path])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--flagged and --ids exclude each other"))
    }
}
