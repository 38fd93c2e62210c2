import Foundation

/// Which part of the competition a row belongs to. Test rows never carry a label, and the
/// tool never gives them one.
public enum Split: String, Sendable, Codable {
    case train
    case test
}

/// One loaded dataset: train rows first (`0 ..< trainCount`), then test rows.
///
/// Everything downstream addresses rows by their index in this order; ids are kept as
/// strings because nothing guarantees another dataset uses integers.
public struct Dataset: Sendable {
    /// The dataset folder (where train.csv usually lives).
    public let root: URL
    public let trainFile: URL
    public let testFile: URL?
    /// All ids, train then test.
    public let ids: [String]
    public let trainCount: Int
    /// Provided labels (0/1) of the train rows; `labels.count == trainCount`.
    public let labels: [UInt8]
    /// Latents of all rows, train then test.
    public let latents: LatentMatrix
    package let latentColumns: [String]
    /// Image file per row, nil when none was found.
    public let imagePaths: [String?]
    public let imageDirectory: URL?
    /// Prediction CSVs found beside the data or named on the command line.
    public let predictionFiles: [URL]
    /// Non-fatal notes from loading (ignored columns and so on), one line each.
    public let warnings: [String]

    private let indexByID: [String: Int]

    public init(
        root: URL, trainFile: URL, testFile: URL?, ids: [String], trainCount: Int, labels: [UInt8],
        latents: LatentMatrix, latentColumns: [String], imagePaths: [String?], imageDirectory: URL?,
        predictionFiles: [URL], warnings: [String]
    ) {
        precondition(ids.count == latents.rows && labels.count == trainCount && imagePaths.count == ids.count)
        self.root = root
        self.trainFile = trainFile
        self.testFile = testFile
        self.ids = ids
        self.trainCount = trainCount
        self.labels = labels
        self.latents = latents
        self.latentColumns = latentColumns
        self.imagePaths = imagePaths
        self.imageDirectory = imageDirectory
        self.predictionFiles = predictionFiles
        self.warnings = warnings
        var map = [String: Int](minimumCapacity: ids.count)
        for (i, id) in ids.enumerated() { map[id] = i }
        self.indexByID = map
    }

    public var count: Int { ids.count }
    public var testCount: Int { ids.count - trainCount }
    public var dim: Int { latents.dim }

    public func split(of row: Int) -> Split { row < trainCount ? .train : .test }
    /// O(1).
    public func row(of id: String) -> Int? { indexByID[id] }
    /// The provided label, nil for test rows.
    public func label(of row: Int) -> UInt8? { row < trainCount ? labels[row] : nil }

    public var missingImageCount: Int { imagePaths.reduce(0) { $0 + ($1 == nil ? 1 : 0) } }
    /// Share of train rows labelled 1.
    public var prevalence: Double {
        trainCount == 0 ? 0 : Double(labels.reduce(0) { $0 + Int($1) }) / Double(trainCount)
    }
}
