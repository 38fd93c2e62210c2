import Foundation
import LabelAuditCore

/// A grapheme as plain data, so that `ScreenCell` is trivially copyable: a frame writes,
/// copies and compares some 12,000 cells, and with a `Character` in each one every copy paid
/// for reference counting (a fifth of the review app's frame time at 200x60).
///
/// Up to 7 UTF-8 bytes are kept inline (every picture glyph, box drawing, letters with a
/// combining mark); longer graphemes (emoji sequences) are numbered in a process-wide table.
/// Two glyphs are equal when their bytes are, which is what a terminal diff needs.
struct Glyph: Hashable, Sendable {
    /// Inline: the bytes in the low 56 bits (first byte lowest), the count in bits 56...59.
    /// Interned: bit 63 set and the table index in the low 32 bits.
    private let bits: UInt64
    private static let internedFlag: UInt64 = 1 << 63

    static let space = Glyph(" " as Unicode.Scalar)

    init(_ character: Character) {
        var packed: UInt64 = 0
        var count: UInt64 = 0
        for byte in character.utf8 {
            if count == 7 {
                bits = Self.internedFlag | UInt64(GlyphTable.shared.index(of: character))
                return
            }
            packed |= UInt64(byte) << (8 * count)
            count += 1
        }
        bits = packed | count << 56
    }

    init(_ scalar: Unicode.Scalar) {
        var packed: UInt64 = 0
        var count: UInt64 = 0
        UTF8.encode(scalar) { byte in
            packed |= UInt64(byte) << (8 * count)
            count += 1
        }
        bits = packed | count << 56
    }

    var character: Character {
        if bits & Self.internedFlag != 0 { return GlyphTable.shared.character(at: Int(truncatingIfNeeded: bits & 0xFFFF_FFFF)) }
        var bytes: [UInt8] = []
        appendUTF8(to: &bytes)
        return Character(String(decoding: bytes, as: UTF8.self))
    }

    /// The first UTF-8 byte; 0xFF (never a first byte) for an interned glyph, which is long
    /// and so never plain ASCII.
    var firstByte: UInt8 { bits & Self.internedFlag != 0 ? 0xFF : UInt8(truncatingIfNeeded: bits) }

    /// True for a glyph of one scalar below U+0080.
    var isASCII: Bool { bits & Self.internedFlag == 0 && bits >> 56 == 1 && firstByte < 0x80 }

    func appendUTF8(to output: inout [UInt8]) {
        if bits & Self.internedFlag != 0 {
            output.append(contentsOf: character.utf8)
            return
        }
        var packed = bits
        for _ in 0..<Int(bits >> 56) {
            output.append(UInt8(truncatingIfNeeded: packed))
            packed >>= 8
        }
    }
}

/// The long graphemes seen so far, numbered. Grows with the distinct long graphemes shown
/// (notes, tags), which stay few.
private final class GlyphTable: Sendable {
    static let shared = GlyphTable()
    private struct Numbering {
        var characters: [Character] = []
        var indices: [Character: Int] = [:]
    }
    private let numbering = Locked(Numbering())

    func index(of character: Character) -> Int {
        numbering.withLock { numbering in
            if let index = numbering.indices[character] { return index }
            numbering.characters.append(character)
            numbering.indices[character] = numbering.characters.count - 1
            return numbering.characters.count - 1
        }
    }

    func character(at index: Int) -> Character {
        numbering.withLock { $0.characters[index] }
    }
}
