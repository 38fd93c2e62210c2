import LabelAuditEngine

/// The decoder the image model uses. The imaging branch's `JPEGDecoder.decode(path:covering:)`
/// is wired in here when it reaches main; until then the built-in image model is unavailable
/// and `labelaudit models` says so.
enum ImageDecoding {
    static let standard: ImageDecoder? = nil
}
