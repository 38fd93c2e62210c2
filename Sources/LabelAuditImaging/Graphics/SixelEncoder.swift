/// Sixel: pictures as real pixels in terminals that speak DEC's sixel graphics (xterm with
/// `-ti vt340`, foot, mlterm, WezTerm, recent Konsole, Windows Terminal). Pure functions from
/// pixels to bytes.
///
/// Sixel draws with a palette of colour registers (at most 256 here; a VT340 has 16, xterm
/// reports its count to XTSMGRAPHICS). The palette is made per picture: median cut over a 5-bit
/// histogram (split the box with the largest squared error at the weighted median of its
/// widest channel), refined by a few k-means rounds over the histogram, then rounded to sixel's
/// 0-100 % steps so that what is matched is what the terminal shows. Rows are encoded in bands
/// of 6 pixels, one pass per colour present in the band, runs of equal columns compressed with
/// `!count`. The picture's height is a multiple of 6 so no band spills below its cell box.
public enum SixelEncoder {
    /// Sixel bytes for `image` (or its `region`) fitted into `columns x rows` cells of `cell`
    /// pixels, aspect kept.
    public static func place(
        _ image: RGBImage, columns: Int, rows: Int, cell: PixelSize,
        region: SourceRegion? = nil, maxColors: Int = 256, dither: Bool = false
    ) -> [UInt8] {
        let regionSize =
            region.map {
                PixelSize(width: max(Int(($0.x1 - $0.x0).rounded()), 1), height: max(Int(($0.y1 - $0.y0).rounded()), 1))
            }
            ?? PixelSize(width: image.width, height: image.height)
        let placement = PixelPlacement.fitting(source: regionSize, columns: columns, rows: rows, cell: cell, heightMultiple: 6)
        guard placement.pixels.width > 0, placement.pixels.height > 0 else { return [] }
        return encode(image.resampled(to: placement.pixels, region: region), maxColors: maxColors, dither: dither)
    }

    /// Sixel bytes for `image` at its own size (1:1 pixel aspect, raster attributes set).
    public static func encode(_ image: RGBImage, maxColors: Int = 256, dither: Bool = false) -> [UInt8] {
        guard image.width > 0, image.height > 0 else { return [] }
        let palette = makePalette(image, maxColors: min(max(maxColors, 2), 256))
        let indices = dither ? mapDithered(image, palette: palette) : map(image, palette: palette)
        return encodeIndexed(indices, width: image.width, height: image.height, palette: palette)
    }

    // MARK: Palette

    /// A palette entry in sixel's percent units (0...100 per channel).
    struct Entry: Equatable {
        var red: UInt8, green: UInt8, blue: UInt8
        /// The 8-bit colour a terminal shows for this entry.
        var shown: SIMD3<Float> {
            SIMD3(Float(red), Float(green), Float(blue)) * (255 / 100)
        }
    }

    private struct Box {
        var bins: Range<Int>  // into the sorted bin list
        var error: Double
    }

