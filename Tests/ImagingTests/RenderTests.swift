import Foundation
import LabelAuditCore
import Testing

@testable import LabelAuditImaging

@Suite("Block-glyph rendering")
struct RenderTests {
    @Test("the grid is fitted like chafa: 1:2 cells, aspect kept, truncated")
    func fittedGrid() {
        #expect(BlockRenderer.fittedGrid(width: 1024, height: 1024, columns: 40, rows: 20) == (40, 20))
        #expect(BlockRenderer.fittedGrid(width: 1024, height: 1024, columns: 80, rows: 20) == (40, 20))
        #expect(BlockRenderer.fittedGrid(width: 200, height: 100, columns: 40, rows: 20) == (40, 10))
        #expect(BlockRenderer.fittedGrid(width: 100, height: 400, columns: 40, rows: 20) == (10, 20))
        #expect(BlockRenderer.fittedGrid(width: 696, height: 246, columns: 40, rows: 20) == (40, 7))
        #expect(BlockRenderer.fittedGrid(width: 5, height: 5, columns: 40, rows: 20) == (5, 2))
        #expect(BlockRenderer.fittedGrid(width: 3000, height: 10, columns: 40, rows: 20) == (40, 1))
    }

    @Test("half: top and bottom colours of a cell become fg and bg of the upper half block")
    func halfBlock() {
        let image = Fixtures.painted(width: 12, height: 24) { _, y in y < 12 ? (250, 0, 0) : (0, 0, 250) }
        let picture = BlockRenderer.render(image, options: RenderOptions(columns: 1, rows: 1, symbols: .half))
        #expect(picture.columns == 1 && picture.rows == 1)
        // The light unsharp mask lifts the edge a little: 250 may come out up to 255.
        let cell = picture[0, 0]
        #expect(cell.glyph == "\u{2580}")
        guard case .rgb(let red, 0, 0) = cell.foreground, case .rgb(0, 0, let blue) = cell.background else {
            Issue.record("unexpected colours \(cell)")
            return
        }
        #expect((248...255).contains(red) && (248...255).contains(blue))
    }

