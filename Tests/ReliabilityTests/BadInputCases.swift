import Foundation
import LabelAuditStore
import TestSupport
import Testing

/// Every bad input of issue 15 that the command line meets, as one table: what a user (or an
/// attacker) gives, and exactly what must come back. `make test` runs it with the debug build;
/// `make reliability` runs it with the release build and adds its row to the table.
enum BadInputCases {
    static let escapeHeader = "\u{1B}]52;c;aGVsbG8=\u{07}clip"
    static let titleHeader = "\u{1B}]0;pwned\u{07}title"

    /// Train rows 1...n of the case dataset replaced: `labels[k]` for id k+1.
    static func train(_ labels: [Int]) -> String {
        "id,v1,v2,v3,v4,glasses\n"
            + labels.enumerated().map {
                "\($0.offset + 1),\(Double($0.offset) / 7),0.5,0.25,\(Double($0.offset % 3)),\($0.element)\n"
            }.joined()
    }

    static let crashes: [BadInputCase] = [
        BadInputCase(
            name: "rank on a one-row training set",
            prepare: { try $0.write(train([1]), to: "data/train.csv") },
            arguments: ["rank", "{data}", "--no-image"], exitCode: 0,
            stderr: [
                "latent model: no evidence from it, the queue is ranked without it (cannot be fitted: training rows: only 1, and out-of-fold predictions need at least 2, with both labels)"
            ],
            stdout: ["runs: none", "missing evidence: latent model, cannot be fitted: training rows: only 1", "1      1      1"]),
        BadInputCase(
            name: "models on a one-row training set",
            prepare: { try $0.write(train([0]), to: "data/train.csv") },
            arguments: ["models", "{data}", "--no-image", "--json"], exitCode: 0,
            stdout: ["\"missing\" : [", "\"name\" : \"latent\"", "\"reason\" : \"cannot be fitted: training rows: only 1"]),
        BadInputCase(
            name: "export on an empty-after-header training set is refused",
            prepare: { try $0.write("id,v1,glasses\n", to: "data/train.csv") },
            arguments: ["export", "{data}", "--no-image", "--format", "json", "--out", "{folder}/r.json"], exitCode: 65,
            stderr: ["data/train.csv:1: header only, no data rows; expected one row per image after the header"]),
        BadInputCase(
            name: "export on a one-row training set",
            prepare: { try $0.write(train([1]), to: "data/train.csv") },
            arguments: ["export", "{data}", "--no-image", "--format", "json", "--out", "{folder}/r.json"], exitCode: 0,
            stderr: ["latent model: no evidence from it"], stdout: ["wrote "],
            check: { folder, _ in
                let data = try Data(contentsOf: URL(fileURLWithPath: folder.path("r.json")))
                return (try? JSONSerialization.jsonObject(with: data)) == nil ? ["r.json is not JSON"] : []
            }),
        BadInputCase(
            name: "models on a single-class training set with a predictions file",
            prepare: { folder in
                try folder.write(train(Array(repeating: 1, count: 12)), to: "data/train.csv")
                try folder.write("id,glasses\n" + (1...12).map { "\($0),0.8\n" }.joined(), to: "data/predictions-cnn.csv")
            },
            arguments: ["models", "{data}", "--no-image", "--json"], exitCode: 0,
            stdout: ["\"reason\" : \"cannot be fitted: all 12 training rows have label 1", "\"auroc\" : null"],
            forbidden: ["EncodingError", "nan"]),
        BadInputCase(
            name: "models text on a single-class training set says undefined",
            prepare: { folder in
                try folder.write(train(Array(repeating: 0, count: 12)), to: "data/train.csv")
                try folder.write("id,glasses\n" + (1...12).map { "\($0),0.3\n" }.joined(), to: "data/predictions-cnn.csv")
            },
            arguments: ["models", "{data}", "--no-image"], exitCode: 0,
            stdout: [
                "prediction imported  unknown", "undefined",
                "latent     missing: cannot be fitted: all 12 training rows have label 0",
            ]),
        BadInputCase(
            name: "rank and export JSON on a single-class training set",
            prepare: { try $0.write(train(Array(repeating: 1, count: 12)), to: "data/train.csv") },
            arguments: ["rank", "{data}", "--no-image", "--json"], exitCode: 0,
            stdout: ["\"missing\" : [", "all 12 training rows have label 1"], forbidden: ["EncodingError"]),
        BadInputCase(
            name: "rerun after bad_image verdicts leave one row",
            prepare: { folder in
                try folder.write(train([1, 0, 1]), to: "data/train.csv")
                let store = try AuditStore.open(at: folder.data.appendingPathComponent("labelaudit.sqlite"), testIDs: [])
                try store.record(verdict: .badImage, item: "2", reviewer: "ana")
                try store.record(verdict: .badImage, item: "3", reviewer: "ana")
                try store.setFlag(true, item: "1", reviewer: "ana")
                try store.close()
            },
            arguments: ["rerun", "{data}", "--no-image", "--model", "latent"], exitCode: 65,
            stderr: [
                "the latent model cannot be retrained on the corrected labels (0 flipped by label_wrong, 2 left out by bad_image or unsure): training rows: only 1, and out-of-fold predictions need at least 2, with both labels. Nothing was stored and the audit data is unchanged"
            ]),
        BadInputCase(
            name: "rerun after label_wrong flips leave one class",
            prepare: { folder in
                // With the fixture's label_wrong on id 3, flipping id 2 leaves only label 1.
                try folder.write(train([1, 0, 0, 1]), to: "data/train.csv")
                let store = try AuditStore.open(at: folder.data.appendingPathComponent("labelaudit.sqlite"), testIDs: [])
                try store.record(verdict: .labelWrong, item: "2", reviewer: "ana")
                try store.setFlag(true, item: "2", reviewer: "ana")
                try store.close()
            },
            arguments: ["rerun", "{data}", "--no-image", "--model", "latent", "--json"], exitCode: 65,
            stderr: ["(2 flipped by label_wrong, 0 left out by bad_image or unsure): all 4 training rows have label 1"]),
        BadInputCase(
            name: "verdict --from a folder",
            prepare: { try FileManager.default.createDirectory(atPath: $0.path("verdicts"), withIntermediateDirectories: true) },
            arguments: ["verdict", "{data}", "--from", "{folder}/verdicts"], exitCode: 66,
            stderr: ["/verdicts: is a folder, not a regular file", "Nothing was recorded."]),
    ]

