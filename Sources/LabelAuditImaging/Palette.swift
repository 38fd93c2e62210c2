#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Colour quantisation for palette terminals: the xterm 256-colour and ANSI 16-colour tables and
/// the renderer's perceptual distance to their entries (CIELAB, CIE94's form, CIEDE2000's
/// lightness scale; see `distance`).
enum Palette {
    /// The xterm 6x6x6 cube levels (indices 16-231).
    static let cubeLevels: [Float] = [0, 95, 135, 175, 215, 255]

    /// sRGB of xterm indices 16-255, at position index-16.
    static let rgb256Table: [SIMD4<Float>] = (16...255).map { rgb256(index: $0) }

    /// The xterm defaults for the 16 ANSI colours (what the fidelity tool assumes).
    static let rgb16: [SIMD4<Float>] = [
        (0x00, 0x00, 0x00), (0xcd, 0x00, 0x00), (0x00, 0xcd, 0x00), (0xcd, 0xcd, 0x00),
        (0x00, 0x00, 0xee), (0xcd, 0x00, 0xcd), (0x00, 0xcd, 0xcd), (0xe5, 0xe5, 0xe5),
        (0x7f, 0x7f, 0x7f), (0xff, 0x00, 0x00), (0x00, 0xff, 0x00), (0xff, 0xff, 0x00),
        (0x5c, 0x5c, 0xff), (0xff, 0x00, 0xff), (0x00, 0xff, 0xff), (0xff, 0xff, 0xff),
    ].map { SIMD4<Float>(Float($0.0), Float($0.1), Float($0.2), 0) }

    /// sRGB of an xterm index 16-255.
    static func rgb256(index: Int) -> SIMD4<Float> {
        if index >= 232 {
            let level = Float(8 + 10 * (index - 232))
            return SIMD4(level, level, level, 0)
        }
        let cube = index - 16
        return SIMD4(cubeLevels[cube / 36], cubeLevels[(cube / 6) % 6], cubeLevels[cube % 6], 0)
    }

    private static func linear(_ value: Float) -> Float {
        let unit = min(max(value, 0), 255) / 255
        return unit <= 0.04045 ? unit / 12.92 : powf((unit + 0.055) / 1.055, 2.4)
    }

    // MARK: Perceptual look-up (the renderer's palette choice)

    /// How much more lightness counts than chroma and hue in the renderer's palette distance
    /// (after CIEDE2000's own lightness scaling). See DECISIONS.md, "256 colours".
    static let lightnessWeight: Float = 4

    /// A colour as the palette distance needs it: CIELAB (D65) and its chroma, plus the
    /// CIE94/CIEDE2000 weights that depend only on the target colour.
    struct PerceptualColour {
        var lab: SIMD4<Float>  // L, a, b, chroma
        var lightnessScale: Float  // lightnessWeight / S_L^2 (S_L as in CIEDE2000)
        var chromaScale: Float  // 1 / S_C^2, S_C = 1 + 0.045 C
        var hueScale: Float  // 1 / S_H^2, S_H = 1 + 0.015 C
    }

    /// sRGB -> linear light for 0...255 in steps of 1/4, interpolated between (the exact curve
    /// costs a `powf` per channel, about as much as the rest of a cell's work).
    private static let linearTable: [Float] = (0...1024).map { linear(Float($0) / 4) }

    @inline(__always)
    private static func fastLinear(_ value: Float) -> Float {
        let position = min(max(value, 0), 255) * 4
        let index = min(Int(position), 1023)
        let fraction = position - Float(index)
        return linearTable.withUnsafeBufferPointer { $0[index] + fraction * ($0[index + 1] - $0[index]) }
    }

    /// CIELAB (D65, 2 degrees) of an sRGB colour (0...255), chroma in the fourth lane.
    static func cielab(_ rgb: SIMD4<Float>) -> SIMD4<Float> {
        let red = fastLinear(rgb.x)
        let green = fastLinear(rgb.y)
        let blue = fastLinear(rgb.z)
        let x = (0.4124564 * red + 0.3575761 * green + 0.1804375 * blue) / 0.95047
        let y = 0.2126729 * red + 0.7151522 * green + 0.0721750 * blue
        let z = (0.0193339 * red + 0.1191920 * green + 0.9503041 * blue) / 1.08883
        func f(_ t: Float) -> Float { t > 216.0 / 24389.0 ? cbrtf(t) : (24389.0 / 27.0 * t + 16) / 116 }
        let fx = f(x)
        let fy = f(y)
        let fz = f(z)
        let a = 500 * (fx - fy)
        let b = 200 * (fy - fz)
        return SIMD4(116 * fy - 16, a, b, (a * a + b * b).squareRoot())
    }

