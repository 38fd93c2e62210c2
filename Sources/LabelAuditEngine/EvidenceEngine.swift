import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// Decodes an image file into whole pixels (tests, other formats); the real image model reads
/// only the eye band of each JPEG (`ImageReader.jpegBand`).
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

/// How the image model reads pictures.
public enum ImageReader: Sendable {
    /// The real one: only the eye band of each JPEG is decoded, at the feature resolution, by one
    /// reusable decoder per core (`EyeBandFeatureExtractor`).
    case jpegBand
    /// Any whole-picture decoder (tests, other formats); the band is cut out afterwards.
    case decoder(ImageDecoder)
}

/// What to compute and how.
public struct EvidenceOptions: Sendable {
    public var neighbourCount: Int
    public var metric: DistanceMetric
    public var outOfFold: OutOfFoldOptions
    public var imports: [ImportedPredictions]
    /// nil: no image model.
    public var imageReader: ImageReader?
    /// The face region and grid the image model looks at.
    public var imageFeatures: HOGFeatures
    /// Above this many rows the all-pairs neighbour search is left to a later call of
    /// `computeNeighbours` (the app runs it in the background) instead of blocking the first
    /// ranking; single queries stay available.
    public var backgroundNeighboursAbove: Int
    /// Neighbours computed elsewhere (`--neighbours FILE`: id, neighbour id, distance), used
    /// instead of the all-pairs search.
    public var neighboursFile: URL?

    public init(neighbourCount: Int = 10, metric: DistanceMetric = .cosine, outOfFold: OutOfFoldOptions = OutOfFoldOptions(),
                imports: [ImportedPredictions] = [], decoder: ImageDecoder? = nil, imageReader: ImageReader? = nil,
                imageFeatures: HOGFeatures = .eyeBand, backgroundNeighboursAbove: Int = 20_000, neighboursFile: URL? = nil) {
        self.neighbourCount = neighbourCount
        self.metric = metric
        self.outOfFold = outOfFold
        self.imports = imports
        self.imageReader = imageReader ?? decoder.map { .decoder($0) }
        self.imageFeatures = imageFeatures
        self.backgroundNeighboursAbove = backgroundNeighboursAbove
        self.neighboursFile = neighboursFile
    }

    /// A whole-picture decoder for the image model's pictures (nil: no image model). For
    /// `.jpegBand` it is the JPEG decoder at the feature resolution (reruns and tools that want
    /// whole pictures); the image model itself never decodes more than the band.
    public var decoder: ImageDecoder? {
        get {
            switch imageReader {
            case nil: return nil
            case .decoder(let decoder): return decoder
            case .jpegBand:
                let side = imageFeatures.faceSide
                return { path in try JPEGDecoder.decode(path: path, covering: (width: side, height: side)) }
            }
        }
        set { imageReader = newValue.map { .decoder($0) } }
    }
}

/// The order in which evidence arrives. Every stage is a complete ranking of what is known.
public enum EvidenceStage: Int, Sendable, Comparable, CaseIterable {
    /// Imported predictions, the latent model and (up to `backgroundNeighboursAbove` rows) the
    /// neighbour graph: about a second on 5,000 faces.
    case latent
    /// Everything, the image model included.
    case complete

    public static func < (a: EvidenceStage, b: EvidenceStage) -> Bool { a.rawValue < b.rawValue }
}

/// Where the engine is, for progress displays.
public struct EvidenceProgress: Sendable, Equatable {
    public enum Stage: String, Sendable {
        case latentModel, imageFeatures, imageModel, neighbours, ranking
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
    /// The `--neighbours` file is unreadable or wrong (file, line, what to do).
    case neighbours(DatasetError)
    case noTrainRows

