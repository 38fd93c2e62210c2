/// Area (box) resampling: every output pixel is the exact, fractionally weighted mean of the
/// source pixels it covers. This is what the eye averages when a picture is shrunk into cells,
/// and what the render-fidelity tool uses as its reference (PIL BOX).
///
/// Complexity: separable, O(source pixels in the region x 3 + output pixels x 3 x source/output
/// ratio) multiply-adds, in two passes over contiguous Float buffers; no per-pixel allocation.
public enum Resample {
    public static func area(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        area(
            image, region: SourceRegion(x0: 0, y0: 0, x1: Double(image.width), y1: Double(image.height)),
            width: width, height: height)
    }

    /// Resamples the `region` (source pixel coordinates, fractional allowed) to `width x height`.
    public static func area(_ image: RGBImage, region: SourceRegion, width: Int, height: Int) -> RGBImage {
        let values = areaValues(image, region: region, width: width, height: height)
        var pixels = [UInt8](repeating: 0, count: values.count)
        for index in 0..<values.count {
            pixels[index] = UInt8(min(max(values[index] + 0.5, 0), 255))
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The same resampling, kept in Float (0...255) so the renderer does not round twice.
    static func areaValues(_ image: RGBImage, region: SourceRegion, width: Int, height: Int) -> [Float] {
        guard width > 0, height > 0, image.width > 0, image.height > 0 else {
            return [Float](repeating: 0, count: max(width, 0) * max(height, 0) * 3)
        }
        let region = region.clamped(width: image.width, height: image.height)
        let columns = AxisWeights(from: region.x0, to: region.x1, limit: image.width, count: width)
        let rows = AxisWeights(from: region.y0, to: region.y1, limit: image.height, count: height)
        let firstRow = rows.starts.first ?? 0
        let lastRow = zip(rows.starts, rows.counts).map { $0 + $1 }.max() ?? 0
        let usedRows = lastRow - firstRow
        // Pass 1: horizontal, source rows firstRow..<lastRow -> usedRows x width x 3.
        var horizontal = [Float](repeating: 0, count: usedRows * width * 3)
        image.pixels.withUnsafeBufferPointer { source in
            horizontal.withUnsafeMutableBufferPointer { target in
                for row in 0..<usedRows {
                    let sourceRow = (firstRow + row) * image.width * 3
                    let targetRow = row * width * 3
                    for column in 0..<width {
                        var red: Float = 0
                        var green: Float = 0
                        var blue: Float = 0
                        let start = columns.starts[column]
                        let offset = columns.offsets[column]
                        for tap in 0..<columns.counts[column] {
                            let weight = columns.weights[offset + tap]
                            let pixel = sourceRow + (start + tap) * 3
                            red += weight * Float(source[pixel])
                            green += weight * Float(source[pixel + 1])
                            blue += weight * Float(source[pixel + 2])
                        }
                        target[targetRow + column * 3] = red
                        target[targetRow + column * 3 + 1] = green
                        target[targetRow + column * 3 + 2] = blue
                    }
                }
            }
        }
        // Pass 2: vertical.
        let stride = width * 3
        var output = [Float](repeating: 0, count: height * stride)
        horizontal.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for row in 0..<height {
                    let start = rows.starts[row] - firstRow
                    let offset = rows.offsets[row]
                    let targetRow = row * stride
                    for tap in 0..<rows.counts[row] {
                        let weight = rows.weights[offset + tap]
                        let sourceRow = (start + tap) * stride
                        for index in 0..<stride {
                            target[targetRow + index] += weight * source[sourceRow + index]
                        }
                    }
                }
            }
        }
        return output
    }
}

/// A rectangle in source pixel coordinates; fractional edges are weighted exactly.
public struct SourceRegion: Sendable, Hashable {
    public var x0: Double, y0: Double, x1: Double, y1: Double

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    func clamped(width: Int, height: Int) -> SourceRegion {
        let (left, right) = Self.clampedSpan(x0, x1, limit: Double(width))
        let (top, bottom) = Self.clampedSpan(y0, y1, limit: Double(height))
        return SourceRegion(x0: left, y0: top, x1: right, y1: bottom)
    }

