import LabelAuditImaging

/// Paints a face into an RGB float canvas, one shape at a time, each only inside its own bounding
/// box (after tilt), with analytic anti-aliasing from signed distances.
///
/// Complexity: O(Σ bbox area) per face — about 3·W·H pixel visits for the big shapes and a few
/// percent more for the small ones; no supersampling. Uses only IEEE +, −, ×, ÷ and sqrt, so the
/// pixels are the same on every platform.
package struct FaceRenderer {
    package let size: Int
    private var canvas: [Float]

    package init(size: Int) {
        self.size = size
        canvas = [Float](repeating: 0, count: size * size * 3)
    }

    /// Renders `look` at `size` × `size`.
    package mutating func render(_ look: FaceLook) -> RGBImage {
        let size = self.size
        var bytes = [UInt8](repeating: 0, count: size * size * 3)
        canvas.withUnsafeMutableBufferPointer { buffer in
            var painter = Painter(pixels: buffer.baseAddress!, size: size, tilt: look.tilt)
            painter.paintFace(look)
            bytes.withUnsafeMutableBufferPointer { out in
                Self.quantise(UnsafePointer(buffer.baseAddress!), into: out.baseAddress!, count: size * size * 3)
            }
        }
        return RGBImage(width: size, height: size, pixels: bytes)
    }
}

extension FaceRenderer {
    /// Clamps to 0...255 and rounds to nearest (ties to even) with the 1.5·2²³ trick: after the
    /// addition the float's low mantissa byte *is* the rounded value. Branch-free, so LLVM
    /// vectorises it; `UInt8(_:)` per element and SIMD `init(_:rounding:)` are both far slower.
    static func quantise(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<UInt8>, count: Int) {
        for i in 0..<count {
            let v = min(max(source[i], 0), 255) + 12_582_912
            target[i] = UInt8(truncatingIfNeeded: v.bitPattern)
        }
    }
}

/// The rasteriser proper: owns nothing, writes through a pointer into the caller's canvas.
struct Painter {
    let pixels: UnsafeMutablePointer<Float>
    let size: Int
    let scale: Float
    /// Rotation of the face about the point between the eyes (cos/sin by Taylor series: exact
    /// enough for |tilt| < 0.06 and free of libm differences).
    let cosT: Float, sinT: Float
    let pivotX: Float, pivotY: Float
    /// False while painting the background and shoulders, which do not tilt with the head.
    var tilted = true

    init(pixels: UnsafeMutablePointer<Float>, size: Int, tilt: Float) {
        self.pixels = pixels
        self.size = size
        scale = Float(size)
        let t2 = tilt * tilt
        cosT = 1 - t2 / 2 + t2 * t2 / 24
        sinT = tilt * (1 - t2 / 6 + t2 * t2 / 120)
        pivotX = 0.5 * Float(size)
        pivotY = 0.46 * Float(size)
    }

