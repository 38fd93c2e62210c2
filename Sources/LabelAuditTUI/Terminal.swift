import CNcursesw
import Dispatch
import Foundation

/// A signal that asked the app to stop, noted by a dispatch source (never inside a raw
/// signal handler) and polled by the run loop, which then restores the terminal.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var signalNumber: Int32?

    func set(_ signal: Int32) {
        lock.lock()
        if signalNumber == nil { signalNumber = signal }
        lock.unlock()
    }

    var pending: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signalNumber
    }
}

/// Why the terminal could not be opened.
public struct TerminalError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The only type that talks to ncurses. It opens the screen (direct colour when asked and
/// available), reads keys and mouse events, blits `ScreenGrid`s by diffing against the last
/// frame, manages extended colour pairs, and restores the terminal however the app ends.
public final class Terminal {
    public struct Options: Sendable {
        /// `--colors`; nil means detect.
        public var colorOverride: TerminalColorMode?
        public var mouse: Bool
        public var environment: [String: String]

        public init(colorOverride: TerminalColorMode? = nil, mouse: Bool = true,
                    environment: [String: String] = ProcessInfo.processInfo.environment) {
            self.colorOverride = colorOverride
            self.mouse = mouse
            self.environment = environment
        }
    }

    public let colorMode: TerminalColorMode
    /// False without a UTF-8 locale: glyphs fall back to ASCII.
    public let isUTF8: Bool
    /// The terminfo entry in use (a `*-direct` one in truecolor).
    public let terminalName: String
    /// Notes for the status bar (fallbacks taken while opening).
    public private(set) var notes: [String] = []

    private let screen: OpaquePointer
    private let terminalColors: Int
    private let pairLimit: Int
    private var pairs: [PairKey: Int32] = [:]
    private var previous: ScreenGrid?
    private var stopped = false
    private var cursorVisible = true
    private let stopRequest = StopRequest()
    private var signalSources: [DispatchSourceSignal] = []
    private let bracketedPaste: Bool

    struct PairKey: Hashable {
        var foreground: Int32
        var background: Int32
    }

    /// Opens the terminal. Signals that stop the app (INT, TERM, HUP) are routed to a
    /// dispatch source before ncurses starts, so ncurses does not install its own handlers
    /// and the run loop can restore the screen itself.
    public init(options: Options) throws {
        setlocale(LC_ALL, "")
        isUTF8 = la_locale_is_utf8() != 0
        let stopRequest = self.stopRequest
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stopRequest.set(signalNumber) }
            source.resume()
            signalSources.append(source)
        }

        let term = options.environment["TERM"] ?? ""
        let requested = options.colorOverride ?? TerminalColorMode.requested(environment: options.environment)
        var opened: (OpaquePointer, String)?
        var notes: [String] = []
        if requested == .truecolor {
            for candidate in TerminalColorMode.directTerminalCandidates(for: term) {
                if let screen = newterm(candidate, la_stdout_file(), la_stdin_file()) {
                    opened = (screen, candidate)
                    break
                }
            }
            if opened == nil {
                notes.append("truecolor asked for but no direct-colour terminfo (install ncurses-term); using \(term)'s colours")
            }
        }
        if opened == nil {
            guard let screen = newterm(term.isEmpty ? nil : term, la_stdout_file(), la_stdin_file()) else {
                for source in signalSources { source.cancel() }
                throw TerminalError(description: "cannot open the terminal '\(term)': no terminfo entry for it "
                    + "(set TERM, e.g. TERM=xterm-256color)")
            }
            opened = (screen, term)
        }
        let (screen, name) = opened!
        self.screen = screen
        terminalName = name
        set_term(screen)
        cbreak()
        noecho()
        nonl()
        keypad(la_stdscr(), true)
        set_escdelay(25)
        let hasColors = has_colors()
        if hasColors {
            start_color()
            use_default_colors()
        }
        terminalColors = Int(la_colors())
        let supported = TerminalColorMode.fromTerminal(colors: terminalColors, hasColors: hasColors)
        var mode: TerminalColorMode
        switch requested {
        case .none?: mode = .none
        case .truecolor?: mode = supported == .truecolor ? .truecolor : supported
        case .palette256?: mode = supported == .palette16 || supported == .none ? supported : .palette256
        case .palette16?: mode = supported == .none ? .none : .palette16
        case nil: mode = supported
        }
        if let override = options.colorOverride, override != mode {
            notes.append("--colors \(override.rawValue): the terminal supports only \(mode.rawValue)")
        }
        colorMode = mode
        pairLimit = max(0, min(Int(la_color_pairs()) - 1, 32_000))
        if !isUTF8 {
            notes.append("no UTF-8 locale: ASCII glyphs, coarse pictures; run with LANG=C.UTF-8 (or another UTF-8 locale)")
        }
        self.notes = notes
        if options.mouse {
            mouseinterval(0)
            mousemask(la_all_mouse_events(), nil)
        }
        bracketedPaste = true
        writeRaw("\u{1B}[?2004h")
    }

    /// Rows and columns now.
    public var size: (rows: Int, columns: Int) {
        var rows: Int32 = 0, columns: Int32 = 0
        la_getmaxyx(la_stdscr(), &rows, &columns)
        return (Int(rows), Int(columns))
    }

    /// The signal that asked the app to stop, if one came.
    public var pendingStopSignal: Int32? { stopRequest.pending }

    private func writeRaw(_ text: String) {
        fflush(la_stdout_file())
        _ = text.withCString { pointer in write(STDOUT_FILENO, pointer, strlen(pointer)) }
    }

    // MARK: input

    /// Waits up to `timeoutMilliseconds` for input, then takes everything already typed, so a
    /// paste or a burst of keys arrives as one batch (coalesced by `KeyBurst`).
    public func readKeys(timeoutMilliseconds: Int32) -> [Key] {
        var keys: [Key] = []
        wtimeout(la_stdscr(), timeoutMilliseconds)
        guard let first = readOne() else { return [] }
        keys.append(first)
        wtimeout(la_stdscr(), 0)
        while keys.count < 65_536, let next = readOne() { keys.append(next) }
        return KeyBurst.coalesce(keys)
    }

    private func readOne() -> Key? {
        var value: wint_t = 0
        let status = wget_wch(la_stdscr(), &value)
        if status == ERR { return nil }
        if status == la_key_code_yes() { return functionKey(Int32(value)) ?? readOne() }
        return characterKey(UInt32(value))
    }

    private func characterKey(_ value: UInt32) -> Key? {
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .control(Character(Unicode.Scalar(value + 96)!))
        case 0, 28...31: return nil
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .character(Character(scalar))
        }
    }

    private func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_NPAGE: return .pageDown
        case KEY_PPAGE: return .pageUp
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .backTab
        case la_key_resize(): return .resize
        case la_key_mouse(): return mouseKey()
        default:
            for number in 1...12 where code == la_key_f(Int32(number)) { return .function(number) }
            return nil
        }
    }

    private func mouseKey() -> Key? {
        var event = MEVENT()
        guard getmouse(&event) == OK else { return nil }
        let state = event.bstate
        let row = Int(event.y), column = Int(event.x)
        if state & la_button4_pressed() != 0 { return .mouse(MouseEvent(kind: .wheelUp, row: row, column: column)) }
        if state & la_button5_pressed() != 0 { return .mouse(MouseEvent(kind: .wheelDown, row: row, column: column)) }
        if state & (la_button1_pressed() | la_button1_clicked()) != 0 {
            return .mouse(MouseEvent(kind: .click, row: row, column: column))
        }
        return nil
    }

    // MARK: output

    /// Draws `grid`, touching only cells that differ from the last frame (all of them after
    /// `repaint`, a resize or a colour-pair reset).
    ///
    /// Colour pairs come from `alloc_pair`, which in direct mode never recycles, so when the
    /// pairs in use pass three quarters of the budget (pictures changed many times) they are
    /// reset and the whole frame is drawn again with fresh pairs. O(changed cells).
    public func draw(_ grid: ScreenGrid, repaint: Bool = false) {
        if repaint || previous?.rows != grid.rows || previous?.columns != grid.columns {
            previous = nil
            if repaint { clearok(la_stdscr(), true) }
        }
        if colorMode != .none, pairs.count > pairLimit * 3 / 4 { resetPairs() }
        if !blit(grid) {
            resetPairs()
            _ = blit(grid)
        }
        previous = grid
        if let cursor = grid.cursor {
            if !cursorVisible { curs_set(1); cursorVisible = true }
            wmove(la_stdscr(), Int32(cursor.row), Int32(cursor.column))
        } else if cursorVisible {
            curs_set(0)
            cursorVisible = false
        }
        wnoutrefresh(la_stdscr())
        doupdate()
    }

    private func resetPairs() {
        reset_color_pairs()
        pairs.removeAll(keepingCapacity: true)
        previous = nil
    }

    /// Returns false when colour pairs ran out mid-frame.
    private func blit(_ grid: ScreenGrid) -> Bool {
        let old = previous
        var buffer = [wchar_t](repeating: 0, count: 8)
        var cell = cchar_t()
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let index = row * grid.columns + column
                let current = grid.cells[index]
                if current.isContinuation { continue }
                if let old, old.cells[index] == current,
                   column + 1 >= grid.columns || old.cells[index + 1] == grid.cells[index + 1] { continue }
                guard let pair = pair(for: current.style) else { return false }
                let glyph = displayable(current)
                let attributes = cursesAttributes(current.style.attributes)
                var count = 0
                for scalar in glyph.unicodeScalars where count < 5 {
                    buffer[count] = wchar_t(bitPattern: scalar.value)
                    count += 1
                }
                if count == 0 { buffer[0] = 32; count = 1 }
                buffer[count] = 0
                _ = la_setcchar_pair(&cell, buffer, attributes, pair)
                mvwadd_wch(la_stdscr(), Int32(row), Int32(column), &cell)
            }
        }
        return true
    }

    /// The glyph to send: in an ASCII locale, block glyphs become spaces painted in their
    /// dominant colour and anything else outside ASCII becomes `?`.
    private func displayable(_ cell: ScreenCell) -> Character {
        guard !isUTF8, let scalar = cell.glyph.unicodeScalars.first, scalar.value >= 0x80 else { return cell.glyph }
        if (0x2580...0x259F).contains(scalar.value) || (0x1FB00...0x1FB3B).contains(scalar.value) { return " " }
        return "?"
    }

    private func cursesAttributes(_ attributes: CellAttributes) -> attr_t {
        var result = la_wa_normal()
        if attributes.contains(.bold) { result |= la_wa_bold() }
        if attributes.contains(.dim) { result |= la_wa_dim() }
        if attributes.contains(.reverse) { result |= la_wa_reverse() }
        if attributes.contains(.underline) { result |= la_wa_underline() }
        if attributes.contains(.italic) { result |= la_wa_italic() }
        return result
    }

    /// The extended pair for a style (0 = default colours); nil when the budget is spent.
    private func pair(for style: CellStyle) -> Int32? {
        guard colorMode != .none else { return 0 }
        let foreground = style.foreground
        let background = style.background
        let key = PairKey(
            foreground: CursesColorNumber.number(for: foreground, mode: colorMode, terminalColors: terminalColors),
            background: CursesColorNumber.number(for: background, mode: colorMode, terminalColors: terminalColors))
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let known = pairs[key] { return known }
        guard pairs.count < pairLimit else { return nil }
        let pair = alloc_pair(key.foreground, key.background)
        guard pair > 0 else { return nil }
        pairs[key] = pair
        return pair
    }

    // MARK: shutdown

    /// Restores the terminal (idempotent): leaves the alternate screen, shows the cursor,
    /// turns off mouse reporting and bracketed paste.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if bracketedPaste { writeRaw("\u{1B}[?2004l") }
        mousemask(0, nil)
        curs_set(1)
        endwin()
        delscreen(screen)
        fflush(la_stdout_file())
        for source in signalSources { source.cancel() }
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] { signal(signalNumber, SIG_DFL) }
    }

    deinit { stop() }
}
