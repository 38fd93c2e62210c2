/// Turns the bytes a terminal sends into keys, pastes, mouse events and replies.
///
/// A byte-level state machine that keeps its state between calls, so the result never depends
/// on where the reads were split: a bracketed paste of any size stays a paste until its end
/// marker `ESC [ 201 ~` arrives, even split across reads at any byte; an escape sequence split
/// across reads is still one sequence. Only two things depend on time, and both are explicit
/// deadlines (`nextDeadline`, `expire(at:)`): a lone ESC becomes the Escape key after
/// `escapeDelay` without a following byte, and a sequence that never ends is dropped after
/// `sequenceTimeout` (a paste that never ends is delivered as a paste).
///
/// Whatever the input, unknown or malformed sequences produce nothing: no byte of a sequence
/// is ever re-read as a typed character, which is what made a paste's end marker type
/// `2`, `0`, `1`, `~` as commands.
package struct InputDecoder: Sendable {
    /// How long a lone ESC waits for the rest of a sequence before it counts as Escape.
    package static let escapeDelay: Duration = .milliseconds(50)
    /// How long an unfinished sequence (or paste) may sit idle before it is given up.
    package static let sequenceTimeout: Duration = .seconds(2)
    /// Longest escape sequence kept; longer ones are consumed and dropped.
    static let maximumSequenceBytes = 64 * 1024
    /// Longest paste kept, in bytes; the rest of a larger paste is counted and dropped.
    package static let maximumPasteBytes = 1 << 20

    private enum State: Sendable {
        case ground
        /// After ESC, waiting for the byte that says what follows.
        case escape
        /// `ESC [` (or `CSI`): parameters until a final byte.
        case controlSequence
        /// `ESC O`: one final byte.
        case singleShift
        /// OSC, DCS, APC, PM, SOS: until BEL or `ESC \`.
        case string(TerminalReply.Kind?)
        /// Inside a string, after ESC: `\` ends it, anything else ends it and starts anew.
        case stringEscape(TerminalReply.Kind?)
        /// The three raw bytes after `CSI M` (X10 mouse, when the terminal ignores SGR mode).
        case legacyMouse
        /// Between `ESC [ 200 ~` and `ESC [ 201 ~`.
        case paste
    }

    private var state = State.ground
    /// Bytes of the sequence being read (introducer included).
    private var sequence: [UInt8] = []
    /// Bytes of a UTF-8 character not yet complete.
    private var pendingCharacter: [UInt8] = []
    private var pendingCharacterLength = 0
    /// Paste content so far, and how many bytes of it were dropped over the limit.
    private var pasteBytes: [UInt8] = []
    private var pasteDropped = 0
    /// How much of the end marker the paste has seen.
    private var endMarkerMatched = 0
    /// When the last byte arrived (deadlines count from it).
    private var lastByteTime: ContinuousClock.Instant?
    /// Bytes of a paste dropped over the limit, for the last paste delivered.
    package private(set) var lastPasteDroppedBytes = 0

    private static let pasteEndMarker: [UInt8] = [0x1B, 0x5B, 0x32, 0x30, 0x31, 0x7E]

    package init() {}

    /// True while a paste has started and not ended.
    package var isInsidePaste: Bool {
        if case .paste = state { return true }
        return false
    }

    /// When `expire(at:)` has something to do, nil when the decoder is idle.
    package var nextDeadline: ContinuousClock.Instant? {
        guard let lastByteTime else { return nil }
        switch state {
        case .ground: return pendingCharacter.isEmpty ? nil : lastByteTime + Self.sequenceTimeout
        case .escape: return lastByteTime + Self.escapeDelay
        default: return lastByteTime + Self.sequenceTimeout
        }
    }

    /// Decodes `bytes` (any slice of the stream) that arrived at `time`. What was pending past
    /// its deadline before these bytes came is settled first (a lone ESC read 60 ms before a
    /// `j` is Escape then `j`, not Alt-j).
    package mutating func feed<Bytes: Sequence>(_ bytes: Bytes, at time: ContinuousClock.Instant) -> [Key]
    where Bytes.Element == UInt8 {
        var keys = expire(at: time)
        for byte in bytes { decode(byte, into: &keys) }
        lastByteTime = time
        return keys
    }

    /// Ends whatever waited too long by `time`: a lone ESC becomes Escape, an unfinished
    /// sequence is dropped, an unfinished paste is delivered as the paste it is.
    package mutating func expire(at time: ContinuousClock.Instant) -> [Key] {
        guard let deadline = nextDeadline, time >= deadline else { return [] }
        var keys: [Key] = []
        switch state {
        case .ground:
            pendingCharacter.removeAll()
        case .escape:
            keys.append(.escape)
        case .paste:
            keys.append(finishPaste())
        default:
            break
        }
        state = .ground
        sequence.removeAll(keepingCapacity: true)
        lastByteTime = nil
        return keys
    }

    // MARK: bytes

    private mutating func decode(_ byte: UInt8, into keys: inout [Key]) {
        switch state {
        case .ground:
            ground(byte, into: &keys)
        case .escape:
            afterEscape(byte, into: &keys)
        case .controlSequence:
            controlSequence(byte, into: &keys)
        case .singleShift:
            state = .ground
            if let key = Self.singleShiftKey(byte) { keys.append(key) }
        case .string(let kind):
            if byte == 0x07 {
                appendToSequence(byte)
                finishString(kind, into: &keys)
            } else if byte == 0x1B {
                state = .stringEscape(kind)
            } else {
                appendToSequence(byte)
            }
        case .stringEscape(let kind):
            if byte == 0x5C {
                appendToSequence(0x1B)
                appendToSequence(byte)
                finishString(kind, into: &keys)
            } else {
                // Not a terminator: the string is malformed; drop it and start a new sequence.
                sequence.removeAll(keepingCapacity: true)
                state = .escape
                sequence.append(0x1B)
                afterEscape(byte, into: &keys)
            }
        case .legacyMouse:
            sequence.append(byte)
            if sequence.count == 3 {
                state = .ground
                let button = Int(sequence[0]) - 32
                let column = Int(sequence[1]) - 33
                let row = Int(sequence[2]) - 33
                if let event = Self.mouse(button: button, row: row, column: column, pressed: button & 3 != 3) {
                    keys.append(.mouse(event))
                }
                sequence.removeAll(keepingCapacity: true)
            }
        case .paste:
            paste(byte, into: &keys)
        }
    }

    private mutating func ground(_ byte: UInt8, into keys: inout [Key]) {
        if !pendingCharacter.isEmpty {
            if byte & 0xC0 == 0x80 {
                pendingCharacter.append(byte)
                if pendingCharacter.count == pendingCharacterLength {
                    if let key = Self.character(from: pendingCharacter) { keys.append(key) }
                    pendingCharacter.removeAll(keepingCapacity: true)
                }
                return
            }
            // A broken UTF-8 sequence: drop it and read this byte afresh.
            pendingCharacter.removeAll(keepingCapacity: true)
        }
        switch byte {
        case 0x1B:
            state = .escape
            sequence.removeAll(keepingCapacity: true)
            sequence.append(byte)
        case 0x09: keys.append(.tab)
        case 0x0A, 0x0D: keys.append(.enter)
        case 0x08, 0x7F: keys.append(.backspace)
        case 0x01...0x1A: keys.append(.control(Character(Unicode.Scalar(byte + 0x60))))
        case 0x00, 0x1C...0x1F: break
        case 0x20...0x7E: keys.append(.character(Character(Unicode.Scalar(byte))))
        case 0xC2...0xDF: startCharacter(byte, length: 2)
        case 0xE0...0xEF: startCharacter(byte, length: 3)
        case 0xF0...0xF4: startCharacter(byte, length: 4)
        default: break  // stray continuation bytes and bytes never valid in UTF-8
        }
    }

    private mutating func startCharacter(_ byte: UInt8, length: Int) {
        pendingCharacter.append(byte)
        pendingCharacterLength = length
    }

    private mutating func afterEscape(_ byte: UInt8, into keys: inout [Key]) {
        switch byte {
        case 0x5B:  // [
            state = .controlSequence
            sequence.append(byte)
        case 0x4F:  // O
            state = .singleShift
        case 0x5D:  // ]
            state = .string(.operatingSystem)
            sequence.append(byte)
        case 0x50:  // P
            state = .string(.deviceControl)
            sequence.append(byte)
        case 0x5F:  // _
            state = .string(.kittyGraphics)
            sequence.append(byte)
        case 0x5E, 0x58:  // ^ PM, X SOS: consumed, never delivered
            state = .string(nil)
            sequence.append(byte)
        case 0x1B:
            keys.append(.escape)
            sequence.removeAll(keepingCapacity: true)
            sequence.append(byte)
        case 0x20...0x7E:
            state = .ground
            keys.append(.meta(Character(Unicode.Scalar(byte))))
        default:
            state = .ground
            keys.append(.escape)
            ground(byte, into: &keys)
        }
    }

    private mutating func controlSequence(_ byte: UInt8, into keys: inout [Key]) {
        switch byte {
        case 0x20...0x3F:
            appendToSequence(byte)
        case 0x40...0x7E:
            appendToSequence(byte)
            state = .ground
            interpretControlSequence(into: &keys)
            if case .ground = state { sequence.removeAll(keepingCapacity: true) }
        default:
            // A control byte inside a sequence: the sequence is broken. Drop it and read the
            // byte afresh (ESC starts a new sequence).
            sequence.removeAll(keepingCapacity: true)
            state = .ground
            ground(byte, into: &keys)
        }
    }

    private mutating func appendToSequence(_ byte: UInt8) {
        if sequence.count < Self.maximumSequenceBytes { sequence.append(byte) }
    }

    private mutating func finishString(_ kind: TerminalReply.Kind?, into keys: inout [Key]) {
        if let kind, sequence.count < Self.maximumSequenceBytes {
            // APC other than kitty's `G` replies is not ours to interpret.
            if kind != .kittyGraphics || sequence.count > 2 && sequence[2] == UInt8(ascii: "G") {
                keys.append(.reply(TerminalReply(kind: kind, bytes: sequence)))
            }
        }
        sequence.removeAll(keepingCapacity: true)
        state = .ground
    }

    // MARK: control sequences

    /// `sequence` holds `ESC [ params intermediates final`.
    private mutating func interpretControlSequence(into keys: inout [Key]) {
        guard sequence.count >= 3 else { return }
        let final = sequence[sequence.count - 1]
        let body = sequence[2..<sequence.count - 1]
        let privateMarker = body.first.flatMap { (0x3C...0x3F).contains($0) ? $0 : nil }
        let parameters = Self.parameters(privateMarker == nil ? body : body.dropFirst())
        let first = parameters.first ?? 0
        switch (privateMarker, final) {
        case (nil, UInt8(ascii: "~")):
            if first == 200 {
                state = .paste
                pasteBytes.removeAll(keepingCapacity: true)
                pasteDropped = 0
                endMarkerMatched = 0
            } else if let key = Self.tildeKey(first) {
                keys.append(key)
            }
        case (nil, UInt8(ascii: "A")): keys.append(.up)
        case (nil, UInt8(ascii: "B")): keys.append(.down)
        case (nil, UInt8(ascii: "C")): keys.append(.right)
        case (nil, UInt8(ascii: "D")): keys.append(.left)
        case (nil, UInt8(ascii: "H")): keys.append(.home)
        case (nil, UInt8(ascii: "F")): keys.append(.end)
        case (nil, UInt8(ascii: "Z")): keys.append(.backTab)
        case (nil, UInt8(ascii: "P")), (nil, UInt8(ascii: "Q")), (nil, UInt8(ascii: "S")):
            // CSI 1;mod P..S: F1, F2, F4 with modifiers (R would be a cursor report).
            if parameters.count >= 2 { keys.append(.function(Int(final - UInt8(ascii: "P")) + 1)) }
        case (nil, UInt8(ascii: "M")) where body.isEmpty:
            state = .legacyMouse
            sequence.removeAll(keepingCapacity: true)
        case (nil, UInt8(ascii: "M")) where parameters.count == 3:
            // urxvt's 1015 form: CSI b ; x ; y M
            let button = parameters[0] - 32
            if let event = Self.mouse(button: button, row: parameters[2] - 1, column: parameters[1] - 1, pressed: button & 3 != 3)
            {
                keys.append(.mouse(event))
            }
        case (UInt8(ascii: "<"), UInt8(ascii: "M")), (UInt8(ascii: "<"), UInt8(ascii: "m")):
            guard parameters.count == 3 else { return }
            if let event = Self.mouse(
                button: parameters[0], row: parameters[2] - 1, column: parameters[1] - 1,
                pressed: final == UInt8(ascii: "M"))
            {
                keys.append(.mouse(event))
            }
        case (UInt8(ascii: "?"), UInt8(ascii: "c")):
            keys.append(.reply(TerminalReply(kind: .deviceAttributes, bytes: sequence)))
        case (nil, UInt8(ascii: "t")):
            keys.append(.reply(TerminalReply(kind: .windowSize, bytes: sequence)))
        case (nil, UInt8(ascii: "R")), (UInt8(ascii: "?"), UInt8(ascii: "R")):
            keys.append(.reply(TerminalReply(kind: .cursorPosition, bytes: sequence)))
        default:
            break  // focus reports, kitty keyboard replies, anything unknown: nothing
        }
    }

    /// Semicolon-separated decimal parameters (sub-parameters after `:` ignored), capped so a
    /// hostile sequence cannot overflow.
    private static func parameters(_ body: ArraySlice<UInt8>) -> [Int] {
        var result: [Int] = []
        var value = 0
        var inSubParameter = false
        var any = false
        for byte in body {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !inSubParameter { value = min(value * 10 + Int(byte - 0x30), 1_000_000) }
                any = true
            case UInt8(ascii: ";"):
                result.append(value)
                value = 0
                inSubParameter = false
                any = true
            case UInt8(ascii: ":"):
                inSubParameter = true
            default:
                break
            }
        }
        if any { result.append(value) }
        return result
    }

    private static func tildeKey(_ code: Int) -> Key? {
        switch code {
        case 1, 7: return .home
        case 4, 8: return .end
        case 3: return .delete
        case 5: return .pageUp
        case 6: return .pageDown
        case 11...15: return .function(code - 10)
        case 17...21: return .function(code - 11)
        case 23, 24: return .function(code - 12)
        default: return nil
        }
    }

    private static func singleShiftKey(_ byte: UInt8) -> Key? {
        switch byte {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "M"): return .enter
        case UInt8(ascii: "P")...UInt8(ascii: "S"): return .function(Int(byte - UInt8(ascii: "P")) + 1)
        default: return nil
        }
    }

    /// A mouse report: left-button presses and the wheel; releases, drags and other buttons
    /// are nothing.
    private static func mouse(button: Int, row: Int, column: Int, pressed: Bool) -> MouseEvent? {
        guard pressed, row >= 0, column >= 0, button & 32 == 0 else { return nil }
        switch button & ~0b11100 {
        case 0: return MouseEvent(kind: .click, row: row, column: column)
        case 64: return MouseEvent(kind: .wheelUp, row: row, column: column)
        case 65: return MouseEvent(kind: .wheelDown, row: row, column: column)
        default: return nil
        }
    }

    private static func character(from bytes: [UInt8]) -> Key? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        // C1 controls (U+0080-U+009F) are never typed text.
        if (0x80...0x9F).contains(scalar.value) { return nil }
        return .character(Character(scalar))
    }

    // MARK: paste

    private mutating func paste(_ byte: UInt8, into keys: inout [Key]) {
        if byte == Self.pasteEndMarker[endMarkerMatched] {
            endMarkerMatched += 1
            if endMarkerMatched == Self.pasteEndMarker.count {
                keys.append(finishPaste())
                state = .ground
            }
            return
        }
        // A partial marker that did not continue is content (ESC begins the marker only at its
        // start, so the byte itself may begin a new match).
        for index in 0..<endMarkerMatched { appendPasted(Self.pasteEndMarker[index]) }
        if byte == Self.pasteEndMarker[0] {
            endMarkerMatched = 1
        } else {
            endMarkerMatched = 0
            appendPasted(byte)
        }
    }

    private mutating func appendPasted(_ byte: UInt8) {
        if pasteBytes.count < Self.maximumPasteBytes {
            pasteBytes.append(byte)
        } else {
            pasteDropped += 1
        }
    }

    private mutating func finishPaste() -> Key {
        // A paste cut at the limit may end inside a character: drop the partial tail.
        var bytes = pasteBytes
        if pasteDropped > 0 {
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
            if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        }
        lastPasteDroppedBytes = pasteDropped + (pasteBytes.count - bytes.count)
        let text = String(decoding: bytes, as: UTF8.self)
        pasteBytes.removeAll(keepingCapacity: false)
        pasteDropped = 0
        endMarkerMatched = 0
        return .paste(text)
    }
}
