import Foundation

/// What the built-in image model learns from: gradient-orientation histograms (HOG) and the
/// mean colour of a grid of cells over the eye band of an aligned face.
///
/// Glasses are edges and tints. Frames draw horizontal and vertical gradients across the eye
/// band; the faint ones are one pixel wide and a few grey levels off the skin, so the band is
/// read at a resolution where such a frame is still a line (the face decoded at `faceSide`
/// pixels or more: 512, half of a 1024 px StyleGAN face, where a one-pixel frame keeps half its
/// contrast) and cut into fine cells (24 x 8: about 15 x 15 pixels each at that size).
/// - Each cell histograms the gradient orientation (unsigned, `bins` bins, linear between
///   neighbouring bins) weighted by the square root of the gradient magnitude, so an eye or an
///   eyebrow in a cell does not drown a faint line beside it.
/// - Overlapping 2 x 2 cell blocks are normalised (L2-Hys, clipped at 0.2), which makes a faint
///   line in flat skin count as much as an eyebrow; each cell keeps the mean of its normalised
///   copies (one per block that holds it): the local normalisation of HOG at a quarter of its
///   length (1,728 values instead of 5,796), which is what makes the fit fast.
/// - Then the mean red, green and blue (0...1) of a coarser grid (12 x 4): dark and tinted
///   lenses change colour and brightness more than edges.
/// The grid is fixed whatever the picture's resolution, so a 256 px demo face and a 1024 px face
/// give comparable vectors. Docs/ranking.md has the measurements behind each choice.
///
/// Extraction allocates nothing per image: a `HOGWorkspace` (one per worker thread) holds the
/// scratch buffers and the vector is written in place. O(band pixels + cells * bins).
public struct HOGFeatures: Sendable, Equatable, CustomStringConvertible {
    /// Bump when the output changes: cached features carry it and are recomputed on mismatch.
    /// 1: 12 x 4 cells of a 256 px face + brightness. 2: 24 x 8 cells of a 512 px face + colour.
    public static let version = 2

    /// The region, as fractions of the width and height (default: the eye band of aligned faces).
    public var x0: Double, x1: Double, y0: Double, y1: Double
    package var cellsAcross: Int
    package var cellsDown: Int
    public var bins: Int
    /// The JPEG is decoded at the smallest DCT scale whose picture is at least this many pixels
    /// a side (never enlarged: a smaller picture is used as it is).
    public var faceSide: Int

    public init(
        x0: Double = 0.16, x1: Double = 0.84, y0: Double = 0.34, y1: Double = 0.58,
        cellsAcross: Int = 24, cellsDown: Int = 8, bins: Int = 9, faceSide: Int = 512
    ) {
        precondition(x0 < x1 && y0 < y1 && cellsAcross >= 2 && cellsDown >= 2 && bins >= 2 && faceSide >= 1)
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
        self.cellsAcross = cellsAcross
        self.cellsDown = cellsDown
        self.bins = bins
        self.faceSide = faceSide
    }

    /// The eye band of FFHQ/StyleGAN-aligned faces (`EyeBand.standard`: x 0.16-0.84, y 0.34-0.58).
    public static let eyeBand = HOGFeatures(
        x0: EyeBand.standard.x0, x1: EyeBand.standard.x1,
        y0: EyeBand.standard.y0, y1: EyeBand.standard.y1)

    public var region: EyeBand { EyeBand(x0: x0, x1: x1, y0: y0, y1: y1) }

    /// Length of the HOG part (the cell histograms come first).
    package var histogramCount: Int { cellsAcross * cellsDown * bins }

    /// The colour grid: half as fine as the gradient cells each way (a lens spans several
    /// cells; finer colour added dimensions, and fitting time, without adding anything measurable).
    package var colourCellsAcross: Int { max(1, cellsAcross / 2) }
    package var colourCellsDown: Int { max(1, cellsDown / 2) }

    /// Length of the vector `extract` returns: cell histograms, then R, G, B per colour cell.
    public var count: Int { histogramCount + colourCellsAcross * colourCellsDown * 3 }

