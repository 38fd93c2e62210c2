import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore
import TestSupport
import Testing

@testable import LabelAuditReport

/// Renders the HTML report in a real browser (headless Chromium), offline, and checks that the
/// screenshot shows something: tables, faces and plots, not a blank page.
@Suite struct BrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func theHTMLReportRendersInHeadlessChromium() throws {
        guard let chromium = Self.chromium else {
            print("BrowserTests skipped: chromium is not installed (apt-get install chromium, or `make test-deps`)")
            return
        }
        let demo = DemoFixture.shared
        let errors = demo.queue.filter { demo.flipped.contains($0) }.prefix(8)
        let states =
            errors.map { ReviewerState.verdict(.labelWrong, $0, by: "ana", note: "<b>frames</b> \u{1B}[31m") }
            + demo.queue.filter { !demo.flipped.contains($0) }.prefix(12).map { ReviewerState.verdict(.labelOK, $0, by: "bo") }
        let report = AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot(states: states))
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = folder.appendingPathComponent("report.html")
        try ReportWriter.write(report, format: .html, to: html)
        let png = folder.appendingPathComponent("shot.png")
        let result = try run(
            URL(fileURLWithPath: chromium),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
                "--screenshot=\(png.path)", "--window-size=1200,5000", html.absoluteString,
            ])
        #expect(result.status == 0, "chromium: \(result.err)")
        let image = try PNGPixels.read(png)
        #expect(image.width == 1200 && image.height == 5000)
        // Not blank: the grey levels vary (white page alone has variance 0).
        let grey = stride(from: 0, to: image.rgb.count, by: 3).map { i in
            (Double(image.rgb[i]) + Double(image.rgb[i + 1]) + Double(image.rgb[i + 2])) / 3
        }
        let mean = grey.reduce(0, +) / Double(grey.count)
        let variance = grey.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(grey.count)
        #expect(variance > 100, "screenshot variance \(variance)")
        // Some pixels are neither white nor grey: the faces and the coloured plot bars.
        let coloured = stride(from: 0, to: image.rgb.count, by: 3).filter { i in
            let r = Int(image.rgb[i])
            let g = Int(image.rgb[i + 1])
            let b = Int(image.rgb[i + 2])
            return max(r, g, b) - min(r, g, b) > 40
        }.count
        #expect(coloured > 1000)
        // The noise matrix (its header cells are #e3d7f4) and the eye-band thumbnails (framed
        // #1f9e89, 400 px wide) are on screen, not only in the file.
        func pixels(near colour: (Int, Int, Int)) -> Int {
            stride(from: 0, to: image.rgb.count, by: 3).filter { i in
                abs(Int(image.rgb[i]) - colour.0) <= 4 && abs(Int(image.rgb[i + 1]) - colour.1) <= 4
                    && abs(Int(image.rgb[i + 2]) - colour.2) <= 4
            }.count
        }
        #expect(pixels(near: (0xE3, 0xD7, 0xF4)) > 2000, "noise matrix header not visible")
        // Each visible eye band's frame is about 2 x (404 + 140) pixels; at least four of the eight.
        #expect(pixels(near: (0x1F, 0x9E, 0x89)) > 4 * 1000, "eye-band thumbnails not visible")
        if let keep = ProcessInfo.processInfo.environment["LABELAUDIT_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: png, to: URL(fileURLWithPath: keep))
        }
    }
}

/// A minimal PNG reader for 8-bit RGB/RGBA non-interlaced files (what Chromium writes), with
/// zlib inflate through Foundation-free code: stored, fixed and dynamic Huffman blocks.
enum PNGPixels {
    struct Image {
        var width: Int
        var height: Int
        var rgb: [UInt8]
    }

    struct Bad: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ url: URL) throws -> Image {
        let bytes = [UInt8](try Data(contentsOf: url))
        guard bytes.count > 8, bytes[0..<8].elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else {
            throw Bad(description: "not a PNG")
        }
        var offset = 8
        var width = 0
        var height = 0
        var colorType = 0
        var depth = 0
        var interlace = 0
        var compressed: [UInt8] = []
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        while offset + 8 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            let body = offset + 8
            guard body + length <= bytes.count else { throw Bad(description: "truncated chunk") }
            switch type {
            case "IHDR":
                width = u32(body)
                height = u32(body + 4)
                depth = Int(bytes[body + 8])
                colorType = Int(bytes[body + 9])
                interlace = Int(bytes[body + 12])
            case "IDAT": compressed += bytes[body..<body + length]
            default: break
            }
            offset = body + length + 4
            if type == "IEND" { break }
        }
        guard depth == 8, colorType == 2 || colorType == 6, interlace == 0 else {
            throw Bad(description: "unsupported PNG (depth \(depth), colour type \(colorType), interlace \(interlace))")
        }
        let channels = colorType == 6 ? 4 : 3
        let raw = try Inflate.zlib(compressed)
        let stride = width * channels
        guard raw.count >= height * (stride + 1) else { throw Bad(description: "short image data") }
        var previous = [UInt8](repeating: 0, count: stride)
        var rgb = [UInt8]()
        rgb.reserveCapacity(width * height * 3)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            var line = Array(raw[y * (stride + 1) + 1..<(y + 1) * (stride + 1)])
            for x in 0..<stride {
                let a = x >= channels ? Int(line[x - channels]) : 0
                let b = Int(previous[x])
                let c = x >= channels ? Int(previous[x - channels]) : 0
                let value: Int
                switch filter {
                case 1: value = a
                case 2: value = b
                case 3: value = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a)
                    let pb = abs(p - b)
                    let pc = abs(p - c)
                    value = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: value = 0
                }
                line[x] = UInt8((Int(line[x]) + value) & 0xFF)
            }
            for x in 0..<width { rgb += line[x * channels..<x * channels + 3] }
            previous = line
        }
        return Image(width: width, height: height, rgb: rgb)
    }
}

