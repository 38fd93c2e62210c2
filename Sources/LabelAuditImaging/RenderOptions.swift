/// The aligned faces' eye band (demo faces: eyes at (0.36W, 0.46H) and (0.64W, 0.46H); band x 0.16-0.84, y 0.34-0.58).
/// Faint frames only show when the eyes fill the cells, so the review app offers this crop.
/// The fractions are of the whole picture and can be overridden for other alignments.
public struct EyeBand: Sendable, Hashable {
    public var x0: Double, x1: Double, y0: Double, y1: Double

    public init(x0: Double, x1: Double, y0: Double, y1: Double) {
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
    }

    /// StyleGAN/FFHQ-style alignment as the demo faces use it.
    public static let standard = EyeBand(x0: 0.16, x1: 0.84, y0: 0.34, y1: 0.58)

    /// The same band reshaped to fill a `columns x rows` cell box (1:2 cells) across its whole
    /// width: the horizontal extent stays, the vertical one shrinks or grows about the band's
    /// centre until the band's aspect is the box's (kept inside the picture). The inspect view
    /// uses this so the eyes span the terminal: the standard band in a 190x30 box is 169
    /// columns wide as it is, 190 reshaped (y 0.353-0.567 on a square face).
    package func filling(columns: Int, rows: Int, imageWidth: Int, imageHeight: Int) -> EyeBand {
        guard columns > 0, rows > 0, imageWidth > 0, imageHeight > 0, x1 > x0 else { return self }
        let boxAspect = Double(columns) / (2 * Double(rows))  // width / height
        // Whole pixels, rounded so the band is never narrower than the box: the grid is then
        // fitted by width (all columns; at most one row fewer than the box).
        let bandWidth = ((x1 - x0) * Double(imageWidth)).rounded()
        let wantedHeight = min((bandWidth / boxAspect).rounded(.down) / Double(imageHeight), 1)
        let centre = (y0 + y1) / 2
        var top = centre - wantedHeight / 2
        var bottom = centre + wantedHeight / 2
        if top < 0 {
            bottom -= top
            top = 0
        }
        if bottom > 1 {
            top -= bottom - 1
            bottom = 1
        }
        return EyeBand(x0: x0, x1: x1, y0: max(top, 0), y1: min(bottom, 1))
    }

    /// The band in pixel coordinates of a `width x height` picture (fractional edges kept).
    public func region(width: Int, height: Int) -> SourceRegion {
        SourceRegion(
            x0: x0 * Double(width), y0: y0 * Double(height),
            x1: x1 * Double(width), y1: y1 * Double(height))
    }

    /// The band as its own picture (edges rounded to whole pixels, at least 1x1).
    package func crop(_ image: RGBImage) -> RGBImage {
        guard image.width > 0, image.height > 0 else { return image }
        let region = region(width: image.width, height: image.height).clamped(width: image.width, height: image.height)
        let left = min(Int(region.x0.rounded()), image.width - 1)
        let top = min(Int(region.y0.rounded()), image.height - 1)
        let right = max(min(Int(region.x1.rounded()), image.width), left + 1)
        let bottom = max(min(Int(region.y1.rounded()), image.height), top + 1)
        let width = right - left
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * (bottom - top) * 3)
        for row in top..<bottom {
            let start = (row * image.width + left) * 3
            pixels.append(contentsOf: image.pixels[start..<(start + width * 3)])
        }
        return RGBImage(width: width, height: bottom - top, pixels: pixels)
    }
}

/// Which block glyphs a picture may use. More shapes follow edges more closely; `sextant`
/// needs a font with the Unicode 13 sextants, so it is opt-in.
public enum SymbolSet: String, Sendable, CaseIterable {
    /// Source-like sub-cells per cell (what a picture of C x R cells can show: C x R x this).
    package var subCellsPerCell: Int {
        switch self {
        case .half: return 2
        case .quad: return 4
        case .sextant: return 6
        }
    }

    /// Half blocks (upper and left halves), two colours per cell: 2 sub-cells.
    case half
    /// Quadrants plus halves: 2x2 sub-cells. The default: every terminal font has them.
    case quad
    /// Sextants (U+1FB00-1FB3B, 2x3) plus the half and quadrant shapes.
    case sextant
}

/// How many colours the terminal shows.
public enum ColorMode: String, Sendable, CaseIterable {
    case truecolor
    /// xterm indices 16-255 only: terminals disagree about 0-15.
    case palette256 = "256"
    /// The 16 ANSI colours.
    case palette16 = "16"
    /// No colour: a luminance ramp of shade glyphs in the terminal's default colours.
    case none

    /// NO_COLOR (set, non-empty) means none; COLORTERM truecolor/24bit or a `*-direct` TERM
    /// means truecolor; otherwise the terminal's colour count (`tigetnum("colors")`), falling
    /// back on TERM's name when it is unknown. ncurses reads neither variable, so the app must.
    public static func detect(environment: [String: String], terminalColors: Int?) -> ColorMode {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .none }
        let colorTerm = (environment["COLORTERM"] ?? "").lowercased()
        if colorTerm == "truecolor" || colorTerm == "24bit" { return .truecolor }
        let term = (environment["TERM"] ?? "").lowercased()
        if term.hasSuffix("-direct") { return .truecolor }
        if let colors = terminalColors {
            if colors >= 0x100_0000 { return .truecolor }
            if colors >= 256 { return .palette256 }
            if colors >= 8 { return .palette16 }
            return .none
        }
        if term.contains("256color") { return .palette256 }
        if term.isEmpty || term == "dumb" { return .none }
        return .palette16
    }
}

/// Everything that decides how a picture is drawn; part of the render cache key.
public struct RenderOptions: Sendable, Hashable {
    /// The whole picture, or only the eye band.
    public enum Zoom: String, Sendable, Hashable, CaseIterable {
        case full
        /// The eye band as set in `eyeBand`.
        case eyes
        /// The eye band reshaped to fill the box's width (`EyeBand.filling`): what an inspect
        /// view wants, the eyes across the whole terminal.
        case eyesFill = "eyes-fill"
    }

    /// The band to draw for a `width x height` picture, nil for the whole picture.
    public func band(imageWidth: Int, imageHeight: Int) -> EyeBand? {
        switch zoom {
        case .full: return nil
        case .eyes: return eyeBand
        case .eyesFill: return eyeBand.filling(columns: columns, rows: rows, imageWidth: imageWidth, imageHeight: imageHeight)
        }
    }

    /// The cell box the picture is fitted into (1:2 cell aspect, top-left).
    public var columns: Int
    public var rows: Int
    public var symbols: SymbolSet
    public var colors: ColorMode
    /// Ordered (Bayer 4x4) dithering before palette quantisation; ignored in truecolor.
    public var dither: Bool
    public var zoom: Zoom
    /// Used when `zoom` is `.eyes` or `.eyesFill`.
    public var eyeBand: EyeBand
    /// Fill the box even when the picture has fewer pixels than the box has cells.
    public var enlarge = false

    public init(
        columns: Int = 40, rows: Int = 20, symbols: SymbolSet = .quad, colors: ColorMode = .truecolor,
        dither: Bool = false, zoom: Zoom = .full, eyeBand: EyeBand = .standard
    ) {
        self.columns = columns
        self.rows = rows
        self.symbols = symbols
        self.colors = colors
        self.dither = dither
        self.zoom = zoom
        self.eyeBand = eyeBand
    }
}