    /// Everything that changes the vector (the feature cache key).
    public var description: String {
        "hog v\(Self.version) band \(x0),\(x1),\(y0),\(y1) cells \(cellsAcross)x\(cellsDown)x\(bins) face \(faceSide)"
    }

    /// The band's pixel rectangle in a `width x height` picture: edges rounded outwards, as the
    /// band decoder rounds them, so both paths see the same pixels.
    package func pixelRect(width: Int, height: Int) -> (left: Int, top: Int, right: Int, bottom: Int) {
        func edge(_ fraction: Double, _ size: Int, up: Bool) -> Int {
            let v = fraction * Double(size)
            let e = up ? Int((v - 1e-9).rounded(.up)) : Int((v + 1e-9).rounded(.down))
            return max(0, min(size, e))
        }
        var left = edge(x0, width, up: false)
        var right = edge(x1, width, up: true)
        var top = edge(y0, height, up: false)
        var bottom = edge(y1, height, up: true)
        if right <= left {
            left = min(left, max(0, width - 1))
            right = left + 1
        }
        if bottom <= top {
            top = min(top, max(0, height - 1))
            bottom = top + 1
        }
        return (left, top, right, bottom)
    }

    /// The feature vector of a whole picture (its band is cut out at the picture's resolution).
    public func extract(_ image: RGBImage) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let workspace = HOGWorkspace()
        out.withUnsafeMutableBufferPointer { extract(image, into: $0, workspace: workspace) }
        return out
    }

    /// The same into `out` (`count` floats) with reusable scratch space.
    public func extract(_ image: RGBImage, into out: UnsafeMutableBufferPointer<Float>, workspace: HOGWorkspace) {
        guard image.width > 0, image.height > 0 else {
            out.update(repeating: 0)
            return
        }
        let rect = pixelRect(width: image.width, height: image.height)
        image.pixels.withUnsafeBufferPointer { px in
            extract(
                band: px.baseAddress! + (rect.top * image.width + rect.left) * 3,
                width: min(rect.right, image.width) - rect.left, height: min(rect.bottom, image.height) - rect.top,
                rowStride: image.width * 3, into: out, workspace: workspace)
        }
    }

    /// The feature vector of a band already cut out (interleaved RGB rows `rowStride` bytes
    /// apart). A band smaller than two pixels a cell (a tiny or broken picture) gives all zeros.
    public func extract(
        band pixels: UnsafePointer<UInt8>, width w: Int, height h: Int, rowStride: Int,
        into out: UnsafeMutableBufferPointer<Float>, workspace: HOGWorkspace
    ) {
        precondition(out.count == count)
        out.update(repeating: 0)
        guard w >= cellsAcross * 2, h >= cellsDown * 2 else { return }
        workspace.prepare(width: w, height: h, features: self)
        let gray = workspace.gray.baseAddress!
        let hist = workspace.histograms.baseAddress!
        let colour = workspace.colour.baseAddress!
        let cellX = workspace.cellX.baseAddress!
        let cellY = workspace.cellY.baseAddress!
        let colourX = workspace.colourX.baseAddress!
        let colourY = workspace.colourY.baseAddress!
        let position = workspace.rowPosition.baseAddress!
        let votes = workspace.rowVote.baseAddress!
        let gx = workspace.rowGX.baseAddress!
        let gy = workspace.rowGY.baseAddress!

        // Luminance (Rec. 601) and colour sums per colour cell, one pass.
        for y in 0..<h {
            let row = pixels + y * rowStride
            let target = gray + y * w
            let colourRow = Int(colourY[y]) * colourCellsAcross
            var x = 0
            for c in 0..<colourCellsAcross {
                let stop = Int(colourX[c + 1])
                var r: UInt32 = 0
                var g: UInt32 = 0
                var b: UInt32 = 0
                while x < stop {
                    let pr = row[3 * x]
                    let pg = row[3 * x + 1]
                    let pb = row[3 * x + 2]
                    r &+= UInt32(pr)
                    g &+= UInt32(pg)
                    b &+= UInt32(pb)
                    target[x] = 0.299 * Float(pr) + 0.587 * Float(pg) + 0.114 * Float(pb)
                    x += 1
                }
                let cell = (colourRow + c) * 3
                colour[cell] += Float(r)
                colour[cell + 1] += Float(g)
                colour[cell + 2] += Float(b)
            }
        }
        // Per row: central-difference gradients (one-sided at the band's edges), then the vote
        // and the bin position eight pixels at a time, then the votes into the cells.
        let binsPerRadian = Float(bins) / Float.pi
        for y in 0..<h {
            let up = gray + max(0, y - 1) * w
            let down = gray + min(h - 1, y + 1) * w
            let here = gray + y * w
            gx[0] = here[1] - here[0]
            gx[w - 1] = here[w - 1] - here[w - 2]
            for x in 1..<w - 1 { gx[x] = here[x + 1] - here[x - 1] }
            for x in 0..<w { gy[x] = down[x] - up[x] }
            // The row buffers are padded with zeros to a multiple of 8: one SIMD loop, no tail.
            var x = 0
            while x < w {
                let dx = UnsafeRawPointer(gx + x).loadUnaligned(as: SIMD8<Float>.self)
                let dy = UnsafeRawPointer(gy + x).loadUnaligned(as: SIMD8<Float>.self)
                let (vote, bin) = HOGFeatures.voteAndPosition(dx, dy, binsPerRadian: binsPerRadian)
                UnsafeMutableRawPointer(votes + x).storeBytes(of: vote, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(position + x).storeBytes(of: bin, as: SIMD8<Float>.self)
                x += 8
            }
            let cellRow = Int(cellY[y]) * cellsAcross
            for x in 0..<w {
                let vote = votes[x]
                if vote == 0 { continue }
                // Linear vote between the two nearest bin centres; position is in [-0.5, bins - 0.5).
                let p = position[x]
                let lower = Int(p + 1) - 1
                let fraction = p - Float(lower)
                let b0 = lower < 0 ? bins - 1 : lower
                let b1 = lower + 1 >= bins ? 0 : lower + 1
                let cell = (cellRow + Int(cellX[x])) * bins
                hist[cell + b0] += vote * (1 - fraction)
                hist[cell + b1] += vote * fraction
            }
        }
        // Overlapping 2 x 2 blocks, each normalised (L2-Hys); every cell's histogram is then the
        // mean of its normalised copies in the (up to four) blocks that hold it.
        let block = workspace.block.baseAddress!
        let blockLength = 4 * bins
        for by in 0..<cellsDown - 1 {
            for bx in 0..<cellsAcross - 1 {
                // The block's four cells: (bx, by), (bx + 1, by), (bx, by + 1), (bx + 1, by + 1).
                var k = 0
                for corner in 0..<4 {
                    let cell = ((by + corner / 2) * cellsAcross + bx + corner % 2) * bins
                    for b in 0..<bins {
                        block[k] = hist[cell + b]
                        k += 1
                    }
                }
                HOGFeatures.normalizeL2Hys(UnsafeMutableBufferPointer(start: block, count: blockLength))
                k = 0
                for corner in 0..<4 {
                    let cell = ((by + corner / 2) * cellsAcross + bx + corner % 2) * bins
                    for b in 0..<bins {
                        out[cell + b] += block[k]
                        k += 1
                    }
                }
            }
        }
        for cy in 0..<cellsDown {
            for cx in 0..<cellsAcross {
                let blocks = Float((cy == 0 || cy == cellsDown - 1 ? 1 : 2) * (cx == 0 || cx == cellsAcross - 1 ? 1 : 2))
                let cell = (cy * cellsAcross + cx) * bins
                for b in 0..<bins { out[cell + b] /= blocks }
            }
        }
        var o = histogramCount
        for cell in 0..<colourCellsAcross * colourCellsDown {
            let n = max(1, workspace.pixelsPerColourCell[cell]) * 255
            out[o] = colour[3 * cell] / n
            out[o + 1] = colour[3 * cell + 1] / n
            out[o + 2] = colour[3 * cell + 2] / n
            o += 3
        }
    }

    /// Eight pixels' votes (square root of the gradient magnitude) and orientation positions
    /// in bins (unsigned angle in [0, pi) times bins/pi, minus 0.5), branch-free.
    @inline(__always)
    static func voteAndPosition(_ gx: SIMD8<Float>, _ gy: SIMD8<Float>, binsPerRadian: Float) -> (SIMD8<Float>, SIMD8<Float>) {
        let vote = (gx * gx + gy * gy).squareRoot().squareRoot()
        // Fold into the upper half-plane: (gx, gy) and (-gx, -gy) are the same orientation.
        let flip = (gy .< 0) .| ((gy .== 0) .& (gx .< 0))
        let x = gx.replacing(with: -gx, where: flip)
        let y = gy.replacing(with: -gy, where: flip)
        let ax = x.replacing(with: -x, where: x .< 0)
        let swapped = y .> ax
        let numerator = ax.replacing(with: y, where: .!swapped)
        let denominator = y.replacing(with: ax, where: .!swapped)
        let t = numerator / denominator.replacing(with: .leastNormalMagnitude, where: denominator .< .leastNormalMagnitude)
        let s = t * t
        var p = SIMD8<Float>(repeating: -0.01172120) * s + 0.05265332
        p = p * s - 0.11643287
        p = p * s + 0.19354346
        p = p * s - 0.33262347
        p = p * s + 0.99997726
        var angle = p * t
        angle.replace(with: Float.pi / 2 - angle, where: swapped)
        angle.replace(with: Float.pi - angle, where: x .< 0)
        angle.replace(with: 0, where: angle .>= Float.pi)
        return (vote, angle * binsPerRadian - 0.5)
    }

    /// atan2(gy, gx) folded into [0, pi), from a polynomial arctangent (error below 1e-5 rad,
    /// a thousandth of a bin) instead of libm's atan2, a fifth of the per-pixel cost.
    @inline(__always)
    static func unsignedAngle(_ gx: Float, _ gy: Float) -> Float {
        var x = gx
        var y = gy
        if y < 0 || (y == 0 && x < 0) {
            x = -x
            y = -y
        }
        let ax = abs(x)
        let swapped = y > ax
        let t = swapped ? ax / y : y / max(ax, .leastNormalMagnitude)
        let s = t * t
        var a = t * (0.99997726 + s * (-0.33262347 + s * (0.19354346 + s * (-0.11643287 + s * (0.05265332 + s * -0.01172120)))))
        if swapped { a = Float.pi / 2 - a }
        if x < 0 { a = Float.pi - a }
        return a >= Float.pi ? 0 : a
    }

    static func normalizeL2Hys(_ v: UnsafeMutableBufferPointer<Float>) {
        func normalize() {
            var sum: Float = 0
            for x in v { sum += x * x }
            let inverse = 1 / (sum + 1e-6).squareRoot()
            for i in v.indices { v[i] *= inverse }
        }
        normalize()
        for i in v.indices { v[i] = min(v[i], 0.2) }
        normalize()
    }
}

