import Foundation
import LabelAuditCore
import LabelAuditStore
import TestSupport
import Testing

/// One bad-input case of the reliability suite: a folder set up by `prepare`, one `labelaudit`
/// command, and the exact outcome a user must see: the exit status, a message (every expected
/// piece, in order), nothing raw on the terminal, and the audit database unchanged unless the
/// case says how many events it may add.
struct BadInputCase: Sendable {
    var name: String
    /// Sets up the case's folder (the dataset is `folder/data`, its audit db `folder/data/labelaudit.sqlite`).
    var prepare: @Sendable (CaseFolder) throws -> Void = { _ in }
    /// The arguments after `labelaudit`; `{data}` and `{folder}` are replaced by the paths.
    var arguments: [String]
    var stdin: Data? = nil
    var exitCode: Int32
    /// Pieces stderr must contain, in this order.
    var stderr: [String] = []
    /// Pieces stdout must contain, in this order.
    var stdout: [String] = []
    /// Pieces neither stream may contain.
    var forbidden: [String] = []
    /// Audit databases (relative to the case folder) that must be byte-for-byte unchanged,
    /// or gain exactly this many events.
    var watched: [String: Int] = ["data/labelaudit.sqlite": 0]
    /// The command must finish in this many seconds (a hang is a failure).
    var seconds: Double = 60
    /// Extra checks after the command (files left behind, ...); return problems.
    var check: @Sendable (CaseFolder, ProcessResult) throws -> [String] = { _, _ in [] }
}

/// The counts of one group of cases, printed as a reliability row (Benchmarks/reliability.sh).
struct ReliabilityTally {
    var tried = 0, crashes = 0, hangs = 0, wrongExit = 0, wrongMessage = 0, rawControl = 0, accidentalEvents = 0

    func row(_ name: String) -> String {
        "row \(name) tried=\(tried) crashes=\(crashes) hangs=\(hangs) wrong_exit=\(wrongExit) wrong_message=\(wrongMessage) raw_control=\(rawControl) accidental_events=\(accidentalEvents)"
    }

    /// Appends the row to `$LABELAUDIT_RELIABILITY_ROWS` when the reliability script runs the suite.
    func report(_ name: String) {
        guard let path = ProcessInfo.processInfo.environment["LABELAUDIT_RELIABILITY_ROWS"], !path.isEmpty,
            let handle = FileHandle(forWritingAtPath: path)
                ?? {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                    return FileHandle(forWritingAtPath: path)
                }()
        else { return }
        handle.seekToEndOfFile()
        handle.write(Data((row(name) + "\n").utf8))
        try? handle.close()
    }
}

/// A case's own temporary folder, with a small dataset in `data/`.
struct CaseFolder: Sendable {
    let folder: TemporaryFolder
    var url: URL { folder.url }
    var data: URL { folder.url.appendingPathComponent("data") }
    func path(_ relative: String) -> String { folder.url.appendingPathComponent(relative).path }

    init(_ name: String) throws {
        folder = try TemporaryFolder("rel-" + name)
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        // 30 train faces over 4 latent columns, both labels; 5 test faces.
        var train = "id,v1,v2,v3,v4,glasses\n"
        for id in 1...30 {
            let x = Double(id)
            train += "\(id),\(x / 30),\(sin(x)),\(cos(x * 0.7)),\(Double(id % 5) / 5),\(id % 3 == 0 ? 0 : 1)\n"
        }
        try write(train, to: "data/train.csv")
        var test = "id,v1,v2,v3,v4\n"
        for id in 4501...4505 { test += "\(id),0.5,0.1,0.2,0.3\n" }
        try write(test, to: "data/test.csv")
        // An audit database with two reviewers' verdicts, so "nothing changed" means something.
        let store = try AuditStore.open(at: data.appendingPathComponent("labelaudit.sqlite"), testIDs: [])
        try store.record(verdict: .labelWrong, item: "3", reviewer: "ana", note: "no frames")
        try store.record(verdict: .labelOK, item: "4", reviewer: "bo")
        try store.setFlag(true, item: "3", reviewer: "ana")
        try store.close()
    }

    func write(_ text: String, to relative: String) throws {
        try write(Array(text.utf8), to: relative)
    }

