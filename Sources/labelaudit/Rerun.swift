import ArgumentParser
import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

enum RerunModelName: String, ExpressibleByArgument, CaseIterable {
    case latent, image, cmd
}

extension UnsurePolicy: ExpressibleByArgument {}

struct RerunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Retrain a model with the reviewers' corrections and show what changed for the flagged faces.",
        discussion: HelpText.reflow("""
        Corrections come from the audit database's consensus: label_wrong flips the label, bad_image drops \
        the row, unsure keeps it (--unsure drop leaves it out), reviewers who disagree count as unsure. \
        The model is retrained out of fold, so the flagged faces are still scored by a model that never \
        saw their label, and the run is stored in the cache linked to its parent run and to the last \
        audit event. Nothing in the audit database changes.

        --model cmd runs your own classifier (--model-cmd, or "modelCommand" in <dataset>/labelaudit.json) \
        without a shell: ids and image paths go to its stdin as JSON lines, probabilities come back on \
        stdout as JSON lines; see Docs/rerun.md.
        """))

    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Flag(help: "Report on the faces flagged in the audit database (the default).") var flagged = false
    @Option(help: "Report on the ids in FILE instead (one per line; a first line 'id' and lines starting with # are skipped).")
    var ids: String?
    @Option(help: "The model to retrain: latent, image or cmd (default: cmd when --model-cmd is given, else latent).")
    var model: RerunModelName?
    @Option(help: "The external model's command line (split like a shell would, but never run by one).")
    var modelCmd: String?
    @Option(help: "Overall limit for an external model, in seconds (default 3600).") var timeout: Double?
    @Option(help: "Longest wait for the external model's next answer, in seconds (default 60; the first answer gets 60 more).")
    var itemTimeout: Double?
    @Option(help: "What an unsure verdict does: keep the provided label, or drop the row from training.")
    var unsure: UnsurePolicy = .keep
    @Option(help: "Size of the top of the queue for 'newly in the top'.") var top = 50
    @Flag(help: "Choose the regularisation again by inner cross-validation (default: keep the parent run's; about 20x slower).")
    var searchC = false
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if flagged && ids != nil { throw ValidationError("--flagged and --ids exclude each other") }
        if top < 1 { throw ValidationError("--top must be at least 1") }
        for (name, value) in [("--timeout", timeout), ("--item-timeout", itemTimeout)] {
            if let value, !(value > 0) { throw ValidationError("\(name) must be a positive number of seconds") }
        }
        if modelCmd != nil && model != nil && model != .cmd {
            throw ValidationError("--model-cmd runs an external model; it cannot be combined with --model \(model!.rawValue)")
        }
    }

    func run() throws {
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        let dataset = engine.dataset
        let selection: RerunSelection = try ids.map { .ids(try RerunCommand.readIDs(path: $0)) } ?? .flagged
        let modelName = model ?? (modelCmd != nil ? .cmd : .latent)
        var external = ExternalModelOptions()
        let rerunModel: RerunModel
        switch modelName {
        case .latent: rerunModel = .latent
        case .image:
            if evidence.noImage { throw ValidationError("--model image needs the image model; drop --no-image") }
            rerunModel = .image
        case .cmd:
            let settings: RerunSettings?
            do throws(RerunSettings.LoadError) { settings = try RerunSettings.load(datasetRoot: dataset.root) } catch {
                CommandLineIO.printError(TerminalSafeText.sanitized(error.description))
                throw ExitCode(65)
            }
            guard let command = modelCmd ?? settings?.modelCommand else {
                CommandLineIO.printError("--model cmd needs a command: pass --model-cmd 'python3 predict.py' or set \"modelCommand\" in \(dataset.root.appendingPathComponent(RerunSettings.fileName).path)")
                throw ExitCode(64)
            }
            external.timeout = timeout ?? settings?.timeout ?? external.timeout
            external.itemTimeout = itemTimeout ?? settings?.itemTimeout ?? external.itemTimeout
            rerunModel = .command(command)
        }
        let store = try AuditCommandSupport.open(data, dataset, readOnly: true)
        let options = RerunOptions(selection: selection, model: rerunModel, unsure: unsure, top: top, external: external,
                                   searchRegularisation: searchC)

        let cancel = CancelFlag()
        let interrupt = RerunCommand.cancelOnInterrupt(cancel)
        defer { interrupt.cancel() }
        let progressLine = RerunProgressLine()
        let result: RerunResult
        do throws(RerunError) {
            result = try Rerun.run(engine: engine, store: store, options: options, progress: { progressLine.show($0) },
                                   isCancelled: { cancel.isSet })
        } catch {
            progressLine.finish()
            CommandLineIO.printError(error.description)
            switch error {
            case .cancelled: throw ExitCode(130)
            case .nothingFlagged, .nothingSelected, .unknownID, .testID, .cannotFit: throw ExitCode(65)
            case .command: throw ExitCode(64)
            case .audit, .evidence: throw ExitCode(74)
            case .noImageModel: throw ExitCode(69)
            }
        }
        progressLine.finish()
        for warning in result.warnings { CommandLineIO.printWarning(TerminalSafeText.sanitized(warning)) }
        if json {
            try CommandLineIO.printJSON(RerunReport(result, dataset: dataset))
        } else {
            printText(result, dataset: dataset)
        }
        if let failure = result.failure {
            let log = result.logURL.map { " (its stderr is in \($0.path))" } ?? ""
            CommandLineIO.printError("the model run failed and was stored as failed (run \(result.run.id.map(String.init) ?? "-")): \(TerminalSafeText.sanitized(failure))\(log); the audit data is unchanged")
            throw ExitCode(1)
        }
    }

    /// Ids from a file: one per line (the first comma-separated field), a header 'id' and
    /// '#' comments skipped.
    static func readIDs(path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            CommandLineIO.printError("\(TerminalSafeText.sanitized(path)): cannot read the --ids file")
            throw ExitCode(66)
        }
        var ids: [String] = []
        var seen = Set<String>()
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let field = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            if field.isEmpty || field.hasPrefix("#") || (number == 0 && field.lowercased() == "id") { continue }
            if seen.insert(field).inserted { ids.append(field) }
        }
        if ids.isEmpty {
            CommandLineIO.printError("\(TerminalSafeText.sanitized(path)): the --ids file lists no id (one id per line)")
            throw ExitCode(65)
        }
        return ids
    }

    /// Ctrl-C stops an external model cleanly (SIGTERM, then SIGKILL) instead of orphaning it.
    static func cancelOnInterrupt(_ flag: CancelFlag) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { flag.set() }
        source.resume()
        return source
    }

    func printText(_ result: RerunResult, dataset: Dataset) {
        let safe = { (text: String) in TerminalSafeText.sanitized(text) }
        let run = result.run
        let parent = result.parent.map { "\($0.name) (run \($0.id.map(String.init) ?? "-"))" } ?? "no earlier run"
        print("rerun: \(run.name) (run \(run.id.map(String.init) ?? "-")\(result.reused ? ", reused from the cache" : "")) from \(parent)")
        print("audit state: \(result.corrections.auditEventID ?? "no events yet"); trained on \(result.corrections.trainRows.count) of \(dataset.trainCount) train rows")
        let c = result.corrections
        print("corrections: \(c.flipped.count) flipped (label_wrong), \(c.dropped.count) dropped, \(c.unsure.count) unsure (\(c.unsurePolicy.rawValue)), \(c.conflicts.count) conflicting (treated as unsure)")
        if !c.conflicts.isEmpty { print("conflicts: \(c.conflicts.prefix(20).map(safe).joined(separator: ", "))\(c.conflicts.count > 20 ? ", ..." : "")") }
        let before = result.agreedBefore.map(String.init) ?? "-", after = result.agreedAfter.map(String.init) ?? "-"
        print("confirmed errors the model agrees with: \(before) -> \(after) of \(result.confirmedErrors)")
        if let m0 = result.parent?.metrics, let m1 = run.metrics {
            print("metrics vs provided labels: log loss \(EvidenceCLI.format(m0.logLoss)) -> \(EvidenceCLI.format(m1.logLoss)), accuracy \(EvidenceCLI.format(m0.accuracy)) -> \(EvidenceCLI.format(m1.accuracy)), AUROC \(EvidenceCLI.format(m0.auroc)) -> \(EvidenceCLI.format(m1.auroc))")
        }
        print("")
        print("faces (\(result.rows.count)): p, score and rank in the queue, before -> after")
        print(["id", "label", "trained", "verdict", "p", "score", "rank"].enumerated()
            .map { $0.element.padding(toLength: [8, 6, 8, 12, 14, 14, 12][$0.offset], withPad: " ", startingAt: 0) }.joined())
        for row in result.rows {
            func pair(_ a: String, _ b: String) -> String { "\(a) -> \(b)" }
            let cells = [
                safe(row.id), String(row.providedLabel), row.trainedLabel.map(String.init) ?? "dropped", row.verdict ?? "-",
                pair(EvidenceCLI.format(row.before?.p, 2), EvidenceCLI.format(row.after?.p, 2)),
                pair(EvidenceCLI.format(row.before?.score, 2), EvidenceCLI.format(row.after?.score, 2)),
                pair(row.before.map { String($0.rank) } ?? "-", row.after.map { String($0.rank) } ?? "-"),
            ]
            print(cells.enumerated().map { $0.element.padding(toLength: max([8, 6, 8, 12, 14, 14, 12][$0.offset], $0.element.count + 1), withPad: " ", startingAt: 0) }.joined())
        }
        print("")
        if result.risen.isEmpty {
            print("newly in the top \(result.top): none")
        } else {
            print("newly in the top \(result.top): \(result.risen.count)")
            for r in result.risen {
                print("  \(safe(r.id)): rank \(r.rankBefore.map(String.init) ?? "-") -> \(r.rankAfter)  \(safe(r.reason))")
            }
        }
    }
}