    static func perceptual(_ rgb: SIMD4<Float>) -> PerceptualColour {
        let lab = cielab(rgb)
        let offset = lab.x - 50
        let lightness = 1 + 0.015 * offset * offset / (20 + offset * offset).squareRoot()
        let chroma = 1 + 0.045 * lab.w
        let hue = 1 + 0.015 * lab.w
        return PerceptualColour(
            lab: lab, lightnessScale: lightnessWeight / (lightness * lightness),
            chromaScale: 1 / (chroma * chroma), hueScale: 1 / (hue * hue))
    }

    /// The renderer's palette distance from a target to a palette colour (CIELAB, chroma in
    /// the fourth lane): CIE94's form with CIEDE2000's lightness scale and lightness weighted
    /// `lightnessWeight` times, squared.
    @inline(__always)
    static func distance(_ target: PerceptualColour, _ entry: SIMD4<Float>) -> Float {
        let delta = target.lab - entry
        let chromaDelta = delta.w
        let hueSquared = max(delta.y * delta.y + delta.z * delta.z - chromaDelta * chromaDelta, 0)
        return delta.x * delta.x * target.lightnessScale + chromaDelta * chromaDelta * target.chromaScale
            + hueSquared * target.hueScale
    }

    static let cielab256: [SIMD4<Float>] = rgb256Table.map { cielab($0) }
    static let cielab16: [SIMD4<Float>] = rgb16.map { cielab($0) }

    /// Candidate entries per cell of a 16x16x16 grid over sRGB: the 10 entries nearest (in the
    /// palette distance) to the cell's centre. A colour's nearest entry is then found among 10,
    /// not 240; a test checks this against the exhaustive search.
    static let candidatesPerCell = 10
    private static let gridLevels = 16
    static let candidateTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: gridLevels * gridLevels * gridLevels * candidatesPerCell)
        let entries = cielab256
        var distances = [(Float, Int)](repeating: (0, 0), count: entries.count)
        for red in 0..<gridLevels {
            for green in 0..<gridLevels {
                for blue in 0..<gridLevels {
                    let centre = SIMD4<Float>((Float(red) + 0.5) * 16, (Float(green) + 0.5) * 16, (Float(blue) + 0.5) * 16, 0)
                    let target = perceptual(centre)
                    for position in 0..<entries.count { distances[position] = (distance(target, entries[position]), position) }
                    distances.sort { $0.0 < $1.0 }
                    let base = ((red * gridLevels + green) * gridLevels + blue) * candidatesPerCell
                    for rank in 0..<candidatesPerCell { table[base + rank] = UInt8(distances[rank].1) }
                }
            }
        }
        return table
    }()

    /// The 256-colour entry (16-255) nearest to `rgb` in the palette distance, and that distance.
    static func nearest256(_ rgb: SIMD4<Float>) -> (index: UInt8, distance: Float) {
        let target = perceptual(rgb)
        let clamped = rgb.clamped(lowerBound: .zero, upperBound: SIMD4(repeating: 255))
        let red = min(Int(clamped.x) >> 4, 15)
        let green = min(Int(clamped.y) >> 4, 15)
        let blue = min(Int(clamped.z) >> 4, 15)
        let base = ((red * gridLevels + green) * gridLevels + blue) * candidatesPerCell
        var best = 0
        var bestDistance = Float.infinity
        candidateTable.withUnsafeBufferPointer { table in
            cielab256.withUnsafeBufferPointer { entries in
                for rank in 0..<candidatesPerCell {
                    let position = Int(table[base + rank])
                    let candidate = distance(target, entries[position])
                    if candidate < bestDistance {
                        bestDistance = candidate
                        best = position
                    }
                }
            }
        }
        return (UInt8(best + 16), bestDistance)
    }

    /// The same over all 240 entries (the reference the table is tested against).
    static func nearest256Exhaustive(_ rgb: SIMD4<Float>) -> (index: UInt8, distance: Float) {
        let target = perceptual(rgb)
        var best = 0
        var bestDistance = Float.infinity
        for (position, entry) in cielab256.enumerated() {
            let candidate = distance(target, entry)
            if candidate < bestDistance {
                bestDistance = candidate
                best = position
            }
        }
        return (UInt8(best + 16), bestDistance)
    }

    /// The nearest of the 16 ANSI colours in the palette distance, and that distance.
    static func nearest16(_ rgb: SIMD4<Float>) -> (index: UInt8, distance: Float) {
        let target = perceptual(rgb)
        var best = 0
        var bestDistance = Float.infinity
        for index in 0..<16 {
            let candidate = distance(target, cielab16[index])
            if candidate < bestDistance {
                bestDistance = candidate
                best = index
            }
        }
        return (UInt8(best), bestDistance)
    }
}