    /// Median cut + k-means over a 32x32x32 histogram; returns at most `maxColors` entries.
    static func makePalette(_ image: RGBImage, maxColors: Int) -> [Entry] {
        // Histogram of occupied 5-bit bins: count and channel sums.
        var counts = [Int32](repeating: 0, count: 32768)
        var sums = [SIMD3<Float>](repeating: .zero, count: 32768)
        image.pixels.withUnsafeBufferPointer { pixels in
            var offset = 0
            while offset < pixels.count {
                let red = pixels[offset]
                let green = pixels[offset + 1]
                let blue = pixels[offset + 2]
                let bin = Int(red >> 3) << 10 | Int(green >> 3) << 5 | Int(blue >> 3)
                counts[bin] += 1
                sums[bin] += SIMD3(Float(red), Float(green), Float(blue))
                offset += 3
            }
        }
        var bins: [(colour: SIMD3<Float>, count: Float)] = []
        for bin in 0..<32768 where counts[bin] > 0 {
            bins.append((sums[bin] / Float(counts[bin]), Float(counts[bin])))
        }
        func boxError(_ range: Range<Int>) -> Double {
            var total: Float = 0
            var sum = SIMD3<Float>.zero
            var squares: Float = 0
            for index in range {
                let bin = bins[index]
                total += bin.count
                sum += bin.colour * bin.count
                squares += (bin.colour * bin.colour).sum() * bin.count
            }
            return total > 0 ? Double(squares - (sum * sum).sum() / total) : 0
        }
        var boxes = [Box(bins: 0..<bins.count, error: boxError(0..<bins.count))]
        while boxes.count < maxColors {
            guard let worst = boxes.indices.max(by: { boxes[$0].error < boxes[$1].error }),
                boxes[worst].bins.count > 1, boxes[worst].error > 0
            else { break }
            let range = boxes[worst].bins
            var low = SIMD3<Float>(repeating: 255)
            var high = SIMD3<Float>(repeating: 0)
            for index in range {
                low = pointwiseMin(low, bins[index].colour)
                high = pointwiseMax(high, bins[index].colour)
            }
            let extent = high - low
            let channel = extent.x >= extent.y && extent.x >= extent.z ? 0 : (extent.y >= extent.z ? 1 : 2)
            bins[range].sort { $0.colour[channel] < $1.colour[channel] }
            let half = range.reduce(Float(0)) { $0 + bins[$1].count } / 2
            var running: Float = 0
            var split = range.lowerBound + 1
            for index in range {
                running += bins[index].count
                if running >= half {
                    split = min(max(index + 1, range.lowerBound + 1), range.upperBound - 1)
                    break
                }
            }
            if range.count == 2 { split = range.lowerBound + 1 }
            boxes[worst] = Box(bins: range.lowerBound..<split, error: boxError(range.lowerBound..<split))
            boxes.append(Box(bins: split..<range.upperBound, error: boxError(split..<range.upperBound)))
        }
        var centres: [SIMD3<Float>] = boxes.map { box in
            var total: Float = 0
            var sum = SIMD3<Float>.zero
            for index in box.bins {
                total += bins[index].count
                sum += bins[index].colour * bins[index].count
            }
            return total > 0 ? sum / total : .zero
        }
        // k-means (Lloyd) rounds over the bins.
        for _ in 0..<3 {
            var totals = [Float](repeating: 0, count: centres.count)
            var newSums = [SIMD3<Float>](repeating: .zero, count: centres.count)
            let search = NearestSearch(centres)
            for bin in bins {
                let nearest = search.nearest(bin.colour)
                totals[nearest] += bin.count
                newSums[nearest] += bin.colour * bin.count
            }
            for index in centres.indices where totals[index] > 0 { centres[index] = newSums[index] / totals[index] }
        }
        var entries: [Entry] = []
        for centre in centres {
            let percent = (centre * (100 / 255)).rounded(.toNearestOrAwayFromZero)
                .clamped(lowerBound: .zero, upperBound: SIMD3(repeating: 100))
            let entry = Entry(red: UInt8(percent.x), green: UInt8(percent.y), blue: UInt8(percent.z))
            if !entries.contains(entry) { entries.append(entry) }
        }
        return entries
    }

    /// Nearest-entry search over a palette sorted by green (the channel with the most weight
    /// in luma, so the widest spread): walk outwards from the target's green and stop once the
    /// green gap alone exceeds the best distance. Same answer as the full scan (ties go to the
    /// lower original index), several times fewer distances on pictures.
    struct NearestSearch {
        let sorted: [SIMD3<Float>]
        let original: [Int]
        let greens: [Float]

        init(_ palette: [SIMD3<Float>]) {
            let order = palette.indices.sorted { (palette[$0].y, $0) < (palette[$1].y, $1) }
            sorted = order.map { palette[$0] }
            original = order
            greens = sorted.map(\.y)
        }

