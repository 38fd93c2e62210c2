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

    public init(root: URL, trainFile: URL? = nil, testFile: URL? = nil, idColumn: String? = nil,
                labelColumn: String? = nil, imageDirectory: URL? = nil, imagePattern: String? = nil,
                predictionFiles: [URL] = []) {
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

public enum DatasetLoader {
    public static func load(_ options: DatasetOptions) throws -> Dataset {
        fatalError("DatasetLoader.load: being written")
    }
}
