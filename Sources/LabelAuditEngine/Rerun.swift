import Foundation
import LabelAuditCore
import LabelAuditStore

/// Which faces a rerun reports on (the model is always retrained on every train row).
public enum RerunSelection: Sendable, Equatable {
    /// The faces at least one reviewer flagged.
    case flagged
    /// Exactly these ids (train rows).
    case ids([String])
}

/// Which model is rerun.
public enum RerunModel: Sendable, Equatable {
    case latent
    case image
    /// An external command line (split by `ShellWords`, never run through a shell).
    case command(String)
}

/// What an `unsure` verdict (or reviewers who disagree) does to a row's label.
public enum UnsurePolicy: String, Sendable, Codable, CaseIterable {
    /// Train on the provided label.
    case keep
    /// Leave the row out of training (it still gets a held-out prediction).
    case drop
}

public struct RerunOptions: Sendable {
    public var selection: RerunSelection
    public var model: RerunModel
    public var unsure: UnsurePolicy
    /// Size of "the top of the queue" for the rows that rose into it.
    public var top: Int
    public var external: ExternalModelOptions
    /// Where an external command's stderr goes (default: `<cache name>-models.log` beside the cache).
    public var logURL: URL?
    /// false (default): a built-in model keeps the regularisation its parent chose (the full
    /// fit's C), so a rerun costs folds + 1 fits; true: choose C again by inner cross-validation
    /// ((folds + 1) · (inner folds · grid + 1) fits, about 20 times the work).
    public var searchRegularisation: Bool

    public init(selection: RerunSelection = .flagged, model: RerunModel = .latent, unsure: UnsurePolicy = .keep, top: Int = 50,
                external: ExternalModelOptions = ExternalModelOptions(), logURL: URL? = nil, searchRegularisation: Bool = false) {
        self.searchRegularisation = searchRegularisation
        self.selection = selection
        self.model = model
        self.unsure = unsure
        self.top = top
        self.external = external
        self.logURL = logURL
    }
}

/// The labels a rerun trains on: the provided labels with the reviewers' consensus applied.
public struct Corrections: Sendable, Equatable, Codable {
    /// Train labels after corrections (indexed like `Dataset.labels`).
    public var labels: [UInt8]
    /// The train rows the model is trained on (dropped rows left out), ascending.
    public var trainRows: [Int]
    /// `label_wrong` by consensus: label flipped.
    public var flipped: [String]
    /// `bad_image` by consensus, plus unsure/conflicting rows under `--unsure drop`.
    public var dropped: [String]
    /// `unsure` by consensus (kept or dropped per the policy).
    public var unsure: [String]
    /// Reviewers gave different verdicts: treated as unsure.
    public var conflicts: [String]
    public var unsurePolicy: UnsurePolicy
    /// The newest audit event the corrections reflect.
    public var auditEventID: String?

    /// Applies the store's consensus rule (`ItemConsensus.decision`, the same one the report
    /// and the corrected-labels CSV use): `label_wrong` flips, `bad_image` drops, `unsure` and
    /// conflicts keep (or drop, per `unsure`), `label_ok` keeps. Ids that are not train rows of
    /// `dataset` are ignored. O(rows + verdicts).
    public static func from(dataset: Dataset, consensus: [ItemConsensus], unsure: UnsurePolicy, auditEventID: String?) -> Corrections {
        var labels = dataset.labels
        var dropRows = Set<Int>()
        var flipped: [String] = [], dropped: [String] = [], unsureIDs: [String] = [], conflicts: [String] = []
        for item in consensus {
            guard let row = dataset.row(of: item.item), row < dataset.trainCount else { continue }
            labels[row] = item.correctedLabel(given: labels[row])
            switch item.decision {
            case .labelOK: break
            case .labelWrong: flipped.append(item.item)
            case .badImage: dropRows.insert(row); dropped.append(item.item)
            case .unsure, .conflict:
                if item.decision == .conflict { conflicts.append(item.item) } else { unsureIDs.append(item.item) }
                if unsure == .drop { dropRows.insert(row); dropped.append(item.item) }
            }
        }
        let order = { (a: String, b: String) in dataset.row(of: a)! < dataset.row(of: b)! }
        return Corrections(labels: labels, trainRows: (0 ..< dataset.trainCount).filter { !dropRows.contains($0) },
                           flipped: flipped.sorted(by: order), dropped: dropped.sorted(by: order),
                           unsure: unsureIDs.sorted(by: order), conflicts: conflicts.sorted(by: order),
                           unsurePolicy: unsure, auditEventID: auditEventID)
    }
}

