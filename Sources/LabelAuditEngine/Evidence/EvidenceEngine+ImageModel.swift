import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// The image model: HOG features of each JPEG's eye band, extracted on both cores and cached
/// per file, then a nested out-of-fold fit.
extension EvidenceEngine {
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

    func imageInputs(labels: [UInt8]?, trainRows: [Int]?, outOfFold: OutOfFoldOptions?, predictLeftOutTrainRows: Bool)
        -> ImageInputs
    {
        let labels = labels ?? dataset.labels
        let protocolOptions = outOfFold ?? options.outOfFold
        let rows = trainRows ?? Array(0..<dataset.trainCount)
        let stamps: [FileStamp?] = dataset.imagePaths.map { $0.flatMap { FileStamp(path: $0) } }
        // Keyed by the files (path, size, mtime), not by which of them decoded: a warm start
        // finds the run without reading a single feature vector.
        var key = Fingerprint()
        key.add(
            "image|v\(CachedRunVersion.image)|\(options.imageFeatures)|\(fingerprint)|\(Self.key(protocolOptions))\(predictLeftOutTrainRows ? "|left-out" : "")"
        )
        for stamp in stamps { key.add(stamp.map { "\($0.path)|\($0.size)|\($0.modified)" } ?? "-") }
        key.add(labels)
        key.add(rows.sorted())
        return ImageInputs(
            labels: labels, protocolOptions: protocolOptions, rows: Set(rows), stamps: stamps,
            predictLeftOutTrainRows: predictLeftOutTrainRows, key: key.hex)
    }

    /// The built-in image model: eye-band features of every image (cached per file; only new or
    /// changed files are decoded, band only, one decoder per core), then the out-of-fold
    /// logistic regression. Rows without a readable image get no prediction. Returns nil when
    /// no train row has an image.
    package func imageRun(
        labels: [UInt8]? = nil, trainRows: [Int]? = nil, parentRunID: Int64? = nil,
        auditEventID: String? = nil, name: String = EvidenceEngine.imageRunName,
        outOfFold: OutOfFoldOptions? = nil, predictLeftOutTrainRows: Bool = false,
        progress: ProgressHandler? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws(EvidenceError) -> (ModelRun?, [String]) {
        guard let reader = options.imageReader else { return (nil, ["image model: no image decoder in this build"]) }
        let inputs = imageInputs(
            labels: labels, trainRows: trainRows, outOfFold: outOfFold, predictLeftOutTrainRows: predictLeftOutTrainRows)
        if let (cached, warnings) = try cachedImageRun(inputs, name: name, reader: reader) { return (cached, warnings) }
        return try computeImageRun(
            inputs, name: name, reader: reader, parentRunID: parentRunID, auditEventID: auditEventID,
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
        for row in 0..<dataset.count where inputs.inScope(row, trainCount: dataset.trainCount) {
            guard let stamp = inputs.stamps[row], run.probabilities[dataset.ids[row]] == nil, seen.insert(stamp.path).inserted
            else { continue }
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
            warnings.append(
                "image model: \(failures.count) image(s) could not be read and get no image prediction, e.g. \(first): \(failures[first]!)"
            )
        } else {
            let missingImages = (0..<dataset.trainCount).filter { inputs.stamps[$0] == nil }.count
            if missingImages > 0 {
                warnings.append("image model: \(missingImages) train row(s) have no image and get no image prediction")
            }
        }
        return warnings
    }

    func computeImageRun(
        _ inputs: ImageInputs, name: String, reader: ImageReader, parentRunID: Int64?, auditEventID: String?,
        progress: ProgressHandler?, isCancelled: (@Sendable () -> Bool)?
    ) throws(EvidenceError) -> (ModelRun?, [String]) {
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
                if let message = extracted.failures[i] {
                    failures[stamp.path] = message
                    continue
                }
                freshIndex[stamp] = i
                vectors.append((stamp, Array(extracted.values[i * dim..<(i + 1) * dim])))
            }
            do throws(CacheStoreError) {
                try cache.saveFeatures(kind: featureKindKey, version: HOGFeatures.version, vectors)
            } catch { throw .cache(error) }
        }
        // One matrix of the rows that have features, in row order.
        var localRows: [Int] = []
        for row in 0..<dataset.count {
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
        if let reason = OutOfFold.unfittableReason(
            labels: localTrain.map { localLabels[$0] },
            rows: "training rows with a readable image")
        {
            return (
                unfittableRun(
                    name: name, source: .image, reason: reason, trainRows: localTrain.count, key: inputs.key,
                    parentRunID: parentRunID, auditEventID: auditEventID), warnings
            )
        }
        let matrix = LatentMatrix(rows: localRows.count, dim: dim, values: values)
        values = []
        progress?(EvidenceProgress(stage: .imageModel, fraction: 0, message: "image model: out-of-fold fit"))
        let result: OutOfFoldResult
        do {
            result = try OutOfFold.run(
                matrix, trainRows: localTrain, labels: localLabels, otherRows: localOther,
                options: inputs.protocolOptions,
                progress: fractions(progress, .imageModel, "image model"), isCancelled: isCancelled)
        } catch {
            throw .cancelled
        }
        let run = builtInRun(
            name: name, source: .image, result: result, localToRow: { localRows[$0] }, labels: localLabels,
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
    func extractFeatures(
        _ files: [FileStamp], reader: ImageReader, progress: ProgressHandler?,
        isCancelled: (@Sendable () -> Bool)?
    ) -> (values: [Float], failures: [String?], cancelled: Bool) {
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
                if isCancelled?() == true {
                    stopped.cancel()
                    return
                }
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
                    progress(
                        EvidenceProgress(
                            stage: .imageFeatures, fraction: Double(done) / Double(total),
                            message: "image features \(done)/\(total)"))
                }
            }
        }
        return (values, failures, stopped.isCancelled)
    }
}
