/// A picture file drawn as real pixels (kitty or sixel) in a box of cells: the one place that
/// decodes at the right size, crops the eye band and encodes, for `labelaudit render` and the
/// review app alike.
public enum PixelPicture {
    /// What drawing takes: the bytes, and the cells the picture covers.
    public struct Drawing: Sendable, Hashable {
        public var bytes: [UInt8]
        public var columns: Int
        public var rows: Int
    }

    /// Decodes `path` at the smallest DCT scale that covers the box (for the eye band, the
    /// band's share of the picture must cover it), takes the band `options` asks for, and
    /// encodes it for `protocol` fitted into `options.columns x options.rows` cells of `cell`
    /// pixels. Kitty places it under `imageID` (so it can be replaced or deleted) and is wrapped
    /// for tmux's passthrough when `throughTmux`.
    public static func drawing(
        path: String, options: RenderOptions, protocol kind: GraphicsProtocol, cell: PixelSize,
        sixelRegisters: Int = 256, imageID: UInt32 = 1,
        throughTmux: Bool = false
    ) throws(ImageDecodeError) -> Drawing {
        let band = options.eyeBand
        let share = options.zoom != .full ? (max(band.x1 - band.x0, 0.01), max(min(band.y1 - band.y0, 1), 0.01)) : (1.0, 1.0)
        let covering = (Int(Double(options.columns * cell.width) / share.0), Int(Double(options.rows * cell.height) / share.1))
        let decoded = try JPEGDecoder.decode(path: path, covering: covering)
        let region = options.band(imageWidth: decoded.width, imageHeight: decoded.height)?
            .region(width: decoded.width, height: decoded.height)
        let source =
            region.map {
                PixelSize(width: max(Int(($0.x1 - $0.x0).rounded()), 1), height: max(Int(($0.y1 - $0.y0).rounded()), 1))
            }
            ?? PixelSize(width: decoded.width, height: decoded.height)
        switch kind {
        case .kitty:
            var bytes = KittyGraphics.place(
                decoded, imageID: imageID, columns: options.columns, rows: options.rows,
                cell: cell, region: region)
            if throughTmux { bytes = TmuxPassthrough.wrap(bytes) }
            let placement = PixelPlacement.fitting(source: source, columns: options.columns, rows: options.rows, cell: cell)
            return Drawing(bytes: bytes, columns: placement.columns, rows: placement.rows)
        case .sixel:
            let bytes = SixelEncoder.place(
                decoded, columns: options.columns, rows: options.rows, cell: cell, region: region,
                maxColors: min(max(sixelRegisters, 2), 256))
            let placement = PixelPlacement.fitting(
                source: source, columns: options.columns, rows: options.rows, cell: cell,
                heightMultiple: 6)
            return Drawing(bytes: bytes, columns: placement.columns, rows: placement.rows)
        }
    }
}