    @Test("quad: a lone bright quadrant is drawn with its quadrant glyph")
    func quadrant() {
        let image = Fixtures.painted(width: 12, height: 24) { x, y in x < 6 && y < 12 ? (255, 255, 255) : (0, 0, 0) }
        let picture = BlockRenderer.render(image, options: RenderOptions(columns: 1, rows: 1, symbols: .quad))
        #expect(picture[0, 0].glyph == "\u{2598}")
        // The half set can only split the cell in halves (top/bottom or left/right).
        let half = BlockRenderer.render(image, options: RenderOptions(columns: 1, rows: 1, symbols: .half))
        #expect(half[0, 0].glyph == "\u{2580}" || half[0, 0].glyph == "\u{258C}")
        let columns = Fixtures.painted(width: 12, height: 24) { x, _ in x < 6 ? (255, 255, 255) : (0, 0, 0) }
        #expect(
            BlockRenderer.render(columns, options: RenderOptions(columns: 1, rows: 1, symbols: .half))[0, 0].glyph == "\u{258C}")
    }

    @Test("sextant: a 2x3 pattern picks the Unicode sextant with that bit pattern")
    func sextant() {
        // Top-left and middle-right sextants lit: pattern bit0 + bit3 = 9 -> U+1FB08.
        let image = Fixtures.painted(width: 12, height: 36) { x, y in
            let column = x / 6
            let row = y / 12
            return (column == 0 && row == 0) || (column == 1 && row == 1) ? (255, 255, 255) : (0, 0, 0)
        }
        let picture = BlockRenderer.render(image, options: RenderOptions(columns: 1, rows: 1, symbols: .sextant))
        let cell = picture[0, 0]
        let lit = GlyphCell(glyph: "\u{1FB08}", foreground: .rgb(255, 255, 255), background: .rgb(0, 0, 0))
        let inverted = GlyphCell(
            glyph: GlyphShapes.sextantGlyph(pattern: 63 - 9), foreground: .rgb(0, 0, 0), background: .rgb(255, 255, 255))
        #expect(cell == lit || cell == inverted)
    }

    @Test("sextant glyphs follow Unicode's order around the two block-element columns")
    func sextantTable() {
        #expect(GlyphShapes.sextantGlyph(pattern: 1) == "\u{1FB00}")
        #expect(GlyphShapes.sextantGlyph(pattern: 20) == "\u{1FB13}")
        #expect(GlyphShapes.sextantGlyph(pattern: 21) == "\u{258C}")
        #expect(GlyphShapes.sextantGlyph(pattern: 22) == "\u{1FB14}")
        #expect(GlyphShapes.sextantGlyph(pattern: 42) == "\u{2590}")
        #expect(GlyphShapes.sextantGlyph(pattern: 62) == "\u{1FB3B}")
        // Each set holds every distinct partition once: 2, 7 and 37 non-uniform shapes.
        #expect(GlyphShapes.half.count == 2 && GlyphShapes.quad.count == 7 && GlyphShapes.sextant.count == 37)
        let masks = GlyphShapes.sextant.map(\.mask)
        #expect(Set(masks).count == masks.count)
        #expect(masks.allSatisfy { !masks.contains(~$0) })
    }

    @Test("a flat picture is drawn with spaces in its colour")
    func flatPicture() {
        let image = RGBImage(width: 60, height: 60, fill: (10, 120, 200))
        let picture = BlockRenderer.render(image, options: RenderOptions(columns: 4, rows: 2, symbols: .sextant))
        #expect(picture.cells.allSatisfy { $0.glyph == " " && $0.background == .rgb(10, 120, 200) })
    }

    @Test("the renderer's choice is the least-squares best of its set (brute force check)")
    func leastSquares() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<200 {
            var values: [SIMD4<Float>] = []
            for _ in 0..<12 {
                let red = Float.random(in: 0...255, using: &random)
                let green = Float.random(in: 0...255, using: &random)
                let blue = Float.random(in: 0...255, using: &random)
                values.append(SIMD4(red, green, blue, 0))
            }
            // 12 samples of one cell, laid out 2 across x 6 down.
            var samples = [Float]()
            for value in values { samples += [value.x, value.y, value.z] }
            let cells = samples.withUnsafeBufferPointer {
                BlockRenderer.cellsFor(
                    samples: $0, columns: 1, rows: 1, options: RenderOptions(columns: 1, rows: 1, symbols: .sextant))
            }
            func regionOf(_ index: Int) -> Int { [0, 0, 1, 2, 3, 3][index / 2] * 2 + index % 2 }
            func error(mask: UInt8) -> Float {
                let inside = (0..<12).filter { mask & (1 << regionOf($0)) != 0 }
                let outside = (0..<12).filter { mask & (1 << regionOf($0)) == 0 }
                func sse(_ indices: [Int]) -> Float {
                    guard !indices.isEmpty else { return 0 }
                    let mean = indices.reduce(SIMD4<Float>.zero) { $0 + values[$1] } / Float(indices.count)
                    return indices.reduce(0) { $0 + ((values[$1] - mean) * (values[$1] - mean)).sum() }
                }
                return sse(inside) + sse(outside)
            }
            let best = GlyphShapes.sextant.map { error(mask: $0.mask) }.min()!
            let chosen = GlyphShapes.sextant.first { $0.glyph == cells[0].glyph }.map { error(mask: $0.mask) } ?? error(mask: 0)
            #expect(abs(chosen - best) <= best * 1e-4 + 1)
        }
    }

    @Test("256 colours use indices 16-255 only, nearest by the perceptual distance")
    func palette256() {
        #expect(Palette.nearest256(SIMD4(95, 135, 175, 0)).index == 67)
        #expect(Palette.nearest256(SIMD4(128, 128, 128, 0)).index == 244)
        #expect(Palette.nearest256(SIMD4(0, 0, 0, 0)).index == 16)
        #expect(Palette.nearest256(SIMD4(255, 255, 255, 0)).index == 231)
        // Every palette colour maps to itself (the greys 16 and 231 duplicate no grey step).
        for index in 16...255 {
            #expect(Int(Palette.nearest256(Palette.rgb256(index: index)).index) == index)
        }
        // Slightly off a grey step stays on the grey ramp, not the coarser cube.
        #expect(Palette.nearest256(SIMD4(60, 61, 59, 0)).index == 237)
        let picture = BlockRenderer.render(
            Fixtures.gradient(width: 200, height: 200),
            options: RenderOptions(columns: 20, rows: 10, symbols: .quad, colors: .palette256))
        for cell in picture.cells {
            for colour in [cell.foreground, cell.background] {
                guard case .indexed(let index) = colour else {
                    Issue.record("not indexed: \(colour)")
                    continue
                }
                #expect(index >= 16)
            }
        }
    }

    @Test("256 colours: pattern and palette colours are the joint least-cost choice (brute force over every entry)")
    func quantisedChoice() {
        var random = SplitMix64(seed: 11)
        var optimal = 0
        for _ in 0..<120 {
            var values: [SIMD4<Float>] = []
            let base = SIMD4<Float>(
                Float.random(in: 0...255, using: &random), Float.random(in: 0...255, using: &random),
                Float.random(in: 0...255, using: &random), 0)
            for _ in 0..<12 {
                let noise = SIMD4<Float>(
                    Float.random(in: -60...60, using: &random), Float.random(in: -60...60, using: &random),
                    Float.random(in: -60...60, using: &random), 0)
                values.append((base + noise).clamped(lowerBound: .zero, upperBound: SIMD4(repeating: 255)))
            }
            var samples = [Float]()
            for value in values { samples += [value.x, value.y, value.z] }
            let chosen = samples.withUnsafeBufferPointer {
                BlockRenderer.cellsFor(
                    samples: $0, columns: 1, rows: 1,
                    options: RenderOptions(columns: 1, rows: 1, symbols: .quad, colors: .palette256))[0]
            }
            func regionOf(_ index: Int) -> Int { [0, 0, 1, 2, 3, 3][index / 2] * 2 + index % 2 }
            // The cost the renderer minimises, computed directly from the 12 samples.
            func cost(mask: UInt8, fore: Int, back: Int) -> Float {
                var leftover: Float = 0
                var perceptual: Float = 0
                for inside in [true, false] {
                    let members = (0..<12).filter { (mask & (1 << regionOf($0)) != 0) == inside }
                    guard !members.isEmpty else { continue }
                    let mean = members.reduce(SIMD4<Float>.zero) { $0 + values[$1] } / Float(members.count)
                    leftover += members.reduce(0) { $0 + ((values[$1] - mean) * (values[$1] - mean)).sum() }
                    perceptual +=
                        Float(members.count)
                        * Palette.distance(Palette.perceptual(mean), Palette.cielab256[(inside ? fore : back) - 16])
                }
                return leftover * BlockRenderer.paletteStructureScale + perceptual
            }
            func index(_ colour: TerminalColor) -> Int {
                guard case .indexed(let value) = colour else { return 0 }
                return Int(value)
            }
            let chosenMask = GlyphShapes.quad.first { $0.glyph == chosen.glyph }?.mask ?? 0
            // A space is any pattern drawn in one colour (the renderer turns such a pattern into
            // a space): its cost is that of the cheapest pattern drawn so.
            let chosenCost =
                chosen.glyph == " "
                ? ([UInt8(0)] + GlyphShapes.quad.map(\.mask)).map {
                    cost(mask: $0, fore: index(chosen.background), back: index(chosen.background))
                }.min()!
                : cost(mask: chosenMask, fore: index(chosen.foreground), back: index(chosen.background))
            // Every shape (and the flat cell) with its best entries found by exhaustive search.
            var best = Float.infinity
            for mask in [UInt8(0)] + GlyphShapes.quad.map(\.mask) {
                var bestFore = Float.infinity
                var bestBack = Float.infinity
                for entry in 16...255 {
                    bestFore = min(bestFore, cost(mask: mask, fore: entry, back: 16) - cost(mask: mask, fore: 16, back: 16))
                    bestBack = min(bestBack, cost(mask: mask, fore: 16, back: entry) - cost(mask: mask, fore: 16, back: 16))
                }
                best = min(best, cost(mask: mask, fore: 16, back: 16) + bestFore + bestBack)
            }
            // The renderer re-scores only its 4 best shapes by the continuous fit (7 of 8 scored
            // the same median SSIM on faces), so it may miss the optimum where a fifth shape wins
            // after rounding to the palette; never by much, and rarely.
            #expect(chosenCost <= best * 1.2 + 1e-4)
            if chosenCost <= best * 1.001 + 1e-6 { optimal += 1 }
        }
        #expect(optimal >= 110)
    }

    @Test("the 256-colour candidate table finds the exhaustive nearest entry (the palette distance)")
    func candidateTable() {
        var random = SplitMix64(seed: 5)
        var exact = 0
        let trials = 4000
        for _ in 0..<trials {
            let colour = SIMD4<Float>(
                Float.random(in: 0...255, using: &random), Float.random(in: 0...255, using: &random),
                Float.random(in: 0...255, using: &random), 0)
            let fast = Palette.nearest256(colour)
            let full = Palette.nearest256Exhaustive(colour)
            if fast.index == full.index { exact += 1 }
            #expect(fast.distance <= full.distance * 1.25 + 1e-6)
        }
        #expect(exact >= trials * 995 / 1000)
    }

    /// The xterm palette has no entry near some skins (dark ones such as (120, 80, 60), greyish
    /// ones such as (180, 150, 140)): there a grey is close to CIEDE2000's best too and may be
    /// chosen. See DECISIONS.md, "256 colours".
    @Test("256 colours keep skin tones chromatic: a skin-coloured picture is not drawn in greys")
    func skinStaysSkin() {
        for skin: (UInt8, UInt8, UInt8) in [(224, 172, 140), (198, 134, 102), (141, 85, 60), (236, 200, 180), (250, 220, 200)] {
            let image = RGBImage(width: 64, height: 64, fill: skin)
            let picture = BlockRenderer.render(image, options: RenderOptions(columns: 8, rows: 4, colors: .palette256))
            for cell in picture.cells {
                guard case .indexed(let index) = cell.background else {
                    Issue.record("not indexed")
                    continue
                }
                #expect(index < 232, "skin \(skin) drawn as grey \(index)")
            }
        }
    }

    @Test("ordered dither changes 256-colour output on a gradient and stays in 16-255")
    func dither() {
        let image = Fixtures.gradient(width: 300, height: 300)
        let plain = BlockRenderer.render(image, options: RenderOptions(columns: 30, rows: 15, colors: .palette256))
        let dithered = BlockRenderer.render(
            image, options: RenderOptions(columns: 30, rows: 15, colors: .palette256, dither: true))
        #expect(plain != dithered)
        for cell in dithered.cells {
            if case .indexed(let index) = cell.background { #expect(index >= 16) } else { Issue.record("not indexed") }
        }
    }

    @Test("16 colours use 0-15; none is a shade ramp in default colours")
    func sixteenAndNone() {
        let image = Fixtures.gradient(width: 100, height: 100)
        let sixteen = BlockRenderer.render(image, options: RenderOptions(columns: 10, rows: 5, colors: .palette16))
        for cell in sixteen.cells {
            if case .indexed(let index) = cell.background { #expect(index < 16) } else { Issue.record("not indexed") }
        }
        #expect(Palette.nearest16(SIMD4(250, 5, 5, 0)).index == 9)
        let grey = Fixtures.painted(width: 60, height: 60) { x, _ in x < 30 ? (0, 0, 0) : (255, 255, 255) }
        let none = BlockRenderer.render(grey, options: RenderOptions(columns: 2, rows: 1, colors: .none))
        #expect(none.cells.map(\.glyph) == [" ", "\u{2588}"])
        #expect(none.cells.allSatisfy { $0.foreground == .terminalDefault && $0.background == .terminalDefault })
    }

    @Test("eye zoom renders the band only, with the band's aspect")
    func eyeZoom() {
        // Red outside the band, green inside: the eyes view must be all green.
        let band = EyeBand.standard
        let image = Fixtures.painted(width: 1000, height: 1000) { x, y in
            let inside =
                Double(x) >= band.x0 * 1000 && Double(x) < band.x1 * 1000 && Double(y) >= band.y0 * 1000
                && Double(y) < band.y1 * 1000
            return inside ? (0, 200, 0) : (200, 0, 0)
        }
        let picture = BlockRenderer.render(image, options: RenderOptions(columns: 40, rows: 20, zoom: .eyes))
        #expect(picture.columns == 40 && picture.rows == 7)
        #expect(picture.cells.allSatisfy { $0.glyph == " " && $0.background == .rgb(0, 200, 0) })
        let crop = band.crop(image)
        #expect(crop.width == 680 && crop.height == 240)
        #expect(Fixtures.pixel(crop, 0, 0) == (0, 200, 0) && Fixtures.pixel(crop, 679, 239) == (0, 200, 0))
    }

    @Test("enlarging interpolates (bicubic), so a smooth ramp stays smooth instead of stepping in blocks")
    func enlargingIsSmooth() {
        let ramp = Fixtures.painted(width: 8, height: 1) { x, _ in (UInt8(x * 32), UInt8(x * 32), UInt8(x * 32)) }
        let wide = Resample.area(ramp, width: 64, height: 1)
        let values = stride(from: 0, to: 64 * 3, by: 3).map { Int(wide.pixels[$0]) }
        // Box enlargement would repeat each source pixel 8 times (7 zero steps in 8).
        let flatSteps = zip(values, values.dropFirst()).filter { $0 == $1 }.count
        #expect(flatSteps < 16)
        #expect(zip(values, values.dropFirst()).allSatisfy { $1 >= $0 - 1 })
        // Shrinking is still the exact area mean.
        #expect(Resample.area(ramp, width: 2, height: 1).pixels == [48, 48, 48, 176, 176, 176])
    }

    @Test("the eye band reshaped for a box fills its width: 190 columns at 190x30, 110 at 110x20")
    func eyeBandFilling() {
        let image = RGBImage(width: 1024, height: 1024, fill: (90, 90, 90))
        for (columns, rows) in [(190, 30), (110, 20), (70, 10), (190, 50)] {
            let band = EyeBand.standard.filling(columns: columns, rows: rows, imageWidth: 1024, imageHeight: 1024)
            #expect(band.x0 == EyeBand.standard.x0 && band.x1 == EyeBand.standard.x1)
            #expect(abs((band.y0 + band.y1) / 2 - 0.46) < 1e-9)
            let picture = BlockRenderer.render(
                image, options: RenderOptions(columns: columns, rows: rows, zoom: .eyes, eyeBand: band))
            #expect(picture.columns == columns && picture.rows >= rows - 1)
        }
        // The standard band as it is leaves a 190x30 box partly empty.
        #expect(BlockRenderer.render(image, options: RenderOptions(columns: 190, rows: 30, zoom: .eyes)).columns == 169)
        // A very tall box cannot grow the band beyond the picture.
        let tall = EyeBand.standard.filling(columns: 20, rows: 60, imageWidth: 1024, imageHeight: 1024)
        #expect(tall.y0 == 0 && tall.y1 == 1)
    }

    @Test("rendering a file equals rendering its decoded pixels at the chosen scale")
    func renderFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.file(
            "face.jpg", bytes: try JPEGEncoder.encode(Fixtures.gradient(width: 1024, height: 1024), quality: 90))
        let options = RenderOptions(columns: 40, rows: 20, symbols: .sextant)
        let picture = try BlockRenderer.render(path: path, options: options)
        #expect(picture.columns == 40 && picture.rows == 20)
        let decoded = try JPEGDecoder.decode(path: path, covering: (160, 240))
        #expect(decoded.width == 256)
        #expect(picture == BlockRenderer.render(decoded, options: options))
        #expect(throws: ImageDecodeError(path: folder.path + "/x.jpg", kind: .unreadable("No such file or directory"))) {
            try BlockRenderer.render(path: folder.path + "/x.jpg", options: options)
        }
    }
}

