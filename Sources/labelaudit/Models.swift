import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditStore

struct ModelRunSummary: Codable {
    var id: Int64?
    var name: String
    var source: String
    var outOfFold: Bool?
    var logLoss: Double?
    var accuracy: Double?
    var auroc: Double?
    var trainRows: Int?
    var weight: Double?
    var estimatedWrongLabels: Double?
    var confidentLearningIssues: Int?
    var parameters: [String: String]
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, source, outOfFold, logLoss, accuracy, auroc, trainRows, weight, estimatedWrongLabels,
            confidentLearningIssues, parameters, createdAt
    }

    /// Metrics that are undefined for this run (AUROC of one label) are written as `null`, not left out.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(source, forKey: .source)
        try c.encode(outOfFold, forKey: .outOfFold)
        try c.encode(logLoss, forKey: .logLoss)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(auroc, forKey: .auroc)
        try c.encode(trainRows, forKey: .trainRows)
        try c.encode(weight, forKey: .weight)
        try c.encode(estimatedWrongLabels, forKey: .estimatedWrongLabels)
        try c.encode(confidentLearningIssues, forKey: .confidentLearningIssues)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract:
            "List the model runs of a dataset with their train metrics, and every stored run with its parent and audit state.",
        discussion: HelpText.reflow(
            """
            Runs in the ranking: each predictions CSV (id,probability: the Kaggle submission shape) as an \
            imported run; the built-in 'latent' model (L2 logistic regression on standardised latents, 5-fold \
            out of fold); the built-in 'image' model (eye-band gradient histograms, same protocol). Metrics are \
            against the provided labels on train rows only. Pass --oof when your predictions are out of fold: \
            in-sample predictions hide label errors.

            Every stored run follows, oldest first: reruns with the run they were retrained from and the audit \
            state they used (the last audit event and how many corrections), a command's baselines, failed runs \
            with their reason. --diff A B compares two of them (a run id, or a name for its newest run).
            """))
    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Option(parsing: .upToNextOption, help: "Compare two runs (ids, or names for their newest successful run): --diff 2 5.")
    var diff: [String] = []
    @Option(help: "How many of the largest changes --diff lists.") var diffTop = 20
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if !diff.isEmpty && diff.count != 2 { throw ValidationError("--diff takes two runs: --diff A B (run ids or names)") }
        if diffTop < 1 { throw ValidationError("--diff-top must be at least 1") }
    }

    func run() throws {
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        if !diff.isEmpty { return try printDiff(engine) }
        let result = try EvidenceCLI.evidence(engine)
        let stored = try storedRuns(engine)
        let summaries = result.runs.map { run -> ModelRunSummary in
            let weight = result.weights.first { $0.name == run.name }
            let cl = result.confidentLearning[run.name]
            return ModelRunSummary(
                id: run.id, name: run.name, source: run.source.rawValue, outOfFold: run.outOfFold,
                logLoss: run.metrics.flatMap { ModelMetrics.defined($0.logLoss) },
                accuracy: run.metrics.flatMap { ModelMetrics.defined($0.accuracy) },
                auroc: run.metrics.flatMap { ModelMetrics.defined($0.auroc) },
                trainRows: run.metrics?.rows, weight: weight?.weight,
                estimatedWrongLabels: cl?.estimatedErrors, confidentLearningIssues: cl?.issues.count,
                parameters: run.parameters, createdAt: run.createdAt)
        }
        for warning in result.warnings { CommandLineIO.printWarning(warning) }
        if json {
            try CommandLineIO.printJSON(Listing(runs: summaries, missing: result.missing, stored: stored.map(StoredRun.init)))
            return
        }
        print("run        source    oof      log loss  accuracy  AUROC     weight  est. wrong labels")
        for s in summaries {
            let oof = s.outOfFold.map { $0 ? "yes" : "no" } ?? "unknown"
            let name = TerminalSafeText.sanitized(s.name).padding(toLength: 10, withPad: " ", startingAt: 0)
            print(
                "\(name) \(s.source.padding(toLength: 9, withPad: " ", startingAt: 0)) \(oof.padding(toLength: 8, withPad: " ", startingAt: 0)) "
                    + "\(EvidenceCLI.metric(s.logLoss, 4).padding(toLength: 9, withPad: " ", startingAt: 0)) "
                    + "\(EvidenceCLI.metric(s.accuracy).padding(toLength: 9, withPad: " ", startingAt: 0)) "
                    + "\(EvidenceCLI.metric(s.auroc).padding(toLength: 9, withPad: " ", startingAt: 0)) "
                    + "\(EvidenceCLI.format(s.weight, 2).padding(toLength: 7, withPad: " ", startingAt: 0)) "
                    + "\(EvidenceCLI.format(s.estimatedWrongLabels, 0)) of \(engine.dataset.trainCount)")
        }
        for missing in result.missing {
            let name = TerminalSafeText.sanitized(missing.name).padding(toLength: 10, withPad: " ", startingAt: 0)
            print("\(name) missing: \(TerminalSafeText.sanitized(missing.reason))")
        }
        printStored(stored)
    }

    struct Listing: Encodable {
        /// The runs in the ranking, with their weights.
        var runs: [ModelRunSummary]
        /// Runs that could not be produced, with the reason (a model that cannot be fitted).
        var missing: [MissingEvidence]
        /// Every run of the dataset in the cache, oldest first.
        var stored: [StoredRun]
    }

    /// A stored run with its links: what it was retrained from and the audit state it used.
    struct StoredRun: Encodable {
        var id: Int64?
        var name: String
        var source: String
        var parentRunID: Int64?
        var auditEventID: String?
        /// Labels changed or rows left out (flipped + dropped), as recorded when the run was made.
        var corrections: Int?
        var flipped: Int?
        var dropped: Int?
        var failure: String?
        var createdAt: Date

        init(_ run: ModelRun) {
            id = run.id
            name = run.name
            source = run.source.rawValue
            parentRunID = run.parentRunID
            auditEventID = run.auditEventID
            corrections = run.parameters["corrections"].flatMap { Int($0) }
            flipped = run.parameters["flipped"].flatMap { Int($0) }
            dropped = run.parameters["dropped"].flatMap { Int($0) }
            failure = run.failure
            createdAt = run.createdAt
        }

        /// "event <id>, 12 corrections (11 flipped, 1 dropped)", or the labels a run without
        /// an audit state was trained on.
        var auditState: String {
            guard let auditEventID else {
                if parentRunID != nil { return "no audit events yet" }
                if source == ModelSource.command.rawValue { return "provided labels (the command's baseline)" }
                return source == ModelSource.imported.rawValue ? "-" : "provided labels"
            }
            guard let corrections else { return "event \(auditEventID)" }
            return "event \(auditEventID), \(corrections) correction(s) (\(flipped ?? 0) flipped, \(dropped ?? 0) dropped)"
        }
    }

    func storedRuns(_ engine: EvidenceEngine) throws -> [ModelRun] {
        do throws(EvidenceError) {
            return try engine.allRuns()
        } catch {
            CommandLineIO.printError(error.description)
            throw ExitCode(74)
        }
    }

    func printStored(_ runs: [ModelRun]) {
        print("")
        print("every stored run (oldest first)")
        var table = [["id", "run", "source", "parent", "audit state", "status"]]
        for run in runs.map(StoredRun.init) {
            table.append([
                run.id.map(String.init) ?? "-", TerminalSafeText.sanitized(run.name), run.source,
                run.parentRunID.map(String.init) ?? "-", TerminalSafeText.sanitized(run.auditState),
                run.failure.map { "failed: " + TerminalSafeText.sanitized($0) } ?? "ok",
            ])
        }
        for line in TextTable.render(table) { print(line) }
    }

    /// `--diff A B`: the same diff as the app's `:diff`, from the Engine's `RunDiff`.
    func printDiff(_ engine: EvidenceEngine) throws {
        let runs = try storedRuns(engine)
        func find(_ reference: String) throws -> ModelRun {
            let found =
                Int64(reference).flatMap { id in runs.first { $0.id == id } }
                ?? runs.last { $0.name == reference && $0.failure == nil }
            guard let found else {
                let names = Set(runs.map(\.name)).sorted().map { TerminalSafeText.sanitized($0) }.joined(separator: ", ")
                CommandLineIO.printError(
                    "--diff: no stored run '\(TerminalSafeText.sanitized(reference))' for this dataset; give a run id or one of: \(names.isEmpty ? "(none yet)" : names) (labelaudit models lists them)"
                )
                throw ExitCode(64)
            }
            return found
        }
        let before = try find(diff[0])
        let after = try find(diff[1])
        let result = RunDiff(from: before, to: after, dataset: engine.dataset)
        if json {
            try CommandLineIO.printJSON(result)
            return
        }
        print("diff \(RerunText.runName(before)) -> \(RerunText.runName(after))")
        for line in result.lines(limit: diffTop) { print(TerminalSafeText.sanitized(line.text)) }
    }
}
