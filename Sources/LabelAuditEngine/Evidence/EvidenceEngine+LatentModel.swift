import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// The latent model: logistic regression on the 512 latents, out of fold. It learns the
/// generator's labelling rule (noise included), so it ranks only with little weight.
extension EvidenceEngine {
    /// The built-in latent model on the given labels and train rows (default: all train rows
    /// with their provided labels). Reruns pass corrected labels, a row subset, the parent and
    /// possibly other out-of-fold settings (`outOfFold`, e.g. the parent's C without a search).
    /// `predictLeftOutTrainRows`: train rows outside `trainRows` also get the full fit's
    /// prediction (they are held out of it), so a rerun can still show them.
    package func latentRun(
        labels: [UInt8]? = nil, trainRows: [Int]? = nil, parentRunID: Int64? = nil,
        auditEventID: String? = nil, name: String = EvidenceEngine.latentRunName,
        outOfFold: OutOfFoldOptions? = nil, predictLeftOutTrainRows: Bool = false,
        progress: ProgressHandler? = nil, isCancelled: (@Sendable () -> Bool)? = nil
    ) throws(EvidenceError) -> ModelRun {
        let labels = labels ?? dataset.labels
        let protocolOptions = outOfFold ?? options.outOfFold
        let rows = trainRows ?? Array(0..<dataset.trainCount)
        var key = Fingerprint()
        key.add(
            "latent|v\(CachedRunVersion.latent)|\(fingerprint)|\(Self.key(protocolOptions))\(predictLeftOutTrainRows ? "|left-out" : "")"
        )
        key.add(labels)
        key.add(rows)
        if let reason = OutOfFold.unfittableReason(labels: rows.map { labels[$0] }) {
            return unfittableRun(
                name: name, source: .latent, reason: reason, trainRows: rows.count, key: key.hex,
                parentRunID: parentRunID, auditEventID: auditEventID)
        }
        if let cached = try cachedRun(name: name, key: key.hex) { return cached }
        progress?(
            EvidenceProgress(
                stage: .latentModel, fraction: 0, message: "latent model: \(protocolOptions.folds)-fold out-of-fold fit"))
        let result: OutOfFoldResult
        do {
            let trained = Set(rows)
            let others =
                predictLeftOutTrainRows
                ? (0..<dataset.count).filter { !trained.contains($0) }
                : Array(dataset.trainCount..<dataset.count)
            result = try OutOfFold.run(
                dataset.latents, trainRows: rows, labels: labels,
                otherRows: others, options: protocolOptions,
                progress: fractions(progress, .latentModel, "latent model"), isCancelled: isCancelled)
        } catch {
            throw .cancelled
        }
        let run = builtInRun(
            name: name, source: .latent, result: result, localToRow: { $0 }, labels: labels, trainRows: rows,
            key: key.hex, protocolOptions: protocolOptions, parentRunID: parentRunID, auditEventID: auditEventID)
        progress?(EvidenceProgress(stage: .latentModel, fraction: 1, message: "latent model done"))
        return try save(run)
    }

    static func key(_ o: OutOfFoldOptions) -> String {
        return "folds=\(o.folds) inner=\(o.innerFolds) grid=\(o.grid) seed=\(o.seed)"
    }

    func builtInRun(
        name: String, source: ModelSource, result: OutOfFoldResult, localToRow: (Int) -> Int, labels: [UInt8],
        trainRows: [Int], key: String, protocolOptions: OutOfFoldOptions, parentRunID: Int64?, auditEventID: String?
    ) -> ModelRun {
        var probabilities: [String: Double] = [:]
        var distances: [String: Double] = [:]
        var folds: [String: Int] = [:]
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
        let metrics = ModelMetrics(
            probabilities: trainLocal.map { result.probabilities[$0]! },
            labels: trainLocal.map { labels[$0] })
        let cs = result.chosenC.map { String(format: "%g", $0) }.joined(separator: ",")
        return ModelRun(
            name: name, source: source,
            parameters: [
                "C per fold, then full fit": cs, "folds": String(protocolOptions.folds),
                "inner folds": String(protocolOptions.innerFolds),
                "train rows": String(trainRows.count),
            ],
            metrics: metrics, outOfFold: true, probabilities: probabilities, boundaryDistances: distances,
            folds: folds, parentRunID: parentRunID, auditEventID: auditEventID,
            datasetFingerprint: fingerprint, inputKey: key)
    }
}
