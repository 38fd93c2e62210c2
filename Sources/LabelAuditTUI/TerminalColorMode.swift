import LabelAuditImaging

/// How many colours the terminal gets told about.
public enum TerminalColorMode: String, CaseIterable, Hashable, Sendable {
    case truecolor
    case palette256 = "256"
    case palette16 = "16"
    case none

    /// Parses `--colors` values (`truecolor`/`24bit`/`full`, `256`, `16`, `none`/`2`).
    public init?(argument: String) {
        switch argument.lowercased() {
        case "truecolor", "24bit", "full", "direct": self = .truecolor
        case "256", "240": self = .palette256
        case "16", "8": self = .palette16
        case "none", "2", "mono", "off": self = .none
        default: return nil
        }
    }

    /// What the environment asks for before any terminfo is read. NO_COLOR (non-empty) means
    /// none; COLORTERM truecolor/24bit or a `*-direct` TERM means truecolor; nil means "ask
    /// the terminal's COLORS". ncurses reads neither variable, so the app must.
    public static func requested(environment: [String: String]) -> TerminalColorMode? {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return TerminalColorMode.none }
        let colorTerm = (environment["COLORTERM"] ?? "").lowercased()
        if colorTerm == "truecolor" || colorTerm == "24bit" { return .truecolor }
        if (environment["TERM"] ?? "").hasSuffix("-direct") { return .truecolor }
        return nil
    }

    /// The mode a terminal with `colors` colours supports.
    package static func fromTerminal(colors: Int, hasColors: Bool) -> TerminalColorMode {
        guard hasColors else { return .none }
        if colors >= 0x1000000 { return .truecolor }
        if colors >= 256 { return .palette256 }
        if colors >= 8 { return .palette16 }
        return .none
    }

    /// Direct-colour terminfo names to try for `term`, best first: the entry itself when it is
    /// already direct, else `<base>-direct` (tmux-256color gives tmux-direct), then xterm-direct.
    package static func directTerminalCandidates(for term: String) -> [String] {
        if term.hasSuffix("-direct") { return [term] }
        var candidates: [String] = []
        if let base = term.split(separator: "-").first, !base.isEmpty {
            candidates.append(String(base) + "-direct")
        }
        if !candidates.contains("xterm-direct") { candidates.append("xterm-direct") }
        return candidates
    }
}

/// Maps `TerminalColor` values to the colour numbers curses takes in each mode.
package enum CursesColorNumber {
    /// The colour number for `color` in `mode` on a terminal with `terminalColors` colours;
    /// -1 is the terminal's default. In direct mode, packed RGB values below 8 would be read
    /// as palette indices, so they are clamped to 8 (a black indistinguishable from 0).
    package static func number(for color: TerminalColor, mode: TerminalColorMode, terminalColors: Int) -> Int32 {
        switch color {
        case .terminalDefault:
            return -1
        case .rgb(let red, let green, let blue):
            switch mode {
            case .truecolor: return max(8, Int32(red) << 16 | Int32(green) << 8 | Int32(blue))
            case .palette256: return Int32(nearest256(red, green, blue))
            case .palette16: return Int32(nearest16(red, green, blue, limit: terminalColors))
            case .none: return -1
            }
        case .indexed(let index):
            switch mode {
            case .truecolor:
                if index < 8 { return Int32(index) }
                let rgb = xtermRGB(index)
                return max(8, Int32(rgb.0) << 16 | Int32(rgb.1) << 8 | Int32(rgb.2))
            case .palette256: return Int32(index)
            case .palette16:
                if Int(index) < min(16, terminalColors) { return Int32(index) }
                let rgb = xtermRGB(index)
                return Int32(nearest16(rgb.0, rgb.1, rgb.2, limit: terminalColors))
            case .none: return -1
            }
        }
    }

    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The RGB of an xterm palette index (the standard 16, the 6x6x6 cube, the grey ramp).
    package static func xtermRGB(_ index: UInt8) -> (UInt8, UInt8, UInt8) {
        let basic: [(UInt8, UInt8, UInt8)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255),
            (255, 255, 255),
        ]
        if index < 16 { return basic[Int(index)] }
        if index >= 232 {
            let level = UInt8(8 + 10 * (Int(index) - 232))
            return (level, level, level)
        }
        let cube = Int(index) - 16
        return (UInt8(cubeLevels[cube / 36]), UInt8(cubeLevels[(cube / 6) % 6]), UInt8(cubeLevels[cube % 6]))
    }

    /// Nearest of indices 16...255 (terminals disagree about 0...15) by squared RGB distance.
    static func nearest256(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> UInt8 {
        func level(_ value: UInt8) -> Int {
            let v = Int(value)
            return v < 48 ? 0 : (v < 115 ? 1 : (v - 35) / 40)
        }
        let (r, g, b) = (level(red), level(green), level(blue))
        let cubeIndex = 16 + 36 * r + 6 * g + b
        let average = (Int(red) + Int(green) + Int(blue)) / 3
        let greyIndex = 232 + min(23, max(0, (average - 3) / 10))
        func error(_ index: Int) -> Int {
            let rgb = xtermRGB(UInt8(index))
            let dr = Int(rgb.0) - Int(red)
            let dg = Int(rgb.1) - Int(green)
            let db = Int(rgb.2) - Int(blue)
            return dr * dr + dg * dg + db * db
        }
        return UInt8(error(greyIndex) < error(cubeIndex) ? greyIndex : cubeIndex)
    }

    static func nearest16(_ red: UInt8, _ green: UInt8, _ blue: UInt8, limit: Int) -> UInt8 {
        var best = 0
        var bestError = Int.max
        for index in 0..<max(1, min(16, limit)) {
            let rgb = xtermRGB(UInt8(index))
            let dr = Int(rgb.0) - Int(red)
            let dg = Int(rgb.1) - Int(green)
            let db = Int(rgb.2) - Int(blue)
            let error = dr * dr + dg * dg + db * db
            if error < bestError { (best, bestError) = (index, error) }
        }
        return UInt8(best)
    }
}
