// Shapes as approximate signed distance functions (pixels, negative inside), so the rasteriser
// gets analytic anti-aliasing (coverage = 0.5 - distance) and rings/bands come for free.

struct Box {
    var minX: Float, minY: Float, maxX: Float, maxY: Float

    func expanded(by m: Float) -> Box { Box(minX: minX - m, minY: minY - m, maxX: maxX + m, maxY: maxY + m) }
    func intersected(with o: Box) -> Box {
        Box(minX: max(minX, o.minX), minY: max(minY, o.minY), maxX: min(maxX, o.maxX), maxY: min(maxY, o.maxY))
    }
}

protocol Shape {
    /// Approximate signed distance in pixels; exact on the outline, first-order close to it.
    func distance(_ x: Float, _ y: Float) -> Float
    /// Where the shape can be non-empty, in the face's own (untilted) coordinates.
    var bounds: Box { get }
}

/// An axis-aligned ellipse.
struct Ellipse: Shape {
    let cx: Float, cy: Float, rx: Float, ry: Float
    /// Reciprocals, so the pixel loop multiplies instead of dividing.
    private let irx: Float, iry: Float

    init(cx: Float, cy: Float, rx: Float, ry: Float) {
        (self.cx, self.cy, self.rx, self.ry) = (cx, cy, rx, ry)
        (irx, iry) = (1 / rx, 1 / ry)
    }

    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float {
        let dx = (x - cx) * irx
        let dy = (y - cy) * iry
        let f = dx * dx + dy * dy
        let gx = dx * irx
        let gy = dy * iry
        // First order: (f − 1)/|∇f|. Exact on the outline, which is all anti-aliasing needs.
        return (f - 1) / max(2 * (gx * gx + gy * gy).squareRoot(), 1e-6)
    }
    var bounds: Box { Box(minX: cx - rx, minY: cy - ry, maxX: cx + rx, maxY: cy + ry) }
}

/// An ellipse whose lower half narrows towards the chin by `jaw` (0 = plain ellipse).
struct FaceOutline: Shape {
    let cx: Float, cy: Float, rx: Float, ry: Float, jaw: Float
    private let iry: Float

    init(cx: Float, cy: Float, rx: Float, ry: Float, jaw: Float) {
        (self.cx, self.cy, self.rx, self.ry, self.jaw) = (cx, cy, rx, ry, jaw)
        iry = 1 / ry
    }

    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float {
        var w: Float = 1
        if y > cy {
            let t = min((y - cy) * iry, 1)
            w = 1 - jaw * t * t
        }
        let isx = 1 / (rx * w)
        let dx = (x - cx) * isx
        let dy = (y - cy) * iry
        let f = dx * dx + dy * dy
        let gx = dx * isx
        let gy = dy * iry
        return (f - 1) / max(2 * (gx * gx + gy * gy).squareRoot(), 1e-6)
    }
    var bounds: Box { Box(minX: cx - rx, minY: cy - ry, maxX: cx + rx, maxY: cy + ry) }
}

/// A superellipse |dx|⁴ + |dy|⁴ = 1: a rounded rectangle, the shape of a spectacle lens.
struct RoundedLens: Shape {
    let cx: Float, cy: Float, a: Float, b: Float
    private let ia: Float, ib: Float

    init(cx: Float, cy: Float, a: Float, b: Float) {
        (self.cx, self.cy, self.a, self.b) = (cx, cy, a, b)
        (ia, ib) = (1 / a, 1 / b)
    }

    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float {
        let dx = (x - cx) * ia
        let dy = (y - cy) * ib
        let dx2 = dx * dx
        let dy2 = dy * dy
        let f = dx2 * dx2 + dy2 * dy2
        if f < 1e-8 { return -min(a, b) }
        let r = f.squareRoot().squareRoot()  // F = f^(1/4)
        // ∇F = ∇f / (4 F³), ∇f = (4 dx³ / a, 4 dy³ / b)
        let gx = dx2 * dx * ia
        let gy = dy2 * dy * ib
        let g = (gx * gx + gy * gy).squareRoot() / (r * r * r)
        return (r - 1) / g
    }
    var bounds: Box { Box(minX: cx - a, minY: cy - b, maxX: cx + a, maxY: cy + b) }
}

/// The outline of a shape, `halfWidth` pixels either side.
struct Ring<S: Shape>: Shape {
    var shape: S
    var halfWidth: Float

    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float { abs(shape.distance(x, y)) - halfWidth }
    var bounds: Box { shape.bounds.expanded(by: halfWidth) }
}

struct Intersection<A: Shape, B: Shape>: Shape {
    var a: A, b: B
    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float { max(a.distance(x, y), b.distance(x, y)) }
    var bounds: Box { a.bounds.intersected(with: b.bounds) }
}

