import Foundation
import LabelAuditCore

/// What a generation produced, for the command's closing line.
public struct DemoSummary: Sendable, Equatable {
    public let trainCount: Int
    public let testCount: Int
    public let labelledGlasses: Int
    public let flippedTrain: Int
    public let out: String
    public let truth: String
}

/// Writes the demo dataset to disk: CSVs, one JPEG per face (rendered on all cores), and the
/// truth in its own folder.
public enum DemoGenerator {
    /// The folder the truth goes to when `--truth` is not given: `<out>-truth`, beside `out`.
    package static func defaultTruthFolder(for out: String) -> String {
        var path = out
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path + "-truth"
    }

    /// Generates into `out` (created if missing). An existing `out` is accepted only when it is
    /// empty or holds nothing but an earlier demo (plus the app's own sqlite files), so no one's
    /// data is ever overwritten; stale `face-N.jpg` beyond the new count are removed.
    ///
    /// Complexity: O(n · (W·H + dim)); the pictures dominate and run on `workers` threads.
    public static func generate(
        _ options: DemoOptions, out: String, truth: String? = nil,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws(DemoError) -> DemoSummary {
        try options.validate()
        let truthPath = truth ?? defaultTruthFolder(for: out)
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        let truthURL = URL(fileURLWithPath: truthPath).standardizedFileURL
        if truthURL.path == outURL.path || truthURL.path.hasPrefix(outURL.path + "/") {
            throw .truthInsideOutput(truth: truthPath, out: out)
        }
        try prepareFolder(outURL, allowed: ["train.csv", "test.csv", "sample_submission.csv"], allowsImages: true)
        try prepareFolder(truthURL, allowed: ["truth.csv"], allowsImages: false)
        let imagesURL = outURL.appendingPathComponent("images")
        try createFolder(imagesURL)

        let plan = try DemoPlan(options: options)
        try writeImages(plan, to: imagesURL, workers: max(1, workers))
        try removeStaleImages(in: imagesURL, keepingUpTo: options.faceCount)
        try write(DemoFiles.trainCSV(plan), to: outURL.appendingPathComponent("train.csv"))
        try write(DemoFiles.testCSV(plan), to: outURL.appendingPathComponent("test.csv"))
        try write(DemoFiles.sampleSubmissionCSV(plan), to: outURL.appendingPathComponent("sample_submission.csv"))
        try write(DemoFiles.truthCSV(plan), to: truthURL.appendingPathComponent("truth.csv"))

        let train = plan.faces.filter(\.isTrain)
        return DemoSummary(
            trainCount: options.trainCount, testCount: options.testCount,
            labelledGlasses: train.filter { $0.label == 1 }.count,
            flippedTrain: train.filter(\.flipped).count, out: out, truth: truthPath)
    }

    static func writeImages(_ plan: DemoPlan, to folder: URL, workers: Int) throws(DemoError) {
        let next = WorkCounter(limit: plan.faces.count)
        let firstError = Locked<DemoError?>(nil)
        DispatchQueue.concurrentPerform(iterations: min(workers, plan.faces.count)) { _ in
            var renderer = FaceRenderer(size: plan.options.size)
            // After a failure the remaining faces are skipped.
            while firstError.load() == nil, let index = next.next() {
                let face = plan.faces[index]
                do throws(DemoError) {
                    let bytes = try DemoFiles.jpeg(plan, face: face, renderer: &renderer)
                    try write(bytes, to: folder.appendingPathComponent(DemoFiles.imageName(id: face.id)))
                } catch {
                    firstError.withLock { first in if first == nil { first = error } }
                }
            }
        }
        if let error = firstError.load() { throw error }
    }

    static func prepareFolder(_ url: URL, allowed: Set<String>, allowsImages: Bool) throws(DemoError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .cannotCreateFolder(url.path, reason: "a file with that name is in the way")
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for entry in entries {
                if allowed.contains(entry) || entry.hasPrefix("labelaudit.sqlite") || entry == ".DS_Store" { continue }
                if allowsImages && entry == "images" && isDemoImageFolder(url.appendingPathComponent(entry)) { continue }
                throw .outputNotEmpty(url.path)
            }
        } else {
            try createFolder(url)
        }
    }

    static func isDemoImageFolder(_ url: URL) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return false }
        return entries.allSatisfy { demoImageID($0) != nil || $0 == ".DS_Store" }
    }

    static func demoImageID(_ name: String) -> Int? {
        guard name.hasPrefix("face-"), name.hasSuffix(".jpg") else { return nil }
        return Int(name.dropFirst(5).dropLast(4))
    }

    static func createFolder(_ url: URL) throws(DemoError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreateFolder(url.path, reason: explainUncreatable(url))
        }
    }

    /// Says why a folder cannot be made, from the first ancestor that exists.
    static func explainUncreatable(_ url: URL) -> String {
        var ancestor = url
        while ancestor.path != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
                if !isDirectory.boolValue { return "\(ancestor.path) is a file, not a folder" }
                if !FileManager.default.isWritableFile(atPath: ancestor.path) { return "\(ancestor.path) is not writable" }
                return "the system refused"
            }
            ancestor.deleteLastPathComponent()
        }
        return "no part of the path exists"
    }

    static func removeStaleImages(in folder: URL, keepingUpTo count: Int) throws(DemoError) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for entry in entries {
            if let id = demoImageID(entry), id > count {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(entry))
            }
        }
    }

    static func write(_ bytes: [UInt8], to url: URL) throws(DemoError) {
        do {
            try Data(bytes).write(to: url)
        } catch {
            throw .cannotWrite(url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
