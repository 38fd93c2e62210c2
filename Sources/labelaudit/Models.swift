import ArgumentParser
import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditStore

/// Options shared by the evidence commands (rank, models, neighbours).
struct EvidenceArguments: ParsableArguments {
    @Flag(help: "The --predictions files hold out-of-fold predictions for the train rows.")
    var oof = false

    @Option(help: "Neighbours per face for the neighbour evidence.")
    var k = 10

    @Option(help: "Latent distance: cosine or l2.")
    var metric: DistanceMetric = .cosine

    @Flag(help: "Skip the built-in image model.")
    var noImage = false

    @Option(help: "The cache file (default: beside the audit database, <db name>-cache.sqlite).")
    var cache: String?

    @Option(name: .customLong("neighbours"),
            help: "Precomputed neighbours (CSV: id, neighbour id, distance in the --metric; e.g. from faiss) instead of the all-pairs search (Docs/neighbours.md).")
    var neighboursFile: String?
}

extension DistanceMetric: ExpressibleByArgument {}

/// Opening the engine for a command: dataset, cache file, options, progress on stderr.
enum EvidenceCLI {
    /// The cache file (`StoreLocations.cache`: `--cache`, beside the audit database, or the
    /// user's cache folder when that one cannot be written).
    static func cacheURL(data: DatasetArguments, evidence: EvidenceArguments, dataset: Dataset) -> URL {
        StoreLocations.cache(forDataset: dataset.root, audit: data.db.map { URL(fileURLWithPath: $0) },
                             explicit: evidence.cache.map { URL(fileURLWithPath: $0) })
    }

    static func engine(data: DatasetArguments, evidence: EvidenceArguments) throws -> EvidenceEngine {
        let dataset = try data.loadDataset()
        for warning in dataset.warnings { CommandLineIO.printWarning(warning) }
        // A bad --neighbours file is refused before anything is opened or computed.
        let neighboursFile = evidence.neighboursFile.map { URL(fileURLWithPath: $0) }
        var imported: CachedNeighbours? = nil
        if let neighboursFile {
            do throws(EvidenceError) {
                imported = try EvidenceEngine.readNeighbours(neighboursFile, dataset: dataset, metric: evidence.metric)
            } catch {
                CommandLineIO.printError(error.description)
                if case .neighbours(let e) = error { throw ExitCode(e.exitCode) }
                throw ExitCode(65)
            }
        }
        let url = cacheURL(data: data, evidence: evidence, dataset: dataset)
        let cache: CacheStore
        do {
            cache = try CacheStore.open(at: url)
        } catch {
            // A cache that cannot be opened where it was meant to be (and was not named with
            // --cache) is made in the fallback place instead.
            let fallback = StoreLocations.cacheFallback(for: url)
            guard evidence.cache == nil, fallback != url, let opened = try? CacheStore.open(at: fallback) else {
                CommandLineIO.printError(error.description)
                throw ExitCode(74)
            }
            cache = opened
        }
        let named = Set(data.predictions.map { URL(fileURLWithPath: $0).standardizedFileURL })
        let imports = dataset.predictionFiles.map { url in
            ImportedPredictions(url: url, outOfFold: named.contains(url.standardizedFileURL) && evidence.oof ? true : nil)
        }
        let options = EvidenceOptions(neighbourCount: evidence.k, metric: evidence.metric, imports: imports,
                                      imageReader: evidence.noImage ? nil : ImageDecoding.standard,
                                      neighboursFile: neighboursFile)
        return EvidenceEngine(dataset: dataset, cache: cache, options: options, importedNeighbours: imported)
    }

