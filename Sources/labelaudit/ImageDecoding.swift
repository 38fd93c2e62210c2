import LabelAuditEngine
import LabelAuditImaging

/// The decoder the image model uses: libjpeg with DCT scaling to the smallest picture that
/// still covers 256 x 256 (a 1024 px face decodes at 1/4 scale: the eye band then has about
/// 174 x 61 pixels, plenty for a 12 x 4 cell histogram grid, at a sixteenth of the work).
enum ImageDecoding {
    static let featureResolution = (width: 256, height: 256)

    static let standard: ImageDecoder? = { path in
        try JPEGDecoder.decode(path: path, covering: featureResolution)
    }
}
