import CNcursesw
import Foundation
import LabelAuditImaging

/// The write end of the self-pipe the signal handler writes to. Written once before the
/// handlers are installed and only read inside them, which is why it may be a global.
nonisolated(unsafe) private var signalPipeWriteDescriptor: Int32 = -1

/// The signal handler: only `write`, which is async-signal-safe.
private func noteSignal(_ signalNumber: Int32) {
    var byte = UInt8(truncatingIfNeeded: signalNumber)
    _ = write(signalPipeWriteDescriptor, &byte, 1)
}

/// Routes SIGINT, SIGTERM, SIGHUP (stop) and SIGWINCH (resize) to a self-pipe that the run
/// loop polls beside the keyboard, so the app restores the terminal itself instead of dying
/// mid-frame and notices a resize without curses' input functions. Installed before ncurses
/// starts, so ncurses does not install its own handlers. (Ignoring the signals and using a
/// dispatch signal source does not work on Linux: an ignored signal is discarded.)
final class SignalPipe {
    static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    static let handled: [Int32] = stopSignals + [SIGWINCH]
    let readDescriptor: Int32
    private let writeDescriptor: Int32
    private var previous: [Int32: sigaction] = [:]
    /// The first stop signal received so far.
    private(set) var stopSignal: Int32?

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
        signalPipeWriteDescriptor = writeDescriptor
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in Self.handled {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = noteSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            sigaction(signalNumber, &action, &old)
            previous[signalNumber] = old
            sigaddset(&unblock, signalNumber)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// A SIGWINCH arrived and nobody has taken it yet.
    private var resizePending = false

    /// Reads what the handler wrote (never blocks).
    func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(readDescriptor, &bytes, bytes.count)
            guard count > 0 else { break }
            for byte in bytes.prefix(count) {
                let signalNumber = Int32(byte)
                if signalNumber == SIGWINCH {
                    resizePending = true
                } else if stopSignal == nil {
                    stopSignal = signalNumber
                }
            }
        }
    }

    /// True once per resize (several SIGWINCH in a row are one resize).
    func takeResize() -> Bool {
        drain()
        defer { resizePending = false }
        return resizePending
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

/// What the fatal-signal handler writes and restores: prepared before it can run, because a
/// handler may only call async-signal-safe functions (write, tcsetattr, signal, raise).
nonisolated(unsafe) private var fatalRestoreBytes: UnsafeMutablePointer<UInt8>?
nonisolated(unsafe) private var fatalRestoreCount = 0
nonisolated(unsafe) private var fatalSavedTermios: UnsafeMutablePointer<termios>?

private func restoreTerminalOnFatalSignal(_ signalNumber: Int32) {
    if let termios = fatalSavedTermios { _ = tcsetattr(STDIN_FILENO, TCSANOW, termios) }
    if let bytes = fatalRestoreBytes { _ = write(STDOUT_FILENO, bytes, fatalRestoreCount) }
    // SA_RESETHAND put the default action back: a fault re-executes and dies as it would
    // have; a raised signal (abort) is raised again.
    _ = raise(signalNumber)
}

/// Restores the terminal when the process dies of a crash (a Swift trap is SIGILL or SIGTRAP,
/// a bad access SIGSEGV or SIGBUS, abort SIGABRT): leaves the alternate screen, shows the
/// cursor, stops mouse reporting and bracketed paste, and gives back the terminal modes, so a
/// shell is usable after any death but SIGKILL.
enum FatalSignalGuard {
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    static func install(restoring original: termios, output: [UInt8]) {
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: output.count)
        bytes.initialize(from: output, count: output.count)
        let saved = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        saved.initialize(to: original)
        fatalRestoreBytes = bytes
        fatalRestoreCount = output.count
        fatalSavedTermios = saved
        for signalNumber in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = restoreTerminalOnFatalSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND) | Int32(truncatingIfNeeded: SA_NODEFER)
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Back to the default actions (the terminal is restored by then).
    static func uninstall() {
        for signalNumber in signals { signal(signalNumber, SIG_DFL) }
        fatalRestoreCount = 0
    }
}

