import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditStore

/// `labelaudit verdict DATASET ID VERDICT`: one reviewer's decision on one training face.
struct VerdictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "Record a verdict on a training face: label_ok, label_wrong, unsure or bad_image.",
        discussion: HelpText.reflow(
            """
            Each verdict is one transaction in the audit database; earlier verdicts are kept in its history.
            Test ids are refused: the test set is never hand-labeled.
            With --from FILE (or - for stdin), records one verdict per line "ID VERDICT", each its own
            transaction, printing a line after each commit.
            """))

    @OptionGroup var data: DatasetArguments
    @Argument(help: "The face's id.") var id: String?
    @Argument(help: "label_ok, label_wrong, unsure or bad_image.") var verdict: Verdict?
    @Option(help: "A note to keep with the verdict.") var note: String?
    @Option(name: .customLong("tag"), help: "A tag (repeatable); replaces the face's tags.") var tags: [String] = []
    @Option(name: .customLong("from"), help: "Read \"ID VERDICT\" lines from a file, or - for stdin.") var from: String?
    @OptionGroup var reviewerArguments: ReviewerArguments

    func validate() throws {
        if from == nil && (id == nil || verdict == nil) {
            throw ValidationError("give an ID and a verdict (label_ok, label_wrong, unsure, bad_image), or --from FILE")
        }
        if from != nil && (id != nil || note != nil || !tags.isEmpty) {
            throw ValidationError("--from reads ids and verdicts from the file; do not also give ID, --note or --tag")
        }
    }

    func run() throws {
        let reviewer = try reviewerArguments.resolved()
        let dataset = try data.loadDataset()
        if let from {
            try recordLines(from: from, reviewer: reviewer, dataset: dataset)
            return
        }
        guard let id, let verdict else { return }
        try AuditCommandSupport.requireKnown([id], in: dataset)
        guard let store = try AuditCommandSupport.open(data, dataset) else { return }
        let events = try AuditCommandSupport.perform {
            try store.record(verdict: verdict, item: id, reviewer: reviewer, note: note, tags: tags.isEmpty ? nil : tags)
        }
        let what = events.isEmpty ? "unchanged" : "recorded"
        AuditCommandSupport.printFlushed(
            "\(what) \(AuditCommandSupport.shown(id)) \(verdict.rawValue) (\(AuditCommandSupport.shown(reviewer)))")
    }

    /// The longest line of a verdicts file ("ID VERDICT" is a few dozen bytes).
    static let maximumLineBytes = 64 << 10

    private func recordLines(from source: String, reviewer: String, dataset: Dataset) throws {
        let descriptor: Int32
        if source == "-" {
            descriptor = STDIN_FILENO
        } else {
            // Only a regular file: a FIFO, device or folder is refused without blocking.
            do {
                descriptor = try InputFile.openRegular(source)
            } catch {
                CommandLineIO.printError(
                    "\(error.description); --from reads a file of \"ID VERDICT\" lines (or - for stdin). Nothing was recorded.")
                throw ExitCode(error.exitCode)
            }
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        guard let store = try AuditCommandSupport.open(data, dataset) else { return }
        let name = source == "-" ? "stdin" : source
        var recorded = 0
        var lineNumber = 0
        func handleLine(_ raw: ArraySlice<UInt8>) throws {
            lineNumber += 1
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { return }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
            guard fields.count == 2, let verdict = Verdict(rawValue: fields[1]) else {
                CommandLineIO.printError(
                    "\(name):\(lineNumber): expected \"ID VERDICT\" with VERDICT one of label_ok, label_wrong, unsure, bad_image; found '\(AuditCommandSupport.shown(line))'. The \(recorded) verdicts before this line were recorded."
                )
                throw ExitCode(65)
            }
            let id = fields[0]
            if dataset.row(of: id) == nil {
                CommandLineIO.printError(
                    "\(name):\(lineNumber): \(AuditCommandSupport.shown(id)): no such id in the dataset \(dataset.root.path). The \(recorded) verdicts before this line were recorded."
                )
                throw ExitCode(65)
            }
            try AuditCommandSupport.perform { try store.record(verdict: verdict, item: id, reviewer: reviewer) }
            recorded += 1
            AuditCommandSupport.printFlushed("recorded \(AuditCommandSupport.shown(id)) \(verdict.rawValue)")
        }
        // Line by line as input arrives, so a pipe works as a live stream of verdicts. Each byte
        // is looked at once (the search for the next line end resumes where it stopped), so a
        // long line costs linear time, and a line over `maximumLineBytes` is refused.
        var pending: [UInt8] = []
        var scanned = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                CommandLineIO.printError(
                    "\(name): cannot be read (\(String(cString: strerror(errno)))). The \(recorded) verdicts before this were recorded."
                )
                throw ExitCode(74)
            }
            if count == 0 { break }
            pending.append(contentsOf: chunk[0..<count])
            var lineStart = 0
            while let newline = pending[scanned...].firstIndex(of: 0x0A) {
                try handleLine(pending[lineStart..<newline])
                lineStart = newline + 1
                scanned = lineStart
            }
            scanned = pending.count
            if lineStart > 0 {
                pending.removeSubrange(0..<lineStart)
                scanned -= lineStart
            }
            if pending.count > Self.maximumLineBytes {
                CommandLineIO.printError(
                    "\(name):\(lineNumber + 1): this line is longer than \(Self.maximumLineBytes) bytes; expected \"ID VERDICT\" lines. The \(recorded) verdicts before this line were recorded."
                )
                throw ExitCode(65)
            }
        }
        if !pending.isEmpty { try handleLine(pending[...]) }
    }
}
