import Foundation
import LabelAuditCore
import LabelAuditImaging

/// A fresh temporary folder per test.
func temporaryFolder(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-engine-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Gaussian test latents from Core's seeded generator.
struct Rng {
    private var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func gaussian() -> Double {
        (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform())
    }
}

/// Writes a dataset in the competition's layout: labels follow a hyperplane on the latents,
/// the ids in `flipped` carry the opposite label. Returns the folder.
@discardableResult
func writeDataset(in folder: URL, train: Int, test: Int, dim: Int, flipped: Set<Int> = [], seed: UInt64 = 1) throws -> URL {
    var rng = Rng(state: seed)
    let header = "id," + (1...dim).map { "v\($0)" }.joined(separator: ",")
    var trainText = header + ",glasses\n"
    var testText = header + "\n"
    for id in 1...train + test {
        let z = (0..<dim).map { _ in rng.gaussian() }
        let values = z.map { String(format: "%.5f", $0) }.joined(separator: ",")
        if id <= train {
            var label = z[0] + 0.5 * z[1] > -0.3 ? 1 : 0
            if flipped.contains(id) { label = 1 - label }
            trainText += "\(id),\(values),\(label)\n"
        } else {
            testText += "\(id),\(values)\n"
        }
    }
    try trainText.write(to: folder.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
    if test > 0 { try testText.write(to: folder.appendingPathComponent("test.csv"), atomically: true, encoding: .utf8) }
    return folder
}

/// Paints an aligned "face": skin background, two eyes in the eye band, optionally dark frames.
func paintFace(size: Int, glasses: Bool, shade: UInt8 = 200, jitter: Int = 0) -> RGBImage {
    var image = RGBImage(width: size, height: size, fill: (shade, UInt8(Double(shade) * 0.8), UInt8(Double(shade) * 0.6)))
    func rect(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: (UInt8, UInt8, UInt8), fill: Bool) {
        for y in max(0, y0)..<min(size, y1) {
            for x in max(0, x0)..<min(size, x1) {
                let onEdge = x - x0 < 2 || x1 - 1 - x < 2 || y - y0 < 2 || y1 - 1 - y < 2
                if fill || onEdge {
                    let p = (y * size + x) * 3
                    image.pixels[p] = c.0
                    image.pixels[p + 1] = c.1
                    image.pixels[p + 2] = c.2
                }
            }
        }
    }
    let s = Double(size)
    let eyeY = Int(0.44 * s) + jitter
    for cx in [Int(0.35 * s) + jitter, Int(0.65 * s) + jitter] {
        rect(cx - size / 30, eyeY - size / 60, cx + size / 30, eyeY + size / 60, (40, 30, 20), fill: true)
        if glasses {
            rect(cx - size / 11, eyeY - size / 18, cx + size / 11, eyeY + size / 18, (10, 10, 10), fill: false)
        }
    }
    if glasses { rect(Int(0.43 * s) + jitter, eyeY - 1, Int(0.57 * s) + jitter, eyeY + 2, (10, 10, 10), fill: true) }
    return image
}

/// Test fixture image files: a 8-byte header (width, height as UInt32 LE) then RGB bytes. The
/// engine takes any decoder; the real one (JPEG) belongs to the imaging module.
enum RawImageFile {
    static func write(_ image: RGBImage, to url: URL) throws {
        var data = Data()
        for v in [UInt32(image.width), UInt32(image.height)] {
            withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: image.pixels)
        try data.write(to: url)
    }

    struct Unreadable: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path): not a raw image file" }
    }

    static func read(_ path: String) throws -> RGBImage {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard data.count >= 8 else { throw Unreadable(path: path) }
        let w = Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24
        let h = Int(data[4]) | Int(data[5]) << 8 | Int(data[6]) << 16 | Int(data[7]) << 24
        guard w > 0, h > 0, data.count == 8 + w * h * 3 else { throw Unreadable(path: path) }
        return RGBImage(width: w, height: h, pixels: Array(data[8...]))
    }
}

/// Counts calls across threads.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() {
        lock.lock()
        value += 1
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