    /// Blends `paint` through `shape` at `opacity`; `softness` (pixels) widens the edge ramp for
    /// soft shadows and highlights. Pixels inside `hiddenBy` (face coordinates), which a later opaque
    /// shape will cover, are skipped.
    @inline(__always)
    func fill<S: Shape, P: Paint>(
        _ shape: S, _ paint: P, opacity: Float = 1, softness: Float = 1,
        hiddenBy hidden: Box = Box(minX: 1, minY: 1, maxX: 0, maxY: 0)
    ) {
        let b = shape.bounds.expanded(by: softness + 1)
        var minX = b.minX
        var maxX = b.maxX
        var minY = b.minY
        var maxY = b.maxY
        if tilted {
            minX = .infinity
            minY = .infinity
            maxX = -.infinity
            maxY = -.infinity
            for (cx, cy) in [(b.minX, b.minY), (b.maxX, b.minY), (b.minX, b.maxY), (b.maxX, b.maxY)] {
                let dx = cx - pivotX
                let dy = cy - pivotY
                let ix = cosT * dx - sinT * dy + pivotX
                let iy = sinT * dx + cosT * dy + pivotY
                minX = min(minX, ix)
                maxX = max(maxX, ix)
                minY = min(minY, iy)
                maxY = max(maxY, iy)
            }
        }
        let x0 = max(0, Int(max(minX, -1).rounded(.down)))
        let x1 = min(size - 1, Int(min(maxX, Float(size)).rounded(.up)))
        let y0 = max(0, Int(max(minY, -1).rounded(.down)))
        let y1 = min(size - 1, Int(min(maxY, Float(size)).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let inverseSoftness = 1 / softness
        let c = tilted ? cosT : 1
        let s = tilted ? sinT : 0
        for py in y0...y1 {
            let fy = Float(py) + 0.5 - pivotY
            var index = (py * size + x0) * 3
            for px in x0...x1 {
                let fx = Float(px) + 0.5 - pivotX
                let lx = c * fx + s * fy + pivotX
                let ly = c * fy - s * fx + pivotY
                if lx > hidden.minX && lx < hidden.maxX && ly > hidden.minY && ly < hidden.maxY {
                    index += 3
                    continue
                }
                let coverage = 0.5 - shape.distance(lx, ly) * inverseSoftness
                if coverage > 0 {
                    let alpha = min(coverage, 1) * opacity
                    let colour = paint.colour(lx, ly)
                    pixels[index] += (colour.x - pixels[index]) * alpha
                    pixels[index + 1] += (colour.y - pixels[index + 1]) * alpha
                    pixels[index + 2] += (colour.z - pixels[index + 2]) * alpha
                }
                index += 3
            }
        }
    }

    // MARK: - The face, back to front

    mutating func paintFace(_ look: FaceLook) {
        let unit = scale
        // Background: a vertical gradient over the whole canvas.
        for py in 0..<size {
            let t = (Float(py) + 0.5) / unit
            let c = look.backgroundTop + (look.backgroundBottom - look.backgroundTop) * t
            var index = py * size * 3
            for _ in 0..<size {
                pixels[index] = c.x
                pixels[index + 1] = c.y
                pixels[index + 2] = c.z
                index += 3
            }
        }

        let cx = 0.5 * unit
        let faceCY = 0.5 * unit
        let rx = look.faceHalfWidth * unit
        let ry = look.faceHalfHeight * unit
        let skin = look.skin

        tilted = false
        // Shoulders and clothes.
        fill(
            Ellipse(cx: cx, cy: 1.13 * unit, rx: 0.47 * unit, ry: 0.3 * unit),
            Shaded(
                base: look.clothes, cx: cx, cy: 1.05 * unit, rx: 0.47 * unit, ry: 0.3 * unit,
                lightX: look.lightX, strength: 0.2, rim: 0.1))
        tilted = true

        // The face will cover this box completely (an inscribed rectangle of its outline, 2 px in).
        let faceInterior = Box(
            minX: cx - 0.69 * rx * (1 - 0.25 * look.jaw) + 2, minY: faceCY - 0.7 * ry + 2,
            maxX: cx + 0.69 * rx * (1 - 0.25 * look.jaw) - 2, maxY: faceCY + 0.5 * ry - 2)
        paintHairBack(look, rx: rx, ry: ry, hiddenBy: faceInterior)

        // Neck, with the chin's shadow.
        tilted = false
        let neck = RoundedLens(cx: cx, cy: 0.86 * unit, a: 0.105 * unit, b: 0.14 * unit)
        fill(neck, Solid(skin * 0.86))
        fill(
            Intersection(a: Ellipse(cx: cx, cy: faceCY + ry * 0.95, rx: 0.13 * unit, ry: 0.06 * unit), b: neck),
            Solid(skin * 0.6), opacity: 0.45, softness: 0.02 * unit)
        tilted = true

        // Ears.
        for side: Float in [-1, 1] {
            let ex = cx + side * (rx - 0.008 * unit)
            fill(Ellipse(cx: ex, cy: 0.49 * unit, rx: 0.032 * unit, ry: 0.058 * unit), Solid(skin * 0.9))
            fill(
                Ellipse(cx: ex + side * 0.006 * unit, cy: 0.49 * unit, rx: 0.013 * unit, ry: 0.032 * unit),
                Solid(skin * 0.7), opacity: 0.5, softness: 0.006 * unit)
        }

        // The face.
        fill(
            FaceOutline(cx: cx, cy: faceCY, rx: rx, ry: ry, jaw: look.jaw),
            Shaded(
                base: skin, cx: cx + look.lightX * 0.1 * rx, cy: faceCY - 0.1 * ry, rx: rx, ry: ry,
                lightX: look.lightX, strength: look.lightStrength, rim: 0.16))
        // Cheeks.
        for side: Float in [-1, 1] {
            fill(
                Ellipse(cx: cx + side * 0.15 * unit, cy: 0.6 * unit, rx: 0.055 * unit, ry: 0.032 * unit),
                Solid(Colour(215, 105, 105)), opacity: 0.12, softness: 0.03 * unit)
        }

        paintHairTop(look, rx: rx, ry: ry)
        paintNoseAndMouth(look)
        paintEyes(look)
        if look.glasses != .none { paintGlasses(look, rx: rx) }
    }

    func hairPaint(_ look: FaceLook, cy: Float, rx: Float, ry: Float) -> Shaded {
        Shaded(
            base: look.hair, cx: 0.5 * scale, cy: cy, rx: rx, ry: ry, lightX: look.lightX,
            strength: 0.22, rim: 0.25, strandPeriod: 0.018 * scale)
    }

    func paintHairBack(_ look: FaceLook, rx: Float, ry: Float, hiddenBy hidden: Box) {
        let unit = scale
        let cx = 0.5 * unit
        let v = look.hairVolume
        switch look.hairStyle {
        case .short:
            let e = Ellipse(cx: cx, cy: 0.43 * unit, rx: rx + 0.03 * unit, ry: 0.3 * unit)
            fill(e, hairPaint(look, cy: e.cy, rx: e.rx, ry: e.ry), hiddenBy: hidden)
        case .long:
            let e = Ellipse(cx: cx, cy: 0.45 * unit, rx: rx + (0.06 + 0.03 * v) * unit, ry: ry + 0.06 * unit)
            fill(e, hairPaint(look, cy: e.cy, rx: e.rx, ry: e.ry), hiddenBy: hidden)
            let fall = RoundedLens(cx: cx, cy: 0.72 * unit, a: rx + (0.065 + 0.03 * v) * unit, b: 0.26 * unit)
            fill(fall, hairPaint(look, cy: 0.5 * unit, rx: fall.a, ry: 0.5 * unit), hiddenBy: hidden)
        case .fringe:
            let e = Ellipse(cx: cx, cy: 0.47 * unit, rx: rx + (0.04 + 0.02 * v) * unit, ry: ry + 0.03 * unit)
            fill(e, hairPaint(look, cy: e.cy, rx: e.rx, ry: e.ry), hiddenBy: hidden)
        case .receding:
            break
        case .curly:
            let e = Ellipse(cx: cx, cy: 0.44 * unit, rx: rx + (0.09 + 0.05 * v) * unit, ry: ry + (0.05 + 0.03 * v) * unit)
            fill(e, hairPaint(look, cy: e.cy, rx: e.rx, ry: e.ry), hiddenBy: hidden)
        }
    }

    func paintHairTop(_ look: FaceLook, rx: Float, ry: Float) {
        let unit = scale
        let cx = 0.5 * unit
        let v = look.hairVolume
        let cap = Ellipse(cx: cx, cy: 0.47 * unit, rx: rx + (0.03 + 0.02 * v) * unit, ry: ry + (0.035 + 0.025 * v) * unit)
        let h0: Float
        let k: Float
        switch look.hairStyle {
        case .short: (h0, k) = (0.225, 3.0)
        case .long: (h0, k) = (0.215, 2.5)
        case .fringe: (h0, k) = (0.30 + 0.015 * v, 1.3)
        case .receding: (h0, k) = (0.135, 4.6)
        case .curly: (h0, k) = (0.205, 2.6)
        }
        // k is in units of 1/unit: y = h0 unit + (k / unit)(x − cx)².
        let line = AboveCurve(
            x0: cx + look.hairPart * unit, y0: h0 * unit, k: k / unit, slope: look.hairPart,
            halfWidth: cap.rx + abs(look.hairPart) * unit)
        fill(Intersection(a: cap, b: line), hairPaint(look, cy: cap.cy, rx: cap.rx, ry: cap.ry))
    }

    func paintNoseAndMouth(_ look: FaceLook) {
        let unit = scale
        let cx = 0.5 * unit
        let skin = look.skin
        let nw = look.noseWidth
        let shadowSide: Float = look.lightX >= 0 ? -1 : 1
        fill(
            Capsule(
                ax: cx + shadowSide * 0.016 * nw * unit, ay: 0.5 * unit, bx: cx + shadowSide * 0.026 * nw * unit,
                by: 0.615 * unit,
                radius: 0.007 * unit),
            Solid(skin * 0.72), opacity: 0.4, softness: 0.012 * unit)
        let baseHalf = 0.034 * nw * unit
        fill(
            CurveStroke(
                x0: cx, y0: 0.646 * unit, halfLength: baseHalf, k: -0.012 * unit / (baseHalf * baseHalf),
                thickness: 0.0045 * unit, taper: 0.5),
            Solid(skin * 0.62), opacity: 0.55, softness: 0.004 * unit)
        for side: Float in [-1, 1] {
            fill(
                Ellipse(cx: cx + side * 0.017 * nw * unit, cy: 0.636 * unit, rx: 0.0095 * unit, ry: 0.0055 * unit),
                Solid(skin * 0.42), opacity: 0.75, softness: 0.002 * unit)
        }
        fill(
            Ellipse(cx: cx + 0.008 * unit, cy: 0.6 * unit, rx: 0.012 * unit, ry: 0.02 * unit),
            Solid(skin * 1.08 + 6), opacity: 0.35, softness: 0.01 * unit)

        let hw = look.mouthHalfWidth * unit
        let y0 = (0.738 + look.smile) * unit
        let k = -look.smile * unit / (hw * hw)
        fill(
            CurveStroke(x0: cx, y0: y0 - 0.0075 * unit, halfLength: hw * 0.96, k: k, thickness: 0.0085 * unit, taper: 0.7),
            Solid(look.lips * 0.9), softness: 0.0025 * unit)
        fill(
            CurveStroke(x0: cx, y0: y0 + 0.011 * unit, halfLength: hw * 0.82, k: k * 1.25, thickness: 0.012 * unit, taper: 0.8),
            Solid(look.lips * 1.04), softness: 0.0025 * unit)
        fill(
            CurveStroke(x0: cx, y0: y0, halfLength: hw * 1.02, k: k, thickness: 0.0022 * unit, taper: 0.3),
            Solid(look.lips * 0.42), softness: 0.0015 * unit)
    }

    func paintEyes(_ look: FaceLook) {
        let unit = scale
        let cx = 0.5 * unit
        let ey = 0.46 * unit
        let skin = look.skin
        let e = look.eyeScale
        let lidColour = look.hair * 0.3 + Colour(30, 22, 22) * 0.7
        let browColour = look.hair * 0.72 + Colour(40, 30, 25) * 0.28
        for side: Float in [-1, 1] {
            let ex = cx + side * look.eyeHalfSpacing * unit
            fill(
                Ellipse(cx: ex, cy: ey - 0.006 * unit, rx: 0.064 * unit, ry: 0.036 * unit),
                Solid(skin * 0.82), opacity: 0.35, softness: 0.02 * unit)
            let white = Ellipse(cx: ex, cy: ey, rx: 0.043 * e * unit, ry: 0.0185 * e * unit)
            fill(white, Solid(Colour(236, 232, 226)))
            fill(
                Intersection(a: Ellipse(cx: ex, cy: ey + 0.001 * unit, rx: 0.0175 * e * unit, ry: 0.0175 * e * unit), b: white),
                Solid(look.iris))
            fill(
                Intersection(a: Ellipse(cx: ex, cy: ey + 0.001 * unit, rx: 0.0075 * e * unit, ry: 0.0075 * e * unit), b: white),
                Solid(Colour(14, 12, 12)))
            fill(
                Ellipse(cx: ex + 0.0055 * unit, cy: ey - 0.005 * unit, rx: 0.0032 * unit, ry: 0.0032 * unit),
                Solid(Colour(250, 250, 250)), opacity: 0.85)
            let lidHalf = white.rx * 1.06
            fill(
                CurveStroke(
                    x0: ex, y0: ey - white.ry * 1.02, halfLength: lidHalf, k: white.ry * 1.12 / (lidHalf * lidHalf),
                    thickness: 0.0036 * unit, taper: 0.6),
                Solid(lidColour), softness: 0.0015 * unit)
            fill(
                CurveStroke(
                    x0: ex, y0: ey - white.ry - 0.013 * unit, halfLength: lidHalf * 0.9,
                    k: white.ry / (lidHalf * lidHalf), thickness: 0.0016 * unit, taper: 0.5),
                Solid(skin * 0.6), opacity: 0.45, softness: 0.002 * unit)
            fill(
                CurveStroke(
                    x0: ex, y0: ey + white.ry * 1.0, halfLength: lidHalf * 0.85, k: -white.ry * 0.9 / (lidHalf * lidHalf),
                    thickness: 0.0014 * unit, taper: 0.5),
                Solid(skin * 0.6), opacity: 0.4, softness: 0.0015 * unit)
            // Brow: its outer end droops with the arch.
            let browHalf = 0.055 * unit
            fill(
                CurveStroke(
                    x0: ex + side * 0.006 * unit, y0: ey - look.browLift * unit, halfLength: browHalf,
                    k: look.browArch * unit / (browHalf * browHalf), thickness: look.browThickness * unit, taper: 0.55),
                Solid(browColour), opacity: 0.95, softness: 0.0025 * unit)
        }
    }

    func paintGlasses(_ look: FaceLook, rx: Float) {
        let unit = scale
        let cx = 0.5 * unit
        let gy = 0.463 * unit
        let a = 0.083 * look.lensScale * unit
        let b = 0.056 * look.lensScale * unit
        let frameHalf: Float
        var frameOpacity: Float = 1
        switch look.glasses {
        case .thickFrames: frameHalf = 0.0095
        case .metalFrames: frameHalf = 0.003
        case .faintFrames:
            frameHalf = 0.0011
            frameOpacity = 0.5
        case .sunglasses: frameHalf = 0.0045
        case .tinted: frameHalf = 0.003
        case .rimless: frameHalf = 0.0022
        case .none: return
        }
        let fh = frameHalf * unit
        for side: Float in [-1, 1] {
            let ex = cx + side * look.eyeHalfSpacing * unit
            let lens = RoundedLens(cx: ex, cy: gy, a: a, b: b)
            switch look.glasses {
            case .sunglasses:
                fill(
                    lens, VerticalBlend(top: look.lensTint, bottom: look.lensTint * 1.5 + 16, y0: gy - b, y1: gy + b),
                    opacity: 0.93)
            case .tinted:
                fill(lens, Solid(look.lensTint), opacity: 0.42)
            default:
                let lensOpacity: Float = look.glasses == .rimless ? 0.1 : look.glasses == .faintFrames ? 0.015 : 0.06
                fill(lens, Solid(look.lensTint), opacity: lensOpacity)
            }
            // A glint across the upper lens.
            let glint: Float = look.glasses == .sunglasses ? 0.35 : look.glasses == .faintFrames ? 0.04 : 0.2
            fill(
                Capsule(ax: ex - 0.45 * a, ay: gy - 0.35 * b, bx: ex - 0.05 * a, by: gy - 0.7 * b, radius: 0.005 * unit),
                Solid(Colour(255, 255, 255)), opacity: glint, softness: 0.004 * unit)
            if look.glasses == .rimless {
                fill(Ring(shape: lens, halfWidth: 0.0014 * unit), Solid(Colour(232, 240, 246)), opacity: 0.75)
                fill(
                    Ring(shape: RoundedLens(cx: ex, cy: gy, a: a + 0.003 * unit, b: b + 0.003 * unit), halfWidth: 0.0009 * unit),
                    Solid(look.frameColour * 0.7), opacity: 0.5)
            } else {
                fill(Ring(shape: lens, halfWidth: fh), Solid(look.frameColour), opacity: frameOpacity)
            }
            // Temple arm, from the lens's outer edge back over the ear.
            let outerX = ex + side * (a + fh * 0.5)
            let earX = cx + side * (rx + 0.004 * unit)
            fill(
                Capsule(ax: outerX, ay: gy - 0.25 * b, bx: earX, by: gy - 0.32 * b, radius: max(fh * 0.8, 0.0011 * unit)),
                Solid(look.frameColour), opacity: frameOpacity)
        }
        // Bridge over the nose.
        let innerHalf = look.eyeHalfSpacing * unit - a + fh
        fill(
            CurveStroke(
                x0: cx, y0: gy - 0.3 * b, halfLength: innerHalf, k: 0.25 * b / (innerHalf * innerHalf),
                thickness: max(fh * 0.85, 0.0011 * unit), taper: 0),
            Solid(look.frameColour), opacity: frameOpacity)
    }
}
