/// Pictures to terminal cells: for every cell, the glyph and two colours that reproduce the
/// cell's pixels with the least squared error.
///
/// How: the picture is area-averaged to 2x6 samples per cell (each sample is a 3x2 px block of
/// a 6x12 px cell). Every glyph of the half, quadrant and sextant sets is a union of 8 regions
/// of that grid (2 columns x row bands of 4, 2, 2, 4 px), so a cell is summarised by 8 region
/// sums. For a glyph mask with pixel sums `S_in`, `S_out` and counts `n_in`, `n_out`, the best
/// colours are the means and the error is `sum|v|^2 - (|S_in|^2/n_in + |S_out|^2/n_out)`; the
/// renderer picks the mask maximising the bracket. This is the exact least-squares choice per
/// cell at 6x12 px, the resolution the fidelity tool scores at.
///
/// Complexity: O(cells x masks) with masks = 2 (half), 8 (quad), 39 (sextant) distinct
/// partitions, each a handful of SIMD adds; flat cells (no variance; in palette modes, below a
/// palette step) stop after the sums. One scratch buffer per call, no allocation per cell.
///
/// Geometry: the picture (or the eye band) is fitted into the cell box keeping its aspect with a
/// 1:2 cell, like chafa (wide: C' = C, R' = floor(C/2 * h/w); tall: R' = R, C' = floor(2R * w/h)),
/// and the returned picture is that smaller C' x R' grid; callers place it (top-left in
/// `labelaudit render`), nothing outside it is drawn.
public enum BlockRenderer {
    /// Samples per cell across and down (see the type's notes).
    static let samplesAcross = 2
    static let samplesDown = 6

    /// The C' x R' cell grid a `width x height` picture occupies in a `columns x rows` box.
    /// Like chafa, a picture is not enlarged past one cell per source pixel unless `enlarge`
    /// (the review app's inspect view draws a 256 px demo face's eye band 198 columns wide).
    package static func fittedGrid(width: Int, height: Int, columns: Int, rows: Int, enlarge: Bool = false) -> (
        columns: Int, rows: Int
    ) {
        guard width > 0, height > 0, columns > 0, rows > 0 else { return (max(columns, 0) > 0 ? 1 : 0, max(rows, 0) > 0 ? 1 : 0) }
        var fittedColumns = enlarge ? columns : min(columns, width)
        var fittedRows = enlarge ? rows : min(rows, height)
        let sourceAspect = Double(width) / Double(height)
        let boxAspect = Double(fittedColumns) / Double(fittedRows) * 0.5
        if sourceAspect > boxAspect {
            fittedRows = Int(Double(fittedColumns) * (0.5 / sourceAspect))
        } else {
            fittedColumns = Int(Double(fittedRows) * (sourceAspect / 0.5))
        }
        return (max(fittedColumns, 1), max(fittedRows, 1))
    }

    public static func render(_ image: RGBImage, options: RenderOptions) -> CellPicture {
        guard image.width > 0, image.height > 0, options.columns > 0, options.rows > 0 else {
            return CellPicture(columns: 0, rows: 0, cells: [])
        }
        let region =
            options.band(imageWidth: image.width, imageHeight: image.height)
            .map { $0.region(width: image.width, height: image.height).clamped(width: image.width, height: image.height) }
            ?? SourceRegion(x0: 0, y0: 0, x1: Double(image.width), y1: Double(image.height))
        return render(image, region: region, regionSize: (region.x1 - region.x0, region.y1 - region.y0), options: options)
    }

    /// Decodes (at the smallest DCT scale that still covers the cells) and renders a JPEG file.
    public static func render(path: String, options: RenderOptions) throws(ImageDecodeError) -> CellPicture {
        let data = try FileBytes.contents(of: path)
        return try render(data: data, path: path, options: options)
    }

