import Foundation

@testable import LabelAuditImaging

/// Real files on disk for the tests: a fresh folder per test, removed by the caller.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "labelaudit-imaging-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let full = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

enum Fixtures {
    /// Repository root, found from this file's location.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func path(_ name: String) -> String { repositoryRoot + "/Tests/Fixtures/imaging/" + name }

    /// A horizontal red-to-blue gradient with a vertical green ramp: every pixel distinct enough
    /// to catch transposed or shifted output.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let offset = (y * width + x) * 3
                pixels[offset] = UInt8(255 * x / max(width - 1, 1))
                pixels[offset + 1] = UInt8(255 * y / max(height - 1, 1))
                pixels[offset + 2] = UInt8(255 - 255 * x / max(width - 1, 1))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A picture made of flat rectangles, `paint(x, y)` giving each pixel's colour.
    static func painted(width: Int, height: Int, _ paint: (Int, Int) -> (UInt8, UInt8, UInt8)) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let colour = paint(x, y)
                let offset = (y * width + x) * 3
                pixels[offset] = colour.0
                pixels[offset + 1] = colour.1
                pixels[offset + 2] = colour.2
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> (Int, Int, Int) {
        let offset = (y * image.width + x) * 3
        return (Int(image.pixels[offset]), Int(image.pixels[offset + 1]), Int(image.pixels[offset + 2]))
    }

    static func close(_ a: (Int, Int, Int), _ b: (Int, Int, Int), tolerance: Int) -> Bool {
        abs(a.0 - b.0) <= tolerance && abs(a.1 - b.1) <= tolerance && abs(a.2 - b.2) <= tolerance
    }

    /// A baseline JPEG header (SOI, DQT, SOF0 with the given size, DHT, SOS) and a few bytes of
    /// scan: enough for libjpeg to read the dimensions.
    static func headerOnlyJPEG(width: Int, height: Int) throws -> [UInt8] {
        var bytes = try JPEGEncoder.encode(gradient(width: 16, height: 16), quality: 80)
        // Find SOF0 (FF C0) and patch height and width (big-endian, at +5 and +7).
        var index = 2
        while index + 9 < bytes.count {
            if bytes[index] == 0xFF && bytes[index + 1] == 0xC0 {
                bytes[index + 5] = UInt8(height >> 8)
                bytes[index + 6] = UInt8(height & 0xFF)
                bytes[index + 7] = UInt8(width >> 8)
                bytes[index + 8] = UInt8(width & 0xFF)
                return bytes
            }
            index += 1
        }
        throw CocoaError(.fileReadCorruptFile)
    }
}

/// Resident set size of this process, from /proc/self/statm (Linux).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Runs `body` with file descriptor 2 pointed at a file and returns what was written to it.
func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
    let path = NSTemporaryDirectory() + "labelaudit-stderr-" + UUID().uuidString
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let saved = dup(2)
    dup2(descriptor, 2)
    defer {
        dup2(saved, 2)
        close(saved)
        close(descriptor)
        try? FileManager.default.removeItem(atPath: path)
    }
    try body()
    return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<unreadable>"
}
