import Foundation
import LabelAuditCore
import LabelAuditImaging
import Testing

@testable import LabelAuditEngine

/// The repository root, for Examples/.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Writes a Python script into `folder` and returns the command words that run it.
func pythonScript(_ source: String, in folder: URL, name: String = "model.py") throws -> [String] {
    let url = folder.appendingPathComponent(name)
    try source.write(to: url, atomically: true, encoding: .utf8)
    return ["python3", url.path]
}

let threeInputs: [ExternalModelInput] = ["1", "2", "3"].map {
    ExternalModelInput(id: $0, image: "/nonexistent/face-\($0).jpg", label: 1)
}

@Suite struct ShellWordsTests {
    @Test func splitsLikeAPOSIXShell() throws {
        #expect(try ShellWords.split("python3 predict.py --weights w.pt") == ["python3", "predict.py", "--weights", "w.pt"])
        #expect(try ShellWords.split("  a\t b \n c ") == ["a", "b", "c"])
        #expect(try ShellWords.split("'my model.py' \"x y\" z\\ w") == ["my model.py", "x y", "z w"])
        #expect(try ShellWords.split("a'b'\"c\"d") == ["abcd"])
        #expect(try ShellWords.split("'it''s' \"say \\\"hi\\\" \\\\ \\n\"") == ["its", "say \"hi\" \\ \\n"])
        #expect(try ShellWords.split("'$HOME; rm -rf /' '|' '>'") == ["$HOME; rm -rf /", "|", ">"])
        #expect(try ShellWords.split("\\$HOME a\\\nb") == ["$HOME", "ab"])
        #expect(try ShellWords.split("'' x") == ["", "x"])
        #expect(try ShellWords.split("\"\\$x\"") == ["$x"])
    }

    @Test func refusesWhatOnlyAShellCouldDo() {
        #expect(throws: ShellWordsError.empty) { try ShellWords.split("   ") }
        #expect(throws: ShellWordsError.unterminatedQuote("'")) { try ShellWords.split("python3 'predict.py") }
        #expect(throws: ShellWordsError.unterminatedQuote("\"")) { try ShellWords.split("python3 \"predict.py") }
        #expect(throws: ShellWordsError.trailingBackslash) { try ShellWords.split("python3 \\") }
        #expect(throws: ShellWordsError.shellOperator("|")) { try ShellWords.split("python3 predict.py | tee out") }
        #expect(throws: ShellWordsError.shellOperator(">")) { try ShellWords.split("python3 predict.py >out") }
        #expect(throws: ShellWordsError.shellOperator(";")) { try ShellWords.split("a; b") }
        #expect(throws: ShellWordsError.shellOperator("$")) { try ShellWords.split("python3 $MODEL") }
        #expect(throws: ShellWordsError.shellOperator("$")) { try ShellWords.split("python3 \"$MODEL\"") }
        #expect(throws: ShellWordsError.shellOperator("`")) { try ShellWords.split("python3 `which x`") }
        #expect(
            ShellWordsError.shellOperator("|").description
                == "the model command contains an unquoted '|': it is started without a shell, so pipes, redirections, variables and command lists do not work; quote the character if it is meant literally, or put the pipeline in a script"
        )
    }
}

