#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Colour quantisation for palette terminals, nearest colour in OKLab (perceptually even:
/// equal distances look about equally different, unlike distances in sRGB).
enum Palette {
    /// The xterm 6x6x6 cube levels (indices 16-231).
    static let cubeLevels: [Float] = [0, 95, 135, 175, 215, 255]

    /// sRGB of xterm indices 16-255, at position index-16.
    static let rgb256Table: [SIMD4<Float>] = (16...255).map { rgb256(index: $0) }

    /// OKLab of xterm indices 16-255, at position index-16.
    static let lab256: [SIMD4<Float>] = (16...255).map { oklab(rgb256(index: $0)) }

    /// The xterm defaults for the 16 ANSI colours (what the fidelity tool assumes).
    static let rgb16: [SIMD4<Float>] = [
        (0x00, 0x00, 0x00), (0xcd, 0x00, 0x00), (0x00, 0xcd, 0x00), (0xcd, 0xcd, 0x00),
        (0x00, 0x00, 0xee), (0xcd, 0x00, 0xcd), (0x00, 0xcd, 0xcd), (0xe5, 0xe5, 0xe5),
        (0x7f, 0x7f, 0x7f), (0xff, 0x00, 0x00), (0x00, 0xff, 0x00), (0xff, 0xff, 0x00),
        (0x5c, 0x5c, 0xff), (0xff, 0x00, 0xff), (0x00, 0xff, 0xff), (0xff, 0xff, 0xff),
    ].map { SIMD4<Float>(Float($0.0), Float($0.1), Float($0.2), 0) }
    static let lab16: [SIMD4<Float>] = rgb16.map { oklab($0) }

    /// sRGB of an xterm index 16-255.
    static func rgb256(index: Int) -> SIMD4<Float> {
        if index >= 232 {
            let level = Float(8 + 10 * (index - 232))
            return SIMD4(level, level, level, 0)
        }
        let cube = index - 16
        return SIMD4(cubeLevels[cube / 36], cubeLevels[(cube / 6) % 6], cubeLevels[cube % 6], 0)
    }

    /// sRGB (0...255) to OKLab (Björn Ottosson's matrices).
    static func oklab(_ rgb: SIMD4<Float>) -> SIMD4<Float> {
        let red = linear(rgb.x), green = linear(rgb.y), blue = linear(rgb.z)
        let l = 0.4122214708 * red + 0.5363325363 * green + 0.0514459929 * blue
        let m = 0.2119034982 * red + 0.6806995451 * green + 0.1073969566 * blue
        let s = 0.0883024619 * red + 0.2817188376 * green + 0.6299787005 * blue
        let lRoot = cubeRoot(l), mRoot = cubeRoot(m), sRoot = cubeRoot(s)
        return SIMD4(0.2104542553 * lRoot + 0.7936177850 * mRoot - 0.0040720468 * sRoot,
                     1.9779984951 * lRoot - 2.4285922050 * mRoot + 0.4505937099 * sRoot,
                     0.0259040371 * lRoot + 0.7827717662 * mRoot - 0.8086757660 * sRoot, 0)
    }

    private static func linear(_ value: Float) -> Float {
        let unit = min(max(value, 0), 255) / 255
        return unit <= 0.04045 ? unit / 12.92 : powf((unit + 0.055) / 1.055, 2.4)
    }

    private static func cubeRoot(_ value: Float) -> Float {
        value <= 0 ? 0 : cbrtf(value)
    }

    /// Nearest xterm index in 16-255: an exact search over the 240 OKLab entries (SIMD
    /// distances, about 1 microsecond; bracketing the cube cell first missed the true nearest
    /// for about 1% of colours).
    static func nearest256(_ rgb: SIMD4<Float>) -> UInt8 {
        let target = oklab(rgb)
        var best = 0
        var bestDistance = Float.infinity
        lab256.withUnsafeBufferPointer { entries in
            for position in 0..<entries.count {
                let delta = entries[position] - target
                let distance = (delta * delta).sum()
                if distance < bestDistance { bestDistance = distance; best = position }
            }
        }
        return UInt8(best + 16)
    }

    /// The two nearest xterm indices in 16-255 (nearest first), for callers that then choose
    /// between them by the error they cause.
    static func nearestTwo256(_ rgb: SIMD4<Float>) -> (UInt8, UInt8) {
        let target = oklab(rgb)
        var first = 0, second = 1
        var firstDistance = Float.infinity, secondDistance = Float.infinity
        lab256.withUnsafeBufferPointer { entries in
            for position in 0..<entries.count {
                let delta = entries[position] - target
                let distance = (delta * delta).sum()
                if distance < firstDistance {
                    second = first; secondDistance = firstDistance
                    first = position; firstDistance = distance
                } else if distance < secondDistance {
                    second = position; secondDistance = distance
                }
            }
        }
        return (UInt8(first + 16), UInt8(second + 16))
    }

    /// Nearest of the 16 ANSI colours (index 0-15).
    static func nearest16(_ rgb: SIMD4<Float>) -> UInt8 {
        let target = oklab(rgb)
        var best = 0
        var bestDistance = Float.infinity
        for index in 0..<16 {
            let delta = lab16[index] - target
            let distance = (delta * delta).sum()
            if distance < bestDistance { bestDistance = distance; best = index }
        }
        return UInt8(best)
    }

    // MARK: Weighted perceptual look-up (the renderer's palette choice)