/// Where one face stood in the queue under one run.
public struct QueuePosition: Sendable, Equatable, Codable {
    /// The model's P(label = 1); nil when the run has no prediction for the row.
    public var p: Double?
    /// The default ranking's score (higher = more suspicious).
    public var score: Double
    /// 1-based position in the queue of train rows.
    public var rank: Int
}

/// Before and after for one selected face.
public struct RerunRow: Sendable, Equatable, Codable {
    public var id: String
    public var providedLabel: UInt8
    /// The label trained on; nil when the row was dropped.
    public var trainedLabel: UInt8?
    /// The consensus verdict ("conflict" when reviewers disagree), nil when there is none.
    public var verdict: String?
    public var before: QueuePosition?
    public var after: QueuePosition?
}

/// A row that entered the top of the queue.
public struct RisenRow: Sendable, Equatable, Codable {
    public var id: String
    public var rankBefore: Int?
    public var rankAfter: Int
    public var reason: String
}

/// Everything a rerun produced, for the CLI (text or JSON) and the TUI.
public struct RerunResult: Sendable {
    /// The run the rerun started from (nil for a command's first run).
    public var parent: ModelRun?
    /// The new run as stored (with `failure` set when an external command failed).
    public var run: ModelRun
    /// True when an identical earlier rerun (same labels, same rows) was reused from the cache.
    public var reused: Bool
    public var corrections: Corrections
    /// The selected faces in dataset order.
    public var rows: [RerunRow]
    /// Faces reviewers confirmed as wrongly labelled (consensus `label_wrong`).
    public var confirmedErrors: Int
    /// How many of them the parent and the new run put on the corrected side of 0.5.
    public var agreedBefore: Int?
    public var agreedAfter: Int?
    public var top: Int
    /// Rows in the new top `top` that were not in the old one, by new rank.
    public var risen: [RisenRow]
    /// The queue with the new run in place of its parent (unchanged when the run failed).
    public var evidenceAfter: Evidence
    public var evidenceBefore: Evidence
    /// An external command's stderr log.
    public var logURL: URL?
    public var warnings: [String]

    public var failure: String? { run.failure }

    /// One line for a status bar (the TUI's `ReviewBackend.run` summary), control characters stripped.
    public var summaryLine: String {
        if let failure {
            return TerminalSafeText.sanitized("rerun \(run.name) failed: \(failure)")
        }
        let agreed = "\(agreedBefore.map(String.init) ?? "-") -> \(agreedAfter.map(String.init) ?? "-") of \(confirmedErrors)"
        return "rerun \(run.name)\(reused ? " (cached)" : ""): confirmed errors agreed \(agreed); \(risen.count) new in the top \(top); \(rows.count) face(s) compared"
    }
}

public enum RerunError: Error, Equatable, CustomStringConvertible, Sendable {
    case nothingFlagged(database: String)
    case nothingSelected
    case unknownID(String)
    case testID(String)
    case audit(String)
    case evidence(EvidenceError)
    case command(ShellWordsError)
    case noImageModel(String)
    /// The corrected training set cannot be fitted (too few rows, or one label left): the
    /// reason, and nothing was stored.
    case cannotFit(model: String, reason: String, dropped: Int, flipped: Int)
    case cancelled