/// A line segment with round ends.
struct Capsule: Shape {
    var ax: Float, ay: Float, bx: Float, by: Float, radius: Float

    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float {
        let px = x - ax
        let py = y - ay
        let vx = bx - ax
        let vy = by - ay
        let h = max(0, min(1, (px * vx + py * vy) / (vx * vx + vy * vy)))
        let qx = px - vx * h
        let qy = py - vy * h
        return (qx * qx + qy * qy).squareRoot() - radius
    }
    var bounds: Box {
        Box(minX: min(ax, bx) - radius, minY: min(ay, by) - radius, maxX: max(ax, bx) + radius, maxY: max(ay, by) + radius)
    }
}

/// A stroke along the parabola y = y0 + k (x − x0)² for |x − x0| ≤ halfLength, `thickness` half
/// wide in the middle and tapering by `taper` towards the ends: brows, lids, lips.
struct CurveStroke: Shape {
    var x0: Float, y0: Float, halfLength: Float, k: Float, thickness: Float, taper: Float

    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float {
        let ox = x - x0
        let yc = y0 + k * ox * ox
        let slope = 2 * k * ox
        let across = abs(y - yc) / (1 + slope * slope).squareRoot()
        let u = ox / halfLength
        let t = thickness * max(0.05, 1 - taper * u * u)
        return max(across - t, abs(ox) - halfLength)
    }
    var bounds: Box {
        let yEnd = y0 + k * halfLength * halfLength
        return Box(
            minX: x0 - halfLength, minY: min(y0, yEnd) - thickness,
            maxX: x0 + halfLength, maxY: max(y0, yEnd) + thickness)
    }
}

/// Everything above the curve y = y0 + k (x − x0)² + slope (x − x0): a hairline. Unbounded
/// sideways and upwards; use it inside an `Intersection`.
struct AboveCurve: Shape {
    var x0: Float, y0: Float, k: Float, slope: Float
    /// Only |x − x0| ≤ halfWidth matters to the caller: bounds the box below the curve.
    var halfWidth: Float

    @inline(__always) func distance(_ x: Float, _ y: Float) -> Float {
        let ox = x - x0
        let yc = y0 + k * ox * ox + slope * ox
        let d = 2 * k * ox + slope
        return (y - yc) / (1 + d * d).squareRoot()
    }
    var bounds: Box {
        Box(
            minX: -.infinity, minY: -.infinity, maxX: .infinity,
            maxY: y0 + k * halfWidth * halfWidth + abs(slope) * halfWidth + 2)
    }
}

// MARK: - Paints

protocol Paint {
    func colour(_ x: Float, _ y: Float) -> Colour
}

struct Solid: Paint {
    var colour: Colour
    init(_ colour: Colour) { self.colour = colour }
    @inline(__always) func colour(_ x: Float, _ y: Float) -> Colour { colour }
}

struct VerticalBlend: Paint {
    var top: Colour, bottom: Colour, y0: Float, y1: Float
    @inline(__always) func colour(_ x: Float, _ y: Float) -> Colour {
        let t = max(0, min(1, (y - y0) / (y1 - y0)))
        return top + (bottom - top) * t
    }
}

/// A base colour lit from the side and darkened towards the rim of an ellipse: gives volume.
/// `strandPeriod` > 0 adds fine strands (hair), a triangle wave so no libm is involved.
struct Shaded: Paint {
    let base: Colour, cx: Float, cy: Float, rx: Float, ry: Float
    let lightX: Float, strength: Float, rim: Float
    let strandPeriod: Float
    private let irx: Float, iry: Float, strandScale: Float, apexDistance: Float

    init(
        base: Colour, cx: Float, cy: Float, rx: Float, ry: Float, lightX: Float, strength: Float, rim: Float,
        strandPeriod: Float = 0
    ) {
        (self.base, self.cx, self.cy, self.rx, self.ry) = (base, cx, cy, rx, ry)
        (self.lightX, self.strength, self.rim, self.strandPeriod) = (lightX, strength, rim, strandPeriod)
        (irx, iry) = (1 / rx, 1 / ry)
        apexDistance = 1.3 * ry
        strandScale = strandPeriod > 0 ? apexDistance / strandPeriod : 0
    }

    @inline(__always) func colour(_ x: Float, _ y: Float) -> Colour {
        let dx = (x - cx) * irx
        let dy = (y - cy) * iry
        let f = dx * dx + dy * dy
        var factor = 1 + strength * (lightX * dx - 0.3 * dy) - rim * f * f
        if strandPeriod > 0 {
            // Strands fan out from a point above the crown, like combed hair.
            let down = max(y - (cy - apexDistance), 0.2 * apexDistance)
            let phase = (x - cx) / down * strandScale
            let frac = phase - phase.rounded(.down)
            factor *= 1 + 0.07 * (abs(frac - 0.5) * 4 - 1)
        }
        return base * max(0.25, factor)
    }
}
