import ArgumentParser
import Foundation
import LabelAuditCore

/// The CSV reader fuzz of the reliability suite (`make reliability` runs 10,000 cases,
/// `make test` a few hundred). Each case takes a real table (a slice of the demo's train.csv
/// when `--base` names it, or a generated one with quotes, CRLF, a BOM, odd numbers), mutates
/// its bytes (flips, control bytes, NUL, 0xFF, quotes, commas, line ends, cut and repeated
/// ranges, a header replaced by hostile bytes, now and then a line of 9 MiB) and reads it
/// either through the mapped path (a file in a dataset folder) or through the streaming path
/// (a pipe written in random splits, read with a random small block).
///
/// A case passes when the reader returns a well-formed table or a `DatasetError` with a
/// sysexits status (65, 66, 74) whose message holds no control or bidi character, within 5 s.
/// Before each case its number is written to `--progress`, so a crash names its case; a case
/// that runs 5 s ends the process (exit 3) after printing the row. Output: one reliability row
/// (see Benchmarks/reliability.sh for the format) plus the peak memory.
struct CSVFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz-csv",
        abstract: "The CSV reader on mutated tables, mapped and streamed (a reliability row).")
    @Option var cases = 300
    @Option var seed: UInt64 = 20_200_405
    @Option(help: "A real table to mutate slices of (repeatable).") var base: [String] = []
    @Option(help: "A folder for the cases' files (default: a new temporary folder).") var work: String?
    @Option(help: "Written with the case number before each case.") var progress: String?
    @Option(help: "Seconds after which a case counts as a hang.") var hangSeconds = 5.0
    @Option(help: "Peak resident memory (MB) above which the run counts as a failure.") var maxMemoryMb = 1_024

    struct Tally {
        var tried = 0, loaded = 0, refused = 0, wrongOutcome = 0, rawControl = 0, slow = 0
        var slowest = 0.0
        var examples: [String] = []
    }

    func run() throws {
        let folder = URL(fileURLWithPath: work ?? NSTemporaryDirectory()).appendingPathComponent("labelaudit-fuzz-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bases = try base.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        var random = SplitMix64(seed: seed)
        var tally = Tally()
        let seed = self.seed
        let hangSeconds = self.hangSeconds
        let watchdog = Watchdog(limit: hangSeconds) { caseNumber in
            // A case that runs this long is a hang: say so in the row and stop.
            let row =
                "row csv-fuzz tried=\(caseNumber) crashes=0 hangs=1 wrong_exit=0 raw_control=0 accidental_events=0 note=case_\(caseNumber)_seed_\(seed)_ran_over_\(Int(hangSeconds))s\n"
            _ = row.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
            _exit(3)
        }
        for number in 0..<cases {
            if let progress { try? "\(number) seed \(seed)\n".write(toFile: progress, atomically: false, encoding: .utf8) }
            let original =
                bases.isEmpty || random.next(below: 3) == 0
                ? Self.generated(&random) : Self.slice(bases[random.next(below: bases.count)], &random)
            let mutated = Self.mutate(original, &random)
            let started = DispatchTime.now().uptimeNanoseconds
            watchdog.start(number)
            let outcome =
                random.next(below: 2) == 0
                ? Self.readMapped(mutated, folder: folder, withTest: random.next(below: 4) == 0, &random)
                : Self.readStreamed(mutated, &random)
            watchdog.stop()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            tally.tried += 1
            tally.slowest = max(tally.slowest, seconds)
            switch outcome {
            case .loaded(let problem):
                tally.loaded += 1
                if let problem {
                    tally.wrongOutcome += 1
                    note(&tally, "case \(number): loaded but \(problem)")
                }
            case .refused(let error):
                tally.refused += 1
                if ![65, 66, 74].contains(error.exitCode) {
                    tally.wrongOutcome += 1
                    note(&tally, "case \(number): exit \(error.exitCode)")
                }
                if Self.hasRawControl(error.description) {
                    tally.rawControl += 1
                    note(&tally, "case \(number): control characters in \(error.description.debugDescription.prefix(200))")
                }
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMB = Int(usage.ru_maxrss) / 1024
        if peakMB > maxMemoryMb {
            tally.wrongOutcome += 1
            note(&tally, "peak memory \(peakMB) MB, over the bound of \(maxMemoryMb) MB")
        }
        print(
            "row csv-fuzz tried=\(tally.tried) crashes=0 hangs=0 wrong_exit=\(tally.wrongOutcome) raw_control=\(tally.rawControl) accidental_events=0"
                + " note=\(tally.loaded)_loaded_\(tally.refused)_refused_slowest_\(String(format: "%.2f", tally.slowest))s_peak_\(peakMB)MB"
        )
        for example in tally.examples { print("# \(example)") }
    }

    private func note(_ tally: inout Tally, _ text: String) {
        if tally.examples.count < 10 { tally.examples.append(text) }
    }

    enum Outcome {
        /// Loaded; a problem when the table is not well formed.
        case loaded(String?)
        case refused(DatasetError)
    }

    static func hasRawControl(_ text: String) -> Bool { TerminalSafeText.hasControls(text) }

    /// A well-formed table is rows x dim finite floats, 0/1 labels and usable, unique ids.
    static func check(ids: [String], labels: [UInt8], latents: [Float], dim: Int) -> String? {
        if ids.isEmpty { return "no rows" }
        if latents.count != ids.count * dim { return "\(latents.count) latents for \(ids.count) rows of \(dim)" }
        if labels.count != ids.count { return "\(labels.count) labels for \(ids.count) rows" }
        if !latents.allSatisfy(\.isFinite) { return "a non-finite latent" }
        if !labels.allSatisfy({ $0 <= 1 }) { return "a label other than 0 or 1" }
        if Set(ids).count != ids.count { return "duplicate ids" }
        if let bad = ids.first(where: { $0.isEmpty || TerminalSafeText.hasControls($0) }) {
            return "the id \(bad.debugDescription)"
        }
        return nil
    }

    static func readMapped(_ bytes: [UInt8], folder: URL, withTest: Bool, _ random: inout SplitMix64) -> Outcome {
        let dataset = folder.appendingPathComponent("case")
        try? FileManager.default.removeItem(at: dataset)
        try? FileManager.default.createDirectory(at: dataset, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dataset.appendingPathComponent("train.csv").path, contents: Data(bytes))
        if withTest {
            // A test table made from the same bytes (ids shifted so they do not collide).
            let test = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 ? String($0.element) : "t" + $0.element }.joined(separator: "\n")
            _ = FileManager.default.createFile(atPath: dataset.appendingPathComponent("test.csv").path, contents: Data(test.utf8))
        }
        do {
            let loaded = try DatasetLoader.load(DatasetOptions(root: dataset))
            for warning in loaded.warnings where hasRawControl(warning) { return .loaded("a warning with control characters") }
            return .loaded(
                check(
                    ids: Array(loaded.ids[0..<loaded.trainCount]), labels: loaded.labels,
                    latents: Array(loaded.latents.values[0..<loaded.trainCount * loaded.dim]), dim: loaded.dim))
        } catch {
            return .refused(error)
        }
    }

    static func readStreamed(_ bytes: [UInt8], _ random: inout SplitMix64) -> Outcome {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return .loaded("no pipe") }
        let blockSize = [256, 1_024, 4_096, 16_384, 65_536][random.next(below: 5)]
        let splitSeed = random.next()
        let writeEnd = ends[1]
        let writer = Thread {
            var splits = SplitMix64(seed: splitSeed)
            var offset = 0
            while offset < bytes.count {
                let count = min(bytes.count - offset, 1 + splits.next(below: 3_000))
                let written = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress! + offset, count) }
                if written <= 0 { break }
                offset += written
            }
            close(writeEnd)
        }
        writer.start()
        defer {
            // Drain what the reader left, so the writer can finish, then close.
            var sink = [UInt8](repeating: 0, count: 65_536)
            while sink.withUnsafeMutableBytes({ read(ends[0], $0.baseAddress, $0.count) }) > 0 {}
            close(ends[0])
        }
        do {
            let rows = try StreamedTable.readTrain(descriptor: ends[0], name: "fuzz/train.csv", blockSize: blockSize)
            return .loaded(check(ids: rows.ids, labels: rows.labels, latents: rows.latents, dim: rows.dim))
        } catch {
            return .refused(error)
        }
    }

    /// A small table in the competition's shape, with the quirks real files have.
    static func generated(_ random: inout SplitMix64) -> [UInt8] {
        let dim = 1 + random.next(below: 8)
        let rows = 1 + random.next(below: 40)
        let newline = random.next(below: 4) == 0 ? "\r\n" : "\n"
        var columns = ["id"] + (1...dim).map { "v\($0)" } + ["glasses"]
        if random.next(below: 3) == 0 { columns.insert("note", at: 1 + random.next(below: columns.count - 1)) }
        var text = random.next(below: 5) == 0 ? "\u{FEFF}" : ""
        text += columns.joined(separator: ",") + newline
        for row in 0..<rows {
            let fields = columns.map { column -> String in
                switch column {
                case "id": return random.next(below: 10) == 0 ? "\"face \(row)\"" : String(row + 1)
                case "glasses": return String(random.next(below: 2))
                case "note": return ["x", "\"a, \"\"b\"\"\"", "\"two\nlines\"", ""][random.next(below: 4)]
                default:
                    let value = Double(Int64(bitPattern: random.next()) % 2_000_000) / 1_000_000
                    return [String(format: "%.6f", value), String(format: "%.3e", value), String(Float(value))][
                        random.next(below: 3)]
                }
            }
            text += fields.joined(separator: ",") + newline
        }
        return Array(text.utf8)
    }

    /// The header and a random run of rows of a real table.
    static func slice(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        guard lines.count > 2 else { return bytes }
        let start = 1 + random.next(below: lines.count - 2)
        let count = 1 + random.next(below: min(60, lines.count - start))
        var out = Array(lines[0]) + [0x0A]
        for line in lines[start..<start + count] { out += line + [0x0A] }
        return out
    }

    static let hostile: [[UInt8]] = [
        Array("\u{1B}]52;c;aGVsbG8=\u{07}".utf8), Array("\u{1B}]0;pwned\u{07}".utf8), [0], [0x0D], [0xFF, 0xFE], [0xFE, 0xFF],
        [0xC3], [0xE2, 0x80, 0xAE], [0x9B], Array("\u{1B}[2J".utf8), [0x22], [0x2C], [0x0A], Array("NaN".utf8),
        Array("1e999".utf8), Array("=cmd".utf8), [0x22, 0x22],
    ]

    /// Up to six random edits (none in one case of five, so well-formed tables, split at random
    /// places, are read too).
    static func mutate(_ input: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let edits = random.next(below: 5) == 0 ? 0 : 1 + random.next(below: 6)
        for _ in 0..<edits {
            let at = bytes.isEmpty ? 0 : random.next(below: bytes.count + 1)
            switch random.next(below: 12) {
            case 0 where !bytes.isEmpty && at < bytes.count: bytes[at] ^= UInt8(1 << random.next(below: 8))
            case 1: bytes.insert(contentsOf: hostile[random.next(below: hostile.count)], at: at)
            case 2 where at < bytes.count: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.next(below: 64)))
            case 3 where at < bytes.count:
                let end = min(bytes.count, at + 1 + random.next(below: 200))
                bytes.insert(contentsOf: bytes[at..<end], at: end)
            case 4: bytes = Array(bytes.prefix(at))
            case 5:
                // The header line replaced by hostile bytes.
                let end = bytes.firstIndex(of: 0x0A) ?? bytes.count
                let header = (0..<1 + random.next(below: 6)).map { _ in hostile[random.next(below: hostile.count)] }
                bytes.replaceSubrange(0..<end, with: Array(header.joined(separator: [UInt8(0x2C)])))
            case 6: bytes.insert([0x22, 0x2C, 0x0A, 0x0D][random.next(below: 4)], at: at)
            case 7 where random.next(below: 40) == 0:
                // Now and then one line over the 8 MiB limit, of digits or commas.
                bytes.insert(contentsOf: repeatElement(random.next(below: 2) == 0 ? 0x31 : 0x2C, count: 9 << 20), at: at)
            case 8: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            case 9 where at < bytes.count:
                // A field's digits replaced by a label or latent out of range.
                bytes.insert(contentsOf: Array(["7", "-", "1.5", "inf", "0x1p3", ""][random.next(below: 6)].utf8), at: at)
            case 10: bytes.insert(contentsOf: Array("\n\n".utf8), at: at)
            default: break
            }
        }
        return bytes
    }
}

/// Calls `onHang` from a thread of its own when a started case is not stopped in time.
final class Watchdog: Sendable {
    /// The running case and when it started.
    private let running = Locked<(number: Int, since: Date)?>(nil)

    init(limit: Double, onHang: @escaping @Sendable (Int) -> Void) {
        let running = self.running
        let thread = Thread {
            while true {
                if let now = running.load(), Date().timeIntervalSince(now.since) > limit { onHang(now.number) }
                usleep(100_000)
            }
        }
        thread.start()
    }

    func start(_ number: Int) { running.store((number, Date())) }

    func stop() { running.store(nil) }
}
