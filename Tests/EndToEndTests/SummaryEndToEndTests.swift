import Foundation
import TestSupport
import Testing

@Suite struct SummaryEndToEndTests {
    func fixture() throws -> URL {
        let dir = try Executable.temporaryDirectory()
        try Data("id,v1,v2,glasses\n1,0.1,0.2,1\n2,0.3,0.4,0\n3,0.5,0.6,1\n".utf8).write(
            to: dir.appendingPathComponent("train.csv"))
        try Data("id,v1,v2\n4501,1,2\n".utf8).write(to: dir.appendingPathComponent("test.csv"))
        try Data("id,glasses\n1,0.9\n2,0.1\n3,0.8\n4501,0.5\n".utf8).write(to: dir.appendingPathComponent("predictions-cnn.csv"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        try Data([0xFF, 0xD8]).write(to: dir.appendingPathComponent("images/face-1.jpg"))
        return dir
    }

    @Test func printsTheDatasetAsText() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Executable.run(["summary", dir.path])
        #expect(r.status == 0)
        #expect(r.stderr == "")
        #expect(r.stdout.contains("train rows      3\n"))
        #expect(r.stdout.contains("test rows       1\n"))
        #expect(r.stdout.contains("latent dim      2\n"))
        #expect(r.stdout.contains("prevalence      66.7% labelled 1 (train)\n"))
        #expect(r.stdout.contains("images          1 found, 3 missing in "))
        #expect(r.stdout.contains("predictions-cnn.csv"))
    }

    @Test func printsJSON() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Executable.run(["summary", dir.path, "--json"])
        #expect(r.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["trainRows"] as? Int == 3)
        #expect(object?["latentDimension"] as? Int == 2)
        #expect(object?["imagesMissing"] as? Int == 3)
    }

    @Test func badInputExitsWith65AndOneLineOnStderr() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("id,v1,v2,glasses\n1,0.1,0.2,1\n2,0.3,0.4,7\n".utf8).write(to: dir.appendingPathComponent("train.csv"))
        let r = try Executable.run(["summary", dir.path])
        #expect(r.status == 65)
        #expect(r.stdout == "")
        #expect(r.stderr == "labelaudit: \(dir.path)/train.csv:3: column 'glasses' (4): found '7', expected a label of 0 or 1\n")
    }

    @Test func missingDatasetExitsWith66() throws {
        let r = try Executable.run(["summary", "/nonexistent/labelaudit-dataset"])
        #expect(r.status == 66)
        #expect(
            r.stderr
                == "labelaudit: /nonexistent/labelaudit-dataset: no such dataset folder; expected a folder with train.csv (and test.csv, images/)\n"
        )
    }
}

/// Issue 19: `labelaudit help COMMAND` wraps its discussion as paragraphs (greedy: a line
/// breaks only where the next word would not fit), never at the source's line ends.
@Suite struct HelpWrappingTests {
    @Test(arguments: ["export", "rank", "models", "merge", "rerun", "sample", "verdict", "render", "neighbours"])
    func discussionsWrapAsParagraphs(command: String) throws {
        let result = try Executable.run(["help", command], environment: ["COLUMNS": "80", "PATH": "/usr/bin:/bin"])
        #expect(result.status == 0)
        let text = result.stdout
        let usage = try #require(text.range(of: "\nUSAGE:"))
        let body = text[..<usage.lowerBound]
        let paragraphs = body.components(separatedBy: "\n\n").dropFirst()  // the overview is one line
        for paragraph in paragraphs {
            let lines = paragraph.split(separator: "\n").map(String.init)
            for (line, next) in zip(lines, lines.dropFirst()) {
                // A list item or an indented example starts its own line.
                if next.hasPrefix(" ") || next.hasPrefix("- ") || next.hasPrefix("* ") { continue }
                let firstWord = next.split(separator: " ").first.map(String.init) ?? ""
                // The parser fills lines to 79 columns of an 80-column terminal.
                #expect(line.count + 1 + firstWord.count > 79, "ragged at '\(line)' / '\(next)'")
            }
        }
    }
}

/// Issue 16: the bench and fuzz commands live in `labelaudit-bench`; the shipped `labelaudit`
/// no longer has them (its `help NAME` falls back to the root help, a call runs the default
/// review command on a folder of that name), and `labelaudit-bench` has each with its options.
@Suite struct BenchCommandsLeftTheProduct {
    static let moved = [
        "models-bench", "neighbours-bench", "neighbours-import-bench", "ingest-bench",
        "report-bench", "noise-bench", "fuzz-csv",
    ]

    @Test(arguments: moved)
    func onlyTheBenchBinaryKnowsIt(command: String) throws {
        let environment = ["COLUMNS": "100", "PATH": "/usr/bin:/bin"]
        let root = try Executable.run(["--help"], environment: environment)
        let asked = try Executable.run(["help", command], environment: environment)
        #expect(asked.status == 0)
        #expect(asked.stdout == root.stdout, "labelaudit still has \(command)")
        #expect(!asked.stdout.contains(command))

        let bench = try Command.labelauditBench(["help", command], environment: environment)
        #expect(bench.status == 0)
        #expect(bench.stdout.contains("USAGE: labelaudit-bench \(command) "), "\(bench.stdout)")
        let benchRoot = try Command.labelauditBench(["--help"], environment: environment)
        #expect(benchRoot.stdout.contains("  \(command) "))
    }
}