    /// Keeps a span inside 0...limit; an empty span becomes the one pixel it sits on.
    private static func clampedSpan(_ lower: Double, _ upper: Double, limit: Double) -> (Double, Double) {
        var low = min(max(min(lower, upper), 0), limit)
        var high = min(max(max(lower, upper), 0), limit)
        if high - low < 1e-6 {
            low = min(low.rounded(.down), limit - 1)
            high = low + 1
        }
        return (low, high)
    }
}

/// For each output index along one axis: the first source index, how many source pixels it
/// touches and their weights (summing to 1), flattened into one array.
struct AxisWeights {
    var starts: [Int] = []
    var counts: [Int] = []
    var offsets: [Int] = []
    var weights: [Float] = []

    init(from lower: Double, to upper: Double, limit: Int, count: Int) {
        let step = (upper - lower) / Double(count)
        if step < 1 {
            self = Self.interpolating(lower, step: step, limit: limit, count: count)
            return
        }
        starts.reserveCapacity(count)
        counts.reserveCapacity(count)
        offsets.reserveCapacity(count)
        weights.reserveCapacity(count * (Int(step) + 2))
        for index in 0..<count {
            let low = lower + Double(index) * step
            let high = index == count - 1 ? upper : lower + Double(index + 1) * step
            var first = Int(low.rounded(.down))
            var last = Int(high.rounded(.up)) - 1
            first = min(max(first, 0), limit - 1)
            last = min(max(last, first), limit - 1)
            starts.append(first)
            offsets.append(weights.count)
            var total = 0.0
            var taps: [Double] = []
            for source in first...last {
                let overlap = min(Double(source + 1), high) - max(Double(source), low)
                taps.append(max(overlap, 0))
                total += max(overlap, 0)
            }
            if total <= 0 {
                taps = [Double](repeating: 0, count: taps.count)
                taps[0] = 1
                total = 1
            }
            for tap in taps { weights.append(Float(tap / total)) }
            counts.append(taps.count)
        }
    }

    /// Enlarging: a box would repeat source pixels in blocks (visible steps, and a lower SSIM
    /// against any smooth enlargement). Each output sample is instead the bicubic interpolation
    /// (Keys, a = -0.5, as PIL's BICUBIC and the fidelity tool's reference for enlargements) at
    /// its centre, taps outside the picture dropped and the rest renormalised.
    /// Demo faces (256 px) in the eye band at 110x20 cells: median SSIM 0.897 -> 0.912.
    private init() {}

    static func interpolating(_ lower: Double, step: Double, limit: Int, count: Int) -> AxisWeights {
        var axis = AxisWeights()
        axis.fillInterpolating(lower, step: step, limit: limit, count: count)
        return axis
    }

    private mutating func fillInterpolating(_ lower: Double, step: Double, limit: Int, count: Int) {
        starts.reserveCapacity(count)
        counts.reserveCapacity(count)
        offsets.reserveCapacity(count)
        weights.reserveCapacity(count * 4)
        for index in 0..<count {
            let centre = lower + (Double(index) + 0.5) * step - 0.5
            let base = Int(centre.rounded(.down))
            let first = max(base - 1, 0)
            let last = min(base + 2, limit - 1)
            var taps: [Double] = []
            var total = 0.0
            if first <= last {
                for source in first...last {
                    let weight = Self.cubic(centre - Double(source))
                    taps.append(weight)
                    total += weight
                }
            }
            starts.append(min(max(first, 0), limit - 1))
            offsets.append(weights.count)
            if taps.isEmpty || abs(total) < 1e-9 {
                weights.append(1)
                counts.append(1)
                continue
            }
            for tap in taps { weights.append(Float(tap / total)) }
            counts.append(taps.count)
        }
    }

    /// Keys' cubic convolution kernel with a = -0.5.
    static func cubic(_ distance: Double) -> Double {
        let x = abs(distance)
        let a = -0.5
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return 0
    }
}
