import Foundation

/// Gradient-orientation histograms (HOG-style) of a region of a face: what the built-in image
/// model learns from.
///
/// Glasses are edges: frames draw strong horizontal and vertical gradients across the eye band,
/// lenses change its brightness. The region is cut into a fixed grid of cells whatever the
/// picture's resolution (so a 256 px demo face and a 1024 px StyleGAN face give comparable
/// vectors); each cell histograms the gradient orientation (unsigned, `bins` bins, magnitude
/// weighted, linear between neighbouring bins); overlapping 2 x 2 cell blocks are normalised
/// (L2-Hys, clipped at 0.2) so lighting does not matter; the mean brightness of each cell is
/// appended because dark lenses are as telling as frames.
/// Complexity: O(region pixels + cells * bins).
public struct HOGFeatures: Sendable, Equatable {
    /// Bump when the output changes: cached features carry it and are recomputed on mismatch.
    public static let version = 1

    /// The region, as fractions of the width and height (default: the eye band of aligned faces).
    public var x0: Double, x1: Double, y0: Double, y1: Double
    public var cellsAcross: Int
    public var cellsDown: Int
    public var bins: Int

    public init(x0: Double = 0.16, x1: Double = 0.84, y0: Double = 0.34, y1: Double = 0.58,
                cellsAcross: Int = 12, cellsDown: Int = 4, bins: Int = 9) {
        precondition(x0 < x1 && y0 < y1 && cellsAcross >= 2 && cellsDown >= 2 && bins >= 2)
        self.x0 = x0; self.x1 = x1; self.y0 = y0; self.y1 = y1
        self.cellsAcross = cellsAcross
        self.cellsDown = cellsDown
        self.bins = bins
    }

    /// The eye band of FFHQ/StyleGAN-aligned faces (`EyeBand.standard`: x 0.16-0.84, y 0.34-0.58).
    public static let eyeBand = HOGFeatures(x0: EyeBand.standard.x0, x1: EyeBand.standard.x1,
                                            y0: EyeBand.standard.y0, y1: EyeBand.standard.y1)

    /// Length of the vector `extract` returns.
    public var count: Int {
        (cellsAcross - 1) * (cellsDown - 1) * 4 * bins + cellsAcross * cellsDown
    }

    /// The feature vector of `image`. A region smaller than the cell grid (a tiny or broken
    /// picture) gives all zeros rather than a crash.
    public func extract(_ image: RGBImage) -> [Float] {
        let left = Int((x0 * Double(image.width)).rounded(.down))
        let right = min(image.width, Int((x1 * Double(image.width)).rounded(.up)))
        let top = Int((y0 * Double(image.height)).rounded(.down))
        let bottom = min(image.height, Int((y1 * Double(image.height)).rounded(.up)))
        let w = right - left, h = bottom - top
        var features = [Float](repeating: 0, count: count)
        guard w >= cellsAcross * 2, h >= cellsDown * 2 else { return features }

        // Luminance of the region, one contiguous buffer.
        var gray = [Float](repeating: 0, count: w * h)
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0 ..< h {
                let rowStart = ((top + y) * image.width + left) * 3
                for x in 0 ..< w {
                    let p = rowStart + x * 3
                    gray[y * w + x] = 0.299 * Float(px[p]) + 0.587 * Float(px[p + 1]) + 0.114 * Float(px[p + 2])
                }
            }
        }
        let cellCount = cellsAcross * cellsDown
        var histograms = [Float](repeating: 0, count: cellCount * bins)
        var brightness = [Float](repeating: 0, count: cellCount)
        var pixelsPerCell = [Float](repeating: 0, count: cellCount)
        let binWidth = Float.pi / Float(bins)
        // Cell index per column and row, computed once.
        let cellX = (0 ..< w).map { min(cellsAcross - 1, $0 * cellsAcross / w) }
        let cellY = (0 ..< h).map { min(cellsDown - 1, $0 * cellsDown / h) }
        for y in 0 ..< h {
            let up = max(0, y - 1), down = min(h - 1, y + 1)
            for x in 0 ..< w {
                let cell = cellY[y] * cellsAcross + cellX[x]
                brightness[cell] += gray[y * w + x]
                pixelsPerCell[cell] += 1
                let gx = gray[y * w + min(w - 1, x + 1)] - gray[y * w + max(0, x - 1)]
                let gy = gray[down * w + x] - gray[up * w + x]
                let magnitude = (gx * gx + gy * gy).squareRoot()
                if magnitude == 0 { continue }
                var angle = atan2(gy, gx)
                if angle < 0 { angle += .pi }
                if angle >= .pi { angle -= .pi }
                // Linear vote between the two nearest bin centres.
                let position = angle / binWidth - 0.5
                let lower = Int(position.rounded(.down))
                let fraction = position - Float(lower)
                let b0 = (lower + bins) % bins, b1 = (lower + 1) % bins
                histograms[cell * bins + b0] += magnitude * (1 - fraction)
                histograms[cell * bins + b1] += magnitude * fraction
            }
        }
        // Overlapping 2 x 2 blocks, L2-Hys.
        var out = 0
        var block = [Float](repeating: 0, count: 4 * bins)
        for by in 0 ..< cellsDown - 1 {
            for bx in 0 ..< cellsAcross - 1 {
                var k = 0
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let cell = (by + dy) * cellsAcross + bx + dx
                    for b in 0 ..< bins { block[k] = histograms[cell * bins + b]; k += 1 }
                }
                HOGFeatures.normalizeL2Hys(&block)
                for v in block { features[out] = v; out += 1 }
            }
        }
        for cell in 0 ..< cellCount {
            features[out] = brightness[cell] / max(1, pixelsPerCell[cell]) / 255
            out += 1
        }
        return features
    }

    static func normalizeL2Hys(_ v: inout [Float]) {
        func normalize() {
            let norm = (v.reduce(0) { $0 + $1 * $1 } + 1e-6).squareRoot()
            for i in v.indices { v[i] /= norm }
        }
        normalize()
        for i in v.indices { v[i] = min(v[i], 0.2) }
        normalize()
    }
}
