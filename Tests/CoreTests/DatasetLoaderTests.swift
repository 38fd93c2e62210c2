import Foundation
import Testing

@testable import LabelAuditCore

/// A temporary dataset folder with real files, removed at deinit.
final class TemporaryDataset {
    let url: URL
    init(train: String?, test: String? = nil, images: [String] = [], extra: [String: String] = [:]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if let train { try Data(train.utf8).write(to: url.appendingPathComponent("train.csv")) }
        if let test { try Data(test.utf8).write(to: url.appendingPathComponent("test.csv")) }
        if !images.isEmpty {
            let dir = url.appendingPathComponent("images")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for name in images { try Data([0xFF, 0xD8]).write(to: dir.appendingPathComponent(name)) }
        }
        for (name, text) in extra { try Data(text.utf8).write(to: url.appendingPathComponent(name)) }
    }
    var trainPath: String { url.appendingPathComponent("train.csv").path }
    var testPath: String { url.appendingPathComponent("test.csv").path }
    func load(_ configure: (inout DatasetOptions) -> Void = { _ in }) throws(DatasetError) -> Dataset {
        var options = DatasetOptions(root: url)
        configure(&options)
        return try DatasetLoader.load(options)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The error a load throws, or nil when it succeeds.
func loadError(_ fixture: TemporaryDataset, _ configure: (inout DatasetOptions) -> Void = { _ in }) -> DatasetError? {
    do {
        _ = try fixture.load(configure)
        return nil
    } catch { return error }
}

@Suite struct DatasetLoaderTests {
    @Test func readsTheCompetitionShape() throws {
        let d = try TemporaryDataset(
            train: "id,v1,v2,v3,glasses\n1,0.5,-1.25,3e2,1\n2,0,1,2,0\n30,1,1,1,1\n",
            test: "id,v1,v2,v3\n4501,9,8,7\n", images: ["face-1.jpg", "30.jpg", "face-4501.jpg"])
        let ds = try d.load()
        #expect(ds.trainCount == 3)
        #expect(ds.testCount == 1)
        #expect(ds.dim == 3)
        #expect(ds.ids == ["1", "2", "30", "4501"])
        #expect(ds.labels == [1, 0, 1])
        #expect(ds.latents.values == [0.5, -1.25, 300, 0, 1, 2, 1, 1, 1, 9, 8, 7])
        #expect(ds.imagePaths[0]?.hasSuffix("images/face-1.jpg") == true)
        #expect(ds.imagePaths[1] == nil)
        #expect(ds.imagePaths[2]?.hasSuffix("images/30.jpg") == true)
        #expect(ds.missingImageCount == 1)
        #expect(ds.row(of: "4501") == 3)
        #expect(ds.split(of: 3) == .test)
        #expect(ds.label(of: 3) == nil)
    }

    @Test func acceptsBOMCRLFQuotesAndOtherColumnOrders() throws {
        let d = try TemporaryDataset(
            train: "\u{FEFF}note,label,ID,z2,z1\r\n\"a, \"\"quoted\"\" note\",1.0,7,2.5,-3\r\nplain,0.0,8,1,1\r\n",
            test: "z1,ID,z2\r\n4,9,5\r\n")
        let ds = try d.load()
        #expect(ds.ids == ["7", "8", "9"])
        #expect(ds.labels == [1, 0])
        #expect(ds.latentColumns == ["z2", "z1"])
        #expect(ds.latents.values == [2.5, -3, 1, 1, 5, 4])
        #expect(ds.warnings == ["train.csv: ignored non-numeric column(s): note"])
    }

    @Test func columnNamesCanBeGiven() throws {
        let d = try TemporaryDataset(train: "key,a,b,wears\nx,1,2,1\ny,3,4,0\n")
        let ds = try d.load {
            $0.idColumn = "key"
            $0.labelColumn = "wears"
        }
        #expect(ds.ids == ["x", "y"])
        #expect(ds.dim == 2)
    }

    @Test func anyDimensionFromOneUp() throws {
        let d = try TemporaryDataset(train: "id,v,y\n1,0.25,1\n")
        let ds = try d.load()
        #expect(ds.dim == 1 && ds.latents.values == [0.25])
    }

    @Test func raggedRow() throws {
        let d = try TemporaryDataset(train: "id,v1,v2,glasses\n1,0,0,1\n2,0,1\n")
        let e = loadError(d)
        #expect(e == DatasetError(file: d.trainPath, line: 3, problem: "ragged row: 3 fields, expected 4 as in the header"))
        #expect(e?.exitCode == 65)
    }

    @Test func nonNumericLatent() throws {
        let d = try TemporaryDataset(train: "id,v1,v2,glasses\n1,0,0,1\n2,0,abc,1\n")
        #expect(loadError(d)?.description == "\(d.trainPath):3: column 'v2' (3): found 'abc', expected a number")
    }

    @Test func nanAndInfinityLatents() throws {
        let nan = try TemporaryDataset(train: "id,v1,glasses\n1,NaN,1\n")
        #expect(
            loadError(nan)?.description
                == "\(nan.trainPath):2: column 'v1' (2): found 'NaN', expected a finite number (NaN and infinity are not latents)"
        )
        let inf = try TemporaryDataset(train: "id,v1,glasses\n1,1,1\n2,-inf,0\n")
        #expect(
            loadError(inf)?.description
                == "\(inf.trainPath):3: column 'v1' (2): found '-inf', expected a finite number (NaN and infinity are not latents)"
        )
        let overflow = try TemporaryDataset(train: "id,v1,glasses\n1,1e300,1\n")
        #expect(
            loadError(overflow)?.description
                == "\(overflow.trainPath):2: column 'v1' (2): found '1e300', expected a finite number (this overflows Float32)")
    }

    @Test func labelsOtherThanZeroOrOne() throws {
        for bad in ["2", "0.5", "yes", "", "-1"] {
            let d = try TemporaryDataset(train: "id,v1,glasses\n1,0,1\n2,0,\(bad)\n")
            let shown = bad.isEmpty ? "an empty field" : "'\(bad)'"
            #expect(
                loadError(d)?.description == "\(d.trainPath):3: column 'glasses' (3): found \(shown), expected a label of 0 or 1")
        }
        let fine = try TemporaryDataset(train: "id,v1,glasses\n1,0,1.0\n2,0,0.0\n")
        #expect(try fine.load().labels == [1, 0])
    }

    @Test func duplicateIDs() throws {
        let d = try TemporaryDataset(train: "id,v1,glasses\n1,0,1\n2,0,0\n1,5,0\n")
        #expect(
            loadError(d)?.description
                == "\(d.trainPath):4: column 'id': duplicate id '1', first seen on line 2; ids must be unique")
    }

    @Test func idInTrainAndTest() throws {
        let d = try TemporaryDataset(train: "id,v1,glasses\n1,0,1\n2,0,0\n", test: "id,v1\n3,1\n2,1\n")
        #expect(
            loadError(d)?.description
                == "\(d.testPath):3: column 'id': id '2' is in both train.csv (line 3) and test.csv; a face is either train or test"
        )
    }

    @Test func emptyFileAndHeaderOnly() throws {
        let empty = try TemporaryDataset(train: "")
        #expect(
            loadError(empty)?.description
                == "\(empty.trainPath): the file is empty; expected a header line such as `id,v1,...,v512,glasses` and data rows")
        let headerOnly = try TemporaryDataset(train: "id,v1,glasses\n")
        #expect(
            loadError(headerOnly)?.description
                == "\(headerOnly.trainPath):1: header only, no data rows; expected one row per image after the header")
        let emptyTest = try TemporaryDataset(train: "id,v1,glasses\n1,0,1\n", test: "")
        #expect(
            loadError(emptyTest)?.description
                == "\(emptyTest.testPath): the file is empty; expected a header line such as `id,v1,...,v512` and data rows")
    }

    @Test func missingColumns() throws {
        let noLabel = try TemporaryDataset(train: "id,v1,v2\n1,0,1\n")
        #expect(
            loadError(noLabel)?.description
                == "\(noLabel.trainPath):1: column label: missing column: no label column (looked for glasses, label, target, y); name it with --label-column; found id,v1,v2"
        )
        let noID = try TemporaryDataset(train: "key,v1,glasses\n1,0,1\n")
        #expect(
            loadError(noID)?.description
                == "\(noID.trainPath):1: column id: missing column: no id column (looked for id, ID, Id); name it with --id-column; found key,v1,glasses"
        )
        let named = try TemporaryDataset(train: "id,v1,glasses\n1,0,1\n")
        #expect(
            loadError(named) { $0.labelColumn = "wears" }?.description
                == "\(named.trainPath):1: column 'wears': missing column: the header has no column named 'wears' (given with --label-column); found id,v1,glasses"
        )
        let testMissing = try TemporaryDataset(train: "id,v1,v2,glasses\n1,0,1,1\n", test: "id,v1\n2,0\n")
        #expect(
            loadError(testMissing)?.description
                == "\(testMissing.testPath):1: column 'v2': missing column: the train file's latent column 'v2' is not in this file (1 missing in all); test rows need the same latent columns as train rows"
        )
    }

    @Test func missingFolderOrTrainFile() throws {
        let d = try TemporaryDataset(train: nil)
        let e = loadError(d)
        #expect(
            e?.description == "\(d.trainPath): no train.csv here; expected the training table (id, latent columns, 0/1 label)")
        #expect(e?.exitCode == 66)
    }

    @Test func controlCharactersInDataNeverReachMessages() throws {
        let d = try TemporaryDataset(train: "id,v1,glasses\n1,0,1\n2,\u{1B}[31m,1\n")
        #expect(loadError(d)?.description == "\(d.trainPath):3: column 'v1' (2): found '?[31m', expected a number")
    }

    @Test func predictionFilesArePickedUpButNotTheSampleSubmission() throws {
        let d = try TemporaryDataset(
            train: "id,v1,glasses\n1,0,1\n",
            extra: [
                "sample_submission.csv": "id,glasses\n1,0.64\n", "predictions-cnn.csv": "id,glasses\n1,0.9\n",
                "oof_latent.csv": "id,p\n1,0.2\n", "notes.csv": "a\n1\n",
            ])
        let names = try d.load().predictionFiles.map(\.lastPathComponent)
        #expect(names == ["oof_latent.csv", "predictions-cnn.csv"])
    }

    @Test func readsAFileLargerThanOneBlockOnBothCores() throws {
        // > 8 MiB so the reader crosses block boundaries and splits blocks between cores.
        let rows = 12_000
        let dim = 64
        var text = "id," + (1...dim).map { "v\($0)" }.joined(separator: ",") + ",glasses\n"
        text.reserveCapacity(rows * dim * 12)
        for r in 0..<rows {
            text += "\(r)"
            for c in 0..<dim { text += ",\(Float(r * dim + c) * 0.001 - 3.5)" }
            text += ",\(r % 2)\n"
        }
        let d = try TemporaryDataset(train: text)
        let ds = try d.load()
        #expect(ds.trainCount == rows)
        #expect(ds.ids.last == "\(rows - 1)")
        for r in [0, 1, 4_000, 8_191, rows - 1] {
            for c in [0, dim - 1] { #expect(ds.latents[r, c] == Float(r * dim + c) * 0.001 - 3.5) }
            #expect(ds.labels[r] == UInt8(r % 2))
        }
        // An error far into the file still names its physical line.
        let broken = text.replacingOccurrences(of: "\n9000,", with: "\n9000,x")
        let e = loadError(try TemporaryDataset(train: broken))
        #expect(e?.line == 9_002)
    }

    /// Every shape of number a latent CSV holds, in a file big enough to be split between cores:
    /// the eight-bytes-at-a-time digit path must give strtof's Float, give or take the last bit
    /// at a rounding tie (documented), and hand exponents and long mantissas to the exact parser.
    @Test func latentValuesAgreeWithStrtof() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        let dim = 32
        let rows = 2_000
        var texts: [String] = []
        for _ in 0..<(dim * rows) {
            let magnitude = Double(next()) / Double(1 << 53) * pow(10, Double(Int(next() % 7)) - 4)
            let value = next() % 2 == 0 ? magnitude : -magnitude
            switch next() % 6 {
            case 0: texts.append(String(format: "%.\(1 + Int(next() % 17))g", value))  // 1 to 17 significant digits
            case 1: texts.append(String(format: "%.\(Int(next() % 20))f", value))  // up to 19 decimals, leading zeros
            case 2: texts.append(String(format: "%.9e", value))  // exponent form
            case 3: texts.append("\(Float(value))")  // Swift's shortest form
            case 4: texts.append(String(format: "%.0f", value * 1000))  // integers, -0
            default: texts.append(String(format: "%.12f", value) + "12345678901")  // more than 19 digits
            }
        }
        var text = "id," + (1...dim).map { "v\($0)" }.joined(separator: ",") + ",glasses\n"
        for r in 0..<rows {
            text += "\(r)," + texts[(r * dim)..<((r + 1) * dim)].joined(separator: ",") + ",\(r % 2)\n"
        }
        #expect(text.utf8.count > 256 << 10)
        let loaded = try TemporaryDataset(train: text).load()
        var offByOneBit = 0
        for (k, text) in texts.enumerated() {
            let want = strtof(text, nil)
            let got = loaded.latents[k / dim, k % dim]
            if got != want {
                #expect(got.nextUp == want || got.nextDown == want, "\(text): \(got) vs strtof \(want)")
                offByOneBit += 1
            }
        }
        #expect(offByOneBit <= 2, "\(offByOneBit) of \(texts.count) values differ from strtof in the last bit")
    }

    @Test func quotedFieldsInALargeFileAreReadWhole() throws {
        // A quoted id with a comma and quotes, and a quoted note with a line end, in the second
        // half of a range parsed on two cores.
        let dim = 16
        let rows = 4_000
        var text = "id,note," + (1...dim).map { "v\($0)" }.joined(separator: ",") + ",glasses\n"
        for r in 0..<rows {
            let id = r == 3_000 ? "\"face, \"\"odd\"\" name\",\"two\nlines\"" : "\(r),x"
            text += id + "," + (0..<dim).map { "\(Float(r + $0) * 0.25)" }.joined(separator: ",") + ",\(r % 2)\n"
        }
        #expect(text.utf8.count > 256 << 10)
        let loaded = try TemporaryDataset(train: text).load()
        #expect(loaded.trainCount == rows)
        #expect(loaded.ids[3_000] == "face, \"odd\" name")
        #expect(loaded.latents[3_000, 1] == Float(3_001) * 0.25)
        #expect(loaded.latents[rows - 1, dim - 1] == Float(rows - 1 + dim - 1) * 0.25)
        // A later error still names the right physical line (the quoted id spans two lines).
        let broken = text.replacingOccurrences(of: "\n3500,x,", with: "\n3500,x,y")
        #expect(loadError(try TemporaryDataset(train: broken))?.line == 3_503)
    }

    @Test func readsAPipeThroughTheStreamingPath() throws {
        // A pipe cannot be mapped: the block reader takes over, whatever sizes the reads return
        // and however small its block (here 4 KiB, so records straddle many blocks).
        let dim = 8
        let rows = 3_000
        var text = "id," + (1...dim).map { "v\($0)" }.joined(separator: ",") + ",glasses\n"
        for r in 0..<rows { text += "\(r)," + (0..<dim).map { "\(Float(r * dim + $0) * 0.5)" }.joined(separator: ",") + ",1\n" }
        let bytes = Array(text.utf8)
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let writeEnd = ends[1]
        let writer = Thread {
            var offset = 0
            var step = 1
            while offset < bytes.count {
                let count = min(step, bytes.count - offset)
                _ = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress! + offset, count) }
                offset += count
                step = step * 7 % 1_999 + 1
            }
            close(writeEnd)
        }
        writer.start()
        var latents: [Float] = []
        let rowsRead = try LatentTableReader.readStream(
            descriptor: ends[0], url: URL(fileURLWithPath: "pipe.csv"),
            kind: .train(labelColumn: nil), idColumn: nil, into: &latents,
            blockSize: 4_096)
        close(ends[0])
        #expect(rowsRead.ids.count == rows)
        #expect(latents.count == rows * dim)
        #expect(latents[rows * dim - 1] == Float(rows * dim - 1) * 0.5)
    }

    @Test func aFIFODeviceOrFolderAsTrainCSVIsRefusedAtOnce() throws {
        // A FIFO would block until a writer came; /dev/zero never ends; a folder is no file.
        let fifo = try TemporaryDataset(train: nil)
        #expect(mkfifo(fifo.trainPath, 0o600) == 0)
        let started = Date()
        let error = try #require(loadError(fifo))
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(error.exitCode == 66)
        #expect(
            error.description
                == "\(fifo.trainPath): is a named pipe (FIFO), not a regular file; name the file itself (a copy of the data, not a pipe or device)"
        )
        let zero = try TemporaryDataset(train: nil)
        try FileManager.default.createSymbolicLink(atPath: zero.trainPath, withDestinationPath: "/dev/zero")
        #expect(
            loadError(zero)?.description
                == "\(zero.trainPath): is a character device, not a regular file; name the file itself (a copy of the data, not a pipe or device)"
        )
        let folder = try TemporaryDataset(train: nil)
        try FileManager.default.createDirectory(atPath: folder.trainPath, withIntermediateDirectories: false)
        #expect(loadError(folder)?.exitCode == 66)
        #expect(
            loadError(folder)?.problem
                == "is a folder, not a regular file; name the file itself (a copy of the data, not a pipe or device)")
        // The same for test.csv and a named predictions file.
        let test = try TemporaryDataset(train: "id,v1,glasses\n1,0.5,1\n")
        #expect(mkfifo(test.testPath, 0o600) == 0)
        #expect(loadError(test)?.file == test.testPath)
        #expect(loadError(test)?.exitCode == 66)
    }
}

