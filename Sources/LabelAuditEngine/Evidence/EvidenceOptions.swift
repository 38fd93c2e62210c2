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
    package var imageFeatures: HOGFeatures
    /// Above this many rows the all-pairs neighbour search is left to a later call of
    /// `computeNeighbours` (the app runs it in the background) instead of blocking the first
    /// ranking; single queries stay available.
    package var backgroundNeighboursAbove: Int
    /// Neighbours computed elsewhere (`--neighbours FILE`: id, neighbour id, distance), used
    /// instead of the all-pairs search.
    public var neighboursFile: URL?

    public init(
        neighbourCount: Int = 10, metric: DistanceMetric = .cosine, outOfFold: OutOfFoldOptions = OutOfFoldOptions(),
        imports: [ImportedPredictions] = [], decoder: ImageDecoder? = nil, imageReader: ImageReader? = nil,
        imageFeatures: HOGFeatures = .eyeBand, backgroundNeighboursAbove: Int = 20_000, neighboursFile: URL? = nil
    ) {
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