/// Why the terminal could not be opened.
package struct TerminalError: Error, CustomStringConvertible, Sendable {
    package var description: String
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
        package var directOutput: Bool

        public init(
            colorOverride: TerminalColorMode? = nil, mouse: Bool = true,
            environment: [String: String] = ProcessInfo.processInfo.environment, directOutput: Bool? = nil
        ) {
            self.colorOverride = colorOverride
            self.mouse = mouse
            self.environment = environment
            self.directOutput = directOutput ?? (environment["LABELAUDIT_CURSES_OUTPUT"] != "1")
        }
    }

    package let colorMode: TerminalColorMode
    /// False without a UTF-8 locale: glyphs fall back to ASCII.
    package let isUTF8: Bool
    /// The terminfo entry in use (a `*-direct` one in truecolor).
    package let terminalName: String
    /// Notes for the status bar (fallbacks taken while opening).
    public private(set) var notes: [String] = []

    private let screen: OpaquePointer
    private let terminalColors: Int
    private let pairLimit: Int
    private var pairs: [PairKey: Int32] = [:]
    private var previous: ScreenGrid?
    /// Frames are written by `DirectFrameEncoder` (false: through curses, which cannot draw pixels).
    package let directOutput: Bool
    /// When the last `draw` had its frame ready to send (bytes encoded, or curses' screen
    /// updated): the frame log splits a frame's time into building and sending with it.
    public private(set) var lastFrameEncoded = ContinuousClock.now
    /// Builds the bytes of each frame in direct-output mode (its buffers are reused).
    private lazy var encoder = DirectFrameEncoder(colorMode: colorMode, terminalColors: terminalColors, isUTF8: isUTF8)
    private var stopped = false
    private var cursorVisible = true
    private let signals: SignalPipe
    private let mouse: Bool
    /// Bytes from the keyboard become keys here, whatever the read boundaries.
    private var decoder = InputDecoder()
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// True once the terminal closed the input (the window went away).
    private var inputClosed = false

    struct PairKey: Hashable {
        var foreground: Int32
        var background: Int32
    }

    /// Opens the terminal. Signals that stop the app (INT, TERM, HUP) are routed to
    /// `StopSignals` first, so the run loop can restore the screen itself.
    public init(options: Options) throws {
        setlocale(LC_ALL, "")
        isUTF8 = la_locale_is_utf8() != 0
        var original = termios()
        let hasTermios = tcgetattr(STDIN_FILENO, &original) == 0
        signals = try SignalPipe()

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
                signals.restore()
                throw TerminalError(
                    description: "cannot open the terminal '\(term)': no terminfo entry for it "
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
        // Input is read and decoded by `InputDecoder`, not curses (no keypad, no mousemask):
        // curses' reader splits sequences at read boundaries and at its ESC delay.
        // ncurses installed its own SIGWINCH handler in newterm; ours goes back on top.
        for signalNumber in [SIGWINCH] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = noteSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
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
        mouse = options.mouse
        directOutput = options.directOutput
        if directOutput {
            // curses keeps an empty stdscr; its first refresh (which clears the screen) happens
            // now, before our first frame, and it never moves the cursor we place.
            leaveok(la_stdscr(), true)
            wrefresh(la_stdscr())
        }
        // Bracketed paste always; mouse presses and the wheel in SGR form (1006) when asked.
        writeRaw("\u{1B}[?2004h" + (mouse ? "\u{1B}[?1000h\u{1B}[?1006h" : ""))
        if hasTermios { FatalSignalGuard.install(restoring: original, output: Array(Self.restoreSequence.utf8)) }
    }

    /// What puts a terminal back: mouse and paste modes off, colours reset, cursor shown,
    /// alternate screen left (terminfo's own strings where it has them).
    static var restoreSequence: String {
        func capability(_ name: String, _ fallback: String) -> String {
            guard let value = tigetstr(name), Int(bitPattern: value) != -1 else { return fallback }
            return String(cString: value)
        }
        // The cursor is shown after leaving the alternate screen: leaving it may restore the
        // cursor mode saved on entry.
        return "\u{1B}[?1006l\u{1B}[?1000l\u{1B}[?2004l\u{1B}[0m" + capability("rmcup", "\u{1B}[?1049l")
            + capability("cnorm", "\u{1B}[?25h")
    }

    /// The text area in pixels as the terminal told the kernel (TIOCGWINSZ's ws_xpixel and
    /// ws_ypixel: xterm, kitty and tmux fill them in); nil when it did not.
    public var windowPixels: PixelSize? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_xpixel > 0, size.ws_ypixel > 0 else { return nil }
        return PixelSize(width: Int(size.ws_xpixel), height: Int(size.ws_ypixel))
    }

    /// Rows and columns now.
    public var size: (rows: Int, columns: Int) {
        var rows: Int32 = 0
        var columns: Int32 = 0
        la_getmaxyx(la_stdscr(), &rows, &columns)
        return (Int(rows), Int(columns))
    }

    /// The signal that asked the app to stop, if one came (SIGHUP when the input closed).
    package var pendingStopSignal: Int32? {
        signals.drain()
        return signals.stopSignal ?? (inputClosed ? SIGHUP : nil)
    }

    /// Writes bytes straight to the terminal (after a frame: a clipboard sequence, pixels).
    public func write(_ bytes: [UInt8]) {
        fflush(la_stdout_file())
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
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

    private func writeRaw(_ text: String) {
        fflush(la_stdout_file())
        _ = text.withCString { pointer in Glibc.write(STDOUT_FILENO, pointer, strlen(pointer)) }
    }

    // MARK: input

    /// Waits up to `timeout` for input or a signal, then reads everything already sent and
    /// decodes it. The keys returned arrived together (a burst); a paste split over many reads
    /// comes back whole, as one `.paste`, in the call that reads its end marker.
    package func readInput(timeout: Duration) -> [Key] {
        var wait = timeout
        if let deadline = decoder.nextDeadline {
            wait = min(wait, max(.zero, deadline - ContinuousClock.now))
        }
        var keys: [Key] = []
        var descriptors = [
            pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let milliseconds = Int32(clamping: (wait.components.seconds * 1000) + wait.components.attoseconds / 1_000_000_000_000_000)
        var ready = poll(&descriptors, 2, inputClosed ? 0 : milliseconds)
        if signals.takeResize() {
            keys.append(.resize)
            resizeToTerminal()
        }
        var bytesRead = 0
        while ready > 0 {
            guard !inputClosed, descriptors[0].revents != 0 else { break }
            let count = readBuffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count > 0 {
                keys += decoder.feed(readBuffer.prefix(count), at: ContinuousClock.now)
                bytesRead += count
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                inputClosed = true
                break
            }
            // Take what else has arrived already (a paste comes in many chunks), up to a bound
            // so the screen keeps updating under a flood.
            guard bytesRead < 4 << 20 else { break }
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            ready = poll(&descriptors, 2, 0)
        }
        keys += decoder.expire(at: ContinuousClock.now)
        return keys
    }

    /// Tells curses the new size after SIGWINCH (it no longer reads input, so it would not).
    private func resizeToTerminal() {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else { return }
        resizeterm(Int32(size.ws_row), Int32(size.ws_col))
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
            if !cursorVisible {
                curs_set(1)
                cursorVisible = true
            }
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
    /// one write, then the pixel pictures the frame needs (`PixelPlan`). O(cells).
    private func drawDirect(_ grid: ScreenGrid, repaint: Bool) {
        if repaint || previous?.rows != grid.rows || previous?.columns != grid.columns {
            previous = nil
            // Let curses do whatever refresh it owes (the clear after a resize or Ctrl-L) now,
            // before this frame, so it does not blank the screen after it.
            if repaint { clearok(la_stdscr(), true) }
            wrefresh(la_stdscr())
        }
        var old = previous
        var pixels = PixelPlan.Actions()
        let previousSlots = previous?.pixelSlots ?? []
        if !grid.pixelSlots.isEmpty || !previousSlots.isEmpty {
            let kind = pixelProtocol ?? .sixel
            pixels = PixelPlan.actions(
                previous: previousSlots, current: pixelProtocol == nil ? [] : grid.pixelSlots,
                protocol: kind, cellsChanged: { grid.differs(from: self.previous, in: $0) })
            for rect in pixels.invalidate { old?.invalidate(rect) }
        }
        encoder.encode(grid, over: old)
        lastFrameEncoded = ContinuousClock.now
        cursorVisible = grid.cursor != nil
        previous = grid
        fflush(la_stdout_file())
        write(encoder.output)
        guard !pixels.delete.isEmpty || !pixels.draw.isEmpty else { return }
        var after: [UInt8] = []
        for id in pixels.delete {
            let delete = KittyGraphics.delete(imageID: id)
            after += pixelsThroughTmux ? TmuxPassthrough.wrap(delete) : delete
        }
        for slot in pixels.draw {
            guard let bytes = pixelWriter?(slot) else { continue }
            after += Array("\u{1B}[\(slot.box.row + 1);\(slot.box.column + 1)H".utf8) + bytes
        }
        // Put the caret back where the frame left it (pictures moved the cursor).
        if let cursor = grid.cursor { after += Array("\u{1B}[\(cursor.row + 1);\(cursor.column + 1)H".utf8) }
        write(after)
    }

    /// The protocol pixel pictures are drawn with (nil: none; the app sets it).
    package var pixelProtocol: GraphicsProtocol?
    /// Kitty pictures and deletions go through tmux's passthrough.
    package var pixelsThroughTmux = false
    /// The bytes of one pixel picture (the app's controller renders and caches them).
    package var pixelWriter: ((PixelSlot) -> [UInt8]?)?

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
            if count == 0 {
                buffer[0] = 32
                count = 1
            }
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
        writeRaw("\u{1B}[?1006l\u{1B}[?1000l\u{1B}[?2004l")
        curs_set(1)
        endwin()
        delscreen(screen)
        fflush(la_stdout_file())
        FatalSignalGuard.uninstall()
        signals.restore()
    }

    deinit { stop() }
}