    /// Decodes and renders JPEG bytes; `path` only names them in errors.
    public static func render(data: [UInt8], path: String = "(memory)", options: RenderOptions) throws(ImageDecodeError)
        -> CellPicture
    {
        let header = try JPEGDecoder.info(data: data, path: path)
        guard options.columns > 0, options.rows > 0 else { return CellPicture(columns: 0, rows: 0, cells: []) }
        let fileRegion =
            options.band(imageWidth: header.width, imageHeight: header.height)
            .map {
                $0.region(width: header.width, height: header.height).clamped(
                    width: max(header.width, 1), height: max(header.height, 1))
            }
            ?? SourceRegion(x0: 0, y0: 0, x1: Double(header.width), y1: Double(header.height))
        let regionWidth = fileRegion.x1 - fileRegion.x0
        let regionHeight = fileRegion.y1 - fileRegion.y0
        let grid = fittedGrid(
            width: Int(regionWidth.rounded()), height: Int(regionHeight.rounded()),
            columns: options.columns, rows: options.rows, enlarge: options.enlarge)
        let needWidth = Int((Double(grid.columns * samplesAcross) * Double(header.width) / max(regionWidth, 1)).rounded(.up))
        let needHeight = Int((Double(grid.rows * samplesDown) * Double(header.height) / max(regionHeight, 1)).rounded(.up))
        let image = try JPEGDecoder.decode(
            data: data, covering: (needWidth * decodeOversampling, needHeight * decodeOversampling), path: path)
        let scaleX = Double(image.width) / Double(header.width)
        let scaleY = Double(image.height) / Double(header.height)
        let region = SourceRegion(
            x0: fileRegion.x0 * scaleX, y0: fileRegion.y0 * scaleY,
            x1: fileRegion.x1 * scaleX, y1: fileRegion.y1 * scaleY)
        return render(image, region: region, regionSize: (regionWidth, regionHeight), options: options)
    }

    /// `regionSize` is the region's size in the original file, which fixes the grid (the decoded
    /// picture may be DCT-scaled, and the grid must not depend on that).
    static func render(_ image: RGBImage, region: SourceRegion, regionSize: (Double, Double), options: RenderOptions)
        -> CellPicture
    {
        let grid = fittedGrid(
            width: Int(regionSize.0.rounded()), height: Int(regionSize.1.rounded()),
            columns: options.columns, rows: options.rows, enlarge: options.enlarge)
        var samples = Resample.areaValues(
            image, region: region, width: grid.columns * samplesAcross,
            height: grid.rows * samplesDown)
        let amount = sharpenAmount(options.symbols)
        if amount > 0 {
            sharpen(&samples, width: grid.columns * samplesAcross, height: grid.rows * samplesDown, amount: amount)
        }
        let cells = samples.withUnsafeBufferPointer { buffer in
            cellsFor(samples: buffer, columns: grid.columns, rows: grid.rows, options: options)
        }
        return CellPicture(columns: grid.columns, rows: grid.rows, cells: cells)
    }

    /// Per-channel weights of the squared error (R, G, B). Equal weights: the exact RGB
    /// least-squares fit.
    static let channelWeights = SIMD4<Float>(1, 1, 1, 0)
    /// The DCT scale is chosen to cover twice the sample grid: at exactly 1x the 1/8 scale's
    /// block means blur sub-cell edges (median SSIM about 0.01 lower on photos); beyond 2x
    /// nothing measurable is gained for more decode work.
    static let decodeOversampling = 2

    /// A light unsharp mask on the sample grid before fitting glyphs. Averaging into cells
    /// flattens local contrast, which SSIM (and the eye) punishes; 0.3 raised median SSIM by
    /// about 0.005-0.01 for 0.02-0.1 dB of PSNR on our photos, 0.6 began to lose PSNR. In 256
    /// colours 0.2-0.3 was best on demo faces (0.5 helped photos, 0.8 hurt both). The half set
    /// (two shapes) gains most from 0.15: bench faces at 40x20, 0.8718 (0.3) -> 0.8727.
    static func sharpenAmount(_ symbols: SymbolSet) -> Float {
        symbols == .half ? 0.15 : 0.3
    }

