import Foundation

/// What `labelaudit demo generate` is asked to make. The defaults are the committed `Assets/demo`.
public struct DemoOptions: Sendable, Equatable {
    public var trainCount: Int
    public var testCount: Int
    public var size: Int
    public var dim: Int
    public var seed: UInt64

    package static let trainRange = 1...200_000
    package static let testRange = 0...200_000
    package static let sizeRange = 64...4096
    package static let dimRange = 16...4096

    public init(trainCount: Int = 540, testCount: Int = 60, size: Int = 256, dim: Int = 512, seed: UInt64 = 1) {
        self.trainCount = trainCount
        self.testCount = testCount
        self.size = size
        self.dim = dim
        self.seed = seed
    }

    /// Total faces, train first then test (ids 1...total).
    package var faceCount: Int { trainCount + testCount }

    /// Rejects arguments the generator cannot honour, before anything is written.
    public func validate() throws(DemoError) {
        guard Self.trainRange.contains(trainCount) else { throw .trainCount(trainCount) }
        guard Self.testRange.contains(testCount) else { throw .testCount(testCount) }
        guard Self.sizeRange.contains(size) else { throw .size(size) }
        guard Self.dimRange.contains(dim) else { throw .dim(dim) }
    }
}

/// Every way generating the demo can fail, each with a message that names the argument or path
/// and says what to do.
public enum DemoError: Error, Equatable, CustomStringConvertible {
    case trainCount(Int)
    case testCount(Int)
    case size(Int)
    case dim(Int)
    case truthInsideOutput(truth: String, out: String)
    case outputNotEmpty(String)
    case cannotCreateFolder(String, reason: String)
    case cannotWrite(String, reason: String)
    case jpeg(id: Int, message: String)

    public var description: String {
        switch self {
        case .trainCount(let n):
            return
                "--train must be between \(DemoOptions.trainRange.lowerBound) and \(DemoOptions.trainRange.upperBound) (got \(n)): the demo needs training faces to audit."
        case .testCount(let n):
            return
                "--test must be between \(DemoOptions.testRange.lowerBound) and \(DemoOptions.testRange.upperBound) (got \(n))."
        case .size(let n):
            return
                "--size must be between \(DemoOptions.sizeRange.lowerBound) and \(DemoOptions.sizeRange.upperBound) pixels (got \(n)): smaller faces cannot show the glasses."
        case .dim(let n):
            return
                "--dim must be between \(DemoOptions.dimRange.lowerBound) and \(DemoOptions.dimRange.upperBound) (got \(n)): the faces' attributes need at least \(DemoOptions.dimRange.lowerBound) latent dimensions."
        case .truthInsideOutput(let truth, let out):
            return
                "--truth \(truth) is inside --out \(out): the truth must live apart from the dataset so the app never reads it. Choose another --truth."
        case .outputNotEmpty(let path):
            return "\(path) already holds files that are not a demo; choose an empty or new --out folder."
        case .cannotCreateFolder(let path, let reason):
            return "cannot create the folder \(path): \(reason). Choose another --out (or --truth)."
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason). Check the disk space and permissions, or choose another --out."
        case .jpeg(let id, let message):
            return "could not encode the picture of face \(id): \(message)"
        }
    }
}
