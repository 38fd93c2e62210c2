import Foundation
import TestSupport

@testable import LabelAuditImaging

/// What the graphics tests decode the encoders' bytes with, written from the protocols'
/// documentation (not from the encoders), and how they compare pictures.
enum KittyDecoder {
    struct Decoded {
        var keys: [String: String]
        var image: RGBImage
        var chunkSizes: [Int]
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Parses a sequence of `ESC _ G keys ; payload ESC \` commands: the first carries the
    /// keys, each says `m=1` while more follow; the base64 payloads concatenate.
    static func decode(_ bytes: [UInt8]) throws -> Decoded {
        var keys: [String: String] = [:]
        var payload: [UInt8] = []
        var chunkSizes: [Int] = []
        var index = 0
        var finished = false
        while index < bytes.count {
            guard !finished else { throw Failure(description: "bytes after the last chunk") }
            guard bytes[index] == 0x1B, index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "_"),
                bytes[index + 2] == UInt8(ascii: "G")
            else {
                throw Failure(description: "expected ESC _ G at \(index)")
            }
            var end = index + 3
            while end + 1 < bytes.count && !(bytes[end] == 0x1B && bytes[end + 1] == UInt8(ascii: "\\")) { end += 1 }
            guard end + 1 < bytes.count else { throw Failure(description: "unterminated APC") }
            let body = Array(bytes[(index + 3)..<end])
            let separator = body.firstIndex(of: UInt8(ascii: ";")) ?? body.count
            var chunkKeys: [String: String] = [:]
            for pair in String(decoding: body[..<separator], as: UTF8.self).split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { chunkKeys[String(parts[0])] = String(parts[1]) }
            }
            if keys.isEmpty {
                keys = chunkKeys
            } else if chunkKeys.keys.contains(where: { $0 != "m" }) {
                throw Failure(description: "continuation chunk with keys other than m: \(chunkKeys)")
            }
            let chunk = separator < body.count ? Array(body[(separator + 1)...]) : []
            chunkSizes.append(chunk.count)
            payload += chunk
            finished = chunkKeys["m"] != "1"
            index = end + 2
        }
        guard let data = Data(base64Encoded: Data(payload)) else { throw Failure(description: "payload is not base64") }
        guard keys["f"] == "24", let width = keys["s"].flatMap(Int.init), let height = keys["v"].flatMap(Int.init) else {
            throw Failure(description: "expected f=24 with s and v: \(keys)")
        }
        guard data.count == width * height * 3 else {
            throw Failure(description: "payload \(data.count) bytes for \(width)x\(height)")
        }
        return Decoded(keys: keys, image: RGBImage(width: width, height: height, pixels: [UInt8](data)), chunkSizes: chunkSizes)
    }
}

/// A sixel interpreter (DEC STD 070 / VT340 manual): DCS parameters, raster attributes, colour
/// definitions in HLS or RGB percent, `#` selection, `!` repeats, `$` carriage return, `-` next
/// band. Pixels never written stay at `background`.
enum SixelDecoder {
    struct Decoded {
        var image: RGBImage
        var declaredWidth: Int
        var declaredHeight: Int
        var registersDefined: Int
    }

    static func decode(_ bytes: [UInt8], background: (UInt8, UInt8, UInt8) = (0, 0, 0)) throws -> Decoded {
        guard bytes.count > 4, bytes[0] == 0x1B, bytes[1] == UInt8(ascii: "P") else {
            throw KittyDecoder.Failure(description: "no DCS")
        }
        var index = 2
        while index < bytes.count && bytes[index] != UInt8(ascii: "q") { index += 1 }
        index += 1
        var declared = (0, 0)
        var registers: [Int: (UInt8, UInt8, UInt8)] = [:]
        var pixels: [Int: (UInt8, UInt8, UInt8)] = [:]  // key y << 16 | x
        var maxX = 0
        var maxY = 0
        var x = 0
        var band = 0
        var current = (UInt8(0), UInt8(0), UInt8(0))
        func number() -> [Int] {
            var values: [Int] = []
            var value = 0
            var any = false
            while index < bytes.count {
                let byte = bytes[index]
                if (48...57).contains(byte) {
                    value = value * 10 + Int(byte - 48)
                    any = true
                    index += 1
                } else if byte == UInt8(ascii: ";") {
                    values.append(value)
                    value = 0
                    any = false
                    index += 1
                } else {
                    break
                }
            }
            if any || !values.isEmpty { values.append(value) }
            return values
        }
        func put(_ sixel: UInt8, count: Int) {
            let bits = Int(sixel) - 63
            for step in 0..<count {
                for bit in 0..<6 where bits & (1 << bit) != 0 {
                    let y = band * 6 + bit
                    pixels[y << 16 | (x + step)] = current
                    maxX = max(maxX, x + step + 1)
                    maxY = max(maxY, y + 1)
                }
            }
            x += count
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x1B { break }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                let values = number()
                if values.count >= 4 { declared = (values[2], values[3]) }
            case UInt8(ascii: "#"):
                let values = number()
                guard let register = values.first else { continue }
                if values.count >= 5 {
                    guard values[1] == 2 else { throw KittyDecoder.Failure(description: "only RGB colours expected") }
                    func level(_ percent: Int) -> UInt8 { UInt8((Double(percent) * 255 / 100).rounded()) }
                    registers[register] = (level(values[2]), level(values[3]), level(values[4]))
                } else {
                    guard let colour = registers[register] else {
                        throw KittyDecoder.Failure(description: "register \(register) used before defined")
                    }
                    current = colour
                }
            case UInt8(ascii: "!"):
                let count = number().first ?? 1
                guard index < bytes.count, (63...126).contains(bytes[index]) else {
                    throw KittyDecoder.Failure(description: "bad repeat")
                }
                put(bytes[index], count: count)
                index += 1
            case UInt8(ascii: "$"): x = 0
            case UInt8(ascii: "-"):
                x = 0
                band += 1
            case 63...126: put(byte, count: 1)
            default: continue
            }
        }
        let width = max(maxX, declared.0)
        let height = max(maxY, declared.1)
        var image = RGBImage(width: width, height: height, fill: background)
        for (key, colour) in pixels {
            let offset = ((key >> 16) * width + (key & 0xFFFF)) * 3
            image.pixels[offset] = colour.0
            image.pixels[offset + 1] = colour.1
            image.pixels[offset + 2] = colour.2
        }
        return Decoded(image: image, declaredWidth: declared.0, declaredHeight: declared.1, registersDefined: registers.count)
    }
}