        func nearest(_ colour: SIMD3<Float>) -> Int {
            // First entry with green >= the target's (binary search).
            var low = 0
            var high = greens.count
            while low < high {
                let middle = (low + high) / 2
                if greens[middle] < colour.y { low = middle + 1 } else { high = middle }
            }
            var best = -1
            var bestDistance = Float.infinity
            var up = low
            var down = low - 1
            while up < sorted.count || down >= 0 {
                if up < sorted.count {
                    let gap = greens[up] - colour.y
                    if gap * gap > bestDistance {
                        up = sorted.count
                    } else {
                        let delta = sorted[up] - colour
                        let distance = (delta * delta).sum()
                        if distance < bestDistance || (distance == bestDistance && original[up] < original[best]) {
                            bestDistance = distance
                            best = up
                        }
                        up += 1
                    }
                }
                if down >= 0 {
                    let gap = colour.y - greens[down]
                    if gap * gap > bestDistance {
                        down = -1
                    } else {
                        let delta = sorted[down] - colour
                        let distance = (delta * delta).sum()
                        if distance < bestDistance || (distance == bestDistance && original[down] < original[best]) {
                            bestDistance = distance
                            best = down
                        }
                        down -= 1
                    }
                }
            }
            return original[max(best, 0)]
        }
    }

    @inline(__always)
    static func nearestIndex(_ colour: SIMD3<Float>, _ palette: [SIMD3<Float>]) -> Int {
        var best = 0
        var bestDistance = Float.infinity
        for index in palette.indices {
            let delta = palette[index] - colour
            let distance = (delta * delta).sum()
            if distance < bestDistance {
                bestDistance = distance
                best = index
            }
        }
        return best
    }

