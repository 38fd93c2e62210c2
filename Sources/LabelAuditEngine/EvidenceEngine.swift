import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// Decodes an image file into pixels for feature extraction; the real one is
/// `LabelAuditImaging.JPEGDecoder` (see `EvidenceOptions.standardDecoder`).
public typealias ImageDecoder = @Sendable (_ path: String) throws -> RGBImage

/// A predictions CSV to import as a model run.
public struct ImportedPredictions: Sendable, Equatable {
    public var url: URL
    /// Whether its train predictions are out of fold; nil = not said (the summary warns).
    public var outOfFold: Bool?
    /// Display name (default: the file name without extension).
    public var name: String

    public init(url: URL, outOfFold: Bool?, name: String? = nil) {
        self.url = url
        self.outOfFold = outOfFold
        self.name = name ?? url.deletingPathExtension().lastPathComponent
    }
}

/// What to compute and how.
public struct EvidenceOptions: Sendable {
    public var neighbourCount: Int
    public var metric: DistanceMetric
    public var outOfFold: OutOfFoldOptions
    public var imports: [ImportedPredictions]
    /// nil: no image model (no decoder available).
    public var decoder: ImageDecoder?
    /// The face region the image model looks at.
    public var imageFeatures: HOGFeatures
    /// Above this many rows the all-pairs neighbour job is left to `startNeighbourJob` (run in
    /// the background) instead of blocking the first ranking; single queries stay available.
    public var backgroundNeighboursAbove: Int

    public init(neighbourCount: Int = 10, metric: DistanceMetric = .cosine, outOfFold: OutOfFoldOptions = OutOfFoldOptions(),
                imports: [ImportedPredictions] = [], decoder: ImageDecoder? = nil,
                imageFeatures: HOGFeatures = .eyeBand, backgroundNeighboursAbove: Int = 20_000) {
        self.neighbourCount = neighbourCount
        self.metric = metric
        self.outOfFold = outOfFold
        self.imports = imports
        self.decoder = decoder
        self.imageFeatures = imageFeatures
        self.backgroundNeighboursAbove = backgroundNeighboursAbove
    }
}

/// Where the engine is, for progress displays.
public struct EvidenceProgress: Sendable, Equatable {
    public enum Stage: String, Sendable {
        case importing, latentModel, imageFeatures, imageModel, neighbours, ranking
    }
    public let stage: Stage
    /// 0...1 within the stage.
    public let fraction: Double
    public let message: String
}

public typealias ProgressHandler = @Sendable (EvidenceProgress) -> Void

/// Why evidence could not be produced.
public enum EvidenceError: Error, Equatable, CustomStringConvertible, Sendable {
    case cancelled
    case cache(CacheStoreError)
    case predictions(DatasetError)
    case noTrainRows

    public var description: String {
        switch self {
        case .cancelled: return "cancelled"
        case .cache(let e): return e.description
        case .predictions(let e): return e.description
        case .noTrainRows: return "the dataset has no train rows, so there are no labels to audit"
        }
    }
}

/// A kind of evidence that could not be produced for this dataset, and why (a model that cannot
/// be fitted on a tiny or one-class training set, ...). The queue is then ranked without it.
public struct MissingEvidence: Sendable, Equatable, Codable {
    /// The run's name ("latent", "image").
    public let name: String
    public let reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}

/// Everything the review queue shows beside a face.
public struct Evidence: Sendable {
    /// Successful model runs used for ranking, in order: imported, latent, image.
    public let runs: [ModelRun]
    public let weights: [RunWeight]
    /// Confident learning per run name (train rows with predictions; `issueRows` are train rows).
    public let confidentLearning: [String: ConfidentLearning]
    /// nil while the all-pairs job is still pending (large sets).
    public let neighbours: CachedNeighbours?
    /// The default ranking of the train rows, most suspicious first.
    public let ranking: [RankedRow]
    /// Non-fatal notes for the user (unknown out-of-fold status, unreadable images, ...).
    public let warnings: [String]
    /// Model runs that could not be produced, with the reason (also said in `warnings`).
    public var missing: [MissingEvidence] = []
}

/// Orchestrates the evidence of one dataset: model runs (imported, latent, image), the latent
/// neighbour graph, the scores and the ranked queue, reusing the cache wherever the inputs are
/// unchanged. Thread-safe: all state is immutable; long jobs take a progress handler and a
/// cancellation check.
public final class EvidenceEngine: Sendable {
    public static let latentRunName = "latent"
    public static let imageRunName = "image"
    static let featureKind = "hog-eyeband"