    /// Unsharp mask on the sample grid: value + amount * (value - mean of the 3x3 neighbourhood),
    /// edges replicated. One scratch copy per picture.
    static func sharpen(_ samples: inout [Float], width: Int, height: Int, amount: Float) {
        let original = samples
        original.withUnsafeBufferPointer { source in
            samples.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let rowAbove = max(y - 1, 0) * width
                    let rowHere = y * width
                    let rowBelow = min(y + 1, height - 1) * width
                    for x in 0..<width {
                        let left = max(x - 1, 0)
                        let right = min(x + 1, width - 1)
                        for channel in 0..<3 {
                            func rowSum(_ row: Int) -> Float {
                                source[(row + left) * 3 + channel] + source[(row + x) * 3 + channel]
                                    + source[(row + right) * 3 + channel]
                            }
                            let sum = rowSum(rowAbove) + rowSum(rowHere) + rowSum(rowBelow)
                            let value = source[(rowHere + x) * 3 + channel]
                            target[(rowHere + x) * 3 + channel] = min(max(value + amount * (value - sum / 9), 0), 255)
                        }
                    }
                }
            }
        }
    }

    /// In the palette modes, below this weighted variance (sum over the 12 samples, halves about
    /// 2 levels apart) a cell is drawn as one colour: a difference that small falls within one
    /// palette step. Truecolor draws any difference: with this threshold there, 60% of a face's
    /// cells at 40x20 came out flat, and SSIM reads those small steps as the eye reads shading on
    /// skin (half blocks, 40x20, faces5000: 0.8726 -> 0.8742, chafa 0.8730; quad and sextant
    /// +0.001 to +0.002). In 256 colours it made no difference beyond +-0.0007.
    static let paletteFlatThreshold: Float = 12 * 3 * 1.0

    static func cellsFor(samples: UnsafeBufferPointer<Float>, columns: Int, rows: Int, options: RenderOptions) -> [GlyphCell] {
        let shapes = GlyphShapes.shapes(for: options.symbols)
        let sampleStride = columns * samplesAcross * 3
        var cells = [GlyphCell]()
        cells.reserveCapacity(columns * rows)
        // Row band of each of the 6 sample rows (bands of 4, 2, 2, 4 px).
        let bandOfRow = (0, 0, 1, 2, 3, 3)
        let isPalette = options.colors == .palette256 || options.colors == .palette16
        let keep = isPalette ? paletteCandidates : 1
        let flatThreshold: Float = isPalette ? paletteFlatThreshold : 0
        withUnsafeTemporaryAllocation(of: SIMD4<Float>.self, capacity: 8) { regions in
            withUnsafeTemporaryAllocation(of: Candidate.self, capacity: keep) { candidates in
                for cellRow in 0..<rows {
                    for cellColumn in 0..<columns {
                        for index in 0..<8 { regions[index] = .zero }
                        var squares = SIMD4<Float>.zero
                        for sampleRow in 0..<samplesDown {
                            let band: Int
                            switch sampleRow {
                            case 0: band = bandOfRow.0
                            case 1: band = bandOfRow.1
                            case 2: band = bandOfRow.2
                            case 3: band = bandOfRow.3
                            case 4: band = bandOfRow.4
                            default: band = bandOfRow.5
                            }
                            let base = (cellRow * samplesDown + sampleRow) * sampleStride + cellColumn * samplesAcross * 3
                            for sampleColumn in 0..<samplesAcross {
                                let offset = base + sampleColumn * 3
                                let value = SIMD4<Float>(samples[offset], samples[offset + 1], samples[offset + 2], 0)
                                regions[band * 2 + sampleColumn] += value
                                squares += value * value
                            }
                        }
                        var total = SIMD4<Float>.zero
                        for index in 0..<8 { total += regions[index] }
                        let count: Float = 12
                        let uniformScore = (total * total * channelWeights).sum() / count
                        let variance = (squares * channelWeights).sum() - uniformScore
                        // The best shapes by the continuous fit (only the best matters in truecolor;
                        // palette modes re-check the runners-up after quantisation).
                        var kept = 0
                        if variance > flatThreshold {
                            for (shapeIndex, shape) in shapes.enumerated() {
                                let inside = insideSum(shape.mask, regions)
                                let outside = total - inside
                                let score =
                                    (inside * inside * channelWeights).sum() * shape.inverseInside
                                    + (outside * outside * channelWeights).sum() * shape.inverseOutside
                                if score <= uniformScore || (kept == keep && score <= candidates[kept - 1].score) { continue }
                                var slot = min(kept, keep - 1)
                                while slot > 0 && candidates[slot - 1].score < score {
                                    candidates[slot] = candidates[slot - 1]
                                    slot -= 1
                                }
                                candidates[slot] = Candidate(shape: shapeIndex, score: score)
                                kept = min(kept + 1, keep)
                            }
                        }
                        let mean = total / count
                        if isPalette {
                            cells.append(
                                quantisedCell(
                                    candidates: UnsafeBufferPointer(rebasing: candidates[0..<kept]), shapes: shapes,
                                    regions: regions, total: total, squares: (squares * channelWeights).sum(),
                                    uniformScore: uniformScore, column: cellColumn, row: cellRow, options: options))
                        } else if kept == 0 {
                            cells.append(
                                makeCell(
                                    glyph: " ", foreground: mean, background: mean, mean: mean,
                                    column: cellColumn, row: cellRow, options: options))
                        } else {
                            let shape = shapes[candidates[0].shape]
                            let inside = insideSum(shape.mask, regions)
                            let foreground = inside * shape.inverseInside
                            let background = (total - inside) * shape.inverseOutside
                            cells.append(
                                makeCell(
                                    glyph: shape.glyph, foreground: foreground, background: background,
                                    mean: mean, column: cellColumn, row: cellRow, options: options))
                        }
                    }
                }
            }
        }
        return cells
    }

    struct Candidate {
        var shape: Int
        var score: Float
    }

    /// Palette modes: how many of the best continuous shapes are re-scored with their
    /// quantised colours (plus the flat cell). Rounding to the palette can make a runner-up,
    /// or one flat colour, the better picture.
    static let paletteCandidates = 4

    @inline(__always)
    static func insideSum(_ mask: UInt8, _ regions: UnsafeMutableBufferPointer<SIMD4<Float>>) -> SIMD4<Float> {
        var inside = SIMD4<Float>.zero
        var bits = mask
        while bits != 0 {
            inside += regions[bits.trailingZeroBitCount]
            bits &= bits - 1
        }
        return inside
    }

    /// Picks, among the candidates and the flat cell, the pattern and palette colours with the
    /// least cost: the squared error the pattern leaves inside its two sides (sRGB, as fitted)
    /// times `paletteStructureScale`, plus for each side its sample count times the perceptual
    /// distance from the side's mean to its palette colour (`Palette.distance`). Since the sum
    /// of squared errors of a side about any colour q is its spread about the mean plus n times
    /// the distance from the mean to q, the best entry of each side is simply the nearest to its
    /// mean, so pattern and colours are chosen jointly at the price of one look-up per side.
    /// The distance is CIE94's with CIEDE2000's lightness scale, lightness weighted 4: chroma and
    /// hue keep skin as skin, lightness carries the edges SSIM reads.
    static func quantisedCell(
        candidates: UnsafeBufferPointer<Candidate>, shapes: [GlyphShape],
        regions: UnsafeMutableBufferPointer<SIMD4<Float>>, total: SIMD4<Float>,
        squares: Float, uniformScore: Float,
        column: Int, row: Int, options: RenderOptions
    ) -> GlyphCell {
        let is256 = options.colors == .palette256
        let spread: Float = is256 ? 40 : 96
        let foreDither = options.dither ? spread * bayerOffset(column: column, row: row) : 0
        let backDither = options.dither ? spread * bayerOffset(column: column + 2, row: row + 2) : 0
        func nearest(_ colour: SIMD4<Float>) -> (index: UInt8, distance: Float) {
            is256 ? Palette.nearest256(colour) : Palette.nearest16(colour)
        }
        let mean = total / 12
        let flat = nearest(mean + backDither)
        var best = GlyphCell(glyph: " ", foreground: .indexed(flat.index), background: .indexed(flat.index))
        var bestCost = max(squares - uniformScore, 0) * paletteStructureScale + 12 * flat.distance
        for candidate in candidates {
            let shape = shapes[candidate.shape]
            let inside = insideSum(shape.mask, regions)
            let insideCount = shape.inverseInside > 0 ? 1 / shape.inverseInside : 0
            let fore = nearest(inside * shape.inverseInside + foreDither)
            let back = nearest((total - inside) * shape.inverseOutside + backDither)
            let cost =
                max(squares - candidate.score, 0) * paletteStructureScale
                + insideCount * fore.distance + (12 - insideCount) * back.distance
            if cost < bestCost {
                bestCost = cost
                best =
                    fore.index == back.index
                    ? GlyphCell(glyph: " ", foreground: .indexed(back.index), background: .indexed(back.index))
                    : GlyphCell(glyph: shape.glyph, foreground: .indexed(fore.index), background: .indexed(back.index))
            }
        }
        return best
    }

    /// Converts a pattern's leftover squared error (sRGB 0-255, summed over channels and
    /// samples) into the palette distance's units (squared CIELAB-like differences, about 2.5
    /// sRGB levels per unit at mid-tones). 0.3 and 1 gave the same medians on bench faces, so
    /// the choice is not delicate.
    static let paletteStructureScale: Float = 0.3

    /// 4x4 Bayer matrix, values 0...15.
    private static let bayer:
        (
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
        ) =
            (0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5)

    private static func bayerOffset(column: Int, row: Int) -> Float {
        let index = (row & 3) * 4 + (column & 3)
        let value = withUnsafeBytes(of: bayer) { $0[index] }
        return (Float(value) + 0.5) / 16 - 0.5
    }

    /// The luminance ramp for `ColorMode.none`, darkest first (on the default dark background).
    static let ramp: (Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar) =
        (" ", "\u{2591}", "\u{2592}", "\u{2593}", "\u{2588}")

    private static func makeCell(
        glyph: Unicode.Scalar, foreground: SIMD4<Float>, background: SIMD4<Float>,
        mean: SIMD4<Float>, column: Int, row: Int, options: RenderOptions
    ) -> GlyphCell {
        switch options.colors {
        case .truecolor, .palette256, .palette16:  // palette cells are made by quantisedCell
            return GlyphCell(glyph: glyph, foreground: rgb(foreground), background: rgb(background))
        case .none:
            let luma = 0.299 * mean.x + 0.587 * mean.y + 0.114 * mean.z
            let step = min(max(Int((luma / 255 * 4).rounded()), 0), 4)
            let shade: Unicode.Scalar
            switch step {
            case 0: shade = ramp.0
            case 1: shade = ramp.1
            case 2: shade = ramp.2
            case 3: shade = ramp.3
            default: shade = ramp.4
            }
            return GlyphCell(glyph: shade, foreground: .terminalDefault, background: .terminalDefault)
        }
    }

    private static func rgb(_ value: SIMD4<Float>) -> TerminalColor {
        let clamped = (value + 0.5).clamped(lowerBound: .zero, upperBound: SIMD4(repeating: 255))
        return .rgb(UInt8(clamped.x), UInt8(clamped.y), UInt8(clamped.z))
    }
}