    static let hostileText: [BadInputCase] = [
        BadInputCase(
            name: "hostile train.csv header names in the ignored-column warning",
            prepare: { folder in
                try folder.write(
                    "id,v1,\(escapeHeader),\(titleHeader),glasses\n1,0.5,a,b,1\n2,0.25,a,b,0\n", to: "data/train.csv")
                try folder.write("id,v1\n4501,0.5\n", to: "data/test.csv")
            },
            arguments: ["summary", "{data}"], exitCode: 0,
            stderr: ["labelaudit: warning: train.csv: ignored non-numeric column(s): ?]52;c;aGVsbG8=?clip, ?]0;pwned?title"]),
        BadInputCase(
            name: "hostile test.csv header names, NUL and CR",
            prepare: { folder in
                try folder.write(
                    Array("id,v1,v2,v3,v4,\(escapeHeader),a".utf8) + [0] + Array("b,c\rd\n4501,1,2,3,4,x,y,z\n".utf8),
                    to: "data/test.csv")
            },
            arguments: ["summary", "{data}"], exitCode: 0,
            stderr: ["test.csv: ignored column(s) not in train.csv: ?]52;c;aGVsbG8=?clip, a?b, c?d"]),
        BadInputCase(
            name: "missing id column with a title-setting header",
            prepare: { try $0.write("\(titleHeader),v1,glasses\n1,0.5,1\n", to: "data/train.csv") },
            arguments: ["summary", "{data}"], exitCode: 65,
            stderr: [
                "data/train.csv:1: column id: missing column: no id column (looked for id, ID, Id); name it with --id-column; found ?]0;pwned?title,v1,glasses"
            ]),
        BadInputCase(
            name: "a UTF-16 train.csv",
            prepare: {
                try $0.write([0xFF, 0xFE] + Array("id,v1,glasses\n1,0.5,1\n".utf8).flatMap { [$0, 0] }, to: "data/train.csv")
            },
            arguments: ["summary", "{data}"], exitCode: 65,
            stderr: ["data/train.csv:1: the file is UTF-16 text; labelaudit reads UTF-8 CSV"]),
        BadInputCase(
            name: "binary bytes as train.csv",
            prepare: { folder in
                var bytes: [UInt8] = []
                var state: UInt32 = 12_345
                for _ in 0..<4_000 {
                    state = state &* 1_103_515_245 &+ 12_345
                    bytes.append(UInt8(truncatingIfNeeded: state >> 16))
                }
                try folder.write(bytes, to: "data/train.csv")
            },
            arguments: ["summary", "{data}"], exitCode: 65, stderr: ["data/train.csv"]),
        BadInputCase(
            name: "a predictions file with a hostile name and header",
            prepare: { folder in
                try folder.write("id,\(escapeHeader)\n1,0.5\n2,0.5\n", to: "data/predictions-\u{1B}]0;x\u{07}.csv")
            },
            arguments: ["models", "{data}", "--no-image"], exitCode: 0,
            stderr: ["predictions 'predictions-?]0;x?'"], stdout: ["prediction imported"]),
        BadInputCase(
            name: "a predictions file with three hostile columns",
            prepare: { folder in
                try folder.write("id,\(titleHeader),\(escapeHeader)\n1,0.5,1\n", to: "data/predictions-x.csv")
            },
            arguments: ["models", "{data}", "--no-image"], exitCode: 65,
            stderr: [
                "predictions-x.csv:1: expected exactly two columns, an id and one probability; found 3: id,?]0;pwned?title,?]52;c;aGVsbG8=?clip"
            ]),
        BadInputCase(
            name: "ids with control characters, U+202E, invalid UTF-8 or a formula",
            prepare: { try $0.write(Array("id,v1,glasses\n1,0.5,1\nab\u{1B}[2Jc,0.25,0\n".utf8), to: "data/train.csv") },
            arguments: ["summary", "{data}"], exitCode: 65,
            stderr: [
                "data/train.csv:3: column 'id' (1): found the id 'ab?[2Jc' with the control character U+001B; ids must be plain text"
            ]),
        BadInputCase(
            name: "an id with a right-to-left override",
            prepare: { try $0.write("id,v1,glasses\n1,0.5,1\ngnp\u{202E}exe,0.25,0\n", to: "data/train.csv") },
            arguments: ["summary", "{data}"], exitCode: 65,
            stderr: ["data/train.csv:3: column 'id' (1): found the id 'gnp?exe' with the bidi control U+202E"]),
        BadInputCase(
            name: "an id that is not UTF-8",
            prepare: {
                try $0.write(
                    Array("id,v1,glasses\n1,0.5,1\n".utf8) + [0x61, 0xFF, 0x62] + Array(",0.25,0\n".utf8), to: "data/train.csv")
            },
            arguments: ["summary", "{data}"], exitCode: 65,
            stderr: ["data/train.csv:3: column 'id' (1): found the id 'a\u{FFFD}b', which is not valid UTF-8 text"]),
        BadInputCase(
            name: "an id a spreadsheet would run",
            prepare: { try $0.write("id,v1,glasses\n1,0.5,1\n=HYPERLINK(1),0.25,0\n", to: "data/train.csv") },
            arguments: ["summary", "{data}"], exitCode: 65,
            stderr: ["data/train.csv:3: column 'id' (1): found the id '=HYPERLINK(1)', which starts with '='"]),
    ]