/// One progress line on stderr, rewritten in place at most ten times a second, only when stderr
/// is a terminal.
final class RerunProgressLine: @unchecked Sendable {
    private let enabled = CommandLineIO.stderrIsTerminal
    private let lock = NSLock()
    private var last = Date.distantPast
    private var drew = false

    func show(_ progress: RerunProgress) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.1 || progress.fraction >= 1 else { return }
        last = now
        let text = "\r\u{1B}[2K\(TerminalSafeText.sanitized(progress.message)) \(Int((progress.fraction * 100).rounded()))%"
        FileHandle.standardError.write(Data(text.utf8))
        drew = true
    }

    func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if drew { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drew = false
    }
}

final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

/// The JSON shape of `labelaudit rerun --json`.
struct RerunReport: Encodable {
    struct RunInfo: Encodable {
        var id: Int64?
        var name: String
        var source: String
        var parentRunID: Int64?
        var auditEventID: String?
        var failure: String?
        var metrics: ModelMetrics?
        var parameters: [String: String]
    }

    var run: RunInfo
    var parent: RunInfo?
    var reused: Bool
    var corrections: CorrectionsSummary
    var confirmedErrors: Int
    var agreedBefore: Int?
    var agreedAfter: Int?
    var rows: [RerunRow]
    var top: Int
    var risen: [RisenRow]
    var diff: DiffSummary?
    var logFile: String?
    var warnings: [String]

