import Foundation
import LabelAuditCore
import Testing

@testable import LabelAuditImaging

@Suite("JPEG decoding under mutation", .serialized)
struct DecodeFuzzTests {
    static func corpus() throws -> [[UInt8]] {
        var seeds = [try JPEGEncoder.encode(Fixtures.gradient(width: 48, height: 40), quality: 85)]
        for name in ["gray.jpg", "progressive.jpg", "cmyk.jpg"] {
            seeds.append(Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name)))))
        }
        return seeds
    }

    /// One mutated copy of a seed: byte flips, marker bytes, truncation, inserted or repeated
    /// chunks, or random frame dimensions.
    static func mutate(_ seed: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = seed
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 1:
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = [0xFF, 0x00, 0xD8, 0xD9, 0xDA, 0xC0, 0xC2, 0xC4, 0xDB].randomElement(using: &random)!
            }
        case 2:
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
        case 3:
            let start = Int.random(in: 0..<bytes.count, using: &random)
            let length = Int.random(in: 1...min(64, bytes.count - start), using: &random)
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: Int.random(in: 0...bytes.count, using: &random))
        case 4:
            let index = Int.random(in: 0..<bytes.count, using: &random)
            bytes.insert(
                contentsOf: (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) },
                at: index)
        default:
            if let sof = (2..<(bytes.count - 9)).first(where: {
                bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2)
            }) {
                for offset in 5...8 { bytes[sof + offset] = UInt8.random(in: 0...255, using: &random) }
            }
        }
        return bytes
    }

    @Test("10,000 seeded mutations: every one decodes or fails with a typed error")
    func mutationFuzz() throws {
        let seeds = try Self.corpus()
        var random = SplitMix64(seed: 0x1abe1_a0d17)
        var decoded = 0
        var kinds: [String: Int] = [:]
        for _ in 0..<10_000 {
            let bytes = Self.mutate(seeds.randomElement(using: &random)!, using: &random)
            let covering: (width: Int, height: Int)? =
                Bool.random(using: &random) ? nil : (Int.random(in: 1...64, using: &random), 8)
            do {
                let image = try JPEGDecoder.decode(data: bytes, covering: covering)
                #expect(image.pixels.count == image.width * image.height * 3)
                decoded += 1
            } catch {
                switch error.kind {
                case .empty: kinds["empty", default: 0] += 1
                case .notJPEG: kinds["notJPEG", default: 0] += 1
                case .corrupt(let message):
                    #expect(!message.isEmpty)
                    kinds["corrupt", default: 0] += 1
                case .tooLarge: kinds["tooLarge", default: 0] += 1
                case .unreadable, .notRegularFile: Issue.record("unreadable from memory: \(error.message)")
                }
            }
        }
        // Both outcomes must really happen, or the loop tests nothing.
        #expect(decoded > 500)
        #expect(kinds["corrupt", default: 0] > 500)
        #expect(kinds["notJPEG", default: 0] > 0)
    }

    /// Leak check by watching the resident set (no sanitizer): a leak of libjpeg's state (tens
    /// of KB) per failed decode would add over 20 MB in each window of 1,000 failures. Other
    /// suites run in parallel and allocate too, so the smallest growth of three windows counts.
    @Test("failed and successful decodes do not leak (RSS stays flat)")
    func noLeakOnFailures() throws {
        let seeds = try Self.corpus()
        var random = SplitMix64(seed: 42)
        let cases = (0..<400).map { _ in Self.mutate(seeds.randomElement(using: &random)!, using: &random) }
        let truncated = Array(seeds[0].prefix(seeds[0].count / 2))
        func round() {
            for bytes in cases { _ = try? JPEGDecoder.decode(data: bytes, covering: (16, 16)) }
            for _ in 0..<100 { _ = try? JPEGDecoder.decode(data: truncated) }
        }
        for _ in 0..<2 { round() }  // warm up allocator pools
        var growths: [Int] = []
        for _ in 0..<3 {
            let before = residentBytes()
            for _ in 0..<4 { round() }
            growths.append(residentBytes() - before)
        }
        #expect(growths.min()! < 4 << 20, "RSS grew by \(growths) bytes in three windows of 2,000 decodes")
    }
}