    public var description: String {
        switch self {
        case .nothingFlagged(let database):
            return "no face is flagged for a rerun in \(database); flag faces with `labelaudit flag DATASET ID...` (or F in the review app), or pass --ids FILE"
        case .nothingSelected: return "no ids selected: the --ids file lists no id"
        case .unknownID(let id):
            return "\(TerminalSafeText.sanitized(id)): no such id in the dataset; ids are matched exactly as written in train.csv"
        case .testID(let id):
            return "\(TerminalSafeText.sanitized(id)): a test row; test rows have no label to audit and are never hand-labelled"
        case .audit(let message): return message
        case .evidence(let error): return error.description
        case .command(let error): return error.description
        case .noImageModel(let reason): return "the image model cannot run: \(reason)"
        case .cannotFit(let model, let reason, let dropped, let flipped):
            return "the \(model) model cannot be retrained on the corrected labels (\(flipped) flipped by label_wrong, \(dropped) left out by bad_image or unsure): \(reason). Nothing was stored and the audit data is unchanged; check those verdicts (labelaudit notes DATASET)"
        case .cancelled: return "cancelled"
        }
    }
}

/// Progress of a rerun: one line for a status bar.
public struct RerunProgress: Sendable, Equatable {
    public let fraction: Double
    public let message: String
}

/// Retrains a model with the reviewers' corrections and shows what changed.
///
/// Steps: read the consensus and the last event id from the audit store (read only: a rerun
/// never writes audit data); build `Corrections`; compute (or reuse from the cache) the
/// current evidence; retrain the chosen model on the corrected labels with the same 5-fold
/// out-of-fold protocol, so every train row, the flagged ones included, is scored by a model
/// that never saw its label; store the run with `parentRunID` and `auditEventID`; rank the
/// queue again with the new run in place of its parent and compare. Cost: one out-of-fold fit
/// of the chosen model plus two rankings (O(rows log rows)); everything else comes from the cache.
public enum Rerun {
    public static let latentRerunName = "latent-rerun"
    public static let imageRerunName = "image-rerun"
    public static let commandRunName = "command"

