import Foundation
import Testing

@testable import LabelAuditCore

/// Issue 15, Core's part: hostile header names and ids, lines too long to be rows, files that
/// are not files, undefined metrics and training sets too small to fit.
@Suite struct HostileInputTests {
    static let clipboard = "\u{1B}]52;c;aGVsbG8=\u{07}"
    static let title = "\u{1B}]0;pwned\u{07}"

    @Test func visibleTextShowsEveryControlAsAQuestionMark() {
        #expect(TerminalSafeText.visible("\(Self.clipboard)x") == "?]52;c;aGVsbG8=?x")
        #expect(TerminalSafeText.visible("a\u{0}b\rc\nd\te\u{7F}f\u{9B}g\u{202E}h") == "a?b?c?d?e?f?g?h")
        #expect(TerminalSafeText.visible("e\u{301} \u{05E9}\u{05DC} 🕶️") == "e\u{301} \u{05E9}\u{05DC} 🕶️")
        #expect(TerminalSafeText.visible("abcdef", limit: 3) == "abc… (cut at 3 of 6 characters)")
        #expect(TerminalSafeText.hasControls("a\u{2066}b") && !TerminalSafeText.hasControls("plain é"))
    }

    @Test func hostileHeaderNamesAreVisibleInWarningsAndErrors() throws {
        let train = "id,v1,\(Self.clipboard)a,\(Self.title)b,glasses\n1,0.5,x,y,1\n2,0.25,x,y,0\n"
        let test = "id,v1,\(Self.clipboard)t,n\u{0}ul,c\rr\n4501,1,x,y,z\n"
        let loaded = try TemporaryDataset(train: train, test: test).load()
        #expect(
            loaded.warnings == [
                "train.csv: ignored non-numeric column(s): ?]52;c;aGVsbG8=?a, ?]0;pwned?b",
                "test.csv: ignored column(s) not in train.csv: ?]52;c;aGVsbG8=?t, n?ul, c?r",
            ])
        let noID = try TemporaryDataset(train: "\(Self.title)x,v1,glasses\n1,0.5,1\n")
        let error = try #require(loadError(noID))
        #expect(
            error.description
                == "\(noID.trainPath):1: column id: missing column: no id column (looked for id, ID, Id); name it with --id-column; found ?]0;pwned?x,v1,glasses"
        )
        #expect(error.exitCode == 65)
        // Many ignored columns: at most 12 named, each cut at 60 characters.
        let wide =
            "id,v1," + (1...20).map { "text\($0)" }.joined(separator: ",") + ",glasses\n1,0.5,"
            + Array(repeating: "x", count: 20).joined(separator: ",") + ",1\n"
        let warning = try TemporaryDataset(train: wide).load().warnings[0]
        #expect(warning.hasSuffix("text12 and 8 more"))
    }

    @Test func aUTF16TableIsRefusedWithWhatToDo() throws {
        let utf16 = try TemporaryDataset(train: nil)
        try Data([0xFF, 0xFE] + Array("id,v1,glasses\n1,0.5,1\n".utf8).flatMap { [$0, 0] }).write(
            to: URL(fileURLWithPath: utf16.trainPath))
        #expect(
            loadError(utf16)?.description
                == "\(utf16.trainPath):1: the file is UTF-16 text; labelaudit reads UTF-8 CSV: save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8`)"
        )
    }

    @Test func idsThatCouldNotBeKeptByteExactAreRefusedNamingTheLine() throws {
        func refusal(_ id: [UInt8]) throws -> String? {
            let d = try TemporaryDataset(train: nil)
            try Data(Array("id,v1,glasses\n1,0.5,1\n".utf8) + id + Array(",0.25,0\n".utf8)).write(
                to: URL(fileURLWithPath: d.trainPath))
            return loadError(d).map { $0.description.replacingOccurrences(of: d.trainPath, with: "train.csv") }
        }
        #expect(
            try refusal(Array("a\u{1B}[2Jb".utf8))
                == "train.csv:3: column 'id' (1): found the id 'a?[2Jb' with the control character U+001B; ids must be plain text (they are shown on terminals and written back to CSV files): fix this id"
        )
        #expect(
            try refusal(Array("gnp\u{202E}exe".utf8))
                == "train.csv:3: column 'id' (1): found the id 'gnp?exe' with the bidi control U+202E, which reorders how text is shown; ids must be plain text: fix this id"
        )
        #expect(
            try refusal([0x61, 0xFF, 0x62])
                == "train.csv:3: column 'id' (1): found the id 'a\u{FFFD}b', which is not valid UTF-8 text; ids must be UTF-8 (they are written back to CSV files unchanged): fix the file's encoding"
        )
        #expect(try refusal(Array("\"tab\there\"".utf8))?.contains("with the control character U+0009") == true)
        #expect(
            try refusal(Array("@SUM(1)".utf8))
                == "train.csv:3: column 'id' (1): found the id '@SUM(1)', which starts with '@': a spreadsheet opening the exported labels would run it as a formula, so the export could not keep it as it is; rename this id"
        )
        // What stays allowed: numbers with a sign, commas and quotes inside quotes, any script.
        #expect(try refusal(Array("-17".utf8)) == nil)
        #expect(try refusal(Array("\"face, \"\"7\"\"\"".utf8)) == nil)
        #expect(try refusal(Array("顔-7 é".utf8)) == nil)
    }

    @Test func aLineLongerThanABlockIsRefusedFastWithItsLine() throws {
        // 20 MB of one line after two good rows: mapped as one round, refused at line 4.
        let d = try TemporaryDataset(
            train: "id,v1,glasses\n1,0.5,1\n2,0.25,0\n" + String(repeating: "1,", count: 10 << 20) + "\n")
        let started = Date()
        let error = try #require(loadError(d))
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(error.line == 4)
        #expect(
            error.problem
                == "this line is longer than 8 MiB (or opens a quote that never closes); a row of a latent table is a few KB: check that this is the right file"
        )
        // A quote that never closes is the same: bounded, named.
        let open = try TemporaryDataset(train: "id,v1,glasses\n1,0.5,1\n\"2" + String(repeating: ",0.5\n", count: 2 << 20))
        #expect(loadError(open)?.line == 3)
    }

    @Test func theStreamingPathBoundsALineByItsBlock() throws {
        signal(SIGPIPE, SIG_IGN)  // the reader stops early; the writer's EPIPE must not end the tests
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let bytes = Array("id,v1,glasses\n1,0.5,1\n".utf8) + Array(repeating: UInt8(ascii: "9"), count: 100_000)
        let writeEnd = ends[1]
        let writer = Thread {
            _ = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress!, $0.count) }
            close(writeEnd)
        }
        writer.start()
        defer { close(ends[0]) }
        #expect(throws: LatentTableReader.lineTooLong(URL(fileURLWithPath: "pipe.csv"), line: 3, limit: 4_096)) {
            _ = try StreamedTable.readTrain(descriptor: ends[0], name: "pipe.csv", blockSize: 4_096)
        }
    }

    @Test func predictionFilesThatAreNotFilesAreRefusedOrSkipped() throws {
        let d = try TemporaryDataset(train: "id,v1,glasses\n1,0.5,1\n2,0.25,0\n")
        let folder = d.url.appendingPathComponent("preds")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #expect(
            throws: DatasetError(
                file: folder.path,
                problem:
                    "cannot read the predictions file: it is a folder, not a regular file; name the file itself (a copy of the data, not a pipe or device)",
                exitCode: 66)
        ) {
            _ = try PredictionsFile.read(folder)
        }
        // One beside the data that is a FIFO: skipped, and said.
        #expect(mkfifo(d.url.appendingPathComponent("predictions-live.csv").path, 0o600) == 0)
        let loaded = try d.load()
        #expect(loaded.predictionFiles.isEmpty)
        #expect(
            loaded.warnings == [
                "\(d.url.appendingPathComponent("predictions-live.csv").path): is a named pipe (FIFO), not a regular file; name the file itself (a copy of the data, not a pipe or device); skipped as a predictions file"
            ])
        // A hostile header in a predictions file is shown, never raw.
        let hostile = d.url.appendingPathComponent("p.csv")
        try Data("\(Self.title)id,p\n1,0.5\n".utf8).write(to: hostile)
        let error = try #require(throwsError { () throws(DatasetError) in _ = try PredictionsFile.read(hostile) })
        #expect(
            error.description
                == "\(hostile.path):1: column id: missing column: no id column (looked for id, ID, Id); found ?]0;pwned?id,p")
    }

    @Test func undefinedMetricsAreNullInJSONNeverAnEncodingError() throws {
        let oneClass = ModelMetrics(probabilities: [0.9, 0.8], labels: [1, 1])
        #expect(oneClass.auroc.isNaN)
        let json = String(decoding: try JSONEncoder().encode(oneClass), as: UTF8.self)
        #expect(json.contains("\"auroc\":null"))
        let back = try JSONDecoder().decode(ModelMetrics.self, from: Data(json.utf8))
        #expect(back.auroc.isNaN && back.rows == 2 && back.accuracy == 1)
        let weights = Ranking.weights(
            runs: [RunEvidence(name: "none", probabilities: [nil, nil], outOfFold: true)], labels: [1, 0])
        #expect(String(decoding: try JSONEncoder().encode(weights), as: UTF8.self).contains("\"logLoss\":null"))
    }

    @Test func trainingSetsTooSmallOrOfOneLabelCannotBeFitted() {
        #expect(OutOfFold.unfittableReason(labels: []) == "there are no training rows")
        #expect(
            OutOfFold.unfittableReason(labels: [1])
                == "training rows: only 1, and out-of-fold predictions need at least 2, with both labels")
        #expect(
            OutOfFold.unfittableReason(labels: [0, 0, 0])
                == "all 3 training rows have label 0; a model needs both labels to learn which faces are which")
        #expect(OutOfFold.unfittableReason(labels: [1, 0]) == nil)
    }

    private func throwsError(_ body: () throws(DatasetError) -> Void) -> DatasetError? {
        do {
            try body()
            return nil
        } catch { return error }
    }
}
