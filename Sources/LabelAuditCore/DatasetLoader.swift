import Foundation

/// Where a dataset is and how to read it. Defaults follow the competition's layout; every name
/// can be overridden because other datasets differ.
public struct DatasetOptions: Sendable {
    public var root: URL
    public var trainFile: URL?
    public var testFile: URL?
    public var idColumn: String?
    public var labelColumn: String?
    public var imageDirectory: URL?
    public var imagePattern: String?
    public var predictionFiles: [URL]

    public init(
        root: URL, trainFile: URL? = nil, testFile: URL? = nil, idColumn: String? = nil,
        labelColumn: String? = nil, imageDirectory: URL? = nil, imagePattern: String? = nil,
        predictionFiles: [URL] = []
    ) {
        self.root = root
        self.trainFile = trainFile
        self.testFile = testFile
        self.idColumn = idColumn
        self.labelColumn = labelColumn
        self.imageDirectory = imageDirectory
        self.imagePattern = imagePattern
        self.predictionFiles = predictionFiles
    }
}

/// Reads a dataset in the competition's shape: `train.csv` (id, latents, 0/1 label), an optional
/// `test.csv` (id, latents), `images/` with one JPEG per id, and prediction CSVs.
public enum DatasetLoader {
    /// Default image names, tried in order; `{id}` is replaced by the row's id.
    package static let defaultImagePatterns = ["face-{id}.jpg", "{id}.jpg"]