    /// Runs on the caller's thread; see `start` for a background job.
    public static func run(engine: EvidenceEngine, store: AuditStore?, options: RerunOptions,
                           progress: (@Sendable (RerunProgress) -> Void)? = nil,
                           isCancelled: (@Sendable () -> Bool)? = nil) throws(RerunError) -> RerunResult {
        let dataset = engine.dataset
        // 1. Audit state (read only).
        let consensus: [ItemConsensus]
        let lastEvent: String?
        var flaggedIDs: [String] = []
        do {
            consensus = try store?.consensus() ?? []
            lastEvent = try store?.lastEventID()?.uuidString
            if options.selection == .flagged { flaggedIDs = try store?.flaggedItems() ?? [] }
        } catch {
            throw .audit(TerminalSafeText.sanitized(String(describing: error)))
        }
        let selected: [String]
        switch options.selection {
        case .flagged:
            selected = flaggedIDs.filter { id in dataset.row(of: id).map { $0 < dataset.trainCount } ?? false }
            guard !selected.isEmpty else { throw .nothingFlagged(database: store?.url.path ?? "the audit database (there is none yet)") }
        case .ids(let ids):
            guard !ids.isEmpty else { throw .nothingSelected }
            for id in ids {
                guard let row = dataset.row(of: id) else { throw .unknownID(id) }
                guard row < dataset.trainCount else { throw .testID(id) }
            }
            selected = ids
        }
        let selectedRows = Array(Set(selected.compactMap(dataset.row(of:)))).sorted()
        let corrections = Corrections.from(dataset: dataset, consensus: consensus, unsure: options.unsure, auditEventID: lastEvent)

        // 2. Current evidence (cached after the first start).
        progress?(RerunProgress(fraction: 0, message: "rerun: current evidence"))
        if isCancelled?() == true { throw .cancelled }
        let before: Evidence
        do throws(EvidenceError) {
            before = try engine.evidence(progress: { p in progress?(RerunProgress(fraction: 0.1 * p.fraction, message: p.message)) },
                                         isCancelled: isCancelled)
        } catch {
            throw error == .cancelled ? .cancelled : .evidence(error)
        }

        // 3. Retrain.
        var warnings: [String] = []
        let trainingStarted = Date()
        let parent: ModelRun?
        var run: ModelRun
        var logURL: URL? = nil
        let trainProgress: ProgressHandler = { p in progress?(RerunProgress(fraction: 0.1 + 0.85 * p.fraction, message: "rerun: " + p.message)) }
        do {
            switch options.model {
            case .latent:
                parent = before.runs.first { $0.name == EvidenceEngine.latentRunName }
                run = try engine.latentRun(labels: corrections.labels, trainRows: corrections.trainRows, parentRunID: parent?.id,
                                           auditEventID: lastEvent, name: latentRerunName,
                                           outOfFold: protocolOptions(engine: engine, parent: parent, search: options.searchRegularisation),
                                           predictLeftOutTrainRows: true,
                                           progress: trainProgress, isCancelled: isCancelled)
            case .image:
                guard engine.options.decoder != nil else { throw RerunError.noImageModel("no image decoder (--no-image?)") }
                parent = before.runs.first { $0.name == EvidenceEngine.imageRunName }
                let (imageRun, imageWarnings) = try engine.imageRun(labels: corrections.labels, trainRows: corrections.trainRows,
                                                                    parentRunID: parent?.id, auditEventID: lastEvent, name: imageRerunName,
                                                                    outOfFold: protocolOptions(engine: engine, parent: parent,
                                                                                               search: options.searchRegularisation),
                                                                    predictLeftOutTrainRows: true,
                                                                    progress: trainProgress, isCancelled: isCancelled)
                warnings += imageWarnings
                guard let imageRun else { throw RerunError.noImageModel(imageWarnings.last ?? "no train row has a readable image") }
                run = imageRun
            case .command(let command):
                let words: [String]
                do throws(ShellWordsError) { words = try ShellWords.split(command) } catch { throw RerunError.command(error) }
                parent = try engine.allRuns().last { $0.name == commandRunName && $0.failure == nil }
                let log = options.logURL ?? defaultLogURL(cache: engine.cache.url)
                logURL = log
                run = commandRun(engine: engine, words: words, command: command, corrections: corrections, parent: parent,
                                 auditEventID: lastEvent, log: log, options: options.external, progress: progress,
                                 isCancelled: isCancelled)
                if run.failure == "cancelled" || (run.failure?.hasPrefix("cancelled;") ?? false) {
                    _ = try? engine.cache.save(run)
                    throw RerunError.cancelled
                }
                do throws(CacheStoreError) { run = try engine.cache.save(run) } catch { throw EvidenceError.cache(error) }
            }
            // A built-in model that cannot be fitted on the corrected set: said, nothing stored.
            if run.source != .command, let failure = run.failure, run.id == nil {
                throw RerunError.cannotFit(model: run.source.rawValue,
                                           reason: failure.replacingOccurrences(of: "cannot be fitted: ", with: ""),
                                           dropped: corrections.dropped.count, flipped: corrections.flipped.count)
            }
        } catch let error as RerunError {
            throw error
        } catch let error as EvidenceError {
            throw error == .cancelled ? .cancelled : .evidence(error)
        } catch {
            throw .audit(String(describing: error))
        }
        let reused = run.createdAt < trainingStarted.addingTimeInterval(-0.001)

        // 4. The queue with the new run in place of its parent.
        progress?(RerunProgress(fraction: 0.95, message: "rerun: ranking"))
        let after = run.failure == nil ? evidence(engine: engine, base: before, replacing: parent, with: run) : before
        let beforeForDiff: Evidence
        if let parent, !before.runs.contains(where: { $0.id == parent.id }) {
            beforeForDiff = engine.rank(runs: before.runs + [parent], neighbours: before.neighbours)
        } else {
            beforeForDiff = before
        }
        let positionsBefore = positions(beforeForDiff, model: parent, dataset: dataset)
        let positionsAfter = positions(after, model: run.failure == nil ? run : nil, dataset: dataset)
        let verdictOf = Dictionary(consensus.map { ($0.item, $0.decision.rawValue) },
                                   uniquingKeysWith: { a, _ in a })
        let droppedSet = Set(corrections.dropped)
        let rows = selectedRows.map { row -> RerunRow in
            let id = dataset.ids[row]
            return RerunRow(id: id, providedLabel: dataset.labels[row],
                            trainedLabel: droppedSet.contains(id) ? nil : corrections.labels[row],
                            verdict: verdictOf[id], before: positionsBefore[row], after: positionsAfter[row])
        }
        func agreement(_ model: ModelRun?) -> Int? {
            guard let model else { return nil }
            return corrections.flipped.filter { id in
                guard let p = model.probabilities[id], let row = dataset.row(of: id) else { return false }
                return (p >= 0.5) == (corrections.labels[row] == 1)
            }.count
        }
        let topBefore = Set(beforeForDiff.ranking.prefix(options.top).map(\.row))
        let risen = after.ranking.prefix(options.top).enumerated().compactMap { (k, ranked) -> RisenRow? in
            guard !topBefore.contains(ranked.row) else { return nil }
            return RisenRow(id: dataset.ids[ranked.row], rankBefore: positionsBefore[ranked.row]?.rank, rankAfter: k + 1,
                            reason: ranked.reason)
        }
        progress?(RerunProgress(fraction: 1, message: run.failure == nil ? "rerun done" : "rerun failed"))
        return RerunResult(parent: parent, run: run, reused: reused, corrections: corrections, rows: rows,
                           confirmedErrors: corrections.flipped.count, agreedBefore: agreement(parent),
                           agreedAfter: run.failure == nil ? agreement(run) : nil, top: options.top, risen: risen,
                           evidenceAfter: after, evidenceBefore: beforeForDiff, logURL: logURL,
                           warnings: before.warnings + warnings)
    }

