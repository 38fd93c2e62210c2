import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// Orchestrates the evidence of one dataset: model runs (imported, latent, image), the latent
/// neighbour graph, the scores and the ranked queue, reusing the cache wherever the inputs are
/// unchanged. Thread-safe: all state is immutable; long jobs take a progress handler and a
/// cancellation check.
public final class EvidenceEngine: Sendable {
    package static let latentRunName = "latent"
    package static let imageRunName = "image"
    static let featureKind = "hog-eyeband"

    public let dataset: Dataset
    public let cache: CacheStore
    public let options: EvidenceOptions
    /// Fingerprint of ids + split + latents.
    public let fingerprint: String

    /// The prepared search index and distance sample, built on the first single query and kept:
    /// later queries (one per face shown) only scan.
    /// Built on the first single-row query; nil until then.
    let lazyIndex = Locked<(NeighbourIndex, DistanceDistribution)?>(nil)
    /// The `--neighbours` file, read on first use.
    let imported = Locked<CachedNeighbours?>(nil)

    /// `importedNeighbours`: the `neighboursFile` already read (`readNeighbours`), so a caller
    /// can refuse a bad file before it opens anything.
    public init(
        dataset: Dataset, cache: CacheStore, options: EvidenceOptions = EvidenceOptions(),
        importedNeighbours: CachedNeighbours? = nil
    ) {
        self.dataset = dataset
        self.cache = cache
        self.options = options
        fingerprint = Fingerprint.dataset(dataset)
        if let importedNeighbours { imported.withLock { $0 = importedNeighbours } }
    }

    var labelsKey: String {
        var f = Fingerprint()
        f.add(dataset.labels)
        return f.hex
    }

    // MARK: everything

    /// Model runs, neighbours (unless deferred to the background for large sets), scores and
    /// ranking, in stages: `onStage` gets each complete ranking as soon as it is ready (imported
    /// predictions, the latent model and the neighbour graph first, then with the image model),
    /// so a screen can show a ranked queue in about a second and re-rank when the image model
    /// lands. With `through: .latent` it stops after the first stage, unless the image model is
    /// already in the cache (then the complete evidence costs nothing more). Returns the last stage.
    public func evidence(
        through last: EvidenceStage = .complete, progress: ProgressHandler? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil,
        onStage: (@Sendable (Evidence) -> Void)? = nil
    ) throws(EvidenceError) -> Evidence {
        guard dataset.trainCount > 0 else { throw .noTrainRows }
        // A bad neighbours file fails before any model is fitted.
        if options.neighboursFile != nil { _ = try importedNeighbours() }
        var warnings: [String] = []
        var runs: [ModelRun] = []
        for item in options.imports {
            let run = try importedRun(item)
            if run.outOfFold == nil {
                warnings.append(
                    "predictions '\(run.name)': not known to be out of fold; in-sample predictions hide label errors (pass --oof if they are), counted at half weight"
                )
            }
            runs.append(run)
        }
        if isCancelled?() == true { throw .cancelled }
        runs.append(try latentRun(progress: progress, isCancelled: isCancelled))
        var neighbours: CachedNeighbours? = try neighbourGraph()
        if neighbours == nil && dataset.count <= options.backgroundNeighboursAbove {
            neighbours = try computeNeighbours(progress: progress, isCancelled: isCancelled)
        }
        guard options.imageReader != nil else {
            let result = ranked(runs: runs, neighbours: neighbours, warnings: warnings, stage: .complete, progress: progress)
            onStage?(result)
            return result
        }
        // The image model straight from the cache when nothing changed: no intermediate stage.
        if let (cached, imageWarnings) = try imageRunFromCache() {
            let result = ranked(
                runs: runs + [cached], neighbours: neighbours, warnings: warnings + imageWarnings, stage: .complete,
                progress: progress)
            onStage?(result)
            return result
        }
        let first = ranked(runs: runs, neighbours: neighbours, warnings: warnings, stage: .latent, progress: progress)
        onStage?(first)
        if last == .latent { return first }
        let (image, imageWarnings) = try imageRun(progress: progress, isCancelled: isCancelled)
        if let image { runs.append(image) }
        let result = ranked(
            runs: runs, neighbours: neighbours, warnings: warnings + imageWarnings, stage: .complete, progress: progress)
        onStage?(result)
        return result
    }

