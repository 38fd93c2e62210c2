import Foundation
import LabelAuditCore
import LabelAuditStore

/// Retrains models with the reviewers' corrections and shows what changed.
///
/// Steps: read the consensus and the last event id from the audit store (read only: a rerun
/// never writes audit data); build `Corrections`; compute (or reuse from the cache) the
/// current evidence; retrain each chosen model on the corrected labels (a built-in one with the
/// same 5-fold out-of-fold protocol, so every train row, the flagged ones included, is scored
/// by a model that never saw its label; a command after its baseline on the provided labels);
/// store each run with `parentRunID`, `auditEventID` and the correction counts; rank the queue
/// again with the new runs in place of their parents and compare, per face and overall,
/// against the reviewers' verdicts. Cost: one fit per model plus two rankings
/// (O(rows log rows)); everything else comes from the cache.
///
/// The pieces: options and errors (`Rerun+Options`), the corrected labels
/// (`Rerun+Corrections`), agreement and metrics (`Rerun+Comparison`), the result
/// (`Rerun+Result`), external commands (`Rerun+Command`), and `RunDiff`.
public enum Rerun {
    package static let latentRerunName = "latent-rerun"
    package static let imageRerunName = "image-rerun"

    /// Runs on the caller's thread; see `start` for a background job.
    public static func run(
        engine: EvidenceEngine, store: AuditStore?, options: RerunOptions,
        progress: (@Sendable (RerunProgress) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws(RerunError) -> RerunResult {
        guard !options.models.isEmpty else { throw .noPictureModel }
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
            guard !selected.isEmpty else {
                throw .nothingFlagged(database: store?.url.path ?? "the audit database (there is none yet)")
            }
        case .ids(let ids):
            guard !ids.isEmpty else { throw .nothingSelected }
            for id in ids {
                guard let row = dataset.row(of: id) else { throw .unknownID(id) }
                guard row < dataset.trainCount else { throw .testID(id) }
            }
            selected = ids
        }
        let selectedRows = Array(Set(selected.compactMap(dataset.row(of:)))).sorted()
        let corrections = Corrections.from(
            dataset: dataset, consensus: consensus, unsure: options.unsure, auditEventID: lastEvent)
        // What cannot run is said before anything is trained.
        if options.models.contains(.image) && engine.options.decoder == nil {
            throw .noImageModel("no image decoder (--no-image?)")
        }
        for case .command(let command) in options.models {
            do throws(ShellWordsError) { _ = try ShellWords.split(command) } catch { throw .command(error) }
        }

        // 2. Current evidence (cached after the first start).
        progress?(RerunProgress(fraction: 0, message: "rerun: current evidence"))
        if isCancelled?() == true { throw .cancelled }
        let before: Evidence
        do throws(EvidenceError) {
            before = try engine.evidence(
                progress: { p in progress?(RerunProgress(fraction: 0.1 * p.fraction, message: p.message)) },
                isCancelled: isCancelled)
        } catch {
            throw error == .cancelled ? .cancelled : .evidence(error)
        }

        // 3. Retrain each model, sharing the progress bar between them.
        var models: [ModelRerun] = []
        var warnings: [String] = []
        var notes: [String] = []
        var logURL: URL? = nil
        let share = 0.85 / Double(options.models.count)
        for (index, model) in options.models.enumerated() {
            if isCancelled?() == true { throw .cancelled }
            let start = 0.1 + share * Double(index)
            let report: @Sendable (Double, String) -> Void = { fraction, message in
                progress?(RerunProgress(fraction: start + share * min(max(fraction, 0), 1), message: message))
            }
            switch model {
            case .latent, .image:
                let (retrained, modelWarnings) = try retrainBuiltIn(
                    model, engine: engine, before: before, corrections: corrections,
                    search: options.searchRegularisation, progress: report,
                    isCancelled: isCancelled)
                models.append(retrained)
                warnings += modelWarnings
                if model == .latent { notes.append(RerunResult.latentNote) }
            case .command(let command):
                let log = options.logURL ?? defaultLogURL(cache: engine.cache.url)
                logURL = log
                models.append(
                    try retrainCommand(
                        engine: engine, command: command, corrections: corrections, auditEventID: lastEvent,
                        log: log, options: options.external, progress: report, isCancelled: isCancelled))
            }
        }

        // 4. The queue before (with a command's baseline in it) and after (each new run in
        //    place of its parent), and the comparison with the reviewers.
        progress?(RerunProgress(fraction: 0.95, message: "rerun: ranking"))
        let missingParents = models.compactMap(\.parent).filter { parent in !before.runs.contains { $0.id == parent.id } }
        let evidenceBefore =
            missingParents.isEmpty
            ? before
            : engine.rank(runs: before.runs + missingParents, neighbours: before.neighbours, warnings: before.warnings)
        let succeeded = models.filter { $0.failure == nil }
        let evidenceAfter =
            succeeded.isEmpty
            ? evidenceBefore
            : evidence(engine: engine, base: evidenceBefore, replacing: succeeded.map { ($0.parent, $0.run) })
        for index in models.indices where models[index].failure == nil {
            models[index].comparison = ModelComparison(
                parent: models[index].parent, run: models[index].run, dataset: dataset,
                corrections: corrections, selectedRows: selectedRows)
        }
        let positionsBefore = positions(evidenceBefore)
        let positionsAfter = positions(evidenceAfter)
        let droppedSet = Set(corrections.dropped)
        let rows = selectedRows.map { row -> RerunRow in
            let id = dataset.ids[row]
            let decision = corrections.decisions[id]
            let changes = models.map { model -> FaceModelChange in
                let after = model.failure == nil ? model.run.probabilities[id] : nil
                let pBefore = model.parent?.probabilities[id]
                return FaceModelChange(
                    run: model.run.name, before: pBefore, after: after,
                    agreementBefore: model.parent.map { _ in
                        VerdictAgreement(p: pBefore, providedLabel: dataset.labels[row], decision: decision)
                    },
                    agreementAfter: model.failure == nil
                        ? VerdictAgreement(p: after, providedLabel: dataset.labels[row], decision: decision) : nil)
            }
            return RerunRow(
                id: id, providedLabel: dataset.labels[row], trainedLabel: droppedSet.contains(id) ? nil : corrections.labels[row],
                verdict: decision, before: positionsBefore[row], after: positionsAfter[row], models: changes)
        }
        let topBefore = Set(evidenceBefore.ranking.prefix(options.top).map(\.row))
        let risen = evidenceAfter.ranking.prefix(options.top).enumerated().compactMap { (k, ranked) -> RisenRow? in
            guard !topBefore.contains(ranked.row) else { return nil }
            return RisenRow(
                id: dataset.ids[ranked.row], rankBefore: positionsBefore[ranked.row]?.rank, rankAfter: k + 1,
                reason: ranked.reason)
        }
        progress?(RerunProgress(fraction: 1, message: succeeded.count == models.count ? "rerun done" : "rerun failed"))
        return RerunResult(
            models: models, corrections: corrections, rows: rows, top: options.top, risen: risen,
            evidenceAfter: evidenceAfter, evidenceBefore: evidenceBefore, logURL: logURL, notes: notes,
            warnings: before.warnings + warnings)
    }

    /// Runs `run` as a `BackgroundJob` (its own thread): `job.cancel()` stops it (an external
    /// command gets SIGTERM, then SIGKILL), the completion gets the result.
    public static func start(
        engine: EvidenceEngine, store: AuditStore?, options: RerunOptions,
        progress: (@Sendable (RerunProgress) -> Void)? = nil,
        completion: @escaping @Sendable (Result<RerunResult, RerunError>) -> Void
    ) -> BackgroundJob {
        BackgroundJob.start { job in
            let result: Result<RerunResult, RerunError>
            do throws(RerunError) {
                result = .success(
                    try run(
                        engine: engine, store: store, options: options, progress: progress,
                        isCancelled: { job.isCancelled }))
            } catch {
                result = .failure(error)
            }
            completion(result)
        }
    }

    /// The evidence with each run in place of its parent (appended when there is no parent, and
    /// replacing any run of the same name): the queue after a rerun, and what the app shows when
    /// it switches between runs. O(rows · runs + rows log rows).
    public static func evidence(engine: EvidenceEngine, base: Evidence, replacing pairs: [(parent: ModelRun?, run: ModelRun)])
        -> Evidence
    {
        var runs = base.runs
        for (parent, run) in pairs {
            runs.removeAll { ($0.id != nil && $0.id == parent?.id) || $0.name == run.name }
            runs.append(run)
        }
        return engine.rank(runs: runs, neighbours: base.neighbours, warnings: base.warnings)
    }

    /// Retrains the latent or the image model on the corrected labels; the parent is the
    /// evidence's run of that model. A run computed now records the correction counts.
    static func retrainBuiltIn(
        _ model: RerunModel, engine: EvidenceEngine, before: Evidence, corrections: Corrections, search: Bool,
        progress: @escaping @Sendable (Double, String) -> Void,
        isCancelled: (@Sendable () -> Bool)?
    ) throws(RerunError) -> (ModelRerun, [String]) {
        let parent = before.runs.first { $0.name == model.baseName }
        let outOfFold = protocolOptions(engine: engine, parent: parent, search: search)
        let report: ProgressHandler = { p in progress(p.fraction, "rerun: " + p.message) }
        let started = Date()
        var fitted: ModelRun?
        var warnings: [String] = []
        do throws(EvidenceError) {
            if model == .latent {
                fitted = try engine.latentRun(
                    labels: corrections.labels, trainRows: corrections.trainRows, parentRunID: parent?.id,
                    auditEventID: corrections.auditEventID, name: latentRerunName, outOfFold: outOfFold,
                    predictLeftOutTrainRows: true, progress: report, isCancelled: isCancelled)
            } else {
                let (imageRun, imageWarnings) = try engine.imageRun(
                    labels: corrections.labels, trainRows: corrections.trainRows,
                    parentRunID: parent?.id, auditEventID: corrections.auditEventID,
                    name: imageRerunName, outOfFold: outOfFold, predictLeftOutTrainRows: true,
                    progress: report, isCancelled: isCancelled)
                warnings = imageWarnings
                fitted = imageRun
            }
        } catch {
            throw error == .cancelled ? .cancelled : .evidence(error)
        }
        guard var run = fitted else { throw .noImageModel(warnings.last ?? "no train row has a readable image") }
        // A model that cannot be fitted on the corrected set (the engine returns it unsaved): said, nothing stored.
        if let failure = run.failure, run.id == nil {
            throw .cannotFit(
                model: run.source.rawValue, reason: failure.replacingOccurrences(of: "cannot be fitted: ", with: ""),
                dropped: corrections.dropped.count, flipped: corrections.flipped.count)
        }
        let reused = run.createdAt < started.addingTimeInterval(-0.001)
        if !reused, let id = run.id {
            do throws(CacheStoreError) {
                try engine.cache.addParameters(corrections.runParameters, toRun: id)
                run.parameters.merge(corrections.runParameters) { _, new in new }
            } catch {
                throw .evidence(.cache(error))
            }
        }
        return (
            ModelRerun(model: model, parent: parent, run: run, reused: reused, baselineReused: nil, comparison: nil), warnings
        )
    }

    /// The engine's out-of-fold protocol with the parent's full-fit C fixed (no inner search),
    /// unless a search is asked for or the parent's C is unknown.
    static func protocolOptions(engine: EvidenceEngine, parent: ModelRun?, search: Bool) -> OutOfFoldOptions? {
        guard !search, let chosen = parent?.parameters["C per fold, then full fit"],
            let fullFitC = chosen.split(separator: ",").last.flatMap({ Double(String($0)) }), fullFitC > 0
        else { return nil }
        let base = engine.options.outOfFold
        return OutOfFoldOptions.fixed(fullFitC, folds: base.folds, seed: base.seed)
    }

    static func positions(_ evidence: Evidence) -> [Int: QueuePosition] {
        var out: [Int: QueuePosition] = [:]
        for (k, ranked) in evidence.ranking.enumerated() {
            out[ranked.row] = QueuePosition(score: ranked.score, rank: k + 1)
        }
        return out
    }
}