    /// Runs `run` on a background thread (the TUI's `R`): `job.cancel()` stops it (an external
    /// command gets SIGTERM, then SIGKILL), the completion gets the result.
    public static func start(engine: EvidenceEngine, store: AuditStore?, options: RerunOptions,
                             progress: (@Sendable (RerunProgress) -> Void)? = nil,
                             completion: @escaping @Sendable (Result<RerunResult, RerunError>) -> Void) -> BackgroundJob {
        let job = BackgroundJob()
        let thread = Thread {
            let result: Result<RerunResult, RerunError>
            do throws(RerunError) {
                result = .success(try run(engine: engine, store: store, options: options, progress: progress,
                                          isCancelled: { job.isCancelled }))
            } catch {
                result = .failure(error)
            }
            completion(result)
            job.finish()
        }
        thread.stackSize = 1 << 22
        thread.start()
        return job
    }

    /// The evidence with `run` in place of `parent` (appended when there is no parent): what
    /// the TUI shows when it switches between runs. O(rows · runs + rows log rows).
    public static func evidence(engine: EvidenceEngine, base: Evidence, replacing parent: ModelRun?, with run: ModelRun) -> Evidence {
        var runs = base.runs.filter { $0.id == nil || $0.id != parent?.id }
        runs.removeAll { $0.name == run.name }
        runs.append(run)
        return engine.rank(runs: runs, neighbours: base.neighbours, warnings: base.warnings)
    }

    /// The engine's out-of-fold protocol with the parent's full-fit C fixed (no inner search),
    /// unless a search is asked for or the parent's C is unknown.
    static func protocolOptions(engine: EvidenceEngine, parent: ModelRun?, search: Bool) -> OutOfFoldOptions? {
        guard !search, let chosen = parent?.parameters["C per fold, then full fit"],
              let fullFitC = chosen.split(separator: ",").last.flatMap({ Double(String($0)) }), fullFitC > 0 else { return nil }
        let base = engine.options.outOfFold
        return OutOfFoldOptions.fixed(fullFitC, folds: base.folds, seed: base.seed)
    }

    /// `labelaudit-cache.sqlite` -> `labelaudit-cache-models.log`, beside it.
    public static func defaultLogURL(cache: URL) -> URL {
        let base = cache.deletingPathExtension().lastPathComponent
        return cache.deletingLastPathComponent().appendingPathComponent("\(base)-models.log")
    }

    static func positions(_ evidence: Evidence, model: ModelRun?, dataset: Dataset) -> [Int: QueuePosition] {
        var out: [Int: QueuePosition] = [:]
        for (k, ranked) in evidence.ranking.enumerated() {
            out[ranked.row] = QueuePosition(p: model?.probabilities[dataset.ids[ranked.row]], score: ranked.score, rank: k + 1)
        }
        return out
    }