    public let dataset: Dataset
    public let cache: CacheStore
    public let options: EvidenceOptions
    /// Fingerprint of ids + split + latents.
    public let fingerprint: String

    /// The prepared search index and distance sample, built on the first single query and kept:
    /// later queries (one per face shown) only scan.
    /// Built on the first single-row query; nil until then.
    private let lazyIndex = Locked<(NeighbourIndex, DistanceDistribution)?>(nil)

    public init(dataset: Dataset, cache: CacheStore, options: EvidenceOptions = EvidenceOptions()) {
        self.dataset = dataset
        self.cache = cache
        self.options = options
        fingerprint = Fingerprint.dataset(dataset)
    }

    var labelsKey: String {
        var f = Fingerprint()
        f.add(dataset.labels)
        return f.hex
    }

    // MARK: everything

    /// Model runs, neighbours (unless deferred to the background for large sets), scores and ranking.
    public func evidence(progress: ProgressHandler? = nil, isCancelled: (@Sendable () -> Bool)? = nil) throws(EvidenceError) -> Evidence {
        guard dataset.trainCount > 0 else { throw .noTrainRows }
        var warnings: [String] = []
        var runs: [ModelRun] = []
        for item in options.imports {
            let run = try importedRun(item)
            if item.outOfFold == nil {
                warnings.append("predictions '\(run.name)': not known to be out of fold; in-sample predictions hide label errors (pass --oof if they are), counted at half weight")
            }
            runs.append(run)
        }
        if isCancelled?() == true { throw .cancelled }
        runs.append(try latentRun(progress: progress, isCancelled: isCancelled))
        if options.decoder != nil {
            let (image, imageWarnings) = try imageRun(progress: progress, isCancelled: isCancelled)
            warnings += imageWarnings
            if let image { runs.append(image) }
        }
        var neighbours: CachedNeighbours? = try cachedNeighbours()
        if neighbours == nil && dataset.count <= options.backgroundNeighboursAbove {
            neighbours = try computeNeighbours(progress: progress, isCancelled: isCancelled)
        }
        // A model that could not be fitted is missing evidence: said, and ranked without.
        for run in runs {
            if let failure = run.failure { warnings.append(Self.missingWarning(run.name, failure)) }
        }
        progress?(EvidenceProgress(stage: .ranking, fraction: 0, message: "ranking"))
        let result = rank(runs: runs, neighbours: neighbours, warnings: warnings)
        progress?(EvidenceProgress(stage: .ranking, fraction: 1, message: "ranked"))
        return result
    }

