import LabelAuditCore
import LabelAuditTUI

/// The key/paste decoder's fuzz: random byte streams made of what terminals really send (and
/// random bytes), decoded whole and split at random read boundaries. Shared by `make test`
/// (a few thousand cases) and `make reliability` (`labelaudit-bench fuzz-input`, 100,000).
package enum InputDecoderFuzz {
    package struct Outcome: Sendable {
        package var tried = 0
        /// Cases whose keys changed with the read splits (seed-relative case numbers).
        package var splitDependent: [Int] = []
        /// Cases where a bracketed paste of the bytes did not come back as exactly one paste.
        package var pastesBroken: [Int] = []
        /// Keys seen in total (to show the fuzz reached the decoder's states).
        package var keys = 0
    }

    static let pasteStart: [UInt8] = Array("\u{1B}[200~".utf8)
    static let pasteEnd: [UInt8] = Array("\u{1B}[201~".utf8)
    /// Pieces a terminal really sends, so random streams reach deep states.
    static let pieces: [[UInt8]] = [
        [0x1B], Array("[".utf8), Array("O".utf8), Array("200~".utf8), Array("201~".utf8), pasteStart, pasteEnd,
        Array("\u{1B}[<0;3;4M".utf8), Array("\u{1B}[M".utf8), Array("\u{1B}]52;c;".utf8), [0x07], Array("\u{1B}\\".utf8),
        Array("\u{1B}_G".utf8), Array("眼".utf8), [0xE7], [0x9C], Array("1234".utf8), Array("j".utf8), [0x0D], [0x00],
        [0xFF], Array(";".utf8), Array("\u{1B}[?".utf8),
    ]

    /// Decodes chunks fed at one instant, then lets every deadline pass.
    package static func decode(_ chunks: [[UInt8]]) -> [Key] {
        var decoder = InputDecoder()
        let start = ContinuousClock.now
        var keys: [Key] = []
        for chunk in chunks { keys += decoder.feed(chunk, at: start) }
        keys += decoder.expire(at: start + .seconds(10))
        return keys
    }

    /// `bytes` split at the given positions.
    package static func split(_ bytes: [UInt8], at cuts: [Int]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var start = 0
        for cut in cuts.sorted() where cut > start && cut < bytes.count {
            chunks.append(Array(bytes[start..<cut]))
            start = cut
        }
        chunks.append(Array(bytes[start...]))
        return chunks
    }

    package static func run(cases: Int, seed: UInt64, maximumLength: Int = 40) -> Outcome {
        var outcome = Outcome()
        var generator = SplitMix64(seed: seed)
        for index in 0..<cases {
            var bytes: [UInt8] = []
            let length = Int(generator.next() % UInt64(maximumLength))
            for _ in 0..<length {
                if generator.next() % 3 == 0 {
                    bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                } else {
                    bytes += pieces[Int(generator.next() % UInt64(pieces.count))]
                }
            }
            let whole = decode([bytes])
            outcome.keys += whole.count
            let cuts = (0..<Int(generator.next() % 6)).map { _ in Int(generator.next() % UInt64(bytes.count + 1)) }
            if decode(split(bytes, at: cuts)) != whole { outcome.splitDependent.append(index) }
            // Inside a bracketed paste nothing is a key, whatever the bytes (ESC removed so the
            // content cannot hold the end marker).
            let pasted = decode(split(pasteStart + bytes.filter { $0 != 0x1B } + pasteEnd, at: cuts))
            if pasted.count != 1 { outcome.pastesBroken.append(index) }
            outcome.tried += 1
        }
        return outcome
    }
}
