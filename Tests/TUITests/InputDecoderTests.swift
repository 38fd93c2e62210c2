import Foundation
import LabelAuditCore
import TestSupport
import Testing

@testable import LabelAuditTUI

/// Decodes `bytes` fed in the given chunks, all at one instant (no deadline passes), then
/// lets every deadline pass.
func decode(_ chunks: [[UInt8]]) -> [Key] {
    var decoder = InputDecoder()
    let start = ContinuousClock.now
    var keys: [Key] = []
    for chunk in chunks { keys += decoder.feed(chunk, at: start) }
    keys += decoder.expire(at: start + .seconds(10))
    return keys
}

func decode(_ text: String) -> [Key] { decode([Array(text.utf8)]) }

/// `bytes` split at the given positions.
func split(_ bytes: [UInt8], at cuts: [Int]) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    for cut in cuts.sorted() where cut > start && cut < bytes.count {
        chunks.append(Array(bytes[start..<cut]))
        start = cut
    }
    chunks.append(Array(bytes[start...]))
    return chunks
}

let pasteStart: [UInt8] = Array("\u{1B}[200~".utf8)
let pasteEnd: [UInt8] = Array("\u{1B}[201~".utf8)

@Suite struct InputDecoderTests {
    @Test func keysInBothCursorModesAndTheUsualEncodings() {
        #expect(decode("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D") == [.up, .down, .right, .left])
        #expect(decode("\u{1B}OA\u{1B}OB\u{1B}OC\u{1B}OD\u{1B}OH\u{1B}OF") == [.up, .down, .right, .left, .home, .end])
        #expect(
            decode("\u{1B}[1;5A\u{1B}[5~\u{1B}[6~\u{1B}[3~\u{1B}[1~\u{1B}[4~\u{1B}[Z")
                == [.up, .pageUp, .pageDown, .delete, .home, .end, .backTab])
        #expect(decode("\u{1B}OP\u{1B}[15~\u{1B}[24~") == [.function(1), .function(5), .function(12)])
        #expect(
            decode("j\r\n\t\u{7F}\u{08}\u{01}\u{17}") == [
                .character("j"), .enter, .enter, .tab, .backspace, .backspace,
                .control("a"), .control("w"),
            ])
        #expect(decode("é眼🙂") == [.character("é"), .character("眼"), .character("🙂")])
    }

    @Test func aCharacterSplitAnywhereIsOneCharacter() {
        let bytes = Array("a眼🙂b".utf8)
        for cut in 0...bytes.count {
            #expect(decode(split(bytes, at: [cut])) == [.character("a"), .character("眼"), .character("🙂"), .character("b")])
        }
        // Invalid UTF-8 and C1 controls type nothing.
        #expect(
            decode([[0x61, 0xFF, 0xC3, 0x28, 0x80, 0xC2, 0x9B, 0x62]]) == [.character("a"), .character("("), .character("b")])
    }

    @Test func aLoneEscapeIsEscapeOnlyAfterItsDelay() {
        var decoder = InputDecoder()
        let start = ContinuousClock.now
        #expect(decoder.feed([0x1B], at: start).isEmpty)
        #expect(decoder.nextDeadline == start + InputDecoder.escapeDelay)
        #expect(decoder.expire(at: start + .milliseconds(10)).isEmpty)
        #expect(decoder.expire(at: start + .milliseconds(60)) == [.escape])
        #expect(decoder.nextDeadline == nil)
        // ESC then a letter in the same read is Alt-letter (bound to nothing), read 60 ms
        // apart it is Escape then the letter.
        #expect(decoder.feed(Array("\u{1B}j".utf8), at: start) == [.meta("j")])
        _ = decoder.feed([0x1B], at: start)
        #expect(decoder.feed(Array("j".utf8), at: start + .milliseconds(60)) == [.escape, .character("j")])
        // A sequence split across reads inside the delay is still the sequence.
        _ = decoder.feed([0x1B], at: start)
        #expect(decoder.feed(Array("[A".utf8), at: start + .milliseconds(20)) == [.up])
    }

    @Test func unknownAndBrokenSequencesTypeNothing() {
        #expect(decode("\u{1B}[?1;2$y\u{1B}[I\u{1B}[O\u{1B}[99~\u{1B}[12;34;56X") == [])
        #expect(decode("\u{1B}[201~") == [], "a stray paste end is not text")
        #expect(
            decode("\u{1B}]0;title\u{07}\u{1B}^private\u{1B}\\\u{1B}Xsos\u{1B}\\x") == [
                .reply(TerminalReply(kind: .operatingSystem, bytes: Array("\u{1B}]0;title\u{07}".utf8))), .character("x"),
            ])
        // A control byte breaks a sequence; the parameters never become keys.
        #expect(decode("\u{1B}[12\u{03}4") == [.control("c"), .character("4")])
        // An unfinished sequence is dropped when its time runs out.
        #expect(decode("\u{1B}[1;2") == [])
        // A huge sequence is consumed, not kept, and types nothing.
        #expect(decode("\u{1B}[" + String(repeating: "1;", count: 100_000) + "m" + "k") == [.character("k")])
        #expect(decode("\u{1B}]" + String(repeating: "x", count: 200_000) + "\u{07}k") == [.character("k")])
    }

    @Test func mouseReportsInEveryFormAndNeverAsKeys() {
        #expect(
            decode("\u{1B}[<0;11;6M\u{1B}[<0;11;6m\u{1B}[<64;3;4M\u{1B}[<65;3;4M\u{1B}[<2;1;1M\u{1B}[<32;5;5M") == [
                .mouse(MouseEvent(kind: .click, row: 5, column: 10)),
                .mouse(MouseEvent(kind: .wheelUp, row: 3, column: 2)),
                .mouse(MouseEvent(kind: .wheelDown, row: 3, column: 2)),
            ])
        // X10 form: three raw bytes that would be "1", "2", "3" as text.
        #expect(
            decode([Array("\u{1B}[M".utf8) + [32, 49, 50], Array("\u{1B}[M".utf8) + [35, 51, 52]]) == [
                .mouse(MouseEvent(kind: .click, row: 17, column: 16))
            ])
        #expect(decode("\u{1B}[32;17;18M") == [.mouse(MouseEvent(kind: .click, row: 17, column: 16))])
    }

    @Test func repliesAreRecognisedWhole() {
        #expect(
            decode("\u{1B}[?62;4;22c") == [.reply(TerminalReply(kind: .deviceAttributes, bytes: Array("\u{1B}[?62;4;22c".utf8)))])
        #expect(decode("\u{1B}[4;600;800t") == [.reply(TerminalReply(kind: .windowSize, bytes: Array("\u{1B}[4;600;800t".utf8)))])
        let kitty = Array("\u{1B}_Gi=31;OK\u{1B}\\".utf8)
        for cut in 0...kitty.count {
            #expect(decode(split(kitty, at: [cut])) == [.reply(TerminalReply(kind: .kittyGraphics, bytes: kitty))])
        }
        #expect(decode("\u{1B}_Xnot kitty\u{1B}\\") == [])
    }

    @Test func aPasteIsOnePasteWhereverTheReadsSplitIt() {
        // Content that looks like sequences and a partial end marker.
        let content = "note: \u{1B}[A 2 0 1 ~ \u{1B}[20 \u{1B}[201 眼鏡 1234 " + String(repeating: "x", count: 50)
        let bytes = Array("j".utf8) + pasteStart + Array(content.utf8) + pasteEnd + Array("k".utf8)
        for cut in 0...bytes.count {
            #expect(decode(split(bytes, at: [cut])) == [.character("j"), .paste(content), .character("k")], "cut at \(cut)")
        }
        // Every pair of cuts around the end marker.
        let markerAt = bytes.count - pasteEnd.count - 1
        for first in markerAt - 2...markerAt + pasteEnd.count {
            for second in first...markerAt + pasteEnd.count + 1 {
                #expect(decode(split(bytes, at: [first, second])) == [.character("j"), .paste(content), .character("k")])
            }
        }
    }

    @Test func aPasteLargerThanTheReadBufferStaysAPaste() {
        // 100 KB in 4 KB reads, the end marker split at each of its positions.
        let line = "the frame is faint 0123456789 眼鏡\r\n"
        var content = ""
        while content.utf8.count < 100_000 { content += line }
        let bytes = pasteStart + Array(content.utf8) + pasteEnd + Array("2".utf8)
        for offset in 1..<pasteEnd.count {
            let markerCut = bytes.count - 1 - pasteEnd.count + offset
            var cuts = Array(stride(from: 4096, to: bytes.count, by: 4096))
            cuts.append(markerCut)
            let keys = decode(split(bytes, at: cuts))
            #expect(keys == [.paste(content), .character("2")])
        }
    }

    @Test func aPasteOverTheLimitIsCutAtACharacterAndCounted() {
        var decoder = InputDecoder()
        let now = ContinuousClock.now
        let content = String(repeating: "眼", count: InputDecoder.maximumPasteBytes / 3 + 10)
        let keys = decoder.feed(pasteStart + Array(content.utf8) + pasteEnd, at: now)
        guard case .paste(let text)? = keys.first, keys.count == 1 else {
            Issue.record("expected one paste, got \(keys.count) keys")
            return
        }
        #expect(text.utf8.count <= InputDecoder.maximumPasteBytes)
        #expect(text.allSatisfy { $0 == "眼" })
        #expect(decoder.lastPasteDroppedBytes == content.utf8.count - text.utf8.count)
    }

    @Test func aPasteThatNeverEndsIsDeliveredAsAPasteNotAsKeys() {
        var decoder = InputDecoder()
        let start = ContinuousClock.now
        #expect(decoder.feed(pasteStart + Array("1234".utf8), at: start).isEmpty)
        #expect(decoder.isInsidePaste)
        #expect(decoder.expire(at: start + .seconds(1)).isEmpty)
        #expect(decoder.expire(at: start + InputDecoder.sequenceTimeout) == [.paste("1234")])
        // The end marker arriving late is a stray sequence: nothing.
        #expect(decoder.feed(pasteEnd + Array("q".utf8), at: start + .seconds(3)) == [.character("q")])
    }

    /// Random byte streams split at random places: nothing traps, and with no deadline passing
    /// between chunks the keys never depend on the splits.
    @Test func fuzzRandomStreamsWithRandomSplits() {
        let outcome = InputDecoderFuzz.run(cases: 3_000, seed: 0xF00D)
        #expect(outcome.tried == 3_000)
        #expect(outcome.splitDependent.isEmpty, "keys depend on read splits: \(outcome.splitDependent.prefix(3))")
        #expect(outcome.pastesBroken.isEmpty, "a paste became several events: \(outcome.pastesBroken.prefix(3))")
    }
}