    /// How much more lightness counts than hue and chroma in the renderer's palette distance.
    /// On bench faces at 40x20 quad, 256 colours: 1 gave CIEDE2000 9.02 / SSIM 0.839, 1.5 gave
    /// 9.46 / 0.845, 2 gave 9.83 / 0.849, 3 gave 10.33 / 0.855; the sRGB error with a 3x luma
    /// term used before gave 9.81 / 0.842 (and turned desaturated skin grey). 1.5 is better than
    /// that on both counts on faces and photos, at both sizes.
    static let lightnessWeight: Float = 1.5

    /// OKLab with L scaled by sqrt(lightnessWeight): squared Euclidean distance there is the
    /// weighted distance.
    static func weightedLab(_ rgb: SIMD4<Float>) -> SIMD4<Float> {
        var lab = fastOKLab(rgb)
        lab.x *= lightnessWeight.squareRoot()
        return lab
    }

    static let weightedLab256: [SIMD4<Float>] = rgb256Table.map { weightedLab($0) }
    static let weightedLab16: [SIMD4<Float>] = rgb16.map { weightedLab($0) }

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

    /// OKLab through the interpolated transfer table (within 1e-5 of `oklab`).
    static func fastOKLab(_ rgb: SIMD4<Float>) -> SIMD4<Float> {
        let red = fastLinear(rgb.x), green = fastLinear(rgb.y), blue = fastLinear(rgb.z)
        let l = 0.4122214708 * red + 0.5363325363 * green + 0.0514459929 * blue
        let m = 0.2119034982 * red + 0.6806995451 * green + 0.1073969566 * blue
        let s = 0.0883024619 * red + 0.2817188376 * green + 0.6299787005 * blue
        let lRoot = cubeRoot(l), mRoot = cubeRoot(m), sRoot = cubeRoot(s)
        return SIMD4(0.2104542553 * lRoot + 0.7936177850 * mRoot - 0.0040720468 * sRoot,
                     1.9779984951 * lRoot - 2.4285922050 * mRoot + 0.4505937099 * sRoot,
                     0.0259040371 * lRoot + 0.7827717662 * mRoot - 0.8086757660 * sRoot, 0)
    }

    /// Candidate entries per cell of a 16x16x16 grid over sRGB: the 10 entries nearest (weighted
    /// OKLab) to the cell's centre. A colour's nearest entry is then found among 10, not 240;
    /// a test checks this against the exhaustive search.
    static let candidatesPerCell = 10
    private static let gridLevels = 16
    static let candidateTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: gridLevels * gridLevels * gridLevels * candidatesPerCell)
        let entries = weightedLab256
        var distances = [(Float, Int)](repeating: (0, 0), count: entries.count)
        for red in 0..<gridLevels {
            for green in 0..<gridLevels {
                for blue in 0..<gridLevels {
                    let centre = SIMD4<Float>((Float(red) + 0.5) * 16, (Float(green) + 0.5) * 16, (Float(blue) + 0.5) * 16, 0)
                    let target = weightedLab(centre)
                    for position in 0..<entries.count {
                        let delta = entries[position] - target
                        distances[position] = ((delta * delta).sum(), position)
                    }
                    distances.sort { $0.0 < $1.0 }
                    let base = ((red * gridLevels + green) * gridLevels + blue) * candidatesPerCell
                    for rank in 0..<candidatesPerCell { table[base + rank] = UInt8(distances[rank].1) }
                }
            }
        }
        return table
    }()

    /// The 256-colour entry (16-255) nearest to `rgb` in weighted OKLab, and that squared distance.
    static func nearestWeighted256(_ rgb: SIMD4<Float>) -> (index: UInt8, distance: Float) {
        let target = weightedLab(rgb)
        let clamped = rgb.clamped(lowerBound: .zero, upperBound: SIMD4(repeating: 255))
        let red = min(Int(clamped.x) >> 4, 15), green = min(Int(clamped.y) >> 4, 15), blue = min(Int(clamped.z) >> 4, 15)
        let base = ((red * gridLevels + green) * gridLevels + blue) * candidatesPerCell
        var best = 0
        var bestDistance = Float.infinity
        candidateTable.withUnsafeBufferPointer { table in
            weightedLab256.withUnsafeBufferPointer { entries in
                for rank in 0..<candidatesPerCell {
                    let position = Int(table[base + rank])
                    let delta = entries[position] - target
                    let distance = (delta * delta).sum()
                    if distance < bestDistance { bestDistance = distance; best = position }
                }
            }
        }
        return (UInt8(best + 16), bestDistance)
    }

    /// The same over all 240 entries (the reference the table is tested against).
    static func nearestWeighted256Exhaustive(_ rgb: SIMD4<Float>) -> (index: UInt8, distance: Float) {
        let target = weightedLab(rgb)
        var best = 0
        var bestDistance = Float.infinity
        for (position, entry) in weightedLab256.enumerated() {
            let delta = entry - target
            let distance = (delta * delta).sum()
            if distance < bestDistance { bestDistance = distance; best = position }
        }
        return (UInt8(best + 16), bestDistance)
    }

    /// The nearest of the 16 ANSI colours in weighted OKLab, and that squared distance.
    static func nearestWeighted16(_ rgb: SIMD4<Float>) -> (index: UInt8, distance: Float) {
        let target = weightedLab(rgb)
        var best = 0
        var bestDistance = Float.infinity
        for index in 0..<16 {
            let delta = weightedLab16[index] - target
            let distance = (delta * delta).sum()
            if distance < bestDistance { bestDistance = distance; best = index }
        }
        return (UInt8(best), bestDistance)
    }
}