    /// Scores and ranks given runs and neighbours (cheap: O(rows · runs + rows log rows)).
    /// Call again with the graph when the background neighbour job finishes.
    public func rank(runs: [ModelRun], neighbours: CachedNeighbours?, warnings: [String] = []) -> Evidence {
        let trainIDs = dataset.ids[0 ..< dataset.trainCount]
        let usable = runs.filter { $0.failure == nil }
        let evidence = usable.map { run in
            RunEvidence(name: run.name, probabilities: trainIDs.map { run.probabilities[$0] }, outOfFold: run.outOfFold,
                        modelsTheLabelRule: run.source == .latent)
        }
        var confident: [String: ConfidentLearning] = [:]
        for (run, e) in zip(usable, evidence) where e.probabilities.contains(where: { $0 != nil }) {
            confident[run.name] = ConfidentLearning(rowProbabilities: e.probabilities, labels: dataset.labels[0 ..< dataset.trainCount])
        }
        let latent = usable.last { $0.source == .latent }
        let boundary: [Double?] = trainIDs.map { latent?.boundaryDistances[$0] }
        let ranking = Ranking.rank(labels: dataset.labels, runs: evidence, boundaryDistances: boundary, graph: neighbours?.graph)
        var result = Evidence(runs: usable, weights: Ranking.weights(runs: evidence, labels: dataset.labels),
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
    func unfittableRun(name: String, source: ModelSource, reason: String, trainRows: Int, key: String,
                       parentRunID: Int64?, auditEventID: String?) -> ModelRun {
        ModelRun(name: name, source: source, parameters: ["train rows": String(trainRows)], metrics: nil, outOfFold: true,
                 probabilities: [:], parentRunID: parentRunID, auditEventID: auditEventID,
                 datasetFingerprint: fingerprint, inputKey: key, failure: "cannot be fitted: \(reason)")
    }

    // MARK: imported predictions

    /// Reads a predictions CSV as a run (reused from the cache while file and labels are unchanged).
    public func importedRun(_ item: ImportedPredictions) throws(EvidenceError) -> ModelRun {
        let stamp = FileStamp(path: item.url.path)
        var key = Fingerprint()
        key.add("imported|\(item.url.standardizedFileURL.path)|\(stamp?.size ?? -1)|\(stamp?.modified ?? -1)|\(String(describing: item.outOfFold))|\(item.name)|\(labelsKey)|\(fingerprint)")
        if let cached = try cachedRun(name: item.name, key: key.hex) { return cached }
        let file: PredictionsFile
        do throws(DatasetError) {
            file = try PredictionsFile.read(item.url, knownIDs: Set(dataset.ids))
        } catch {
            throw .predictions(error)
        }
        let metrics = trainMetrics(file.probabilities)
        let run = ModelRun(name: item.name, source: .imported,
                           parameters: ["file": item.url.path, "column": file.column,
                                        "rows": String(file.probabilities.count)],
                           metrics: metrics, outOfFold: item.outOfFold, probabilities: file.probabilities,
                           datasetFingerprint: fingerprint, inputKey: key.hex)
        return try save(run)
    }

    // MARK: latent model

    /// The built-in latent model on the given labels and train rows (default: all train rows
    /// with their provided labels). Reruns pass corrected labels, a row subset, the parent and
    /// possibly other out-of-fold settings (`outOfFold`, e.g. the parent's C without a search).
    /// `predictLeftOutTrainRows`: train rows outside `trainRows` also get the full fit's
    /// prediction (they are held out of it), so a rerun can still show them.
    public func latentRun(labels: [UInt8]? = nil, trainRows: [Int]? = nil, parentRunID: Int64? = nil,
                          auditEventID: String? = nil, name: String = EvidenceEngine.latentRunName,
                          outOfFold: OutOfFoldOptions? = nil, predictLeftOutTrainRows: Bool = false,
                          progress: ProgressHandler? = nil, isCancelled: (@Sendable () -> Bool)? = nil) throws(EvidenceError) -> ModelRun {
        let labels = labels ?? dataset.labels
        let protocolOptions = outOfFold ?? options.outOfFold
        let rows = trainRows ?? Array(0 ..< dataset.trainCount)
        var key = Fingerprint()
        key.add("latent|v1|\(fingerprint)|\(Self.key(protocolOptions))\(predictLeftOutTrainRows ? "|left-out" : "")")
        key.add(labels)
        key.add(rows)
        if let reason = OutOfFold.unfittableReason(labels: rows.map { labels[$0] }) {
            return unfittableRun(name: name, source: .latent, reason: reason, trainRows: rows.count, key: key.hex,
                                 parentRunID: parentRunID, auditEventID: auditEventID)
        }
        if let cached = try cachedRun(name: name, key: key.hex) { return cached }
        progress?(EvidenceProgress(stage: .latentModel, fraction: 0, message: "latent model: \(protocolOptions.folds)-fold out-of-fold fit"))
        let result: OutOfFoldResult
        do {
            let trained = Set(rows)
            let others = predictLeftOutTrainRows ? (0 ..< dataset.count).filter { !trained.contains($0) }
                : Array(dataset.trainCount ..< dataset.count)
            result = try OutOfFold.run(dataset.latents, trainRows: rows, labels: labels,
                                       otherRows: others, options: protocolOptions,
                                       progress: fractions(progress, .latentModel, "latent model"), isCancelled: isCancelled)
        } catch {
            throw .cancelled
        }
        let run = builtInRun(name: name, source: .latent, result: result, localToRow: { $0 }, labels: labels, trainRows: rows,
                             key: key.hex, protocolOptions: protocolOptions, parentRunID: parentRunID, auditEventID: auditEventID)
        progress?(EvidenceProgress(stage: .latentModel, fraction: 1, message: "latent model done"))
        return try save(run)
    }

    var optionsKey: String { Self.key(options.outOfFold) }

    static func key(_ o: OutOfFoldOptions) -> String {
        return "folds=\(o.folds) inner=\(o.innerFolds) grid=\(o.grid) seed=\(o.seed)"
    }

    func builtInRun(name: String, source: ModelSource, result: OutOfFoldResult, localToRow: (Int) -> Int, labels: [UInt8],
                    trainRows: [Int], key: String, protocolOptions: OutOfFoldOptions, parentRunID: Int64?, auditEventID: String?) -> ModelRun {
        var probabilities: [String: Double] = [:], distances: [String: Double] = [:], folds: [String: Int] = [:]
        for (local, p) in result.probabilities {
            let id = dataset.ids[localToRow(local)]
            probabilities[id] = p
            distances[id] = result.boundaryDistances[local]
            if let fold = result.foldOfRow[local] { folds[id] = fold }
        }
        // Metrics against the labels the run was trained on, over its train rows (out of fold).
        let trainLocal = Array(result.foldOfRow.keys).sorted()
        let metrics = ModelMetrics(probabilities: trainLocal.map { result.probabilities[$0]! },
                                   labels: trainLocal.map { labels[$0] })
        let cs = result.chosenC.map { String(format: "%g", $0) }.joined(separator: ",")
        return ModelRun(name: name, source: source,
                        parameters: ["C per fold, then full fit": cs, "folds": String(protocolOptions.folds),
                                     "inner folds": String(protocolOptions.innerFolds),
                                     "train rows": String(trainRows.count)],
                        metrics: metrics, outOfFold: true, probabilities: probabilities, boundaryDistances: distances,
                        folds: folds, parentRunID: parentRunID, auditEventID: auditEventID,
                        datasetFingerprint: fingerprint, inputKey: key)
    }

    // MARK: image model

    /// The built-in image model: cached eye-band HOG features (decoding only changed or new
    /// files, both cores), then the same out-of-fold logistic regression. Rows without a
    /// readable image get no prediction. Returns nil when no train row has an image.
    public func imageRun(labels: [UInt8]? = nil, trainRows: [Int]? = nil, parentRunID: Int64? = nil,
                         auditEventID: String? = nil, name: String = EvidenceEngine.imageRunName,
                         outOfFold: OutOfFoldOptions? = nil, predictLeftOutTrainRows: Bool = false,
                         progress: ProgressHandler? = nil,
                         isCancelled: (@Sendable () -> Bool)? = nil) throws(EvidenceError) -> (ModelRun?, [String]) {
        guard let decoder = options.decoder else { return (nil, ["image model: no image decoder in this build"]) }
        let labels = labels ?? dataset.labels
        let protocolOptions = outOfFold ?? options.outOfFold
        let rows = Set(trainRows ?? Array(0 ..< dataset.trainCount))
        var warnings: [String] = []
        let stamps: [FileStamp?] = dataset.imagePaths.map { $0.flatMap { FileStamp(path: $0) } }
        let features = options.imageFeatures
        var cached: [FileStamp: [Float]]
        do throws(CacheStoreError) {
            cached = try cache.features(kind: featureKindKey, version: HOGFeatures.version, files: stamps.compactMap { $0 })
        } catch {
            throw .cache(error)
        }
        let missing = Array(Set(stamps.compactMap { $0 }.filter { cached[$0] == nil })).sorted { $0.path < $1.path }
        var failures: [String: String] = [:]
        if !missing.isEmpty {
            let extracted = extract(missing, decoder: decoder, features: features, progress: progress, isCancelled: isCancelled)
            if isCancelled?() == true { throw .cancelled }
            var fresh: [(FileStamp, [Float])] = []
            for (stamp, outcome) in zip(missing, extracted) {
                switch outcome {
                case .success(let vector): cached[stamp] = vector; fresh.append((stamp, vector))
                case .failure(let message): failures[stamp.path] = message
                case nil: break
                }
            }
            do throws(CacheStoreError) { try cache.saveFeatures(kind: featureKindKey, version: HOGFeatures.version, fresh) } catch { throw .cache(error) }
        }
        if !failures.isEmpty {
            let first = failures.keys.sorted().first!
            warnings.append("image model: \(failures.count) image(s) could not be read and get no image prediction, e.g. \(first): \(failures[first]!)")
        }
        // Local matrix of the rows that have features.
        var localRows: [Int] = []
        var values: [Float] = []
        values.reserveCapacity(dataset.count * features.count)
        for row in 0 ..< dataset.count {
            guard let stamp = stamps[row], let vector = cached[stamp], vector.count == features.count else { continue }
            localRows.append(row)
            values.append(contentsOf: vector)
        }
        let localTrain = localRows.indices.filter { localRows[$0] < dataset.trainCount && rows.contains(localRows[$0]) }
        let localOther = localRows.indices.filter {
            localRows[$0] >= dataset.trainCount || (predictLeftOutTrainRows && !rows.contains(localRows[$0]))
        }
        guard !localTrain.isEmpty else { return (nil, warnings + ["image model: no train row has a readable image"]) }
        let missingImages = dataset.trainCount - localRows.filter { $0 < dataset.trainCount }.count
        if missingImages > 0 && failures.isEmpty {
            warnings.append("image model: \(missingImages) train row(s) have no image and get no image prediction")
        }
        var key = Fingerprint()
        key.add("image|v1|hog\(HOGFeatures.version)|\(features)|\(fingerprint)|\(Self.key(protocolOptions))\(predictLeftOutTrainRows ? "|left-out" : "")")
        for row in localRows { key.add("\(stamps[row]!.path)|\(stamps[row]!.size)|\(stamps[row]!.modified)") }
        key.add(labels)
        key.add(rows.sorted())
        let localLabels = localRows.map { $0 < dataset.trainCount ? labels[$0] : 0 }
        if let reason = OutOfFold.unfittableReason(labels: localTrain.map { localLabels[$0] },
                                                   rows: "training rows with a readable image") {
            return (unfittableRun(name: name, source: .image, reason: reason, trainRows: localTrain.count, key: key.hex,
                                  parentRunID: parentRunID, auditEventID: auditEventID), warnings)
        }
        if let cachedRun = try cachedRun(name: name, key: key.hex) { return (cachedRun, warnings) }
        let matrix = LatentMatrix(rows: localRows.count, dim: features.count, values: values)
        progress?(EvidenceProgress(stage: .imageModel, fraction: 0, message: "image model: out-of-fold fit"))
        let result: OutOfFoldResult
        do {
            result = try OutOfFold.run(matrix, trainRows: localTrain, labels: localLabels, otherRows: localOther,
                                       options: protocolOptions,
                                       progress: fractions(progress, .imageModel, "image model"), isCancelled: isCancelled)
        } catch {
            throw .cancelled
        }
        let run = builtInRun(name: name, source: .image, result: result, localToRow: { localRows[$0] }, labels: localLabels,
                             trainRows: localTrain, key: key.hex, protocolOptions: protocolOptions, parentRunID: parentRunID, auditEventID: auditEventID)
        return (try save(run), warnings)
    }

    var featureKindKey: String {
        let f = options.imageFeatures
        return "\(EvidenceEngine.featureKind):\(f.x0),\(f.x1),\(f.y0),\(f.y1):\(f.cellsAcross)x\(f.cellsDown)x\(f.bins)"
    }

    enum Extraction: Sendable {
        case success([Float])
        case failure(String)
    }

    /// Decodes and extracts on all cores; nil entries were skipped by cancellation.
    func extract(_ files: [FileStamp], decoder: ImageDecoder, features: HOGFeatures, progress: ProgressHandler?,
                 isCancelled: (@Sendable () -> Bool)?) -> [Extraction?] {
        var out = [Extraction?](repeating: nil, count: files.count)
        let shared = UncheckedSendable(out.withUnsafeMutableBufferPointer { $0.baseAddress! })
        let counter = WorkCounter(limit: files.count)
        let total = files.count
        DispatchQueue.concurrentPerform(iterations: max(1, min(ProcessInfo.processInfo.activeProcessorCount, total))) { _ in
            while let i = counter.next() {
                if isCancelled?() == true { return }
                do {
                    let image = try decoder(files[i].path)
                    shared.value[i] = .success(features.extract(image))
                } catch {
                    shared.value[i] = .failure(String(describing: error))
                }
                let done = counter.finishOne()
                if let progress, done % 16 == 0 || done == total {
                    progress(EvidenceProgress(stage: .imageFeatures, fraction: Double(done) / Double(total),
                                              message: "image features \(done)/\(total)"))
                }
            }
        }
        return out
    }

    // MARK: neighbours

    /// The cached all-pairs graph for this dataset, metric and k, if any.
    public func cachedNeighbours() throws(EvidenceError) -> CachedNeighbours? {
        do throws(CacheStoreError) {
            return try cache.neighbours(fingerprint: fingerprint, metric: options.metric, k: options.neighbourCount)
        } catch {
            throw .cache(error)
        }
    }

    /// Computes (and caches) the all-pairs graph. O(rows² · dim / cores).
    public func computeNeighbours(progress: ProgressHandler? = nil,
                                  isCancelled: (@Sendable () -> Bool)? = nil) throws(EvidenceError) -> CachedNeighbours {
        let index = NeighbourIndex(dataset.latents, metric: options.metric)
        progress?(EvidenceProgress(stage: .neighbours, fraction: 0, message: "neighbours: all pairs"))
        guard let graph = index.allPairs(k: options.neighbourCount, progress: fractions(progress, .neighbours, "neighbours: all pairs"),
                                         isCancelled: isCancelled) else { throw .cancelled }
        let cached = CachedNeighbours(graph: graph, distances: DistanceDistribution(index: index))
        do throws(CacheStoreError) { try cache.saveNeighbours(fingerprint: fingerprint, cached) } catch { throw .cache(error) }
        return cached
    }

    /// Starts the all-pairs job on a background thread (large sets); `job.wait()` or the
    /// completion gives the graph, `job.cancel()` stops it.
    public func startNeighbourJob(progress: ProgressHandler? = nil,
                                  completion: @escaping @Sendable (Result<CachedNeighbours, EvidenceError>) -> Void) -> BackgroundJob {
        BackgroundJob.start { [self] job in
            let result: Result<CachedNeighbours, EvidenceError>
            do throws(EvidenceError) {
                result = .success(try computeNeighbours(progress: progress, isCancelled: { job.isCancelled }))
            } catch {
                result = .failure(error)
            }
            completion(result)
        }
    }

    /// A neighbour as shown beside a face: id, distance, and where that distance falls among
    /// all pairwise distances (percent of pairs that are closer).
    public struct NeighbourEntry: Sendable, Equatable, Codable {
        public let id: String
        public let row: Int
        public let distance: Float
        public let percentile: Double
        /// nil for test rows.
        public let label: UInt8?
        /// How many pairs the percentile was measured on.
        public let pairsMeasured: Int

        /// Share (0...1) of all pairs that are closer.
        public var closerShare: Double { percentile / 100 }
    }

    /// The k nearest neighbours of one row: from `graph` (the all-pairs graph) when it holds
    /// k per row, else one exact query, O(rows · dim / cores). Percentiles come from the
    /// graph's distance sample, else the cached one, else a fresh one.
    public func nearest(toRow row: Int, k: Int, graph: CachedNeighbours? = nil) -> [NeighbourEntry] {
        guard k > 0 else { return [] }
        if let graph, graph.graph.k >= k {
            return graph.graph.neighbours(of: row).prefix(k).map { n in
                NeighbourEntry(id: dataset.ids[n.row], row: n.row, distance: n.distance,
                               percentile: graph.distances.percentile(of: n.distance), label: dataset.label(of: n.row),
                               pairsMeasured: graph.distances.pairCount)
            }
        }
        let (index, distribution) = lazyIndex.withLock { built in
            if let built { return built }
            let index = NeighbourIndex(dataset.latents, metric: options.metric)
            // Before the graph job has run: a quick 20,000-pair sample (this runs on the caller's
            // thread, often the UI's); the graph job's million-pair one replaces it.
            let made = (index, graph?.distances ?? (try? cachedNeighbours())??.distances
                ?? DistanceDistribution(index: index, pairs: 20_000))
            built = made
            return made
        }
        return index.nearest(toRow: row, k: k).map { n in
            NeighbourEntry(id: dataset.ids[n.row], row: n.row, distance: n.distance,
                           percentile: distribution.percentile(of: n.distance), label: dataset.label(of: n.row),
                           pairsMeasured: distribution.pairCount)
        }
    }

    // MARK: helpers

    func fractions(_ handler: ProgressHandler?, _ stage: EvidenceProgress.Stage, _ message: String) -> (@Sendable (Double) -> Void)? {
        guard let handler else { return nil }
        return { fraction in handler(EvidenceProgress(stage: stage, fraction: fraction, message: message)) }
    }

    /// Train metrics of probabilities keyed by id (rows without a prediction are left out).
    func trainMetrics(_ probabilities: [String: Double]) -> ModelMetrics? {
        var p: [Double] = [], y: [UInt8] = []
        for row in 0 ..< dataset.trainCount {
            if let value = probabilities[dataset.ids[row]] { p.append(value); y.append(dataset.labels[row]) }
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
