/// Sizes in terminal pixels, and how a picture is fitted into a box of cells for the pixel
/// graphics protocols (kitty, sixel).
public struct PixelSize: Sendable, Hashable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// What the graphics code assumes when the terminal does not say: a 10 x 20 px cell, the
    /// 1:2 cell the glyph renderer assumes too.
    public static let assumedCell = PixelSize(width: 10, height: 20)
}

/// Where a pixel picture goes: its size in pixels and the cells it covers.
package struct PixelPlacement: Sendable, Hashable {
    /// The picture's size in pixels (aspect kept, inside the box).
    package var pixels: PixelSize
    /// Cells the picture covers (rounded up), never more than the box.
    package var columns: Int
    package var rows: Int

    /// Fits a `source` picture into `columns x rows` cells of `cell` pixels, keeping its aspect.
    /// `heightMultiple` rounds the height down (sixel draws bands of 6 pixel rows; a partial
    /// last band would spill below the box on some terminals).
    package static func fitting(
        source: PixelSize, columns: Int, rows: Int, cell: PixelSize,
        heightMultiple: Int = 1
    ) -> PixelPlacement {
        let boxWidth = max(columns, 0) * max(cell.width, 1)
        let boxHeight = max(rows, 0) * max(cell.height, 1)
        guard source.width > 0, source.height > 0, boxWidth > 0, boxHeight > 0 else {
            return PixelPlacement(pixels: PixelSize(width: 0, height: 0), columns: 0, rows: 0)
        }
        let scale = min(Double(boxWidth) / Double(source.width), Double(boxHeight) / Double(source.height))
        let width = max(1, min(boxWidth, Int((Double(source.width) * scale).rounded())))
        var height = max(1, min(boxHeight, Int((Double(source.height) * scale).rounded())))
        if heightMultiple > 1 { height = max(heightMultiple, height / heightMultiple * heightMultiple) }
        height = min(height, max(boxHeight / max(heightMultiple, 1) * max(heightMultiple, 1), 1))
        let usedColumns = min(columns, (width + cell.width - 1) / cell.width)
        let usedRows = min(rows, (height + cell.height - 1) / cell.height)
        return PixelPlacement(pixels: PixelSize(width: width, height: height), columns: usedColumns, rows: usedRows)
    }
}

extension RGBImage {
    /// The picture (or a region of it) area-resampled to `size`.
    package func resampled(to size: PixelSize, region: SourceRegion? = nil) -> RGBImage {
        let whole = SourceRegion(x0: 0, y0: 0, x1: Double(width), y1: Double(height))
        return Resample.area(self, region: region ?? whole, width: size.width, height: size.height)
    }
}

/// Base64 (RFC 4648, with padding), as the kitty protocol and OSC 52 carry payloads.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        var index = 0
        alphabet.withUnsafeBufferPointer { table in
            while index + 3 <= bytes.count {
                let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                out.append(table[Int(value >> 18)])
                out.append(table[Int(value >> 12 & 63)])
                out.append(table[Int(value >> 6 & 63)])
                out.append(table[Int(value & 63)])
                index += 3
            }
            let left = bytes.count - index
            if left > 0 {
                let value = UInt32(bytes[index]) << 16 | (left > 1 ? UInt32(bytes[index + 1]) << 8 : 0)
                out.append(table[Int(value >> 18)])
                out.append(table[Int(value >> 12 & 63)])
                out.append(left > 1 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "="))
                out.append(UInt8(ascii: "="))
            }
        }
    }

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { encode($0, into: &out) }
        return out
    }
}
