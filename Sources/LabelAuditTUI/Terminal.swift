import CNcursesw
import Foundation
import LabelAuditImaging

/// The write end of the self-pipe the stop-signal handler writes to. Written once before
/// the handlers are installed and only read inside them, which is why it may be a global.
nonisolated(unsafe) private var stopSignalWriteDescriptor: Int32 = -1

/// The signal handler: only `write`, which is async-signal-safe.
private func noteStopSignal(_ signalNumber: Int32) {
    var byte = UInt8(truncatingIfNeeded: signalNumber)
    _ = write(stopSignalWriteDescriptor, &byte, 1)
}

/// Routes SIGINT, SIGTERM and SIGHUP to a self-pipe that the run loop polls, so the app
/// restores the terminal itself instead of dying mid-frame. Installed before ncurses starts,
/// so ncurses does not install its own handlers for them. (Ignoring the signals and using a
/// dispatch signal source does not work on Linux: an ignored signal is discarded.)
final class StopSignals {
    static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private let readDescriptor: Int32
    private let writeDescriptor: Int32
    private var previous: [Int32: sigaction] = [:]
    private var received: Int32?

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            throw TerminalError(description: "cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        stopSignalWriteDescriptor = writeDescriptor
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in Self.handled {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = noteStopSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            var old = sigaction()
            sigaction(signalNumber, &action, &old)
            previous[signalNumber] = old
            sigaddset(&unblock, signalNumber)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The first stop signal received so far, if any (never blocks).
    var pending: Int32? {
        if received == nil {
            var byte: UInt8 = 0
            if read(readDescriptor, &byte, 1) == 1 { received = Int32(byte) }
        }
        return received
    }

    /// Puts the previous handlers back.
    func restore() {
        for (signalNumber, old) in previous {
            var action = old
            sigaction(signalNumber, &action, nil)
        }
        previous.removeAll()
    }

    deinit {
        restore()
        close(readDescriptor)
        close(writeDescriptor)
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
        /// Frames are written as escape sequences by `draw` itself (one buffer, one write, only
        /// the colours that change) instead of through curses' `doupdate`. False (or
        /// LABELAUDIT_CURSES_OUTPUT=1) draws through curses, for comparison.
        public var directOutput: Bool

        public init(colorOverride: TerminalColorMode? = nil, mouse: Bool = true,
                    environment: [String: String] = ProcessInfo.processInfo.environment, directOutput: Bool? = nil) {
            self.colorOverride = colorOverride
            self.mouse = mouse
            self.environment = environment
            self.directOutput = directOutput ?? (environment["LABELAUDIT_CURSES_OUTPUT"] != "1")
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
    private let directOutput: Bool
    /// When the last `draw` had its frame ready to send (bytes encoded, or curses' screen
    /// updated): the frame log splits a frame's time into building and sending with it.
    public private(set) var lastFrameEncoded = ContinuousClock.now
    /// Builds the bytes of each frame in direct-output mode (its buffers are reused).
    private lazy var encoder = DirectFrameEncoder(colorMode: colorMode, terminalColors: terminalColors, isUTF8: isUTF8)
    private var stopped = false
    private var cursorVisible = true
    private let stopSignals: StopSignals
    private let bracketedPaste: Bool

    struct PairKey: Hashable {
        var foreground: Int32
        var background: Int32
    }

    /// Opens the terminal. Signals that stop the app (INT, TERM, HUP) are routed to
    /// `StopSignals` first, so the run loop can restore the screen itself.
    public init(options: Options) throws {
        setlocale(LC_ALL, "")
        isUTF8 = la_locale_is_utf8() != 0
        stopSignals = try StopSignals()

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
                stopSignals.restore()
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
        directOutput = options.directOutput
        if directOutput {
            // curses keeps an empty stdscr; its first refresh (which clears the screen) happens
            // now, before our first frame, and it never moves the cursor we place.
            leaveok(la_stdscr(), true)
            wrefresh(la_stdscr())
        }
        writeRaw("\u{1B}[?2004h")
    }

    /// Rows and columns now.
    public var size: (rows: Int, columns: Int) {
        var rows: Int32 = 0, columns: Int32 = 0
        la_getmaxyx(la_stdscr(), &rows, &columns)
        return (Int(rows), Int(columns))
    }

    /// The signal that asked the app to stop, if one came.
    public var pendingStopSignal: Int32? { stopSignals.pending }

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
        if directOutput {
            drawDirect(grid, repaint: repaint)
            return
        }
        if repaint || previous?.rows != grid.rows || previous?.columns != grid.columns {
            previous = nil
            if repaint { clearok(la_stdscr(), true) }
        }
        if colorMode != .none, pairs.count > pairLimit * 3 / 4 { resetPairs() }
        if !blit(grid) {
            resetPairs()
            _ = blit(grid)
        }
        lastFrameEncoded = ContinuousClock.now
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

    // MARK: direct output

    /// Writes the cells that differ from the last frame, encoded by `DirectFrameEncoder`, in
    /// one write. O(cells).
    private func drawDirect(_ grid: ScreenGrid, repaint: Bool) {
        if repaint || previous?.rows != grid.rows || previous?.columns != grid.columns {
            previous = nil
            // Let curses do whatever refresh it owes (the clear after a resize or Ctrl-L) now,
            // before this frame, so it does not blank the screen after it.
            if repaint { clearok(la_stdscr(), true) }
            wrefresh(la_stdscr())
        }
        encoder.encode(grid, over: previous)
        lastFrameEncoded = ContinuousClock.now
        cursorVisible = grid.cursor != nil
        previous = grid
        fflush(la_stdout_file())
        encoder.output.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR || errno == EAGAIN {
                    continue
                } else {
                    break
                }
            }
        }
    }

    private func resetPairs() {
        reset_color_pairs()
        pairs.removeAll(keepingCapacity: true)
        previous = nil
    }

    /// Returns false when colour pairs ran out mid-frame.
    private func blit(_ grid: ScreenGrid) -> Bool {
        var buffer = [wchar_t](repeating: 0, count: 8)
        var cell = cchar_t()
        return grid.forEachCellToSend(over: previous) { row, column, current in
            guard let pair = pair(for: current.style) else { return false }
            let glyph = DirectFrameEncoder.displayable(current, isUTF8: isUTF8)
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
            return true
        }
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
        stopSignals.restore()
    }

    deinit { stop() }
}

