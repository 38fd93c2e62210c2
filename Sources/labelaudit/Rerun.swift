import ArgumentParser
import Foundation
import LabelAuditCLI
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
        abstract: "Retrain the picture models with the reviewers' corrections and show what changed for the flagged faces.",
        discussion: HelpText.reflow(
            """
            Corrections come from the audit database's consensus: label_wrong flips the label, bad_image drops \
            the row, unsure keeps it (--unsure drop leaves it out), reviewers who disagree count as unsure. \
            By default the models of the picture are retrained: the built-in image model, and your own \
            classifier when a command is configured (--model-cmd, or "modelCommand" in <dataset>/labelaudit.json), \
            after a baseline run of it on the provided labels. --model latent retrains the latent model instead. \
            Built-in models are retrained out of fold, so the flagged faces are still scored by a model that \
            never saw their label. Each run is stored in the cache linked to its parent run and to the last \
            audit event (`labelaudit models` lists them). Nothing in the audit database changes.

            The answer: per flagged face, whether each model agrees with the reviewers' verdict before and \
            after; how many confirmed errors it still gets wrong; AUROC, log loss and accuracy against the \
            provided and against the corrected labels. An external command runs without a shell: ids and \
            image paths go to its stdin as JSON lines, probabilities come back on stdout; see Docs/rerun.md.
            """))

    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Flag(help: "Report on the faces flagged in the audit database (the default).") var flagged = false
    @Option(help: "Report on the ids in FILE instead (one per line; a first line 'id' and lines starting with # are skipped).")
    var ids: String?
    @Option(
        help:
            "Retrain only this model: image, cmd (your command) or latent (default: image, and your command when one is configured)."
    )
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
        if let model, modelCmd != nil, model != .cmd {
            throw ValidationError("--model-cmd runs an external model; it cannot be combined with --model \(model.rawValue)")
        }
    }

    func run() throws {
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        let dataset = engine.dataset
        let selection: RerunSelection = try ids.map { .ids(try RerunCommand.readIDs(path: $0)) } ?? .flagged
        let settings = try RerunCommand.settings(dataset)
        var external = ExternalModelOptions()
        external.timeout = timeout ?? settings?.timeout ?? external.timeout
        external.itemTimeout = itemTimeout ?? settings?.itemTimeout ?? external.itemTimeout
        let command = modelCmd ?? settings?.modelCommand
        let models: [RerunModel]
        switch model {
        case nil:
            models = RerunModel.pictureModels(imageModel: !evidence.noImage, command: command)
            if models.isEmpty {
                CommandLineIO.printError(RerunError.noPictureModel.description)
                throw ExitCode(64)
            }
        case .latent?: models = [.latent]
        case .image?:
            if evidence.noImage { throw ValidationError("--model image needs the image model; drop --no-image") }
            models = [.image]
        case .cmd?:
            guard let command else {
                CommandLineIO.printError(
                    "--model cmd needs a command: pass --model-cmd 'python3 predict.py' or set \"modelCommand\" in \(dataset.root.appendingPathComponent(RerunSettings.fileName).path)"
                )
                throw ExitCode(64)
            }
            models = [.command(command)]
        }
        let store = try AuditCommandSupport.open(data, dataset, readOnly: true)
        let options = RerunOptions(
            selection: selection, models: models, unsure: unsure, top: top, external: external,
            searchRegularisation: searchC)

        let cancel = CancellationFlag()
        let interrupt = RerunCommand.cancelOnInterrupt(cancel)
        defer { interrupt.cancel() }
        let progressLine = ProgressLine()
        let result: RerunResult
        do throws(RerunError) {
            result = try Rerun.run(
                engine: engine, store: store, options: options, progress: { progressLine.show($0) },
                isCancelled: { cancel.isCancelled })
        } catch {
            progressLine.finish()
            CommandLineIO.printError(error.description)
            switch error {
            case .cancelled: throw ExitCode(130)
            case .nothingFlagged, .nothingSelected, .unknownID, .testID, .cannotFit: throw ExitCode(65)
            case .command, .noPictureModel: throw ExitCode(64)
            case .audit, .evidence: throw ExitCode(74)
            case .noImageModel: throw ExitCode(69)
            }
        }
        progressLine.finish()
        for warning in result.warnings { CommandLineIO.printWarning(TerminalSafeText.sanitized(warning)) }
        if json {
            try CommandLineIO.printJSON(RerunReport(result, dataset: dataset))
        } else {
            RerunText.print(result, dataset: dataset)
        }
        let failed = result.models.filter { $0.failure != nil }
        for model in failed {
            let log = result.logURL.map { " (its stderr is in \($0.path))" } ?? ""
            CommandLineIO.printError(
                "the model run failed and was stored as failed (run \(model.run.id.map(String.init) ?? "-")): \(TerminalSafeText.sanitized(model.failure ?? ""))\(log); the audit data is unchanged"
            )
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }

    /// `<dataset>/labelaudit.json`, nil when there is none; a broken one is an error naming it (65).
    static func settings(_ dataset: Dataset) throws -> RerunSettings? {
        do throws(RerunSettings.LoadError) {
            return try RerunSettings.load(datasetRoot: dataset.root)
        } catch {
            CommandLineIO.printError(TerminalSafeText.sanitized(error.description))
            throw ExitCode(65)
        }
    }

    /// What `R` retrains in the review app: the picture models (the image model unless
    /// `--no-image`, and the command of `<dataset>/labelaudit.json` when there is one).
    static func appOptions(dataset: Dataset, imageModel: Bool) throws -> RerunOptions {
        let settings = try settings(dataset)
        var external = ExternalModelOptions()
        external.timeout = settings?.timeout ?? external.timeout
        external.itemTimeout = settings?.itemTimeout ?? external.itemTimeout
        return RerunOptions(
            models: RerunModel.pictureModels(imageModel: imageModel, command: settings?.modelCommand),
            external: external)
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
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            let field =
                line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first
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
    static func cancelOnInterrupt(_ flag: CancellationFlag) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { flag.cancel() }
        source.resume()
        return source
    }
}