/// One glyph as a set of the 8 cell regions it covers, with precomputed 1/count factors.
struct GlyphShape: Sendable {
    /// Bit `band * 2 + column` set when the glyph's foreground covers that region.
    let mask: UInt8
    let glyph: Unicode.Scalar
    let inverseInside: Float
    let inverseOutside: Float

    /// Sample counts of the 8 regions (bands of 2, 1, 1, 2 sample rows, 1 sample column).
    static let regionSamples: [Int] = [2, 2, 1, 1, 1, 1, 2, 2]

    init(mask: UInt8, glyph: Unicode.Scalar) {
        self.mask = mask
        self.glyph = glyph
        var inside = 0
        for region in 0..<8 where mask & (1 << region) != 0 { inside += Self.regionSamples[region] }
        inverseInside = inside == 0 ? 0 : 1 / Float(inside)
        inverseOutside = inside == 12 ? 0 : 1 / Float(12 - inside)
    }
}

/// The glyph tables. Each partition of the cell appears once (a mask and its complement are the
/// same choice with the colours swapped).
enum GlyphShapes {
    // Regions: bit band*2+column. Bands: 0 = top 4 px, 1 and 2 = the 2 px above and below the
    // middle, 3 = bottom 4 px.
    static let upperHalf: UInt8 = 0b0000_1111
    static let leftHalf: UInt8 = 0b0101_0101
    static let upperLeft: UInt8 = 0b0000_0101
    static let upperRight: UInt8 = 0b0000_1010
    static let lowerLeft: UInt8 = 0b0101_0000
    static let lowerRight: UInt8 = 0b1010_0000