/// Scratch buffers for `HOGFeatures.extract`, reused image after image (one per worker thread).
public final class HOGWorkspace {
    fileprivate private(set) var gray = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var histograms = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var colour = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var block = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var rowGX = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var rowGY = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var rowVote = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var rowPosition = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    fileprivate private(set) var cellX = UnsafeMutableBufferPointer<Int32>(start: nil, count: 0)
    fileprivate private(set) var cellY = UnsafeMutableBufferPointer<Int32>(start: nil, count: 0)
    /// Colour cell column starts (colourCellsAcross + 1 of them) and the colour cell of each row.
    fileprivate private(set) var colourX = UnsafeMutableBufferPointer<Int32>(start: nil, count: 0)
    fileprivate private(set) var colourY = UnsafeMutableBufferPointer<Int32>(start: nil, count: 0)
    fileprivate private(set) var pixelsPerColourCell: [Float] = []
    /// What the pixel-to-cell tables were filled for (compared per image: a value, no allocation).
    private struct Layout: Equatable {
        var width = 0, height = 0, cellsAcross = 0, cellsDown = 0, bins = 0
    }
    private var layout = Layout()

    public init() {}

    deinit {
        for buffer in [gray, histograms, colour, block, rowGX, rowGY, rowVote, rowPosition] { buffer.deallocate() }
        for buffer in [cellX, cellY, colourX, colourY] { buffer.deallocate() }
    }