@Suite struct PredictionsFileTests {
    @Test func readsKaggleShape() throws {
        let d = try TemporaryDataset(train: nil, extra: ["p.csv": "id,glasses\n1,0.25\n2,1\n"])
        let p = try PredictionsFile.read(d.url.appendingPathComponent("p.csv"))
        #expect(p.column == "glasses")
        #expect(p.probabilities == ["1": 0.25, "2": 1])
    }

    @Test func rejectsOutOfRangeUnknownAndDuplicate() throws {
        let d = try TemporaryDataset(
            train: nil, extra: ["a.csv": "id,p\n1,1.5\n", "b.csv": "id,p\n9,0.5\n", "c.csv": "id,p\n1,0.5\n1,0.4\n"])
        let path = { (n: String) in d.url.appendingPathComponent(n) }
        #expect(
            throws: DatasetError(
                file: path("a.csv").path, line: 2, column: "'p' (2)",
                problem: "found '1.5', expected a probability between 0 and 1")
        ) {
            try PredictionsFile.read(path("a.csv"))
        }
        #expect(
            throws: DatasetError(
                file: path("b.csv").path, line: 2, column: "'id'",
                problem: "id '9' is not in the dataset; are these predictions for another dataset?")
        ) {
            try PredictionsFile.read(path("b.csv"), knownIDs: ["1"])
        }
        #expect(
            throws: DatasetError(
                file: path("c.csv").path, line: 3, column: "'id'", problem: "duplicate id '1', first seen on line 2")
        ) {
            try PredictionsFile.read(path("c.csv"))
        }
    }
}

@Suite struct FastFloatTests {
    @Test func agreesWithStrtod() {
        let cases = [
            "0", "-0", "1", "-1.5", "3.14159265", "1e-3", "2.5E+10", "  7 ", "0.000001234", "123456789012345678901234",
            "1.7976931348623157e308", "4.9e-324", ".5", "5.", "-.25e2",
        ]
        for text in cases {
            let bytes = Array(text.utf8)
            let got = bytes.withUnsafeBufferPointer { FastFloat.parse($0.baseAddress!, 0, bytes.count) }
            let want = strtod(text, nil)
            #expect(got == .number(want), "\(text)")
        }
        for text in ["", "abc", "1e", "--1", "1.2.3", "0x10"] {
            let bytes = Array(text.utf8)
            let got = bytes.withUnsafeBufferPointer {
                FastFloat.parse($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, bytes.count)
            }
            #expect(got == .notANumber, "\(text)")
        }
    }
}