@Suite("Resampling, colour detection, ANSI")
struct SupportTests {
    @Test("area resampling averages exactly, with fractional weights")
    func area() {
        let image = Fixtures.painted(width: 4, height: 2) { x, y in (UInt8(x * 40 + y * 100), 0, 0) }
        let half = Resample.area(image, width: 2, height: 1)
        #expect(half.pixels == [70, 0, 0, 150, 0, 0])
        let three = RGBImage(width: 3, height: 1, pixels: [0, 0, 0, 90, 0, 0, 180, 0, 0])
        #expect(Resample.area(three, width: 2, height: 1).pixels == [30, 0, 0, 150, 0, 0])
        let up = Resample.area(three, width: 6, height: 2)
        // Enlarging interpolates (bicubic): the ends stay near the end pixels, the ramp rises.
        #expect(up.width == 6 && up.height == 2 && up.pixels[0] <= 8 && abs(Int(up.pixels[15]) - 180) <= 8)
        #expect((0..<5).allSatisfy { up.pixels[$0 * 3] <= up.pixels[$0 * 3 + 3] })
    }

    @Test("colour mode detection: NO_COLOR, COLORTERM, *-direct, then the colour count")
    func detection() {
        #expect(ColorMode.detect(environment: ["NO_COLOR": "1", "COLORTERM": "truecolor"], terminalColors: 256) == .none)
        #expect(ColorMode.detect(environment: ["NO_COLOR": "", "COLORTERM": "truecolor"], terminalColors: 8) == .truecolor)
        #expect(ColorMode.detect(environment: ["COLORTERM": "24bit"], terminalColors: nil) == .truecolor)
        #expect(ColorMode.detect(environment: ["TERM": "tmux-direct"], terminalColors: 256) == .truecolor)
        #expect(ColorMode.detect(environment: ["TERM": "xterm-256color"], terminalColors: 256) == .palette256)
        #expect(ColorMode.detect(environment: ["TERM": "xterm"], terminalColors: 8) == .palette16)
        #expect(ColorMode.detect(environment: ["TERM": "xterm-256color"], terminalColors: nil) == .palette256)
        #expect(ColorMode.detect(environment: ["TERM": "dumb"], terminalColors: nil) == .none)
        #expect(ColorMode.detect(environment: [:], terminalColors: -1) == .none)
    }