    private func ranked(
        runs: [ModelRun], neighbours: CachedNeighbours?, warnings: [String], stage: EvidenceStage,
        progress: ProgressHandler?
    ) -> Evidence {
        // A model that could not be fitted is missing evidence: said, and ranked without.
        var warnings = warnings
        for run in runs {
            if let failure = run.failure { warnings.append(Self.missingWarning(run.name, failure)) }
        }
        progress?(EvidenceProgress(stage: .ranking, fraction: 0, message: "ranking"))
        var result = rank(runs: runs, neighbours: neighbours, warnings: warnings)
        result.stage = stage
        progress?(
            EvidenceProgress(
                stage: .ranking, fraction: 1, message: stage == .complete ? "ranked" : "ranked without the image model"))
        return result
    }

    /// Scores and ranks given runs and neighbours (cheap: O(rows · runs + rows log rows)).
    /// Call again with the graph when the background neighbour job finishes.
    public func rank(runs: [ModelRun], neighbours: CachedNeighbours?, warnings: [String] = []) -> Evidence {
        let trainIDs = dataset.ids[0..<dataset.trainCount]
        let usable = runs.filter { $0.failure == nil }
        let evidence = usable.map { run in
            RunEvidence(
                name: run.name, probabilities: trainIDs.map { run.probabilities[$0] }, outOfFold: run.outOfFold,
                modelsTheLabelRule: run.source == .latent)
        }
        var confident: [String: ConfidentLearning] = [:]
        for (run, e) in zip(usable, evidence) where e.probabilities.contains(where: { $0 != nil }) {
            confident[run.name] = ConfidentLearning(
                rowProbabilities: e.probabilities, labels: dataset.labels[0..<dataset.trainCount])
        }
        let latent = usable.last { $0.source == .latent }
        let boundary: [Double?] = trainIDs.map { latent?.boundaryDistances[$0] }
        let ranking = Ranking.rank(labels: dataset.labels, runs: evidence, boundaryDistances: boundary, graph: neighbours?.graph)
        var result = Evidence(
            runs: usable, weights: Ranking.weights(runs: evidence, labels: dataset.labels),
            confidentLearning: confident, neighbours: neighbours, ranking: ranking, warnings: warnings)
        result.missing = runs.compactMap { run in run.failure.map { MissingEvidence(name: run.name, reason: $0) } }
        return result
    }

    /// "latent model: no evidence (the training set has only 1 row; ...)".
    static func missingWarning(_ name: String, _ reason: String) -> String {
        "\(name) model: no evidence from it, the queue is ranked without it (\(reason))"
    }

    /// A run that could not be fitted: kept out of the cache (it costs nothing to find again),
    /// reported as missing evidence with the reason.
    func unfittableRun(
        name: String, source: ModelSource, reason: String, trainRows: Int, key: String,
        parentRunID: Int64?, auditEventID: String?
    ) -> ModelRun {
        ModelRun(
            name: name, source: source, parameters: ["train rows": String(trainRows)], metrics: nil, outOfFold: true,
            probabilities: [:], parentRunID: parentRunID, auditEventID: auditEventID,
            datasetFingerprint: fingerprint, inputKey: key, failure: "cannot be fitted: \(reason)")
    }

    // MARK: helpers

    func fractions(_ handler: ProgressHandler?, _ stage: EvidenceProgress.Stage, _ message: String) -> (
        @Sendable (Double) -> Void
    )? {
        guard let handler else { return nil }
        return { fraction in handler(EvidenceProgress(stage: stage, fraction: fraction, message: message)) }
    }

    /// Train metrics of probabilities keyed by id (rows without a prediction are left out).
    func trainMetrics(_ probabilities: [String: Double]) -> ModelMetrics? {
        var p: [Double] = []
        var y: [UInt8] = []
        for row in 0..<dataset.trainCount {
            if let value = probabilities[dataset.ids[row]] {
                p.append(value)
                y.append(dataset.labels[row])
            }
        }
        return p.isEmpty ? nil : ModelMetrics(probabilities: p, labels: y)
    }

    func cachedRun(name: String, key: String) throws(EvidenceError) -> ModelRun? {
        do throws(CacheStoreError) { return try cache.latestRun(name: name, inputKey: key) } catch { throw .cache(error) }
    }

    func save(_ run: ModelRun) throws(EvidenceError) -> ModelRun {
        do throws(CacheStoreError) { return try cache.save(run) } catch { throw .cache(error) }
    }

    /// Every run of this dataset in the cache (including reruns and failed runs), oldest first.
    public func allRuns() throws(EvidenceError) -> [ModelRun] {
        do throws(CacheStoreError) { return try cache.runs(datasetFingerprint: fingerprint) } catch { throw .cache(error) }
    }
}