    static let hangs: [BadInputCase] = [
        BadInputCase(
            name: "train.csv is a FIFO", prepare: { try $0.fifo("data/train.csv") },
            arguments: ["summary", "{data}"], exitCode: 66,
            stderr: ["data/train.csv: is a named pipe (FIFO), not a regular file"], seconds: 20),
        BadInputCase(
            name: "train.csv links to /dev/zero",
            prepare: { folder in
                try FileManager.default.removeItem(atPath: folder.path("data/train.csv"))
                try FileManager.default.createSymbolicLink(
                    atPath: folder.path("data/train.csv"), withDestinationPath: "/dev/zero")
            },
            arguments: ["rank", "{data}"], exitCode: 66, stderr: ["data/train.csv: is a character device, not a regular file"],
            seconds: 20),
        BadInputCase(
            name: "train.csv is a folder",
            prepare: { folder in
                try FileManager.default.removeItem(atPath: folder.path("data/train.csv"))
                try FileManager.default.createDirectory(atPath: folder.path("data/train.csv"), withIntermediateDirectories: true)
            },
            arguments: ["summary", "{data}"], exitCode: 66, stderr: ["data/train.csv: is a folder, not a regular file"]),
        BadInputCase(
            name: "test.csv is a FIFO", prepare: { try $0.fifo("data/test.csv") },
            arguments: ["summary", "{data}"], exitCode: 66, stderr: ["data/test.csv: is a named pipe (FIFO)"], seconds: 20),
        BadInputCase(
            name: "a named predictions file is a FIFO", prepare: { try $0.fifo("p.csv") },
            arguments: ["models", "{data}", "--no-image", "--predictions", "{folder}/p.csv"], exitCode: 66,
            stderr: ["/p.csv: cannot read the predictions file: it is a named pipe (FIFO), not a regular file"], seconds: 20),
        BadInputCase(
            name: "a predictions file found beside the data is a FIFO", prepare: { try $0.fifo("data/predictions-x.csv") },
            arguments: ["summary", "{data}"], exitCode: 0,
            stderr: ["predictions-x.csv: is a named pipe (FIFO), not a regular file", "skipped as a predictions file"],
            seconds: 20),
        BadInputCase(
            name: "a predictions folder",
            prepare: { try FileManager.default.createDirectory(atPath: $0.path("preds"), withIntermediateDirectories: true) },
            arguments: ["models", "{data}", "--no-image", "--predictions", "{folder}/preds"], exitCode: 66,
            stderr: ["/preds: cannot read the predictions file: it is a folder, not a regular file"],
            forbidden: ["NSCocoaErrorDomain"]),
        BadInputCase(
            name: "a merge source is a FIFO", prepare: { try $0.fifo("bob.sqlite") },
            arguments: ["merge", "{data}", "{folder}/bob.sqlite"], exitCode: 66,
            stderr: [
                "cannot merge ",
                "/bob.sqlite: it is a named pipe (FIFO), not a database file. Nothing was merged from it and this database is unchanged; check the path",
            ],
            forbidden: ["faces where reviewers disagree", "--db"], seconds: 20),
        BadInputCase(
            name: "verdict --from a FIFO", prepare: { try $0.fifo("v.txt") },
            arguments: ["verdict", "{data}", "--from", "{folder}/v.txt"], exitCode: 66,
            stderr: ["/v.txt: is a named pipe (FIFO), not a regular file"], seconds: 20),
        BadInputCase(
            name: "--db is a FIFO", prepare: { try $0.fifo("db.sqlite") },
            arguments: ["verdict", "{data}", "5", "label_ok", "--db", "{folder}/db.sqlite"], exitCode: 66,
            stderr: ["/db.sqlite is a named pipe (FIFO), not a database file"], seconds: 20),
        BadInputCase(
            name: "render a FIFO", prepare: { try $0.fifo("face.jpg") },
            arguments: ["render", "{folder}/face.jpg"], exitCode: 66,
            stderr: ["/face.jpg: is a named pipe (FIFO), not an image file"], seconds: 20),
        BadInputCase(
            name: "an image of the dataset is a FIFO",
            prepare: { folder in
                try FileManager.default.createDirectory(atPath: folder.path("data/images"), withIntermediateDirectories: true)
                try folder.fifo("data/images/face-1.jpg")
            },
            arguments: ["models", "{data}"], exitCode: 0,
            stderr: ["image model: 1 image(s) could not be read", "is a named pipe (FIFO), not an image file"], seconds: 60),
        BadInputCase(
            name: "a 100 MB line in train.csv",
            prepare: { folder in
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.path("data/train.csv")))
                handle.seekToEndOfFile()
                let block = Data(repeating: UInt8(ascii: "1"), count: 1 << 20)
                for _ in 0..<100 { handle.write(block) }
                try handle.close()
            },
            arguments: ["summary", "{data}"], exitCode: 65,
            stderr: ["data/train.csv:32: this line is longer than 8 MiB"], seconds: 10),
        BadInputCase(
            name: "verdict --from with a 50 MB line",
            prepare: { folder in
                _ = FileManager.default.createFile(
                    atPath: folder.path("v.txt"),
                    contents: Data("5 label_ok\n".utf8) + Data(repeating: UInt8(ascii: "x"), count: 50 << 20))
            },
            arguments: ["verdict", "{data}", "--from", "{folder}/v.txt"], exitCode: 65,
            stderr: ["/v.txt:2: this line is longer than 65536 bytes", "The 1 verdicts before this line were recorded."],
            watched: ["data/labelaudit.sqlite": 1], seconds: 10),
        BadInputCase(
            name: "verdict --from a 2 MB line on stdin",
            arguments: ["verdict", "{data}", "--from", "-"], stdin: Data(repeating: UInt8(ascii: "y"), count: 2 << 20),
            exitCode: 65, stderr: ["stdin:1: this line is longer than 65536 bytes"], seconds: 10),
        BadInputCase(
            name: "a model command whose background child keeps stdout open",
            prepare: { folder in
                try folder.write(
                    """
                    while IFS= read -r line; do
                      id=$(printf '%s' "$line" | sed 's/.*"id":"\\([^"]*\\)".*/\\1/')
                      printf '{"id":"%s","p":0.5}\\n' "$id"
                    done
                    sleep 60 &
                    exit 0
                    """, to: "model.sh")
            },
            arguments: ["rerun", "{data}", "--no-image", "--model-cmd", "sh {folder}/model.sh", "--timeout", "50"], exitCode: 0,
            stdout: ["\ncommand-rerun (run "], seconds: 40),
    ]

    static let teamFiles: [BadInputCase] = [
        BadInputCase(
            name: "merge a teammate's file on a read-only place",
            prepare: { folder in
                try folder.teammateFile("cy.sqlite", verdicts: [("5", .labelWrong), ("6", .labelOK)])
                _ = try ReadOnlyPlace(folder.path("ro"), copying: [folder.path("cy.sqlite")])
            },
            arguments: ["merge", "{data}", "{folder}/ro/cy.sqlite"], exitCode: 0,
            stdout: ["/ro/cy.sqlite: 2 new events, 0 already here", "faces where reviewers disagree"],
            watched: ["data/labelaudit.sqlite": 2],
            check: { folder, _ in sideFiles(folder.path("ro"), expected: ["cy.sqlite"]) }),
        BadInputCase(
            name: "notes --db on a read-only place",
            prepare: { folder in
                try folder.teammateFile("cy.sqlite", verdicts: [("5", .labelWrong)])
                _ = try ReadOnlyPlace(folder.path("ro"), copying: [folder.path("cy.sqlite")])
            },
            arguments: ["notes", "{data}", "--db", "{folder}/ro/cy.sqlite"], exitCode: 0,
            stdout: ["5 ", "cy", "label_wrong"],
            check: { folder, _ in sideFiles(folder.path("ro"), expected: ["cy.sqlite"]) }),
        BadInputCase(
            name: "history --db on a read-only place",
            prepare: { folder in
                try folder.teammateFile("cy.sqlite", verdicts: [("5", .unsure)])
                _ = try ReadOnlyPlace(folder.path("ro"), copying: [folder.path("cy.sqlite")])
            },
            arguments: ["history", "{data}", "--db", "{folder}/ro/cy.sqlite"], exitCode: 0,
            stdout: ["cy", "5", "verdict: - -> unsure"],
            check: { folder, _ in sideFiles(folder.path("ro"), expected: ["cy.sqlite"]) }),
        BadInputCase(
            name: "merge leaves a read-only file in a writable folder without side files",
            prepare: { folder in
                try folder.teammateFile("rw/cy.sqlite", verdicts: [("7", .labelOK)])
                chmod(folder.path("rw/cy.sqlite"), 0o444)
            },
            arguments: ["merge", "{data}", "{folder}/rw/cy.sqlite"], exitCode: 0,
            stdout: ["1 new events"], watched: ["data/labelaudit.sqlite": 1],
            check: { folder, _ in sideFiles(folder.path("rw"), expected: ["cy.sqlite"]) }),
        BadInputCase(
            name: "history --db of a read-only file in a writable folder leaves no side files",
            prepare: { folder in
                try folder.teammateFile("rw/cy.sqlite", verdicts: [("7", .labelOK)])
                chmod(folder.path("rw/cy.sqlite"), 0o444)
            },
            arguments: ["history", "{data}", "--db", "{folder}/rw/cy.sqlite"], exitCode: 0,
            stdout: ["verdict: - -> label_ok"],
            check: { folder, _ in sideFiles(folder.path("rw"), expected: ["cy.sqlite"]) }),
        BadInputCase(
            name: "rank with --db in a read-only place uses a cache elsewhere",
            prepare: { folder in
                try folder.teammateFile("cy.sqlite", verdicts: [("5", .labelWrong)])
                _ = try ReadOnlyPlace(folder.path("ro"), copying: [folder.path("cy.sqlite")])
            },
            arguments: ["rank", "{data}", "--no-image", "--db", "{folder}/ro/cy.sqlite", "--top", "3"], exitCode: 0,
            stdout: ["ranking: default"],
            check: { folder, _ in
                sideFiles(folder.path("ro"), expected: ["cy.sqlite"])
                    + (FileManager.default.fileExists(atPath: folder.path("home/cache/labelaudit"))
                        ? [] : ["no cache under $XDG_CACHE_HOME"])
            }),
        BadInputCase(
            name: "export with --db in a read-only place",
            prepare: { folder in
                try folder.teammateFile("cy.sqlite", verdicts: [("5", .labelWrong)])
                _ = try ReadOnlyPlace(folder.path("ro"), copying: [folder.path("cy.sqlite")])
            },
            arguments: [
                "export", "{data}", "--no-image", "--db", "{folder}/ro/cy.sqlite", "--format", "json", "--out", "{folder}/r.json",
            ],
            exitCode: 0, stdout: ["wrote "],
            check: { folder, _ in sideFiles(folder.path("ro"), expected: ["cy.sqlite"]) }),
        BadInputCase(
            name: "merge validates every incoming event",
            prepare: { folder in
                try folder.teammateFile("evil.sqlite", verdicts: [("8", .labelWrong)], reviewer: "eve")
                try HostileEvents.add(to: folder.path("evil.sqlite"))
            },
            arguments: ["merge", "{data}", "{folder}/evil.sqlite"], exitCode: 0,
            stderr: [
                "skipped 1 with an event id, action id or undo reference that is not a UUID; e.g. event not-a-uuid",
                "skipped 2 with a reviewer name that is empty",
                "skipped 1 with an id that is empty or holds control or bidi characters; e.g. event ",
                "about 'ab?c'",
                "skipped 1 with an id that is not a training id of this dataset",
                "skipped 1 with an unknown kind of event or field",
                "skipped 3 with a value the field cannot hold",
                "skipped 2 with a time before 2001 or more than a day ahead",
            ],
            stdout: [
                "/evil.sqlite: 1 new events, 0 already here, 1 about test ids refused (the test set is never hand-labeled), 11 skipped (below)"
            ],
            watched: ["data/labelaudit.sqlite": 1]),
        BadInputCase(
            name: "merge a file without an event table",
            prepare: { try HostileEvents.markedWithoutTables($0.path("x.sqlite")) },
            arguments: ["merge", "{data}", "{folder}/x.sqlite"], exitCode: 65,
            stderr: [
                "cannot merge ",
                "/x.sqlite: it carries labelaudit's mark but has no event table, so it holds no verdicts. Nothing was merged from it and this database is unchanged; ask the teammate for their labelaudit.sqlite again",
            ],
            forbidden: ["faces where reviewers disagree", "no such table", "--db", "SQLite error"]),
        BadInputCase(
            name: "a failed merge prints no conflict count",
            prepare: { try $0.write("not a database", to: "t.sqlite") },
            arguments: ["merge", "{data}", "{folder}/t.sqlite"], exitCode: 65,
            stderr: ["/t.sqlite: it is not an SQLite database."],
            forbidden: ["faces where reviewers disagree", "pass another file with --db"]),
        BadInputCase(
            name: "notes warns when an id moved from train to test",
            prepare: { folder in
                // Id 3 (label_wrong by ana in the fixture) is now a test face.
                try folder.write(
                    "id,v1,v2,v3,v4,glasses\n1,0.1,0.5,0.2,0,1\n2,0.2,0.4,0.1,1,0\n4,0.3,0.2,0.5,1,1\n5,0.4,0.1,0.3,0,0\n",
                    to: "data/train.csv")
                try folder.write("id,v1,v2,v3,v4\n3,0.5,0.1,0.2,0.3\n", to: "data/test.csv")
            },
            arguments: ["notes", "{data}"], exitCode: 0,
            stderr: [
                "1 id(s) with audit entries are now test ids in test.csv, e.g. '3': their verdicts are kept in the database but no longer used"
            ]),
        BadInputCase(
            name: "notes says where a long note is cut",
            prepare: { folder in
                let store = try AuditStore.open(at: folder.data.appendingPathComponent("labelaudit.sqlite"), testIDs: [])
                try store.setNote(String(repeating: "n", count: 250), item: "5", reviewer: "ana")
                try store.close()
            },
            arguments: ["notes", "{data}"], exitCode: 0,
            stdout: [String(repeating: "n", count: 100) + "… (150 more characters; --json shows the whole note)"]),
    ]

    static let exitCodes: [BadInputCase] = [
        BadInputCase(
            name: "render a missing image", arguments: ["render", "{folder}/nope.jpg"], exitCode: 66,
            stderr: ["/nope.jpg: cannot read the image (No such file or directory)"]),
        BadInputCase(
            name: "render a damaged image",
            prepare: { try $0.write([0xFF, 0xD8, 0xFF, 0xE0, 0, 16] + Array(repeating: 0x41, count: 200), to: "bad.jpg") },
            arguments: ["render", "{folder}/bad.jpg"], exitCode: 65, stderr: ["/bad.jpg: damaged JPEG"]),
        BadInputCase(
            name: "render text as an image",
            prepare: { try $0.write("hello", to: "t.jpg") },
            arguments: ["render", "{folder}/t.jpg"], exitCode: 65, stderr: ["/t.jpg: not a JPEG file"]),
    ]

    static var all: [BadInputCase] { crashes + hostileText + hangs + teamFiles + exitCodes }

    /// Problems when `folder` holds anything but `expected` (no -wal, -shm or journal added).
    static func sideFiles(_ folder: String, expected: [String]) -> [String] {
        let found = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        return found == expected.sorted() ? [] : ["\(folder) holds \(found), expected only \(expected)"]
    }
}

@Suite(.serialized) struct BadInputReliability {
    /// Every case of the table; the counts become the `bad-input` row of `make reliability`.
    @Test func everyBadInputGivesItsExactOutcome() {
        let tally = CaseRunner.run(BadInputCases.all, group: "bad-input")
        #expect(tally.tried == BadInputCases.all.count)
        #expect(
            tally.crashes == 0 && tally.hangs == 0 && tally.wrongExit == 0 && tally.wrongMessage == 0
                && tally.rawControl == 0 && tally.accidentalEvents == 0, "\(tally.row("bad-input"))")
    }
}