    /// Both half-block partitions (chafa's "half" class: top/bottom and left/right).
    static let half: [GlyphShape] = [
        GlyphShape(mask: upperHalf, glyph: "\u{2580}"), GlyphShape(mask: leftHalf, glyph: "\u{258C}"),
    ]

    static let quad: [GlyphShape] = [
        GlyphShape(mask: upperHalf, glyph: "\u{2580}"),
        GlyphShape(mask: leftHalf, glyph: "\u{258C}"),
        GlyphShape(mask: upperLeft, glyph: "\u{2598}"),
        GlyphShape(mask: upperRight, glyph: "\u{259D}"),
        GlyphShape(mask: lowerLeft, glyph: "\u{2596}"),
        GlyphShape(mask: lowerRight, glyph: "\u{2597}"),
        GlyphShape(mask: upperLeft | lowerRight, glyph: "\u{259A}"),
    ]

    /// Regions covered by sextant bit 0...5 (TL, TR, ML, MR, BL, BR).
    static let sextantRegions: [UInt8] = [0b0000_0001, 0b0000_0010, 0b0001_0100, 0b0010_1000, 0b0100_0000, 0b1000_0000]

    /// The glyph for a 6-bit sextant pattern (bit0 TL ... bit5 BR), following Unicode's order
    /// (U+1FB00 is pattern 1; the left and right columns are the block elements U+258C/U+2590).
    static func sextantGlyph(pattern: Int) -> Unicode.Scalar {
        switch pattern {
        case 0: return " "
        case 21: return "\u{258C}"
        case 42: return "\u{2590}"
        case 63: return "\u{2588}"
        default:
            let skipped = (pattern > 21 ? 1 : 0) + (pattern > 42 ? 1 : 0)
            return Unicode.Scalar(UInt32(0x1FB00 + pattern - 1 - skipped))!
        }
    }

    static let sextant: [GlyphShape] = {
        var shapes: [GlyphShape] = []
        // Patterns 1...31 with bit 5 clear cover every partition once (their complements set it).
        for pattern in 1..<32 {
            var mask: UInt8 = 0
            for bit in 0..<6 where pattern & (1 << bit) != 0 { mask |= sextantRegions[bit] }
            shapes.append(GlyphShape(mask: mask, glyph: sextantGlyph(pattern: pattern)))
        }
        let sextantMasks = Set(shapes.map(\.mask))
        for shape in quad {
            let complement = ~shape.mask
            if !sextantMasks.contains(shape.mask) && !sextantMasks.contains(complement) { shapes.append(shape) }
        }
        return shapes
    }()

    static func shapes(for symbols: SymbolSet) -> [GlyphShape] {
        switch symbols {
        case .half: return half
        case .quad: return quad
        case .sextant: return sextant
        }
    }
}
