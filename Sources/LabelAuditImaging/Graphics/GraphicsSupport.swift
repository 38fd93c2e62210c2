/// Which pixel protocol a terminal has, found by asking it: the queries to send
/// (`GraphicsProbe.queries`) and a pure reader of the replies (`GraphicsSupport.reading`).
/// Nothing here touches a terminal: the app's input parser, or `labelaudit render`, hands over
/// the raw reply bytes.
public enum GraphicsProtocol: String, Sendable, CaseIterable {
    case kitty
    case sixel
}

/// What the terminal said about graphics.
public struct GraphicsSupport: Sendable, Hashable {
    /// Answered the kitty graphics query with OK.
    public var kitty = false
    /// Listed attribute 4 in its primary device attributes (or reported sixel colour registers).
    public var sixel = false
    /// Sixel colour registers (XTSMGRAPHICS), when the terminal said.
    public var sixelColorRegisters: Int?
    /// One cell in pixels (XTWINOPS 16t -> `CSI 6 ; h ; w t`).
    public var cellPixels: PixelSize?
    /// The text area in pixels (XTWINOPS 14t -> `CSI 4 ; h ; w t`).
    public var windowPixels: PixelSize?
    /// The primary device attributes answer arrived: every terminal answers it, and it is asked
    /// last, so the other answers that will ever come have come.
    public var complete = false
    /// The kitty query's error text when it answered but not OK (e.g. "ENOTSUPPORTED").
    package var kittyError: String?

    public init() {}

    /// Kitty first (full colour, no palette), then sixel; nil means draw with glyphs.
    public var preferred: GraphicsProtocol? {
        if kitty { return .kitty }
        if sixel { return .sixel }
        return nil
    }

    /// `windowPixels` came from the kernel's window size, not the terminal's answer (an answer
    /// replaces it).
    public var windowPixelsFromKernel = false

    /// The cell size to draw with: reported, else window pixels over `columns x rows`, else nil.
    public func cellSize(columns: Int, rows: Int) -> PixelSize? {
        if let cellPixels, cellPixels.width > 0, cellPixels.height > 0 { return cellPixels }
        if let windowPixels, columns > 0, rows > 0, windowPixels.width >= columns, windowPixels.height >= rows {
            return PixelSize(width: windowPixels.width / columns, height: windowPixels.height / rows)
        }
        return nil
    }

    /// Reads every reply found in `bytes` (any order, any mix, other input skipped).
    public static func reading(_ bytes: [UInt8]) -> GraphicsSupport {
        var support = GraphicsSupport()
        support.absorb(bytes)
        return support
    }

    /// Folds the replies found in `bytes` into this value. Unknown sequences and plain input are
    /// ignored; a reply cut off at the end is ignored too (hand it over again when complete).
    public mutating func absorb(_ bytes: [UInt8]) {
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 0x1B, index + 1 < bytes.count else {
                index += 1
                continue
            }
            switch bytes[index + 1] {
            case UInt8(ascii: "["):
                guard let end = Self.endOfCSI(bytes, from: index + 2) else { return }
                absorbCSI(Array(bytes[(index + 2)..<end]), final: bytes[end])
                index = end + 1
            case UInt8(ascii: "_"):
                guard let end = Self.stringTerminator(bytes, from: index + 2) else { return }
                absorbAPC(Array(bytes[(index + 2)..<end.start]))
                index = end.next
            case UInt8(ascii: "P"), UInt8(ascii: "]"):
                guard let end = Self.stringTerminator(bytes, from: index + 2) else { return }
                index = end.next
            default:
                index += 2
            }
        }
    }

    /// The index of a CSI sequence's final byte (0x40-0x7E), nil if it does not end in `bytes`.
    private static func endOfCSI(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if (0x40...0x7E).contains(bytes[index]) { return index }
            if bytes[index] < 0x20 || bytes[index] > 0x7E { return index }  // malformed: stop here
            index += 1
        }
        return nil
    }

    /// Where a string sequence's body ends (ST is `ESC \` or BEL) and where the next input starts.
    private static func stringTerminator(_ bytes: [UInt8], from start: Int) -> (start: Int, next: Int)? {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x07 { return (index, index + 1) }
            if bytes[index] == 0x1B {
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\\") { return (index, index + 2) }
                if index + 1 >= bytes.count { return nil }
                return (index, index)  // a new sequence began: the string was cut off
            }
            index += 1
        }
        return nil
    }

    private static func numbers(_ body: ArraySlice<UInt8>) -> [Int?] {
        body.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).map { field in
            guard !field.isEmpty, field.count <= 9, field.allSatisfy({ (48...57).contains($0) }) else { return nil }
            return field.reduce(0) { $0 * 10 + Int($1 - 48) }
        }
    }

    private mutating func absorbCSI(_ body: [UInt8], final: UInt8) {
        switch final {
        case UInt8(ascii: "c"):
            // Primary device attributes: CSI ? Ps ; Ps ... c. Attribute 4 is sixel graphics.
            guard body.first == UInt8(ascii: "?") else { return }
            let fields = Self.numbers(body.dropFirst())
            if fields.dropFirst().contains(4) { sixel = true }
            complete = true
        case UInt8(ascii: "t"):
            let fields = Self.numbers(body[...])
            guard fields.count == 3, let kind = fields[0], let height = fields[1], let width = fields[2],
                width > 0, height > 0
            else { return }
            if kind == 6 { cellPixels = PixelSize(width: width, height: height) }
            if kind == 4 {
                windowPixels = PixelSize(width: width, height: height)
                windowPixelsFromKernel = false
            }
        case UInt8(ascii: "S"):
            // XTSMGRAPHICS: CSI ? Pi ; Ps ; Pv S; item 1 is colour registers, status 0 = success.
            guard body.first == UInt8(ascii: "?") else { return }
            let fields = Self.numbers(body.dropFirst())
            guard fields.count >= 3, fields[0] == 1, fields[1] == 0, let registers = fields[2], registers > 0 else { return }
            sixelColorRegisters = registers
        default:
            return
        }
    }

    private mutating func absorbAPC(_ body: [UInt8]) {
        // Kitty: G<keys>;<message>, the probe's id, message "OK" or an error.
        guard body.first == UInt8(ascii: "G"), let separator = body.firstIndex(of: UInt8(ascii: ";")) else { return }
        let keys = String(decoding: body[1..<separator], as: UTF8.self).split(separator: ",")
        guard keys.contains("i=\(GraphicsProbe.kittyQueryID)") else { return }
        let message = String(decoding: body[(separator + 1)...], as: UTF8.self)
        if message == "OK" {
            kitty = true
            kittyError = nil
        } else {
            kittyError = String(
                message.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(80).map(Character.init))
        }
    }
}