/// RFC 1950/1951 inflate, enough for test images.
enum Inflate {
    struct Bits {
        let bytes: [UInt8]
        var position = 0
        var bitBuffer = 0
        var bitCount = 0

        mutating func bits(_ n: Int) throws -> Int {
            while bitCount < n {
                guard position < bytes.count else { throw PNGPixels.Bad(description: "inflate: out of data") }
                bitBuffer |= Int(bytes[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << n) - 1)
            bitBuffer >>= n
            bitCount -= n
            return value
        }

        mutating func alignToByte() {
            bitBuffer = 0
            bitCount = 0
        }
    }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) {
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for i in 1..<16 { offsets[i] = offsets[i - 1] + counts[i - 1] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, length) in lengths.enumerated() where length > 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }

        func decode(_ bits: inout Bits) throws -> Int {
            var code = 0
            var first = 0
            var index = 0
            for length in 1..<16 {
                code |= try bits.bits(1)
                let count = counts[length]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw PNGPixels.Bad(description: "inflate: bad code")
        }
    }

    static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
        4097, 6145, 8193, 12289, 16385, 24577,
    ]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func zlib(_ data: [UInt8]) throws -> [UInt8] {
        guard data.count > 2 else { throw PNGPixels.Bad(description: "inflate: empty") }
        var bits = Bits(bytes: Array(data[2...]))
        var out: [UInt8] = []
        var last = 0
        repeat {
            last = try bits.bits(1)
            let type = try bits.bits(2)
            switch type {
            case 0:
                bits.alignToByte()
                guard bits.position + 4 <= bits.bytes.count else { throw PNGPixels.Bad(description: "inflate: stored block") }
                let length = Int(bits.bytes[bits.position]) | Int(bits.bytes[bits.position + 1]) << 8
                bits.position += 4
                out += bits.bytes[bits.position..<bits.position + length]
                bits.position += length
            case 1:
                let literal = Huffman(
                    lengths: Array(repeating: 8, count: 144) + Array(repeating: 9, count: 112)
                        + Array(repeating: 7, count: 24) + Array(repeating: 8, count: 8))
                let distance = Huffman(lengths: Array(repeating: 5, count: 30))
                try block(&bits, &out, literal, distance)
            case 2:
                let literalCount = try bits.bits(5) + 257
                let distanceCount = try bits.bits(5) + 1
                let codeCount = try bits.bits(4) + 4
                let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                var codeLengths = [Int](repeating: 0, count: 19)
                for i in 0..<codeCount { codeLengths[order[i]] = try bits.bits(3) }
                let codeHuffman = Huffman(lengths: codeLengths)
                var lengths: [Int] = []
                while lengths.count < literalCount + distanceCount {
                    let symbol = try codeHuffman.decode(&bits)
                    switch symbol {
                    case 0..<16: lengths.append(symbol)
                    case 16: lengths += Array(repeating: lengths.last ?? 0, count: 3 + (try bits.bits(2)))
                    case 17: lengths += Array(repeating: 0, count: 3 + (try bits.bits(3)))
                    default: lengths += Array(repeating: 0, count: 11 + (try bits.bits(7)))
                    }
                }
                try block(
                    &bits, &out, Huffman(lengths: Array(lengths[0..<literalCount])),
                    Huffman(lengths: Array(lengths[literalCount..<literalCount + distanceCount])))
            default:
                throw PNGPixels.Bad(description: "inflate: bad block type")
            }
        } while last == 0
        return out
    }

    static func block(_ bits: inout Bits, _ out: inout [UInt8], _ literal: Huffman, _ distance: Huffman) throws {
        while true {
            let symbol = try literal.decode(&bits)
            if symbol < 256 {
                out.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let index = symbol - 257
            guard index < lengthBase.count else { throw PNGPixels.Bad(description: "inflate: bad length") }
            let length = lengthBase[index] + (try bits.bits(lengthExtra[index]))
            let distanceSymbol = try distance.decode(&bits)
            guard distanceSymbol < distanceBase.count else { throw PNGPixels.Bad(description: "inflate: bad distance") }
            let back = distanceBase[distanceSymbol] + (try bits.bits(distanceExtra[distanceSymbol]))
            guard back <= out.count else { throw PNGPixels.Bad(description: "inflate: distance too far") }
            let start = out.count - back
            for i in 0..<length { out.append(out[start + i]) }
        }
    }
}