@Suite struct ExternalModelTests {
    func run(
        _ source: String, inputs: [ExternalModelInput] = threeInputs, options: ExternalModelOptions = ExternalModelOptions(),
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws -> ExternalModelOutcome {
        let folder = try temporaryFolder()
        let words = try pythonScript(source, in: folder)
        return ExternalModel.run(
            arguments: words, inputs: inputs, logURL: folder.appendingPathComponent("models.log"),
            options: options, isCancelled: isCancelled)
    }

    @Test func theExampleScriptFollowsTheProtocol() throws {
        let folder = try temporaryFolder()
        var inputs: [ExternalModelInput] = []
        for id in 1...60 {
            let url = folder.appendingPathComponent("face-\(id).jpg")
            try Data(try JPEGEncoder.encode(paintFace(size: 96, glasses: id % 2 == 0, jitter: id % 3), quality: 85)).write(
                to: url)
            inputs.append(ExternalModelInput(id: String(id), image: url.path, label: id == 7 ? nil : UInt8(id % 2 == 0 ? 1 : 0)))
        }
        inputs.append(ExternalModelInput(id: "61", image: nil, label: 1))
        let progress = CallCounter()
        let outcome = ExternalModel.run(
            arguments: ["python3", packageRoot.appendingPathComponent("Examples/filesize_model.py").path],
            inputs: inputs, logURL: folder.appendingPathComponent("models.log"),
            progress: { _, _ in progress.increment() })
        #expect(outcome.failure == nil)
        #expect(outcome.exitStatus == 0)
        #expect(outcome.probabilities.count == 61)
        #expect(outcome.probabilities.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(progress.count == 61)
        let log = try String(contentsOf: outcome.logURL, encoding: .utf8)
        #expect(log.contains("filesize_model: 61 rows read"))
        #expect(log.hasPrefix("--- labelaudit rerun "))
    }

    @Test func stdinGetsOneJSONObjectPerLineAndTheChildHasNoTerminal() throws {
        let outcome = try run(
            """
            import json, os, sys
            lines = sys.stdin.read().splitlines()
            print(repr(lines), file=sys.stderr)
            tty = 1
            try:
                open("/dev/tty").close()
            except OSError:
                tty = 0
            for line in lines:
                item = json.loads(line)
                ok = item["image"] == "/nonexistent/face-" + item["id"] + ".jpg" and item["label"] == 1 and not os.isatty(0) and tty == 0
                print(json.dumps({"id": item["id"], "p": 0.75 if ok else 0.25}))
            """)
        #expect(outcome.failure == nil)
        #expect(outcome.probabilities == ["1": 0.75, "2": 0.75, "3": 0.75])
        let log = try String(contentsOf: outcome.logURL, encoding: .utf8)
        #expect(log.contains(#"{"id":"1","image":"/nonexistent/face-1.jpg","label":1}"#))
    }

    @Test func numericIDsAndBlankLinesAreAccepted() throws {
        let outcome = try run(
            """
            import sys
            sys.stdin.read()
            print('{"id": 1, "p": 0}')
            print('')
            print('{"id": "2", "p": 1}')
            print('{"p": 0.5, "id": 3}')
            """)
        #expect(outcome.failure == nil)
        #expect(outcome.probabilities == ["1": 0, "2": 1, "3": 0.5])
    }

    @Test func aNonZeroExitFailsTheRunAndKeepsTheAnswers() throws {
        let outcome = try run(
            """
            import sys
            for line in sys.stdin: pass
            for i in (1, 2, 3): print('{"id": "%d", "p": 0.5}' % i)
            sys.exit(3)
            """)
        #expect(outcome.failure == "the model command exited with status 3; answered 3 of 3")
        #expect(outcome.exitStatus == 3)
        #expect(outcome.probabilities.count == 3)
    }

    @Test func aModelKilledByASignalFailsTheRun() throws {
        let outcome = try run("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
        #expect(outcome.failure == "the model command was killed by signal 9; answered 0 of 3")
        #expect(outcome.exitStatus == nil)
    }

    @Test func aMalformedLineFailsTheRun() throws {
        let outcome = try run(
            """
            print('{"id": "1", "p": 0.5}')
            print('loading weights... \\x1b[31mdone')
            """)
        #expect(outcome.failure == "output line 2 is not a JSON object {\"id\": ..., \"p\": ...}: loading weights... done")
        #expect(outcome.probabilities == ["1": 0.5])
        let missingP = try run("print('{\"id\": \"1\"}')")
        #expect(missingP.failure == "output line 1 is not a JSON object {\"id\": ..., \"p\": ...}: {\"id\": \"1\"}")
        let textP = try run("print('{\"id\": \"1\", \"p\": \"0.5\"}')")
        #expect(textP.failure == "output line 1 is not a JSON object {\"id\": ..., \"p\": ...}: {\"id\": \"1\", \"p\": \"0.5\"}")
    }

    @Test func anUnknownIDFailsTheRun() throws {
        let outcome = try run("print('{\"id\": \"999\", \"p\": 0.5}')")
        #expect(outcome.failure == "output line 1: id '999' was not sent to the model")
        #expect(outcome.probabilities.isEmpty)
    }

    @Test func aDuplicateIDFailsTheRun() throws {
        let outcome = try run(
            """
            print('{"id": "1", "p": 0.5}')
            print('{"id": "1", "p": 0.6}')
            """)
        #expect(outcome.failure == "output line 2: id '1' answered twice")
        #expect(outcome.probabilities == ["1": 0.5])
    }

    @Test func aProbabilityOutsideTheUnitIntervalFailsTheRun() throws {
        let outcome = try run("print('{\"id\": \"2\", \"p\": 1.5}')")
        #expect(outcome.failure == "output line 1: p for id '2' is 1.5, outside [0, 1]")
        let negative = try run("print('{\"id\": \"2\", \"p\": -0.01}')")
        #expect(negative.failure == "output line 1: p for id '2' is -0.01, outside [0, 1]")
    }

    @Test func aMissingIDFailsTheRun() throws {
        let outcome = try run(
            """
            import sys
            sys.stdin.read()
            print('{"id": "1", "p": 0.5}')
            print('{"id": "2", "p": 0.5}')
            """)
        #expect(outcome.failure == "the model answered 2 of 3 ids; missing e.g. '3'")
        #expect(outcome.exitStatus == 0)
        #expect(outcome.probabilities.count == 2)
    }

    @Test func theItemTimeoutStopsASilentModel() throws {
        let started = Date()
        let outcome = try run(
            """
            import sys, time
            print('{"id": "1", "p": 0.5}', flush=True)
            time.sleep(60)
            """, options: ExternalModelOptions(timeout: 30, itemTimeout: 0.5, startupAllowance: 10, killGrace: 1))
        #expect(outcome.failure == "no answer for 0.5 s (--item-timeout 0.5 s); answered 1 of 3")
        #expect(outcome.exitStatus == nil)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func theOverallTimeoutStopsASlowModel() throws {
        let started = Date()
        let outcome = try run(
            """
            import time
            print('{"id": "1", "p": 0.5}')
            print('{"id": "2", "p": 0.5}', flush=True)
            time.sleep(60)
            """, options: ExternalModelOptions(timeout: 3, itemTimeout: 30, killGrace: 1))
        // Python normally prints both lines long before the limit; on a starved machine it may not.
        let answered = outcome.probabilities.count
        #expect(outcome.failure == "timed out after 3 s (overall --timeout); answered \(answered) of 3")
        #expect(answered <= 2)
        #expect(outcome.exitStatus == nil)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func cancellingAModelThatIgnoresSIGTERMEndsWithSIGKILL() throws {
        let folder = try temporaryFolder()
        let pidFile = folder.appendingPathComponent("pid")
        let words = try pythonScript(
            """
            import os, signal, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            open(sys.argv[1], "w").write(str(os.getpid()))
            print('{"id": "1", "p": 0.5}', flush=True)
            time.sleep(60)
            """, in: folder)
        let answered = AnsweredFlag()
        let started = Date()
        let outcome = ExternalModel.run(
            arguments: words + [pidFile.path], inputs: threeInputs,
            logURL: folder.appendingPathComponent("models.log"),
            options: ExternalModelOptions(killGrace: 0.5),
            progress: { _, _ in answered.set() }, isCancelled: { answered.isSet })
        #expect(outcome.failure == "cancelled; answered 1 of 3")
        #expect(Date().timeIntervalSince(started) < 10)
        let pid = try #require(Int32(try String(contentsOf: pidFile, encoding: .utf8)))
        #expect(kill(pid, 0) != 0)  // gone and reaped
    }

    @Test func aMissingProgramIsReportedByName() throws {
        let folder = try temporaryFolder()
        let outcome = ExternalModel.run(
            arguments: ["no-such-model-command-xyz", "--x"], inputs: threeInputs,
            logURL: folder.appendingPathComponent("models.log"))
        #expect(outcome.failure == "cannot start 'no-such-model-command-xyz': No such file or directory")
    }

    @Test func aModelThatAnswersBeforeReadingBigInputDoesNotDeadlock() throws {
        let inputs = (1...30_000).map {
            ExternalModelInput(id: String($0), image: "/some/rather/long/path/to/an/image/face-\($0).jpg", label: 0)
        }
        let outcome = try run(
            """
            import sys
            for i in range(1, 30001):
                sys.stdout.write('{"id": "%d", "p": 0.25}\\n' % i)
            sys.stdout.flush()
            sys.stdin.read()
            """, inputs: inputs, options: ExternalModelOptions(timeout: 60))
        #expect(outcome.failure == nil)
        #expect(outcome.probabilities.count == 30_000)
    }

    @Test func aModelThatExitsWithoutReadingItsInputIsContained() throws {
        let inputs = (1...30_000).map { ExternalModelInput(id: String($0), image: nil, label: 0) }
        let outcome = try run("import sys; sys.exit(2)", inputs: inputs)
        #expect(outcome.failure == "the model command exited with status 2; answered 0 of 30000")
    }
}

final class AnsweredFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}