    struct CorrectionsSummary: Encodable {
        var flipped: [String]
        var dropped: [String]
        var unsure: [String]
        var conflicts: [String]
        var unsurePolicy: UnsurePolicy
        var auditEventID: String?
        var trainedRows: Int
    }

    struct DiffSummary: Encodable {
        var crossedUp: Int
        var crossedDown: Int
        var meanAbsoluteChange: Double
        var largestChanges: [RunDiff.Change]
    }

    init(_ result: RerunResult, dataset: Dataset) {
        func info(_ run: ModelRun) -> RunInfo {
            RunInfo(id: run.id, name: run.name, source: run.source.rawValue, parentRunID: run.parentRunID,
                    auditEventID: run.auditEventID, failure: run.failure, metrics: run.metrics, parameters: run.parameters)
        }
        run = info(result.run)
        parent = result.parent.map(info)
        reused = result.reused
        let c = result.corrections
        corrections = CorrectionsSummary(flipped: c.flipped, dropped: c.dropped, unsure: c.unsure, conflicts: c.conflicts,
                                         unsurePolicy: c.unsurePolicy, auditEventID: c.auditEventID, trainedRows: c.trainRows.count)
        confirmedErrors = result.confirmedErrors
        agreedBefore = result.agreedBefore
        agreedAfter = result.agreedAfter
        rows = result.rows
        top = result.top
        risen = result.risen
        if let parentRun = result.parent, result.failure == nil {
            let d = RunDiff(from: parentRun, to: result.run, dataset: dataset)
            diff = DiffSummary(crossedUp: d.crossedUp, crossedDown: d.crossedDown, meanAbsoluteChange: d.meanAbsoluteChange,
                               largestChanges: Array(d.changes.prefix(10)))
        }
        logFile = result.logURL?.path
        warnings = result.warnings
    }
}