    /// Sends every train row (dropped ones included, with a null label) to the command.
    static func commandRun(engine: EvidenceEngine, words: [String], command: String, corrections: Corrections, parent: ModelRun?,
                           auditEventID: String?, log: URL, options: ExternalModelOptions,
                           progress: (@Sendable (RerunProgress) -> Void)?, isCancelled: (@Sendable () -> Bool)?) -> ModelRun {
        let dataset = engine.dataset
        let kept = Set(corrections.trainRows)
        let inputs = (0 ..< dataset.trainCount).map { row in
            ExternalModelInput(id: dataset.ids[row], image: dataset.imagePaths[row],
                               label: kept.contains(row) ? corrections.labels[row] : nil)
        }
        progress?(RerunProgress(fraction: 0.1, message: "rerun: starting \(TerminalSafeText.sanitized(words[0]))"))
        let outcome = ExternalModel.run(arguments: words, inputs: inputs, logURL: log, options: options, progress: { done, total in
            progress?(RerunProgress(fraction: 0.1 + 0.85 * Double(done) / Double(max(1, total)), message: "rerun: model answered \(done)/\(total)"))
        }, isCancelled: isCancelled)
        var key = Fingerprint()
        key.add("command|\(command)|\(engine.fingerprint)|\(Date().timeIntervalSince1970)")
        key.add(corrections.labels)
        return ModelRun(name: commandRunName, source: .command,
                        parameters: ["command": command, "log": log.path, "rows sent": String(inputs.count),
                                     "answered": String(outcome.probabilities.count),
                                     "seconds": String(format: "%.2f", outcome.elapsed)],
                        metrics: outcome.failure == nil ? engine.trainMetrics(outcome.probabilities) : nil,
                        outOfFold: nil, probabilities: outcome.probabilities, parentRunID: parent?.id, auditEventID: auditEventID,
                        datasetFingerprint: engine.fingerprint, inputKey: key.hex, failure: outcome.failure)
    }
}

/// How two runs of the same dataset differ: the TUI's run diff and the rerun summary.
public struct RunDiff: Sendable, Equatable, Codable {
    public struct Change: Sendable, Equatable, Codable {
        public var id: String
        /// Provided label (train rows), nil for test rows.
        public var label: UInt8?
        public var before: Double
        public var after: Double
        public var delta: Double { after - before }
    }

    public var beforeRunID: Int64?
    public var afterRunID: Int64?
    /// Ids predicted by both runs, largest |change| first (ties by dataset order).
    public var changes: [Change]
    /// Ids whose p crossed 0.5 upwards / downwards.
    public var crossedUp: Int
    public var crossedDown: Int
    public var onlyBefore: Int
    public var onlyAfter: Int
    public var meanAbsoluteChange: Double
    public var metricsBefore: ModelMetrics?
    public var metricsAfter: ModelMetrics?

    /// O(ids log ids).
    public init(from before: ModelRun, to after: ModelRun, dataset: Dataset) {
        beforeRunID = before.id
        afterRunID = after.id
        var changes: [(Int, Change)] = []
        var up = 0, down = 0, onlyBefore = 0, total = 0.0
        for (row, id) in dataset.ids.enumerated() {
            let a = before.probabilities[id], b = after.probabilities[id]
            switch (a, b) {
            case let (a?, b?):
                changes.append((row, Change(id: id, label: dataset.label(of: row), before: a, after: b)))
                if a < 0.5 && b >= 0.5 { up += 1 }
                if a >= 0.5 && b < 0.5 { down += 1 }
                total += abs(b - a)
            case (_?, nil): onlyBefore += 1
            default: break
            }
        }
        changes.sort { x, y in
            let dx = abs(x.1.delta), dy = abs(y.1.delta)
            return dx > dy || (dx == dy && x.0 < y.0)
        }
        self.changes = changes.map(\.1)
        crossedUp = up
        crossedDown = down
        self.onlyBefore = onlyBefore
        onlyAfter = dataset.ids.filter { after.probabilities[$0] != nil && before.probabilities[$0] == nil }.count
        meanAbsoluteChange = changes.isEmpty ? 0 : total / Double(changes.count)
        metricsBefore = before.metrics
        metricsAfter = after.metrics
    }
}