    func write(_ bytes: [UInt8], to relative: String) throws {
        let target = folder.url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
    }

    func fifo(_ relative: String) throws {
        let target = path(relative)
        try? FileManager.default.removeItem(atPath: target)
        guard mkfifo(target, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// A teammate's audit database `name` in the case folder, with the given verdicts.
    func teammateFile(_ relative: String, verdicts: [(String, Verdict)], reviewer: String = "cy") throws {
        let store = try AuditStore.open(at: folder.url.appendingPathComponent(relative), testIDs: [])
        for (item, verdict) in verdicts { try store.record(verdict: verdict, item: item, reviewer: reviewer) }
        try store.close()
        // As mailed: the database file alone (GRDB's pool leaves empty -wal/-shm behind).
        let path = folder.url.appendingPathComponent(relative).path
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
    }

    func remove() { folder.remove() }
}

/// Bytes a terminal would act on: C0 controls but newline (and tab), DEL, C1 controls (as
/// UTF-8), bidi controls. Counted in every output of every case.
enum RawControl {
    static func count(_ data: Data) -> Int {
        let text = String(decoding: data, as: UTF8.self)
        return text.unicodeScalars.reduce(0) { total, scalar in
            let value = scalar.value
            let bad =
                (value < 0x20 && value != 0x0A && value != 0x09) || (0x7F...0x9F).contains(value)
                || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
                || value == 0x200E || value == 0x200F || value == 0x061C
            return total + (bad ? 1 : 0)
        }
    }
}

/// Runs cases one after the other and tallies them; every problem is recorded as an issue
/// that names the case.
enum CaseRunner {
    static func run(_ cases: [BadInputCase], group: String) -> ReliabilityTally {
        var tally = ReliabilityTally()
        for item in cases {
            tally.tried += 1
            let started = Date()
            defer {
                if ProcessInfo.processInfo.environment["LABELAUDIT_CASE_TIMES"] != nil {
                    FileHandle.standardError.write(
                        Data("case \(String(format: "%5.2f", Date().timeIntervalSince(started))) s  \(item.name)\n".utf8))
                }
            }
            do {
                try run(item, into: &tally)
            } catch {
                Issue.record("\(item.name): could not run: \(error)")
                tally.wrongExit += 1
            }
        }
        tally.report(group)
        return tally
    }

    /// What each watched database holds (its events and current states; nil when absent).
    static func snapshot(_ folder: CaseFolder, _ paths: [String]) -> [String: AuditContent?] {
        var out: [String: AuditContent?] = [:]
        for relative in paths { out[relative] = AuditContent(path: folder.path(relative)) }
        return out
    }

    /// The audit data of a database: what "nothing changed" compares.
    struct AuditContent: Equatable {
        var events: [AuditEvent]
        var states: [ReviewerState]

        init?(path: String) {
            guard FileManager.default.fileExists(atPath: path),
                let store = try? AuditStore.open(at: URL(fileURLWithPath: path), testIDs: [], readOnly: true),
                let events = try? store.history(), let states = try? store.allStates()
            else { return nil }
            try? store.close()
            self.events = events
            self.states = states
        }
    }

    static func run(_ item: BadInputCase, into tally: inout ReliabilityTally) throws {
        let folder = try CaseFolder(item.name.filter { $0.isLetter || $0.isNumber })
        defer {
            ReadOnlyPlace.releaseAll(under: folder.url.path)
            folder.remove()
        }
        try item.prepare(folder)
        let before = snapshot(folder, Array(item.watched.keys))
        let arguments = item.arguments.map {
            $0.replacingOccurrences(of: "{data}", with: folder.data.path).replacingOccurrences(
                of: "{folder}", with: folder.url.path)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["USER"] = "ana"
        environment["HOME"] = folder.path("home")
        environment["XDG_CACHE_HOME"] = folder.path("home/cache")
        environment["XDG_DATA_HOME"] = folder.path("home/data")
        environment["NO_COLOR"] = "1"
        let started = Date()
        let result: ProcessResult
        do {
            result = try Command.labelaudit(arguments, environment: environment, stdin: item.stdin, timeout: item.seconds)
        } catch let timeout as Command.Timeout {
            tally.hangs += 1
            Issue.record("\(item.name): \(timeout)")
            return
        }
        let elapsed = Date().timeIntervalSince(started)
        if result.killedBySignal {
            tally.crashes += 1
            Issue.record("\(item.name): killed by signal \(result.status); stderr: \(result.stderr.suffix(600))")
            return
        }
        if result.status != item.exitCode {
            tally.wrongExit += 1
            Issue.record(
                "\(item.name): exit \(result.status), expected \(item.exitCode) (\(String(format: "%.1f", elapsed)) s); stderr: \(result.stderr.prefix(800))"
            )
        }
        var messageProblems: [String] = []
        func contains(_ text: String, _ pieces: [String], _ stream: String) {
            var rest = Substring(text)
            for piece in pieces {
                guard let range = rest.range(of: piece) else {
                    messageProblems.append(
                        "\(stream) lacks \(piece.debugDescription); it was \(text.prefix(1200).debugDescription)")
                    return
                }
                rest = rest[range.upperBound...]
            }
        }
        contains(result.stderr, item.stderr, "stderr")
        contains(result.stdout, item.stdout, "stdout")
        for piece in item.forbidden where result.stderr.contains(piece) || result.stdout.contains(piece) {
            messageProblems.append("output holds \(piece.debugDescription)")
        }
        messageProblems += try item.check(folder, result)
        if !messageProblems.isEmpty {
            tally.wrongMessage += 1
            for problem in messageProblems { Issue.record("\(item.name): \(problem)") }
        }
        let raw = RawControl.count(Data(result.stdout.utf8)) + RawControl.count(Data(result.stderr.utf8))
        if raw > 0 {
            tally.rawControl += 1
            Issue.record(
                "\(item.name): \(raw) raw control characters reached stdout/stderr: \(result.stderr.prefix(400).debugDescription)"
            )
        }
        let after = snapshot(folder, Array(item.watched.keys))
        for (relative, allowed) in item.watched {
            let old = before[relative] ?? nil
            let new = after[relative] ?? nil
            let oldCount = old?.events.count ?? 0
            let newCount = new?.events.count ?? 0
            if allowed == 0 {
                if old != new {
                    tally.accidentalEvents += 1
                    Issue.record("\(item.name): the audit data in \(relative) changed (events \(oldCount) -> \(newCount))")
                }
            } else if newCount - oldCount != allowed || !(old?.events ?? []).allSatisfy({ new?.events.contains($0) ?? false }) {
                tally.accidentalEvents += 1
                Issue.record("\(item.name): \(relative) gained \(newCount - oldCount) events, expected \(allowed)")
            }
        }
    }
}

/// A folder whose files nobody may write: a read-only tmpfs when root (mode bits do not stop
/// root), else mode 0555 with files 0444.
struct ReadOnlyPlace {
    let path: String
    let mounted: Bool

    static var canMount: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount") }

    /// Makes `path` (an empty folder) read-only after copying `files` (absolute paths) into it.
    init(_ path: String, copying files: [String]) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        mounted = Self.canMount
        if mounted {
            _ = try Command.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=4m", "tmpfs", path])
        }
        for file in files {
            let target = (path as NSString).appendingPathComponent((file as NSString).lastPathComponent)
            try FileManager.default.copyItem(atPath: file, toPath: target)
            chmod(target, 0o444)
        }
        if mounted {
            _ = try Command.run(URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,ro", path])
        } else {
            chmod(path, 0o555)
        }
    }

    func release() {
        if mounted {
            _ = try? Command.run(URL(fileURLWithPath: "/bin/umount"), [path])
        } else {
            chmod(path, 0o755)
        }
    }

    /// Unmounts (or makes writable again) every read-only place under `root`.
    static func releaseAll(under root: String) {
        if let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) {
            for line in mounts.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count > 1, fields[1].hasPrefix(root) {
                    _ = try? Command.run(URL(fileURLWithPath: "/bin/umount"), [String(fields[1])])
                }
            }
        }
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let name = walker.nextObject() as? String { chmod((root as NSString).appendingPathComponent(name), 0o755) }
        }
    }

    /// What sits in the folder (to check that nothing was added).
    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}
