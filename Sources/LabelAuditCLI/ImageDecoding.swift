import LabelAuditEngine
import LabelAuditImaging

/// How the image model reads pictures: only the eye band of each JPEG, at the smallest DCT
/// scale whose picture is at least 512 px a side (a 1024 px face decodes at 1/2 scale, its eye
/// band about 350 x 123 pixels: a one-pixel faint frame is still a line), one reusable decoder
/// per core. See `HOGFeatures` and Docs/ranking.md.
package enum ImageDecoding {
    package static let standard: ImageReader = .jpegBand
}
