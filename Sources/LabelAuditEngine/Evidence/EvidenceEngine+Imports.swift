import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore

/// Imported predictions: a CSV of p per id becomes a model run, its out-of-fold status remembered
/// by the file's content.
extension EvidenceEngine {
    /// Reads a predictions CSV as a run (reused from the cache while file and labels are unchanged).
    package func importedRun(_ item: ImportedPredictions) throws(EvidenceError) -> ModelRun {
        let stamp = FileStamp(path: item.url.path)
        // Whether the file is out of fold is said once (--oof) and remembered with the run,
        // keyed by the file's content: the same predictions later get the same weight.
        let content = Self.contentKey(item.url)
        var outOfFold = item.outOfFold
        if outOfFold == nil { outOfFold = try rememberedOutOfFold(content: content) }
        var key = Fingerprint()
        key.add(
            "imported|\(item.url.standardizedFileURL.path)|\(stamp?.size ?? -1)|\(stamp?.modified ?? -1)|\(String(describing: outOfFold))|\(item.name)|\(labelsKey)|\(fingerprint)"
        )
        if let cached = try cachedRun(name: item.name, key: key.hex) { return cached }
        let file: PredictionsFile
        do throws(DatasetError) {
            file = try PredictionsFile.read(item.url, knownIDs: Set(dataset.ids))
        } catch {
            throw .predictions(error)
        }
        let metrics = trainMetrics(file.probabilities)
        let run = ModelRun(
            name: item.name, source: .imported,
            parameters: [
                "file": item.url.path, "column": file.column,
                "rows": String(file.probabilities.count), "content": content ?? "-",
            ],
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
}