/// One progress line on stderr, rewritten in place at most ten times a second, only when stderr
/// is a terminal.
struct ProgressLine: Sendable {
    private let enabled = CommandLineIO.stderrIsTerminal
    /// When the line was last drawn, and whether anything is on it.
    private let state = Locked((last: Date.distantPast, drew: false))

    func show(_ progress: RerunProgress) {
        guard enabled else { return }
        state.withLock { state in
            let now = Date()
            guard now.timeIntervalSince(state.last) >= 0.1 || progress.fraction >= 1 else { return }
            state.last = now
            let text = "\r\u{1B}[2K\(TerminalSafeText.sanitized(progress.message)) \(Int((progress.fraction * 100).rounded()))%"
            FileHandle.standardError.write(Data(text.utf8))
            state.drew = true
        }
    }

    func finish() {
        guard enabled else { return }
        state.withLock { state in
            if state.drew { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            state.drew = false
        }
    }
}

/// Columns padded to their widest cell, two spaces apart.
enum TextTable {
    static func render(_ rows: [[String]], indent: String = "") -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let cells = row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }
            return indent + cells.joined(separator: "  ")
        }
    }
}

/// The text answer of `labelaudit rerun`.
enum RerunText {
    static func print(_ result: RerunResult, dataset: Dataset) {
        let safe = { (text: String) in TerminalSafeText.sanitized(text) }
        let c = result.corrections
        Swift.print(
            "rerun of \(result.rows.count) face(s); audit state: \(c.auditEventID.map { "event \($0)" } ?? "no audit events yet"), "
                + "\(c.changedCount) correction(s): \(c.flipped.count) flipped (label_wrong), \(c.dropped.count) dropped; "
                + "\(c.unsure.count) unsure (\(c.unsurePolicy.rawValue)), \(c.conflicts.count) conflicting (treated as unsure)")
        Swift.print("trained on \(c.trainRows.count) of \(dataset.trainCount) train rows")
        if !c.conflicts.isEmpty {
            Swift.print(
                "conflicts: \(c.conflicts.prefix(20).map(safe).joined(separator: ", "))\(c.conflicts.count > 20 ? ", ..." : "")")
        }
        for note in result.notes { Swift.print("note: \(note)") }
        for model in result.models {
            Swift.print("")
            printModel(model, result: result)
        }
        Swift.print("")
        printFaces(result)
        Swift.print("")
        if result.risen.isEmpty {
            Swift.print("newly in the top \(result.top) of the queue: none")
        } else {
            Swift.print("newly in the top \(result.top) of the queue: \(result.risen.count)")
            for r in result.risen {
                Swift.print("  \(safe(r.id)): rank \(r.rankBefore.map(String.init) ?? "-") -> \(r.rankAfter)  \(safe(r.reason))")
            }
        }
    }

    static func runName(_ run: ModelRun) -> String {
        "\(TerminalSafeText.sanitized(run.name)) (run \(run.id.map(String.init) ?? "-"))"
    }

    static func printModel(_ model: ModelRerun, result: RerunResult) {
        var from = "no earlier run"
        if let parent = model.parent {
            from = runName(parent)
            if let reused = model.baselineReused {
                from += ": the baseline on the provided labels, \(reused ? "reused from the cache" : "run now")"
            }
        }
        Swift.print("\(runName(model.run))\(model.reused ? ", reused from the cache," : "") from \(from)")
        guard let c = model.comparison, model.failure == nil else {
            Swift.print("  failed: \(TerminalSafeText.sanitized(model.failure ?? "no result"))")
            return
        }
        func count(_ value: Int?) -> String { value.map(String.init) ?? "-" }
        let unscored = c.unscoredAfter > 0 ? " (\(c.unscoredAfter) without a prediction)" : ""
        Swift.print(
            "  confirmed errors (label_wrong by consensus) the model still gets wrong: \(count(c.stillWrongBefore)) -> \(c.stillWrongAfter) of \(c.confirmedErrors)\(unscored)"
        )
        Swift.print(
            "  selected faces whose verdict the model agrees with: \(count(c.agreeBefore)) -> \(c.agreeAfter) of \(c.decidedFaces) with a label_ok or label_wrong verdict"
        )
        let protocolWords = c.outOfFold ? "out-of-fold metrics" : "metrics (not known to be out of fold)"
        let rows: [[String]] = [
            ["\(protocolWords), before -> after", "AUROC", "log loss", "accuracy"],
            metricRow("against the provided labels (\(c.providedAfter.rows) rows)", c.providedBefore, c.providedAfter),
            metricRow("against the corrected labels (\(c.correctedAfter.rows) rows)", c.correctedBefore, c.correctedAfter),
        ]
        for line in TextTable.render(rows, indent: "  ") { Swift.print(line) }
    }

