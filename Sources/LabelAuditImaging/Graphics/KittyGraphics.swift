/// The kitty graphics protocol: pictures as real pixels in terminals that speak it (kitty,
/// WezTerm, Ghostty, Konsole). Pure functions from pixels to bytes; nothing here writes to a
/// terminal.
///
/// A picture is sent once as raw 24-bit RGB (`f=24`), base64 in chunks of at most 4096 bytes
/// (`m=1` on all but the last), and placed at the cursor scaled to fill `c x r` cells. It carries
/// an image id (`i=`): sending another picture with the same id replaces it, and
/// `delete(imageID:)` removes it and frees its memory. `q=2` asks the terminal not to answer,
/// so no reply lands in the app's input; `C=1` leaves the cursor where it was.
public enum KittyGraphics {
    /// The largest base64 chunk the protocol allows per escape sequence.
    package static let chunkSize = 4096

    /// Transmit-and-display bytes for `image` fitted into `columns x rows` cells of `cell`
    /// pixels. The image is resampled to the placement's pixel size first (never sent larger
    /// than it is shown).
    public static func place(
        _ image: RGBImage, imageID: UInt32, columns: Int, rows: Int,
        cell: PixelSize = .assumedCell, region: SourceRegion? = nil
    ) -> [UInt8] {
        let regionSize =
            region.map {
                PixelSize(width: max(Int(($0.x1 - $0.x0).rounded()), 1), height: max(Int(($0.y1 - $0.y0).rounded()), 1))
            }
            ?? PixelSize(width: image.width, height: image.height)
        let placement = PixelPlacement.fitting(source: regionSize, columns: columns, rows: rows, cell: cell)
        guard placement.pixels.width > 0, placement.pixels.height > 0 else { return [] }
        let pixels = image.resampled(to: placement.pixels, region: region)
        return transmit(pixels, imageID: imageID, columns: placement.columns, rows: placement.rows)
    }

    /// Transmit-and-display bytes for `image` as it is, scaled by the terminal to `columns x rows` cells.
    package static func transmit(_ image: RGBImage, imageID: UInt32, columns: Int, rows: Int) -> [UInt8] {
        var payload: [UInt8] = []
        image.pixels.withUnsafeBufferPointer { Base64.encode($0, into: &payload) }
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + payload.count / chunkSize * 12 + 96)
        var start = 0
        var first = true
        repeat {
            let end = min(start + chunkSize, payload.count)
            let more = end < payload.count
            out.append(contentsOf: [0x1B, UInt8(ascii: "_"), UInt8(ascii: "G")])
            if first {
                out.append(
                    contentsOf: Array(
                        "a=T,f=24,s=\(image.width),v=\(image.height),i=\(imageID),c=\(columns),r=\(rows),C=1,q=2,".utf8))
                first = false
            }
            out.append(contentsOf: Array("m=\(more ? 1 : 0);".utf8))
            out.append(contentsOf: payload[start..<end])
            out.append(contentsOf: [0x1B, UInt8(ascii: "\\")])
            start = end
        } while start < payload.count
        return out
    }

    /// Deletes the picture with `imageID` and its placements (`d=I`: the data is freed too).
    public static func delete(imageID: UInt32) -> [UInt8] {
        Array("\u{1B}_Ga=d,d=I,i=\(imageID),q=2\u{1B}\\".utf8)
    }

    /// The query that asks whether the protocol works: a 1x1 picture with `a=q` (checked, never
    /// stored or shown). A terminal that speaks the protocol answers `ESC _ G i=<id>;OK ESC \`;
    /// others ignore it.
    public static func query(imageID: UInt32 = GraphicsProbe.kittyQueryID) -> [UInt8] {
        Array("\u{1B}_Gi=\(imageID),s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\".utf8)
    }
}
