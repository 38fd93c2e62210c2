import Foundation
import LabelAuditImaging

/// A screenshot that could not be read.
package struct ScreenshotError: Error, CustomStringConvertible {
    package var description: String
}

/// xterm, Xvfb and xwd, found on PATH; the test skips (with this reason) without them.
package enum RealTerminal {
    package static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    package static let available = tool("xterm") != nil && tool("Xvfb") != nil && tool("xwd") != nil

    /// An X screen shot (`xwd -root`) as RGB: 24/32-bit ZPixmap, the only kind Xvfb makes here.
    package static func readXWD(_ data: Data) throws -> RGBImage {
        let bytes = [UInt8](data)
        func field(_ index: Int) -> Int {
            let offset = index * 4
            return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        guard bytes.count >= 100 else { throw ScreenshotError(description: "short xwd file") }
        let headerSize = field(0)
        let width = field(4)
        let height = field(5)
        let byteOrder = field(7)
        let bitsPerPixel = field(11)
        let bytesPerLine = field(12)
        let colours = field(19)
        guard bitsPerPixel == 32 else { throw ScreenshotError(description: "xwd with \(bitsPerPixel) bits per pixel") }
        let start = headerSize + colours * 12
        guard bytes.count >= start + bytesPerLine * height else { throw ScreenshotError(description: "truncated xwd") }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for row in 0..<height {
            for column in 0..<width {
                let offset = start + row * bytesPerLine + column * 4
                let (red, green, blue) =
                    byteOrder == 0
                    ? (bytes[offset + 2], bytes[offset + 1], bytes[offset])
                    : (bytes[offset + 1], bytes[offset + 2], bytes[offset + 3])
                let target = (row * width + column) * 3
                pixels[target] = red
                pixels[target + 1] = green
                pixels[target + 2] = blue
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The bounding box of pixels that are not the terminal's black background.
    package static func pictureBox(_ image: RGBImage) -> (x: Int, y: Int, width: Int, height: Int)? {
        var left = Int.max
        var top = Int.max
        var right = -1
        var bottom = -1
        for y in 0..<image.height {
            for x in 0..<image.width {
                let offset = (y * image.width + x) * 3
                if Int(image.pixels[offset]) + Int(image.pixels[offset + 1]) + Int(image.pixels[offset + 2]) > 24 {
                    left = min(left, x)
                    right = max(right, x)
                    top = min(top, y)
                    bottom = max(bottom, y)
                }
            }
        }
        return right < 0 ? nil : (left, top, right - left + 1, bottom - top + 1)
    }

    package static func crop(_ image: RGBImage, _ box: (x: Int, y: Int, width: Int, height: Int)) -> RGBImage {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(box.width * box.height * 3)
        for row in box.y..<(box.y + box.height) {
            let start = (row * image.width + box.x) * 3
            pixels += image.pixels[start..<(start + box.width * 3)]
        }
        return RGBImage(width: box.width, height: box.height, pixels: pixels)
    }
}

/// Picture comparison as the render-fidelity tool does it: SSIM on BT.601 luma with a 7x7
/// uniform window (scikit-image's defaults: K1 0.01, K2 0.03, sample covariances), and PSNR
/// over RGB.
package enum Similarity {
    package static func luma(_ image: RGBImage) -> [Double] {
        var out = [Double](repeating: 0, count: image.width * image.height)
        for index in 0..<out.count {
            let red = Double(image.pixels[index * 3])
            let green = Double(image.pixels[index * 3 + 1])
            let blue = Double(image.pixels[index * 3 + 2])
            out[index] = 0.299 * red + 0.587 * green + 0.114 * blue
        }
        return out
    }

    package static func ssim(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        let x = luma(a)
        let y = luma(b)
        let width = a.width
        let height = a.height
        let c1: Double = 2.55 * 2.55
        let c2: Double = 7.65 * 7.65
        let n = 49.0
        var total = 0.0
        var windows = 0
        guard width >= 7, height >= 7 else { return 0 }
        for top in 0...(height - 7) {
            for left in 0...(width - 7) {
                var sx = 0.0
                var sy = 0.0
                var sxx = 0.0
                var syy = 0.0
                var sxy = 0.0
                for row in top..<(top + 7) {
                    for column in left..<(left + 7) {
                        let u = x[row * width + column]
                        let v = y[row * width + column]
                        sx += u
                        sy += v
                        sxx += u * u
                        syy += v * v
                        sxy += u * v
                    }
                }
                let mx = sx / n
                let my = sy / n
                let vx = (sxx - n * mx * mx) / (n - 1)
                let vy = (syy - n * my * my) / (n - 1)
                let cxy = (sxy - n * mx * my) / (n - 1)
                let numerator: Double = (2 * mx * my + c1) * (2 * cxy + c2)
                let denominator: Double = (mx * mx + my * my + c1) * (vx + vy + c2)
                total += numerator / denominator
                windows += 1
            }
        }
        return total / Double(windows)
    }

    package static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.pixels.count == b.pixels.count)
        var sum = 0.0
        for index in 0..<a.pixels.count {
            let delta = Double(a.pixels[index]) - Double(b.pixels[index])
            sum += delta * delta
        }
        let mse = sum / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}
