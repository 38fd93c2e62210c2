import Foundation
import LabelAuditCore
import LabelAuditStore

/// The team's own classifier as a rerun model: a baseline on the provided labels, then the
/// rerun on the corrected ones, each reused from the cache while its inputs are unchanged.
extension Rerun {
    /// A command's run on the provided labels: the "before" of every rerun of that command.
    package static let commandBaselineName = "command"
    /// A command's run on the corrected labels.
    package static let commandRerunName = "command-rerun"

    /// The cache key of a command run: the command line, the dataset (ids, split, latents), every
    /// image file sent (path, size, modification time), every word of the command that names a
    /// file (the script, its weights), and the labels sent. The same key means the command
    /// would be sent the same bytes and run the same files, so its stored run is reused.
    /// O(train rows) `stat` calls.
    static func commandKey(engine: EvidenceEngine, command: String, words: [String], labels: [UInt8?]) -> String {
        let dataset = engine.dataset
        var key = Fingerprint()
        key.add("command|v\(CachedRunVersion.command)|\(command)|\(engine.fingerprint)")
        for word in words {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: word, isDirectory: &isFolder), !isFolder.boolValue,
                let stamp = FileStamp(path: word)
            else { continue }
            key.add("file|\(URL(fileURLWithPath: word).standardizedFileURL.path)|\(stamp.size)|\(stamp.modified)")
        }
        for row in 0..<dataset.trainCount {
            if let path = dataset.imagePaths[row], let stamp = FileStamp(path: path) {
                key.add("\(path)|\(stamp.size)|\(stamp.modified)")
            } else {
                key.add("\(dataset.imagePaths[row] ?? "")|none")
            }
        }
        key.add(labels.map { $0 ?? 255 })
        return key.hex
    }

    /// Baseline (reused or run now), then the rerun (reused or run now). A failed or cancelled
    /// command run is stored as failed; cancellation throws.
    static func retrainCommand(
        engine: EvidenceEngine, command: String, corrections: Corrections, auditEventID: String?,
        log: URL, options: ExternalModelOptions, progress: @escaping @Sendable (Double, String) -> Void,
        isCancelled: (@Sendable () -> Bool)?
    ) throws(RerunError) -> ModelRerun {
        let words: [String]
        do throws(ShellWordsError) { words = try ShellWords.split(command) } catch { throw .command(error) }
        let dataset = engine.dataset
        let model = RerunModel.command(command)

        // 1. The baseline on the provided labels.
        let providedLabels = (0..<dataset.trainCount).map { Optional(dataset.labels[$0]) }
        let baselineKey = commandKey(engine: engine, command: command, words: words, labels: providedLabels)
        let baseline: ModelRun
        let baselineReused: Bool
        if let stored = try cachedRun(engine: engine, name: commandBaselineName, key: baselineKey) {
            baseline = stored
            baselineReused = true
        } else {
            var run = commandRun(
                engine: engine, words: words, command: command, labels: providedLabels, name: commandBaselineName,
                key: baselineKey, parentRunID: nil, auditEventID: nil,
                parameters: ["labels": "provided (baseline)"], log: log, options: options,
                stage: "baseline on the provided labels",
                progress: { progress(0.5 * $0, $1) }, isCancelled: isCancelled)
            // Said as what it was: the baseline failed, so the rerun did not run.
            if let failure = run.failure, !isCancelledFailure(failure) {
                run.failure = "baseline on the provided labels: \(failure)"
            }
            let stored = try save(engine: engine, run)
            if isCancelledFailure(stored.failure) { throw .cancelled }
            if stored.failure != nil {
                return ModelRerun(model: model, parent: nil, run: stored, reused: false, baselineReused: false, comparison: nil)
            }
            baseline = stored
            baselineReused = false
        }

        // 2. The rerun on the corrected labels.
        let sent = corrections.labelsSent
        let rerunKey = commandKey(engine: engine, command: command, words: words, labels: sent)
        if let stored = try cachedRun(engine: engine, name: commandRerunName, key: rerunKey) {
            return ModelRerun(
                model: model, parent: baseline, run: stored, reused: true, baselineReused: baselineReused,
                comparison: nil)
        }
        let start = baselineReused ? 0.0 : 0.5
        let run = commandRun(
            engine: engine, words: words, command: command, labels: sent, name: commandRerunName,
            key: rerunKey, parentRunID: baseline.id, auditEventID: auditEventID,
            parameters: corrections.runParameters, log: log, options: options, stage: "rerun on the corrected labels",
            progress: { progress(start + (1 - start) * $0, $1) }, isCancelled: isCancelled)
        let stored = try save(engine: engine, run)
        if isCancelledFailure(stored.failure) { throw .cancelled }
        return ModelRerun(
            model: model, parent: baseline, run: stored, reused: false, baselineReused: baselineReused, comparison: nil)
    }

    static func isCancelledFailure(_ failure: String?) -> Bool {
        failure == "cancelled" || (failure?.hasPrefix("cancelled;") ?? false)
    }

    static func cachedRun(engine: EvidenceEngine, name: String, key: String) throws(RerunError) -> ModelRun? {
        do throws(CacheStoreError) { return try engine.cache.latestRun(name: name, inputKey: key) } catch {
            throw .evidence(.cache(error))
        }
    }

    static func save(engine: EvidenceEngine, _ run: ModelRun) throws(RerunError) -> ModelRun {
        do throws(CacheStoreError) { return try engine.cache.save(run) } catch { throw .evidence(.cache(error)) }
    }

    /// Sends every train row to the command with `labels` (nil: left out of training, sent as
    /// null) and collects its answers into a run (not yet saved).
    static func commandRun(
        engine: EvidenceEngine, words: [String], command: String, labels: [UInt8?], name: String, key: String,
        parentRunID: Int64?, auditEventID: String?, parameters: [String: String], log: URL,
        options: ExternalModelOptions, stage: String, progress: @escaping @Sendable (Double, String) -> Void,
        isCancelled: (@Sendable () -> Bool)?
    ) -> ModelRun {
        let dataset = engine.dataset
        let inputs = (0..<dataset.trainCount).map { row in
            ExternalModelInput(id: dataset.ids[row], image: dataset.imagePaths[row], label: labels[row])
        }
        progress(0, "rerun: starting \(TerminalSafeText.sanitized(words[0])) (\(stage))")
        let outcome = ExternalModel.run(
            arguments: words, inputs: inputs, logURL: log, options: options,
            progress: { done, total in
                progress(Double(done) / Double(max(1, total)), "rerun: model answered \(done)/\(total) (\(stage))")
            }, isCancelled: isCancelled)
        var all = parameters
        all["command"] = command
        all["log"] = log.path
        all["rows sent"] = String(inputs.count)
        all["answered"] = String(outcome.probabilities.count)
        all["seconds"] = String(format: "%.2f", outcome.elapsed)
        return ModelRun(
            name: name, source: .command, parameters: all,
            metrics: outcome.failure == nil ? engine.trainMetrics(outcome.probabilities) : nil,
            outOfFold: nil, probabilities: outcome.probabilities, parentRunID: parentRunID, auditEventID: auditEventID,
            datasetFingerprint: engine.fingerprint, inputKey: key, failure: outcome.failure)
    }

    /// `labelaudit-cache.sqlite` -> `labelaudit-cache-models.log`, beside it.
    package static func defaultLogURL(cache: URL) -> URL {
        let base = cache.deletingPathExtension().lastPathComponent
        return cache.deletingLastPathComponent().appendingPathComponent("\(base)-models.log")
    }
}