    @Test("ANSI output: one SGR per colour change, spaces send only their background, reset per line")
    func ansi() {
        let red = TerminalColor.rgb(255, 0, 0)
        let blue = TerminalColor.rgb(0, 0, 255)
        let picture = CellPicture(
            columns: 3, rows: 2,
            cells: [
                GlyphCell(glyph: "\u{2580}", foreground: red, background: blue),
                GlyphCell(glyph: "\u{2580}", foreground: red, background: blue),
                GlyphCell(glyph: " ", foreground: blue, background: red),
                GlyphCell(glyph: "\u{2584}", foreground: .indexed(196), background: .indexed(9)),
                GlyphCell(glyph: "\u{2591}", foreground: .terminalDefault, background: .terminalDefault),
                GlyphCell(glyph: "\u{2591}", foreground: .indexed(3), background: .terminalDefault),
            ])
        #expect(
            ANSIWriter.ansi(picture) == "\u{1B}[38;2;255;0;0;48;2;0;0;255m\u{2580}\u{2580}\u{1B}[48;2;255;0;0m \u{1B}[0m\n"
                + "\u{1B}[38;5;196;101m\u{2584}\u{1B}[39;49m\u{2591}\u{1B}[33m\u{2591}\u{1B}[0m\n")
    }
}