    static func metricRow(_ title: String, _ before: RerunMetrics?, _ after: RerunMetrics) -> [String] {
        func pair(_ a: Double?, _ b: Double?, _ digits: Int) -> String {
            "\(before == nil ? "-" : EvidenceCLI.metric(a, digits)) -> \(EvidenceCLI.metric(b, digits))"
        }
        return [
            title, pair(before?.auroc, after.auroc, 3), pair(before?.logLoss, after.logLoss, 4),
            pair(before?.accuracy, after.accuracy, 3),
        ]
    }

    /// Per face: the verdict, each model's p before -> after with whether it agrees, the queue rank.
    static func printFaces(_ result: RerunResult) {
        Swift.print(
            "faces (\(result.rows.count)): the team's verdict; each model's p before -> after, and whether it agrees with the verdict; rank in the queue"
        )
        var table: [[String]] = [
            ["id", "label", "trained", "verdict"] + result.models.map { TerminalSafeText.sanitized($0.run.name) } + ["rank"]
        ]
        for row in result.rows {
            var cells = [
                TerminalSafeText.sanitized(row.id), String(row.providedLabel), row.trainedLabel.map(String.init) ?? "dropped",
                row.verdict?.rawValue ?? "-",
            ]
            for change in row.models {
                func side(_ p: Double?, _ agreement: VerdictAgreement?) -> String {
                    let value = EvidenceCLI.format(p, 2)
                    switch agreement {
                    case .agrees?: return value + " agrees"
                    case .disagrees?: return value + " disagrees"
                    default: return value
                    }
                }
                cells.append("\(side(change.before, change.agreementBefore)) -> \(side(change.after, change.agreementAfter))")
            }
            cells.append("\(row.before.map { String($0.rank) } ?? "-") -> \(row.after.map { String($0.rank) } ?? "-")")
            table.append(cells)
        }
        for line in TextTable.render(table) { Swift.print(line) }
    }
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
        var parameters: [String: String]
        var createdAt: Date

        init(_ run: ModelRun) {
            id = run.id
            name = run.name
            source = run.source.rawValue
            parentRunID = run.parentRunID
            auditEventID = run.auditEventID
            failure = run.failure
            parameters = run.parameters
            createdAt = run.createdAt
        }
    }

    struct DiffSummary: Encodable {
        var crossedUp: Int
        var crossedDown: Int
        var meanAbsoluteChange: Double
        var largestChanges: [RunDiff.Change]
    }

    struct ModelReport: Encodable {
        var run: RunInfo
        /// The run before the corrections (a command's baseline on the provided labels).
        var parent: RunInfo?
        var reused: Bool
        var baselineReused: Bool?
        /// Still-wrong confirmed errors, agreement with the verdicts and metrics, before and after.
        var comparison: ModelComparison?
        var diff: DiffSummary?
    }

    struct CorrectionsSummary: Encodable {
        var flipped: [String]
        var dropped: [String]
        var unsure: [String]
        var conflicts: [String]
        var unsurePolicy: UnsurePolicy
        var auditEventID: String?
        var trainedRows: Int
    }

    var models: [ModelReport]
    var corrections: CorrectionsSummary
    var rows: [RerunRow]
    var top: Int
    var risen: [RisenRow]
    var logFile: String?
    var notes: [String]
    var warnings: [String]

    init(_ result: RerunResult, dataset: Dataset) {
        models = result.models.map { model in
            var diff: DiffSummary? = nil
            if let parent = model.parent, model.failure == nil {
                let d = RunDiff(from: parent, to: model.run, dataset: dataset)
                diff = DiffSummary(
                    crossedUp: d.crossedUp, crossedDown: d.crossedDown, meanAbsoluteChange: d.meanAbsoluteChange,
                    largestChanges: Array(d.changes.prefix(10)))
            }
            return ModelReport(
                run: RunInfo(model.run), parent: model.parent.map(RunInfo.init), reused: model.reused,
                baselineReused: model.baselineReused, comparison: model.comparison, diff: diff)
        }
        let c = result.corrections
        corrections = CorrectionsSummary(
            flipped: c.flipped, dropped: c.dropped, unsure: c.unsure, conflicts: c.conflicts,
            unsurePolicy: c.unsurePolicy, auditEventID: c.auditEventID, trainedRows: c.trainRows.count)
        rows = result.rows
        top = result.top
        risen = result.risen
        logFile = result.logURL?.path
        notes = result.notes
        warnings = result.warnings
    }
}