    /// O(file bytes + rows). Throws `DatasetError` (exit status 65, 66 for a missing file) on the
    /// first problem, naming file, line and column.
    public static func load(_ options: DatasetOptions) throws(DatasetError) -> Dataset {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let rootExists = fm.fileExists(atPath: options.root.path, isDirectory: &isDirectory)
        let root: URL
        var trainURL = options.trainFile
        if rootExists && !isDirectory.boolValue && options.root.pathExtension.lowercased() == "csv" && trainURL == nil {
            // A train file named directly.
            trainURL = options.root
            root = options.root.deletingLastPathComponent()
        } else {
            root = options.root
            if !rootExists {
                throw DatasetError(
                    file: options.root.path,
                    problem: "no such dataset folder; expected a folder with train.csv (and test.csv, images/)", exitCode: 66)
            }
        }
        let train = trainURL ?? root.appendingPathComponent("train.csv")
        guard fm.fileExists(atPath: train.path) else {
            throw DatasetError(
                file: train.path, problem: "no train.csv here; expected the training table (id, latent columns, 0/1 label)",
                exitCode: 66)
        }
        var test = options.testFile
        if test == nil {
            let candidate = root.appendingPathComponent("test.csv")
            if fm.fileExists(atPath: candidate.path) { test = candidate }
        } else if let t = test, !fm.fileExists(atPath: t.path) {
            throw DatasetError(file: t.path, problem: "no such test file", exitCode: 66)
        }

        var warnings: [String] = []
        var latents: [Float] = []
        let trainRows = try LatentTableReader.read(
            train, kind: .train(labelColumn: options.labelColumn),
            idColumn: options.idColumn, into: &latents)
        if !trainRows.schema.ignoredNames.isEmpty {
            warnings.append("\(shownName(train)): ignored non-numeric column(s): \(shownList(trainRows.schema.ignoredNames))")
        }
        var ids = trainRows.ids
        let dim = trainRows.schema.latentNames.count
        if let test {
            let testRows = try LatentTableReader.read(
                test, kind: .test(trainLatentNames: trainRows.schema.latentNames),
                idColumn: options.idColumn, into: &latents)
            if !testRows.schema.ignoredNames.isEmpty {
                let labelLike = testRows.schema.ignoredNames.filter {
                    LatentTableReader.labelCandidates.contains($0) || $0 == options.labelColumn
                }
                let others = testRows.schema.ignoredNames.filter { !labelLike.contains($0) }
                if !labelLike.isEmpty {
                    warnings.append(
                        "\(shownName(test)): ignored column(s) \(shownList(labelLike)): test rows are never given a label")
                }
                if !others.isEmpty {
                    warnings.append("\(shownName(test)): ignored column(s) not in \(shownName(train)): \(shownList(others))")
                }
            }
            var trainIndex = [String: Int](minimumCapacity: trainRows.ids.count)
            for (k, id) in trainRows.ids.enumerated() { trainIndex[id] = k }
            for (k, id) in testRows.ids.enumerated() where trainIndex[id] != nil {
                throw DatasetError(
                    file: test.path, line: Int(testRows.lines[k]), column: "'\(testRows.schema.idName)'",
                    problem:
                        "id '\(TerminalSafeText.visible(id, limit: 80))' is in both \(train.lastPathComponent) (line \(trainRows.lines[trainIndex[id]!])) and \(test.lastPathComponent); a face is either train or test"
                )
            }
            ids.append(contentsOf: testRows.ids)
        }
        let matrix = LatentMatrix(rows: ids.count, dim: dim, values: latents)

        // Images.
        let imageDirectory = options.imageDirectory ?? root.appendingPathComponent("images")
        let patterns = options.imagePattern.map { [$0] } ?? defaultImagePatterns
        var imagePaths = [String?](repeating: nil, count: ids.count)
        var foundDirectory: URL? = nil
        if let names = try? fm.contentsOfDirectory(atPath: imageDirectory.path) {
            foundDirectory = imageDirectory
            let present = Set(names)
            for (k, id) in ids.enumerated() {
                for pattern in patterns {
                    let name = pattern.replacingOccurrences(of: "{id}", with: id)
                    if present.contains(name) {
                        imagePaths[k] = imageDirectory.appendingPathComponent(name).path
                        break
                    }
                }
            }
        } else if options.imageDirectory != nil {
            warnings.append("\(imageDirectory.path): no such image folder; faces will be shown as missing")
        }

        // Prediction files: named ones plus those that look like predictions beside the data.
        var predictions = options.predictionFiles
        for p in predictions where !fm.fileExists(atPath: p.path) {
            throw DatasetError(file: p.path, problem: "no such predictions file", exitCode: 66)
        }
        if let names = try? fm.contentsOfDirectory(atPath: root.path) {
            for name in names.sorted() where isPredictionFileName(name) {
                let url = root.appendingPathComponent(name)
                if predictions.contains(where: { $0.standardizedFileURL == url.standardizedFileURL }) { continue }
                // Only regular files look like predictions; a folder or a pipe of that name is
                // said and left alone (a named one is refused when it is read).
                if let refusal = InputFile.checkRegular(url.path) {
                    warnings.append("\(refusal.description); skipped as a predictions file")
                    continue
                }
                predictions.append(url)
            }
        }

        return Dataset(
            root: root, trainFile: train, testFile: test, ids: ids, trainCount: trainRows.ids.count,
            labels: trainRows.labels, latents: matrix, latentColumns: trainRows.schema.latentNames,
            imagePaths: imagePaths, imageDirectory: foundDirectory, predictionFiles: predictions,
            warnings: warnings)
    }

    /// A file's name for a warning: made visible, never raw.
    static func shownName(_ url: URL) -> String { TerminalSafeText.visible(url.lastPathComponent, limit: 120) }

    /// Column names for a warning: each made visible and cut at 60 characters, at most 12 named.
    static func shownList(_ names: [String]) -> String {
        let shown = names.prefix(12).map { TerminalSafeText.visible($0, limit: 60) }.joined(separator: ", ")
        return names.count > 12 ? "\(shown) and \(names.count - 12) more" : shown
    }

    /// `predictions*.csv`, `submission*.csv`, `oof*.csv`; never `sample_submission.csv`.
    package static func isPredictionFileName(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard lower.hasSuffix(".csv"), !lower.hasPrefix("sample_submission") else { return false }
        return lower.hasPrefix("predictions") || lower.hasPrefix("submission") || lower.hasPrefix("oof")
    }
}