/// The queries that find out what a terminal can draw.
public enum GraphicsProbe {
    /// The image id of the kitty query (never used for a real picture).
    public static let kittyQueryID: UInt32 = 0x4C41  // "LA"

    /// Kitty query, XTSMGRAPHICS colour registers, XTWINOPS cell and window size in pixels, then
    /// primary device attributes last: every terminal answers that one, so its reply marks the
    /// end of the answers.
    public static var queries: [UInt8] {
        KittyGraphics.query() + Array("\u{1B}[?1;1;0S\u{1B}[16t\u{1B}[14t\u{1B}[c".utf8)
    }

    /// The same sequence wrapped for tmux's passthrough (`allow-passthrough on`), so the outer
    /// terminal sees it. tmux answers device attributes itself, so inside tmux only the kitty
    /// reply proves passthrough.
    package static var tmuxPassthroughQueries: [UInt8] {
        TmuxPassthrough.wrap(KittyGraphics.query()) + Array("\u{1B}[c".utf8)
    }

    /// What to send from where: inside tmux the kitty query goes only through the passthrough
    /// (tmux takes a bare APC as the pane's title), the size and attribute queries plainly.
    public static func queries(insideTmux: Bool) -> [UInt8] {
        guard insideTmux else { return queries }
        return TmuxPassthrough.wrap(KittyGraphics.query()) + Array("\u{1B}[?1;1;0S\u{1B}[16t\u{1B}[14t\u{1B}[c".utf8)
    }
}

/// tmux's passthrough form: `ESC P tmux; <sequence, each ESC doubled> ESC \`.
public enum TmuxPassthrough {
    public static func wrap(_ sequence: [UInt8]) -> [UInt8] {
        var out: [UInt8] = Array("\u{1B}Ptmux;".utf8)
        out.reserveCapacity(sequence.count + sequence.count / 64 + 16)
        for byte in sequence {
            if byte == 0x1B { out.append(0x1B) }
            out.append(byte)
        }
        out.append(contentsOf: [0x1B, UInt8(ascii: "\\")])
        return out
    }
}

/// What the user asked for: find out (`auto`), force one protocol, or glyphs only (`off`).
public enum GraphicsMode: String, Sendable, CaseIterable {
    case auto
    case kitty
    case sixel
    case off

    /// The protocol to draw with, given what the terminal answered (nil: glyphs).
    /// `auto` takes the terminal's preferred protocol; a forced one is used as asked.
    public func resolved(_ support: GraphicsSupport?) -> GraphicsProtocol? {
        switch self {
        case .off: return nil
        case .kitty: return .kitty
        case .sixel: return .sixel
        case .auto: return support?.preferred
        }
    }
}