    /// Runs the engine with progress on stderr (only when it is a terminal) and clear errors.
    static func evidence(_ engine: EvidenceEngine) throws -> Evidence {
        var progress: ProgressHandler? = nil
        if CommandLineIO.stderrIsTerminal {
            progress = { (p: EvidenceProgress) in
                let line = "\r\u{1B}[K" + TerminalSafeText.sanitized(p.message) + " " + String(Int(p.fraction * 100)) + "%"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        defer { if progress != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
        do throws(EvidenceError) {
            return try engine.evidence(progress: progress)
        } catch {
            CommandLineIO.printError(error.description)
            switch error {
            case .predictions(let e), .neighbours(let e): throw ExitCode(e.exitCode)
            case .cache: throw ExitCode(74)
            case .cancelled: throw ExitCode(130)
            case .noTrainRows: throw ExitCode(65)
            }
        }
    }

    static func format(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    /// A metric: "undefined" when it has no value for these rows (AUROC of a one-label set).
    static func metric(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "undefined" }
        return String(format: "%.\(digits)f", value)
    }
}

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
        abstract: "List the model runs of a dataset with their train metrics, and every stored run with its parent and audit state.",
        discussion: HelpText.reflow("""
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
            return ModelRunSummary(id: run.id, name: run.name, source: run.source.rawValue, outOfFold: run.outOfFold,
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
            print("\(name) \(s.source.padding(toLength: 9, withPad: " ", startingAt: 0)) \(oof.padding(toLength: 8, withPad: " ", startingAt: 0)) "
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
            table.append([run.id.map(String.init) ?? "-", TerminalSafeText.sanitized(run.name), run.source,
                          run.parentRunID.map(String.init) ?? "-", TerminalSafeText.sanitized(run.auditState),
                          run.failure.map { "failed: " + TerminalSafeText.sanitized($0) } ?? "ok"])
        }
        for line in TextTable.render(table) { print(line) }
    }

    /// `--diff A B`: the same diff as the app's `:diff`, from the Engine's `RunDiff`.
    func printDiff(_ engine: EvidenceEngine) throws {
        let runs = try storedRuns(engine)
        func find(_ reference: String) throws -> ModelRun {
            let found = Int64(reference).flatMap { id in runs.first { $0.id == id } }
                ?? runs.last { $0.name == reference && $0.failure == nil }
            guard let found else {
                let names = Set(runs.map(\.name)).sorted().map { TerminalSafeText.sanitized($0) }.joined(separator: ", ")
                CommandLineIO.printError("--diff: no stored run '\(TerminalSafeText.sanitized(reference))' for this dataset; give a run id or one of: \(names.isEmpty ? "(none yet)" : names) (labelaudit models lists them)")
                throw ExitCode(64)
            }
            return found
        }
        let before = try find(diff[0]), after = try find(diff[1])
        let result = RunDiff(from: before, to: after, dataset: engine.dataset)
        if json {
            try CommandLineIO.printJSON(result)
            return
        }
        print("diff \(RerunText.runName(before)) -> \(RerunText.runName(after))")
        for line in result.lines(limit: diffTop) { print(TerminalSafeText.sanitized(line.text)) }
    }
}

/// Hidden: the latent-model benchmark. Reads a raw little-endian float32 matrix and a label
/// byte file, runs the out-of-fold protocol with a fixed C (so scikit-learn can be run on the
/// same folds), writes `row,fold,p` and prints the fit time.
struct ModelsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models-bench", shouldDisplay: false)
    @Option var matrix: String
    @Option var labels: String
    @Option var rows: Int
    @Option var dim: Int
    @Option var c: Double?
    @Option var out: String

    func run() throws {
        let m = try BenchFiles.matrix(matrix, rows: rows, dim: dim)
        let y = [UInt8](try Data(contentsOf: URL(fileURLWithPath: labels)))
        guard y.count == rows else { throw ValidationError("labels file has \(y.count) bytes, expected \(rows)") }
        let options = c.map { OutOfFoldOptions.fixed($0) } ?? OutOfFoldOptions()
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try OutOfFold.run(m, trainRows: Array(0 ..< rows), labels: y, otherRows: [], options: options)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var text = "row,fold,p\n"
        for r in 0 ..< rows { text += "\(r),\(result.foldOfRow[r]!),\(result.probabilities[r]!)\n" }
        try text.write(toFile: out, atomically: true, encoding: .utf8)
        let loss = Metrics.logLoss(probabilities: (0 ..< rows).map { result.probabilities[$0]! }, labels: y)
        print("{\"seconds\": \(seconds), \"log_loss\": \(loss), \"chosen_c\": \(result.chosenC)}")
    }
}

enum BenchFiles {
    static func matrix(_ path: String, rows: Int, dim: Int) throws -> LatentMatrix {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count == rows * dim * 4 else {
            throw ValidationError("\(path): \(data.count) bytes, expected rows * dim * 4 = \(rows * dim * 4)")
        }
        var values = [Float](repeating: 0, count: rows * dim)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        return LatentMatrix(rows: rows, dim: dim, values: values)
    }
}
