import Foundation
import TestSupport
import Testing

@testable import LabelAuditImaging

/// A 1024 px aligned "face": skin with a soft vertical shading, two eyes, optionally dark thick
/// frames, optionally a faint frame one pixel wide (a few grey levels off the skin), as the
/// thinnest glasses of the competition look.
func syntheticFace(size: Int = 1024, thickFrames: Bool = false, faintFrame: Bool = false) -> RGBImage {
    Fixtures.painted(width: size, height: size) { x, y in
        let s = Double(size)
        let shade = UInt8(150 + 40 * y / size)
        var colour = (shade, UInt8(Double(shade) * 0.78), UInt8(Double(shade) * 0.62))
        let eyeY = 0.45 * s
        for cx in [0.35 * s, 0.65 * s] {
            let dx = (Double(x) - cx) / (0.035 * s)
            let dy = (Double(y) - eyeY) / (0.015 * s)
            if dx * dx + dy * dy < 1 { colour = (40, 30, 25) }
            // The lens outline: a rectangle around the eye.
            let left = Int(cx - 0.09 * s)
            let right = Int(cx + 0.09 * s)
            let top = Int(eyeY - 0.05 * s)
            let bottom = Int(eyeY + 0.05 * s)
            let onOutline =
                ((x == left || x == right) && (top...bottom).contains(y))
                || ((y == top || y == bottom) && (left...right).contains(x))
            if faintFrame && onOutline { colour = (colour.0 &- 9, colour.1 &- 9, colour.2 &- 9) }
            if thickFrames {
                let thick =
                    (abs(x - left) < 6 || abs(x - right) < 6) && (top...bottom).contains(y)
                    || (abs(y - top) < 6 || abs(y - bottom) < 6) && (left...right).contains(x)
                if thick { colour = (15, 12, 10) }
            }
        }
        return colour
    }
}

@Suite("Eye-band decoding and image features")
struct FeatureTests {
    /// Largest per-channel difference between the band decode and the full decode cut to the
    /// same rectangle.
    func bandAgainstFull(_ bytes: [UInt8], covering: Int) throws -> (difference: Int, band: JPEGBandInfo) {
        let region = HOGFeatures.eyeBand.region
        let decoder = JPEGBandDecoder()
        let band = try decoder.decode(data: bytes, region: region, covering: covering)
        let full = try JPEGDecoder.decode(data: bytes, covering: (covering, covering))
        #expect(full.width == band.scaledWidth && full.height == band.scaledHeight)
        let rect = HOGFeatures.eyeBand.pixelRect(width: full.width, height: full.height)
        #expect(band.x == rect.left && band.y == rect.top)
        #expect(band.width == rect.right - rect.left && band.height == rect.bottom - rect.top)
        var worst = 0
        decoder.withPixels { pixels in
            for y in 0..<band.height {
                for x in 0..<band.width * 3 {
                    let a = Int(pixels[y * band.width * 3 + x])
                    let b = Int(full.pixels[((band.y + y) * full.width + band.x) * 3 + x])
                    worst = max(worst, abs(a - b))
                }
            }
        }
        return (worst, band)
    }

    @Test("the band decode equals a full decode cut to the band, at a reduced and at full scale")
    func bandDecodeEqualsFullDecodeCropped() throws {
        let face = try JPEGEncoder.encode(syntheticFace(thickFrames: true), quality: 90)
        // 1024 px at 1/2 scale: the band of a 512 px picture.
        let half = try bandAgainstFull(face, covering: 512)
        #expect(half.band.scaleNumerator == 4 && half.band.scaledWidth == 512)
        #expect(half.band.width == 350 && half.band.height == 123)
        #expect(half.difference <= 2)
        // Full scale (fancy upsampling, cropped at iMCU columns): still within rounding.
        let full = try bandAgainstFull(face, covering: 1024)
        #expect(full.band.scaleNumerator == 8)
        #expect(full.difference <= 2)
        // Grayscale, progressive and Adobe CMYK files take the same path.
        for name in ["gray.jpg", "progressive.jpg", "cmyk.jpg"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
            #expect(try bandAgainstFull(bytes, covering: 32).difference <= 2, "\(name)")
        }
    }