    /// At least `count` elements (grown, never shrunk); zeroed when `zero` is given.
    private static func ensure<T>(_ buffer: inout UnsafeMutableBufferPointer<T>, _ count: Int, zero: T? = nil) {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(capacity: max(count, buffer.count * 2))
        }
        if let zero { buffer.update(repeating: zero) }
    }

    /// Sizes the buffers, zeroes the sums, and (when the band's size changed) fills the
    /// pixel-to-cell tables.
    fileprivate func prepare(width w: Int, height h: Int, features f: HOGFeatures) {
        Self.ensure(&gray, w * h)
        let padded = (w + 7) / 8 * 8
        Self.ensure(&rowGX, padded, zero: 0)
        Self.ensure(&rowGY, padded, zero: 0)
        Self.ensure(&rowVote, padded)
        Self.ensure(&rowPosition, padded)
        Self.ensure(&histograms, f.cellsAcross * f.cellsDown * f.bins, zero: 0)
        Self.ensure(&colour, f.colourCellsAcross * f.colourCellsDown * 3, zero: 0)
        Self.ensure(&block, 4 * f.bins)
        let key = Layout(width: w, height: h, cellsAcross: f.cellsAcross, cellsDown: f.cellsDown, bins: f.bins)
        guard key != layout else { return }
        layout = key
        Self.ensure(&cellX, w)
        Self.ensure(&cellY, h)
        Self.ensure(&colourX, f.colourCellsAcross + 1)
        Self.ensure(&colourY, h)
        for x in 0..<w { cellX[x] = Int32(min(f.cellsAcross - 1, x * f.cellsAcross / w)) }
        for y in 0..<h { cellY[y] = Int32(min(f.cellsDown - 1, y * f.cellsDown / h)) }
        for c in 0...f.colourCellsAcross { colourX[c] = Int32(c * w / f.colourCellsAcross) }
        var down = [Float](repeating: 0, count: f.colourCellsDown)
        for y in 0..<h {
            let c = min(f.colourCellsDown - 1, y * f.colourCellsDown / h)
            colourY[y] = Int32(c)
            down[c] += 1
        }
        pixelsPerColourCell = []
        for cy in 0..<f.colourCellsDown {
            for cx in 0..<f.colourCellsAcross { pixelsPerColourCell.append(Float(colourX[cx + 1] - colourX[cx]) * down[cy]) }
        }
    }
}

/// The image model's reader: decodes only the eye band of each JPEG at the feature resolution
/// and turns it into features, into the caller's buffer. One per worker thread, reused: after
/// the first few images it allocates nothing.
public final class EyeBandFeatureExtractor {
    public let features: HOGFeatures
    private let decoder = JPEGBandDecoder()
    private let workspace = HOGWorkspace()

    public init(features: HOGFeatures) {
        self.features = features
    }

    /// Band-decodes the JPEG at `path` and writes its `features.count` values into `out`.
    public func extract(jpegAt path: String, into out: UnsafeMutableBufferPointer<Float>) throws(ImageDecodeError) {
        let band = try decoder.decode(path: path, region: features.region, covering: features.faceSide)
        decoder.withPixels { pixels in
            features.extract(
                band: pixels.baseAddress!, width: band.width, height: band.height, rowStride: band.width * 3,
                into: out, workspace: workspace)
        }
    }

    /// The features of a picture decoded elsewhere (any decoder).
    public func extract(image: RGBImage, into out: UnsafeMutableBufferPointer<Float>) {
        features.extract(image, into: out, workspace: workspace)
    }
}