    public var description: String {
        switch self {
        case .cancelled: return "cancelled"
        case .cache(let e): return e.description
        case .predictions(let e): return e.description
        case .neighbours(let e): return e.description
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
    /// What this ranking knows: `.latent` before the image model has landed.
    public var stage: EvidenceStage = .complete

    public var isComplete: Bool { stage == .complete }
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
    /// The `--neighbours` file, read on first use.
    private let imported = Locked<CachedNeighbours?>(nil)

    /// `importedNeighbours`: the `neighboursFile` already read (`readNeighbours`), so a caller
    /// can refuse a bad file before it opens anything.
    public init(dataset: Dataset, cache: CacheStore, options: EvidenceOptions = EvidenceOptions(),
                importedNeighbours: CachedNeighbours? = nil) {
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
    public func evidence(through last: EvidenceStage = .complete, progress: ProgressHandler? = nil,
                         isCancelled: (@Sendable () -> Bool)? = nil,
                         onStage: (@Sendable (Evidence) -> Void)? = nil) throws(EvidenceError) -> Evidence {
        guard dataset.trainCount > 0 else { throw .noTrainRows }
        // A bad neighbours file fails before any model is fitted.
        if options.neighboursFile != nil { _ = try importedNeighbours() }
        var warnings: [String] = []
        var runs: [ModelRun] = []
        for item in options.imports {
            let run = try importedRun(item)
            if run.outOfFold == nil {
                warnings.append("predictions '\(run.name)': not known to be out of fold; in-sample predictions hide label errors (pass --oof if they are), counted at half weight")
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
            let result = ranked(runs: runs + [cached], neighbours: neighbours, warnings: warnings + imageWarnings, stage: .complete, progress: progress)
            onStage?(result)
            return result
        }
        let first = ranked(runs: runs, neighbours: neighbours, warnings: warnings, stage: .latent, progress: progress)
        onStage?(first)
        if last == .latent { return first }
        let (image, imageWarnings) = try imageRun(progress: progress, isCancelled: isCancelled)
        if let image { runs.append(image) }
        let result = ranked(runs: runs, neighbours: neighbours, warnings: warnings + imageWarnings, stage: .complete, progress: progress)
        onStage?(result)
        return result
    }

    private func ranked(runs: [ModelRun], neighbours: CachedNeighbours?, warnings: [String], stage: EvidenceStage,
                        progress: ProgressHandler?) -> Evidence {
        // A model that could not be fitted is missing evidence: said, and ranked without.
        var warnings = warnings
        for run in runs {
            if let failure = run.failure { warnings.append(Self.missingWarning(run.name, failure)) }
        }
        progress?(EvidenceProgress(stage: .ranking, fraction: 0, message: "ranking"))
        var result = rank(runs: runs, neighbours: neighbours, warnings: warnings)
        result.stage = stage
        progress?(EvidenceProgress(stage: .ranking, fraction: 1, message: stage == .complete ? "ranked" : "ranked without the image model"))
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
        // Whether the file is out of fold is said once (--oof) and remembered with the run,
        // keyed by the file's content: the same predictions later get the same weight.
        let content = Self.contentKey(item.url)
        var outOfFold = item.outOfFold
        if outOfFold == nil { outOfFold = try rememberedOutOfFold(content: content) }
        var key = Fingerprint()
        key.add("imported|\(item.url.standardizedFileURL.path)|\(stamp?.size ?? -1)|\(stamp?.modified ?? -1)|\(String(describing: outOfFold))|\(item.name)|\(labelsKey)|\(fingerprint)")
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
                                        "rows": String(file.probabilities.count), "content": content ?? "-"],
                           metrics: metrics, outOfFold: outOfFold, probabilities: file.probabilities,
                           datasetFingerprint: fingerprint, inputKey: key.hex)
        return try save(run)
    }

    /// What an earlier run said about the same file content (nil: nobody said).
    func rememberedOutOfFold(content: String?) throws(EvidenceError) -> Bool? {
        guard let content else { return nil }
        let runs: [ModelRun]
        do throws(CacheStoreError) { runs = try cache.runs(datasetFingerprint: fingerprint) } catch { throw .cache(error) }
        return runs.last { $0.source == .imported && $0.parameters["content"] == content && $0.outOfFold != nil }?.outOfFold
    }

    /// The file's content as a key (nil when it cannot be read: the import says why later).
    static func contentKey(_ url: URL) -> String? {
        guard let bytes = try? InputFile.readAll(url.path, limit: 1 << 30, what: "predictions file") else { return nil }
        var key = Fingerprint()
        key.add(bytes)
        return key.hex
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


    static func key(_ o: OutOfFoldOptions) -> String {
        return "folds=\(o.folds) inner=\(o.innerFolds) grid=\(o.grid) seed=\(o.seed)"
    }

    func builtInRun(name: String, source: ModelSource, result: OutOfFoldResult, localToRow: (Int) -> Int, labels: [UInt8],
                    trainRows: [Int], key: String, protocolOptions: OutOfFoldOptions, parentRunID: Int64?, auditEventID: String?) -> ModelRun {
        var probabilities: [String: Double] = [:], distances: [String: Double] = [:], folds: [String: Int] = [:]
        // Sized once: growing three 200,000-entry tables would hold old and new copies at once.
        probabilities.reserveCapacity(result.probabilities.count)
        distances.reserveCapacity(result.probabilities.count)
        folds.reserveCapacity(result.foldOfRow.count)
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

    /// What an image run is computed from.
    struct ImageInputs {
        let labels: [UInt8]
        let protocolOptions: OutOfFoldOptions
        let rows: Set<Int>
        let stamps: [FileStamp?]
        let predictLeftOutTrainRows: Bool
        let key: String

        /// Rows the run predicts: its train rows out of fold, the others by the full fit.
        func inScope(_ row: Int, trainCount: Int) -> Bool {
            row >= trainCount || rows.contains(row) || predictLeftOutTrainRows
        }
    }

    func imageInputs(labels: [UInt8]?, trainRows: [Int]?, outOfFold: OutOfFoldOptions?, predictLeftOutTrainRows: Bool) -> ImageInputs {
        let labels = labels ?? dataset.labels
        let protocolOptions = outOfFold ?? options.outOfFold
        let rows = trainRows ?? Array(0 ..< dataset.trainCount)
        let stamps: [FileStamp?] = dataset.imagePaths.map { $0.flatMap { FileStamp(path: $0) } }
        // Keyed by the files (path, size, mtime), not by which of them decoded: a warm start
        // finds the run without reading a single feature vector.
        var key = Fingerprint()
        key.add("image|v2|\(options.imageFeatures)|\(fingerprint)|\(Self.key(protocolOptions))\(predictLeftOutTrainRows ? "|left-out" : "")")
        for stamp in stamps { key.add(stamp.map { "\($0.path)|\($0.size)|\($0.modified)" } ?? "-") }
        key.add(labels)
        key.add(rows.sorted())
        return ImageInputs(labels: labels, protocolOptions: protocolOptions, rows: Set(rows), stamps: stamps,
                           predictLeftOutTrainRows: predictLeftOutTrainRows, key: key.hex)
    }

    /// The built-in image model: eye-band features of every image (cached per file; only new or
    /// changed files are decoded, band only, one decoder per core), then the out-of-fold
    /// logistic regression. Rows without a readable image get no prediction. Returns nil when
    /// no train row has an image.
    public func imageRun(labels: [UInt8]? = nil, trainRows: [Int]? = nil, parentRunID: Int64? = nil,
                         auditEventID: String? = nil, name: String = EvidenceEngine.imageRunName,
                         outOfFold: OutOfFoldOptions? = nil, predictLeftOutTrainRows: Bool = false,
                         progress: ProgressHandler? = nil,
                         isCancelled: (@Sendable () -> Bool)? = nil) throws(EvidenceError) -> (ModelRun?, [String]) {
        guard let reader = options.imageReader else { return (nil, ["image model: no image decoder in this build"]) }
        let inputs = imageInputs(labels: labels, trainRows: trainRows, outOfFold: outOfFold, predictLeftOutTrainRows: predictLeftOutTrainRows)
        if let (cached, warnings) = try cachedImageRun(inputs, name: name, reader: reader) { return (cached, warnings) }
        return try computeImageRun(inputs, name: name, reader: reader, parentRunID: parentRunID, auditEventID: auditEventID,
                                   progress: progress, isCancelled: isCancelled)
    }

    /// The default image run if the cache holds it for the files as they are now (nil
    /// otherwise, nothing computed): a stat per image and one query.
    func imageRunFromCache() throws(EvidenceError) -> (ModelRun, [String])? {
        guard let reader = options.imageReader else { return nil }
        let inputs = imageInputs(labels: nil, trainRows: nil, outOfFold: nil, predictLeftOutTrainRows: false)
        return try cachedImageRun(inputs, name: Self.imageRunName, reader: reader)
    }

    /// A cached run for `inputs`, with the warnings its unreadable images deserve: those files
    /// are read again (they are few) so the message says why; if one reads now, the run is stale.
    func cachedImageRun(_ inputs: ImageInputs, name: String, reader: ImageReader) throws(EvidenceError) -> (ModelRun, [String])? {
        guard let run = try cachedRun(name: name, key: inputs.key) else { return nil }
        var unread: [FileStamp] = []
        var seen = Set<String>()
        for row in 0 ..< dataset.count where inputs.inScope(row, trainCount: dataset.trainCount) {
            guard let stamp = inputs.stamps[row], run.probabilities[dataset.ids[row]] == nil, seen.insert(stamp.path).inserted else { continue }
            unread.append(stamp)
        }
        var failures: [String: String] = [:]
        if !unread.isEmpty {
            let retried = extractFeatures(unread, reader: reader, progress: nil, isCancelled: nil)
            for (i, stamp) in unread.enumerated() {
                guard let message = retried.failures[i] else { return nil }
                failures[stamp.path] = message
            }
        }
        return (run, imageWarnings(inputs, failures: failures))
    }

    /// Unreadable images (named, with the first reason), else train rows without an image file.
    func imageWarnings(_ inputs: ImageInputs, failures: [String: String]) -> [String] {
        var warnings: [String] = []
        if !failures.isEmpty {
            let first = failures.keys.sorted().first!
            warnings.append("image model: \(failures.count) image(s) could not be read and get no image prediction, e.g. \(first): \(failures[first]!)")
        } else {
            let missingImages = (0 ..< dataset.trainCount).filter { inputs.stamps[$0] == nil }.count
            if missingImages > 0 {
                warnings.append("image model: \(missingImages) train row(s) have no image and get no image prediction")
            }
        }
        return warnings
    }

    func computeImageRun(_ inputs: ImageInputs, name: String, reader: ImageReader, parentRunID: Int64?, auditEventID: String?,
                         progress: ProgressHandler?, isCancelled: (@Sendable () -> Bool)?) throws(EvidenceError) -> (ModelRun?, [String]) {
        let features = options.imageFeatures
        let dim = features.count
        let files = Array(Set(inputs.stamps.compactMap { $0 })).sorted { $0.path < $1.path }
        var cached: [FileStamp: [Float]]
        do throws(CacheStoreError) {
            cached = try cache.features(kind: featureKindKey, version: HOGFeatures.version, files: files)
        } catch {
            throw .cache(error)
        }
        let missing = files.filter { cached[$0] == nil }
        var fresh: (values: [Float], failures: [String?]) = ([], [])
        var freshIndex: [FileStamp: Int] = [:]
        var failures: [String: String] = [:]
        if !missing.isEmpty {
            let extracted = extractFeatures(missing, reader: reader, progress: progress, isCancelled: isCancelled)
            if isCancelled?() == true || extracted.cancelled { throw .cancelled }
            fresh = (extracted.values, extracted.failures)
            var vectors: [(FileStamp, [Float])] = []
            vectors.reserveCapacity(missing.count)
            for (i, stamp) in missing.enumerated() {
                if let message = extracted.failures[i] { failures[stamp.path] = message; continue }
                freshIndex[stamp] = i
                vectors.append((stamp, Array(extracted.values[i * dim ..< (i + 1) * dim])))
            }
            do throws(CacheStoreError) { try cache.saveFeatures(kind: featureKindKey, version: HOGFeatures.version, vectors) } catch { throw .cache(error) }
        }
        // One matrix of the rows that have features, in row order.
        var localRows: [Int] = []
        for row in 0 ..< dataset.count {
            guard let stamp = inputs.stamps[row] else { continue }
            if freshIndex[stamp] != nil || cached[stamp]?.count == dim { localRows.append(row) }
        }
        var values = [Float](repeating: 0, count: localRows.count * dim)
        values.withUnsafeMutableBufferPointer { out in
            fresh.values.withUnsafeBufferPointer { freshValues in
                for (local, row) in localRows.enumerated() {
                    let stamp = inputs.stamps[row]!
                    let target = out.baseAddress! + local * dim
                    if let i = freshIndex[stamp] {
                        target.update(from: freshValues.baseAddress! + i * dim, count: dim)
                    } else if let vector = cached[stamp] {
                        vector.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: dim) }
                    }
                }
            }
        }
        fresh = ([], [])
        cached = [:]
        let warnings = imageWarnings(inputs, failures: failures)
        let localTrain = localRows.indices.filter { localRows[$0] < dataset.trainCount && inputs.rows.contains(localRows[$0]) }
        let localOther = localRows.indices.filter {
            localRows[$0] >= dataset.trainCount || (inputs.predictLeftOutTrainRows && !inputs.rows.contains(localRows[$0]))
        }
        guard !localTrain.isEmpty else { return (nil, warnings + ["image model: no train row has a readable image"]) }
        let localLabels = localRows.map { $0 < dataset.trainCount ? inputs.labels[$0] : 0 }
        if let reason = OutOfFold.unfittableReason(labels: localTrain.map { localLabels[$0] },
                                                   rows: "training rows with a readable image") {
            return (unfittableRun(name: name, source: .image, reason: reason, trainRows: localTrain.count, key: inputs.key,
                                  parentRunID: parentRunID, auditEventID: auditEventID), warnings)
        }
        let matrix = LatentMatrix(rows: localRows.count, dim: dim, values: values)
        values = []
        progress?(EvidenceProgress(stage: .imageModel, fraction: 0, message: "image model: out-of-fold fit"))
        let result: OutOfFoldResult
        do {
            result = try OutOfFold.run(matrix, trainRows: localTrain, labels: localLabels, otherRows: localOther,
                                       options: inputs.protocolOptions,
                                       progress: fractions(progress, .imageModel, "image model"), isCancelled: isCancelled)
        } catch {
            throw .cancelled
        }
        let run = builtInRun(name: name, source: .image, result: result, localToRow: { localRows[$0] }, labels: localLabels,
                             trainRows: localTrain, key: inputs.key, protocolOptions: inputs.protocolOptions,
                             parentRunID: parentRunID, auditEventID: auditEventID)
        progress?(EvidenceProgress(stage: .imageModel, fraction: 1, message: "image model done"))
        return (try save(run), warnings)
    }

    var featureKindKey: String {
        "\(EvidenceEngine.featureKind):\(options.imageFeatures)"
    }

    /// Features of `files` on all cores. Each worker owns one `EyeBandFeatureExtractor` (a
    /// reusable band decoder, file buffer and scratch space) and writes each vector in place
    /// into one `files.count x features.count` buffer: nothing is allocated per image.
    /// `failures[i]` says why file i could not be read.
    func extractFeatures(_ files: [FileStamp], reader: ImageReader, progress: ProgressHandler?,
                         isCancelled: (@Sendable () -> Bool)?) -> (values: [Float], failures: [String?], cancelled: Bool) {
        let features = options.imageFeatures
        let dim = features.count
        var values = [Float](repeating: 0, count: files.count * dim)
        var failures = [String?](repeating: nil, count: files.count)
        let total = files.count
        let counter = WorkCounter(limit: total)
        let stopped = CancellationFlag()
        let out = UncheckedSendable(values.withUnsafeMutableBufferPointer { $0.baseAddress! })
        let failed = UncheckedSendable(failures.withUnsafeMutableBufferPointer { $0.baseAddress! })
        Parallelism.run(workers: max(1, min(Parallelism.workers, total))) { _ in
            let extractor = EyeBandFeatureExtractor(features: features)
            while let i = counter.next() {
                if isCancelled?() == true { stopped.cancel(); return }
                let target = UnsafeMutableBufferPointer(start: out.value + i * dim, count: dim)
                do {
                    switch reader {
                    case .jpegBand: try extractor.extract(jpegAt: files[i].path, into: target)
                    case .decoder(let decode): extractor.extract(image: try decode(files[i].path), into: target)
                    }
                } catch {
                    failed.value[i] = String(describing: error)
                }
                let done = counter.finishOne()
                if let progress, done % 64 == 0 || done == total {
                    progress(EvidenceProgress(stage: .imageFeatures, fraction: Double(done) / Double(total),
                                              message: "image features \(done)/\(total)"))
                }
            }
        }
        return (values, failures, stopped.isCancelled)
    }

    // MARK: neighbours

    /// The graph the ranking uses: the imported one (`neighboursFile`, its nearest
    /// `neighbourCount` per face) when given, else the cached all-pairs graph, if any.
    public func neighbourGraph() throws(EvidenceError) -> CachedNeighbours? {
        guard options.neighboursFile != nil else { return try cachedNeighbours() }
        let full = try importedNeighbours()
        let k = min(options.neighbourCount, full.graph.k)
        guard k < full.graph.k else { return full }
        let graph = full.graph
        var indices = [Int32](repeating: -1, count: graph.rows * k), distances = [Float](repeating: .infinity, count: graph.rows * k)
        for r in 0 ..< graph.rows {
            for slot in 0 ..< k {
                indices[r * k + slot] = graph.indices[r * graph.k + slot]
                distances[r * k + slot] = graph.distances[r * graph.k + slot]
            }
        }
        return CachedNeighbours(graph: NeighbourGraph(rows: graph.rows, k: k, metric: graph.metric, indices: indices, distances: distances),
                                distances: full.distances)
    }

    /// The whole `--neighbours` file as a graph (every neighbour it lists, up to
    /// `ImportedNeighbours.maximumPerFace` per face), with percentiles from a sample of latent
    /// pair distances. Read once per engine; O(file bytes + pairs).
    public func importedNeighbours() throws(EvidenceError) -> CachedNeighbours {
        guard let file = options.neighboursFile else { throw .neighbours(DatasetError(file: "--neighbours", problem: "no neighbours file given")) }
        if let done = imported.withLock({ $0 }) { return done }
        let made = try Self.readNeighbours(file, dataset: dataset, metric: options.metric)
        imported.withLock { $0 = made }
        return made
    }

    /// Reads a neighbours file for `dataset`, with percentiles from a sample of latent pair
    /// distances in `metric`. O(file bytes + pairs + 20,000 * dim).
    public static func readNeighbours(_ file: URL, dataset: Dataset, metric: DistanceMetric) throws(EvidenceError) -> CachedNeighbours {
        let graph: NeighbourGraph
        do throws(DatasetError) {
            graph = try ImportedNeighbours.read(file, ids: dataset.ids, metric: metric)
        } catch {
            throw .neighbours(error)
        }
        return CachedNeighbours(graph: graph, distances: DistanceDistribution(matrix: dataset.latents, metric: metric))
    }

    /// The cached all-pairs graph for this dataset, metric and k, if any.
    public func cachedNeighbours() throws(EvidenceError) -> CachedNeighbours? {
        do throws(CacheStoreError) {
            return try cache.neighbours(fingerprint: fingerprint, metric: options.metric, k: options.neighbourCount)
        } catch {
            throw .cache(error)
        }
    }

    /// Computes (and caches) the all-pairs graph. O(rows² · dim / cores).
    /// With an imported graph (`neighboursFile`) nothing is computed: that graph is returned.
    public func computeNeighbours(progress: ProgressHandler? = nil,
                                  isCancelled: (@Sendable () -> Bool)? = nil) throws(EvidenceError) -> CachedNeighbours {
        if options.neighboursFile != nil, let graph = try neighbourGraph() { return graph }
        let index = NeighbourIndex(dataset.latents, metric: options.metric)
        progress?(EvidenceProgress(stage: .neighbours, fraction: 0, message: "neighbours: all pairs"))
        guard let graph = index.allPairs(k: options.neighbourCount, progress: fractions(progress, .neighbours, "neighbours: all pairs"),
                                         isCancelled: isCancelled) else { throw .cancelled }
        let cached = CachedNeighbours(graph: graph, distances: DistanceDistribution(index: index))
        do throws(CacheStoreError) { try cache.saveNeighbours(fingerprint: fingerprint, cached) } catch { throw .cache(error) }
        return cached
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

    /// The k nearest neighbours of one row: an imported graph's (`--neighbours FILE`: as many as
    /// it lists, up to k), else `graph` (the all-pairs graph) when it holds k per row, else one
    /// exact query, O(rows · dim / cores). Percentiles come from the graph's distance sample,
    /// else the cached one, else a fresh one.
    public func nearest(toRow row: Int, k: Int, graph: CachedNeighbours? = nil) -> [NeighbourEntry] {
        guard k > 0 else { return [] }
        if options.neighboursFile != nil, let imported = try? importedNeighbours() {
            return imported.graph.neighbours(of: row).prefix(k).map { n in
                NeighbourEntry(id: dataset.ids[n.row], row: n.row, distance: n.distance,
                               percentile: imported.distances.percentile(of: n.distance), label: dataset.label(of: n.row),
                               pairsMeasured: imported.distances.pairCount)
            }
        }
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