    @Test("one decoder reads many files, growing its buffers, and a bad file in between costs nothing")
    func oneDecoderIsReused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let small = try folder.file("small.jpg", bytes: try JPEGEncoder.encode(syntheticFace(size: 256), quality: 85))
        let large = try folder.file("large.jpg", bytes: try JPEGEncoder.encode(syntheticFace(size: 1024), quality: 85))
        let broken = try folder.file(
            "broken.jpg", bytes: Array(try JPEGEncoder.encode(syntheticFace(size: 256), quality: 85).prefix(900)))
        let decoder = JPEGBandDecoder()
        let region = HOGFeatures.eyeBand.region
        let first = try decoder.decode(path: small, region: region, covering: 512)
        #expect(first.scaleNumerator == 8 && first.width == 176)
        let firstPixels = try #require(decoder.image)
        do {
            try decoder.decode(path: broken, region: region, covering: 512)
            Issue.record("a truncated file must be refused")
        } catch {
            guard case .corrupt = error.kind else {
                Issue.record("expected .corrupt, got \(error.kind)")
                return
            }
            #expect(error.path == broken)
        }
        #expect(decoder.band == nil)
        let second = try decoder.decode(path: large, region: region, covering: 512)
        #expect(second.width == 350)
        // The same file again gives the same pixels after the others.
        _ = try decoder.decode(path: small, region: region, covering: 512)
        #expect(decoder.image == firstPixels)
    }

    @Test("a faint frame one pixel wide survives into the features, where the frame is")
    func faintFrameSurvives() throws {
        let features = HOGFeatures.eyeBand
        let extractor = EyeBandFeatureExtractor(features: features)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        func vector(_ face: RGBImage, _ name: String) throws -> [Float] {
            let path = try folder.file(name, bytes: try JPEGEncoder.encode(face, quality: 92))
            var out = [Float](repeating: .nan, count: features.count)
            try out.withUnsafeMutableBufferPointer { try extractor.extract(jpegAt: path, into: $0) }
            return out
        }
        let plain = try vector(syntheticFace(), "plain.jpg")
        let faint = try vector(syntheticFace(faintFrame: true), "faint.jpg")
        #expect(plain.count == 24 * 8 * 9 + 12 * 4 * 3)
        #expect(!plain.contains { $0.isNaN })
        // Per gradient cell: how much its histogram changed.
        func cellChange(_ cx: Int, _ cy: Int) -> Float {
            let start = (cy * features.cellsAcross + cx) * features.bins
            return (start..<start + features.bins).reduce(0) { $0 + abs(plain[$1] - faint[$1]) }
        }
        // Where the frame runs in the band: x 0.26...0.44 and 0.56...0.74 of the face, y 0.40...0.50.
        func cell(ofFaceX x: Double, y: Double) -> (Int, Int) {
            (Int((x - 0.16) / 0.68 * 24), Int((y - 0.34) / 0.24 * 8))
        }
        let onFrame = [
            cell(ofFaceX: 0.26, y: 0.45), cell(ofFaceX: 0.35, y: 0.40), cell(ofFaceX: 0.74, y: 0.45),
            cell(ofFaceX: 0.65, y: 0.50),
        ]
        let farAway = [
            cell(ofFaceX: 0.17, y: 0.35), cell(ofFaceX: 0.83, y: 0.35), cell(ofFaceX: 0.17, y: 0.57),
            cell(ofFaceX: 0.83, y: 0.57),
        ]
        let weakestOnFrame = onFrame.map { cellChange($0.0, $0.1) }.min()!
        let strongestAway = farAway.map { cellChange($0.0, $0.1) }.max()!
        #expect(weakestOnFrame > 0.05)
        // Cells the frame does not reach (nor any block holding them) are bit for bit the same.
        #expect(strongestAway == 0)
    }

    @Test("flat pictures have no edges, thick frames change the edges, brightness alone does not")
    func histogramsAndColour() {
        let hog = HOGFeatures.eyeBand
        let flat = hog.extract(RGBImage(width: 512, height: 512, fill: (128, 64, 32)))
        #expect(flat.count == hog.count)
        #expect(flat[0..<hog.histogramCount].allSatisfy { $0 == 0 })
        let colour = flat[hog.histogramCount...]
        for (k, value) in colour.enumerated() { #expect(abs(value - [128, 64, 32][k % 3] / 255) < 1e-4) }
        // Too small to hold the cell grid: zeros, no crash.
        #expect(hog.extract(RGBImage(width: 20, height: 20)).allSatisfy { $0 == 0 })
        let with = hog.extract(syntheticFace(size: 512, thickFrames: true))
        let without = hog.extract(syntheticFace(size: 512))
        let frames = zip(with, without).prefix(hog.histogramCount).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
        #expect(frames > 5)
        // A uniformly darker copy: block normalisation keeps the histograms nearly the same.
        var darker = syntheticFace(size: 512, thickFrames: true)
        for i in darker.pixels.indices { darker.pixels[i] = UInt8(Double(darker.pixels[i]) * 0.7) }
        let shaded = hog.extract(darker)
        let shading = zip(with, shaded).prefix(hog.histogramCount).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
        #expect(shading < frames / 4)
    }

    @Test("the fast orientation agrees with atan2 to a thousandth of a bin")
    func orientationMatchesAtan2() {
        var worst: Float = 0
        for i in 0..<3600 {
            let angle = Float(i) * .pi / 1800
            for r: Float in [0.5, 7, 200] {
                let gx = r * cos(angle)
                let gy = r * sin(angle)
                let (_, position) = HOGFeatures.voteAndPosition(
                    SIMD8(repeating: gx), SIMD8(repeating: gy), binsPerRadian: 9 / .pi)
                var expected = atan2(gy, gx)
                if expected < 0 { expected += .pi }
                if expected >= .pi { expected -= .pi }
                var error = abs(position[0] - (expected * 9 / .pi - 0.5))
                error = min(error, abs(error - 9))  // 0 and pi are the same orientation
                worst = max(worst, error)
            }
        }
        #expect(worst < 1e-3)
    }
}