    /// Each pixel's nearest entry (as shown), memoised per 6-bit colour cell: the entry nearest
    /// the cell's centre stands for its 64 colours, which are within 2 levels of it.
    static func map(_ image: RGBImage, palette: [Entry]) -> [UInt8] {
        let search = NearestSearch(palette.map(\.shown))
        var memo = [Int16](repeating: -1, count: 1 << 18)  // 6 bits per channel
        var out = [UInt8](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { pixels in
            for index in 0..<out.count {
                let red = pixels[index * 3]
                let green = pixels[index * 3 + 1]
                let blue = pixels[index * 3 + 2]
                let key = Int(red >> 2) << 12 | Int(green >> 2) << 6 | Int(blue >> 2)
                if memo[key] < 0 {
                    let centre = SIMD3<Float>(Float(red & 0xFC) + 1.5, Float(green & 0xFC) + 1.5, Float(blue & 0xFC) + 1.5)
                    memo[key] = Int16(search.nearest(centre))
                }
                out[index] = UInt8(memo[key])
            }
        }
        return out
    }

    /// Floyd-Steinberg error diffusion onto the palette (serpentine), for small palettes.
    static func mapDithered(_ image: RGBImage, palette: [Entry]) -> [UInt8] {
        let shown = palette.map(\.shown)
        let width = image.width
        let height = image.height
        var errorRows = [[SIMD3<Float>]](repeating: [SIMD3<Float>](repeating: .zero, count: width + 2), count: 2)
        var out = [UInt8](repeating: 0, count: width * height)
        for row in 0..<height {
            let leftToRight = row % 2 == 0
            errorRows[1] = [SIMD3<Float>](repeating: .zero, count: width + 2)
            for step in 0..<width {
                let x = leftToRight ? step : width - 1 - step
                let offset = (row * width + x) * 3
                let original = SIMD3<Float>(
                    Float(image.pixels[offset]), Float(image.pixels[offset + 1]), Float(image.pixels[offset + 2]))
                let wanted = (original + errorRows[0][x + 1]).clamped(lowerBound: .zero, upperBound: SIMD3(repeating: 255))
                let chosen = nearestIndex(wanted, shown)
                out[row * width + x] = UInt8(chosen)
                let error = wanted - shown[chosen]
                let ahead = leftToRight ? x + 2 : x
                let behind = leftToRight ? x : x + 2
                errorRows[0][ahead] += error * (7 / 16)
                errorRows[1][behind] += error * (3 / 16)
                errorRows[1][x + 1] += error * (5 / 16)
                errorRows[1][ahead] += error * (1 / 16)
            }
            errorRows.swapAt(0, 1)
        }
        return out
    }

    // MARK: Bytes

    static func encodeIndexed(_ indices: [UInt8], width: Int, height: Int, palette: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(width * height / 2 + palette.count * 16 + 64)
        func append(_ text: String) { out.append(contentsOf: Array(text.utf8)) }
        func appendNumber(_ value: Int) {
            if value >= 10 { appendNumber(value / 10) }
            out.append(UInt8(48 + value % 10))
        }
        // DCS P1=9 (1:1 pixels), P2=1 (unset pixels keep the background), then raster attributes.
        append("\u{1B}P9;1;0q\"1;1;\(width);\(height)")
        for (index, entry) in palette.enumerated() {
            out.append(UInt8(ascii: "#"))
            appendNumber(index)
            append(";2;")
            appendNumber(Int(entry.red))
            out.append(UInt8(ascii: ";"))
            appendNumber(Int(entry.green))
            out.append(UInt8(ascii: ";"))
            appendNumber(Int(entry.blue))
        }
        // Per band: each colour's sixel column bits, and the span of columns it touches, so a
        // colour is emitted (and its row cleared) only over its own span, not the full width.
        var columnBits = [UInt8](repeating: 0, count: palette.count * width)
        var firstColumn = [Int](repeating: -1, count: palette.count)
        var lastColumn = [Int](repeating: 0, count: palette.count)
        var order: [Int] = []
        order.reserveCapacity(palette.count)
        indices.withUnsafeBufferPointer { pixels in
            columnBits.withUnsafeMutableBufferPointer { bitsBuffer in
                for bandTop in stride(from: 0, to: height, by: 6) {
                    order.removeAll(keepingCapacity: true)
                    for row in bandTop..<min(bandTop + 6, height) {
                        let bit = UInt8(1) << UInt8(row - bandTop)
                        let rowStart = row * width
                        for x in 0..<width {
                            let colour = Int(pixels[rowStart + x])
                            if firstColumn[colour] < 0 {
                                firstColumn[colour] = x
                                lastColumn[colour] = x
                                order.append(colour)
                            } else {
                                if x < firstColumn[colour] { firstColumn[colour] = x }
                                if x > lastColumn[colour] { lastColumn[colour] = x }
                            }
                            bitsBuffer[colour * width + x] |= bit
                        }
                    }
                    for (position, colour) in order.enumerated() {
                        out.append(UInt8(ascii: "#"))
                        appendNumber(colour)
                        let base = colour * width
                        // Leading empty columns as one run of blanks, trailing ones not at all.
                        var x = firstColumn[colour] > 3 ? firstColumn[colour] : 0
                        if x > 0 {
                            out.append(UInt8(ascii: "!"))
                            appendNumber(x)
                            out.append(63)
                        }
                        let end = lastColumn[colour] + 1
                        while x < end {
                            let bits = bitsBuffer[base + x]
                            var run = 1
                            while x + run < end && bitsBuffer[base + x + run] == bits { run += 1 }
                            let character = 63 + bits
                            if run >= 4 {
                                out.append(UInt8(ascii: "!"))
                                appendNumber(run)
                                out.append(character)
                            } else {
                                for _ in 0..<run { out.append(character) }
                            }
                            x += run
                        }
                        for index in (base + firstColumn[colour])..<(base + end) { bitsBuffer[index] = 0 }
                        firstColumn[colour] = -1
                        if position < order.count - 1 { out.append(UInt8(ascii: "$")) }
                    }
                    if bandTop + 6 < height { out.append(UInt8(ascii: "-")) }
                }
            }
        }
        out.append(contentsOf: [0x1B, UInt8(ascii: "\\")])
        return out
    }
}
