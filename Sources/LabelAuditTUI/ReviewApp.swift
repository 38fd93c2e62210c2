import Dispatch
import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

/// Results of background jobs, handed from job threads to the UI thread.
final class JobMailbox: Sendable {
    enum Event: Sendable {
        case progress(ReviewJob, Double, String)
        case finished(ReviewJob, Result<String, ReviewError>)
    }

    private let events = Locked<[Event]>([])

    func post(_ event: Event) {
        events.withLock { $0.append(event) }
    }

    /// Hands the posted events to the controller, adding what they redraw; true when a job
    /// finished among them.
    func deliver(to controller: ReviewController, redraw: inout Redraw) -> Bool {
        var finished = false
        for event in drain() {
            switch event {
            case .progress(let job, let fraction, let text):
                redraw.formUnion(controller.progress(job, fraction: fraction, text: text))
            case .finished(let job, let result):
                redraw.formUnion(controller.finish(job, result: result))
                finished = true
            }
        }
        return finished
    }

    private func drain() -> [Event] {
        events.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }
}

/// The interactive review app: a run loop that reads keys (with a timeout, so job progress
/// and stop signals are seen while idle), lets the controller change the state, and draws a
/// frame only when something changed.
public enum ReviewApp {
    public struct Options: Sendable {
        public var terminal: Terminal.Options
        /// `--frame-log FILE`: one line per frame, milliseconds from input to finished frame.
        public var frameLog: URL?
        public var neighbourCount: Int
        /// Glyphs of the pictures (`--symbols`); nil: the remembered setting, else quad. Given,
        /// it is remembered.
        public var symbols: SymbolSet?
        /// The user's settings file; nil keeps nothing (tests).
        public var settingsFile: URL?
        /// `--graphics`; nil: the remembered setting, else auto. Given, it is remembered.
        public var graphics: GraphicsMode?

        /// `--goto ID`: the face in view at start.
        public var startID: String?
        /// `--inspect`: start in the inspect view.
        public var startInspecting: Bool

        public init(
            terminal: Terminal.Options = Terminal.Options(), frameLog: URL? = nil, neighbourCount: Int = 8,
            symbols: SymbolSet? = nil, settingsFile: URL? = nil, graphics: GraphicsMode? = nil,
            startID: String? = nil, startInspecting: Bool = false
        ) {
            self.graphics = graphics
            self.startID = startID
            self.startInspecting = startInspecting
            self.terminal = terminal
            self.frameLog = frameLog
            self.neighbourCount = neighbourCount
            self.symbols = symbols
            self.settingsFile = settingsFile
        }
    }

    /// How the app ended.
    public enum Ending: Equatable, Sendable {
        case quit
        /// Stopped by a signal (INT, TERM, HUP); exit with 128 + signal by convention.
        case signal(Int32)
    }

    /// Runs until `q` or a stop signal. Whatever happens, the terminal is restored before
    /// this returns or throws, so the caller can print errors normally.
    /// Milliseconds the first frame waits for the start-up job (warm caches answer sooner).
    static let startupWait = 300

    public static func run(backend: any ReviewBackend, options: Options) throws -> Ending {
        let terminal = try Terminal(options: options.terminal)
        defer { terminal.stop() }
        let frameLog = try options.frameLog.map { try FrameLog(url: $0) }
        let size = terminal.size
        let controller = ReviewController(
            backend: backend, rows: size.rows, columns: size.columns,
            colorModeName: terminal.colorMode.rawValue == "256" || terminal.colorMode.rawValue == "16"
                ? terminal.colorMode.rawValue + " colours" : terminal.colorMode.rawValue,
            glyphs: terminal.isUTF8 ? .unicode : .ascii,
            neighbourCount: options.neighbourCount)
        // The reviewer's remembered settings; a --symbols given now is remembered too.
        var settings = UserSettings()
        var notes = terminal.notes
        if let file = options.settingsFile {
            let loaded = UserSettings.load(from: file)
            settings = loaded.settings
            if let warning = loaded.warning { notes.append(warning) }
            var changed = false
            if let symbols = options.symbols, settings.symbols != symbols.rawValue {
                settings.symbols = symbols.rawValue
                changed = true
            }
            if let graphics = options.graphics, settings.graphics != graphics.rawValue {
                settings.graphics = graphics.rawValue
                changed = true
            }
            if changed { try? settings.save(to: file) }
            controller.settingsChanged = { changed in
                if let symbols = changed.symbols { settings.symbols = symbols }
                if let advance = changed.autoAdvance { settings.autoAdvance = advance }
                if let graphics = changed.graphics { settings.graphics = graphics }
                do {
                    try settings.save(to: file)
                    return nil
                } catch {
                    return "could not keep the setting in \(TerminalSafeText.sanitized(file.path)): \(error.localizedDescription)"
                }
            }
        }
        let symbols = options.symbols ?? settings.symbols.flatMap(SymbolSet.init(rawValue:)) ?? .quad
        // Real pixels where the terminal has them: ask it (the answers arrive as replies among
        // the keys); inside tmux, ask the outer terminal through the passthrough too.
        let graphics =
            terminal.directOutput ? (options.graphics ?? settings.graphics.flatMap(GraphicsMode.init(rawValue:)) ?? .auto) : .off
        controller.apply(graphics: graphics)
        if graphics != .off {
            terminal.write(GraphicsProbe.queries(insideTmux: controller.insideTmux))
        }
        terminal.pixelWriter = { controller.pixelBytes(for: $0) }
        _ = controller.apply(windowPixels: terminal.windowPixels)
        controller.apply(autoAdvance: settings.autoAdvance ?? true)
        // Pictures are fitted to the colours the terminal shows (a palette's own colours in 256).
        controller.setPictureStyle(
            PictureStyle(
                symbols: symbols,
                colors: ColorMode(rawValue: terminal.colorMode.rawValue) ?? .truecolor))
        let mailbox = JobMailbox()
        controller.jobLauncher = { job in
            DispatchQueue.global(qos: .userInitiated).async {
                let result: Result<String, ReviewError>
                do throws(ReviewError) {
                    result = .success(
                        try backend.run(
                            job,
                            progress: { fraction, text in
                                mailbox.post(.progress(job, fraction, text))
                            }))
                } catch {
                    result = .failure(error)
                }
                mailbox.post(.finished(job, result))
            }
        }
        var redraw = controller.reloadQueue()
        if let job = backend.startupJob {
            redraw.formUnion(controller.start(job))
            // With warm caches the evidence is back within a few hundred milliseconds: wait that
            // long so the first frame already shows the ranked queue, not the placeholder.
            let deadline = ContinuousClock.now + .milliseconds(Self.startupWait)
            var finished = false
            while !finished, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.005)
                finished = mailbox.deliver(to: controller, redraw: &redraw)
            }
        }
        if let id = options.startID { redraw.formUnion(controller.runCommand("goto \(id)")) }
        if options.startInspecting { redraw.formUnion(controller.perform(.toggleInspect)) }
        if !notes.isEmpty { redraw.formUnion(controller.show(StatusMessage(notes.joined(separator: "; ")))) }
        var grid = ScreenGrid(rows: 0, columns: 0)
        var inputTime = ContinuousClock.now
        var frameNumber = 0
        var lastRefresh = ContinuousClock.now
        _ = backend.reloadIfChangedElsewhere()
        while true {
            if !redraw.isEmpty {
                terminal.pixelProtocol = controller.state.pixels
                terminal.pixelsThroughTmux = controller.state.pixelsThroughTmux
                ReviewScreen.render(controller, into: &grid, redraw: redraw)
                let modelDone = ContinuousClock.now
                terminal.draw(grid, repaint: redraw.contains(.repaint))
                let extra = controller.takeTerminalBytes()
                if !extra.isEmpty { terminal.write(extra) }
                frameNumber += 1
                frameLog?.record(
                    frame: frameNumber, since: inputTime, modelDone: modelDone,
                    encoded: terminal.lastFrameEncoded, redraw: redraw)
            }
            if controller.state.shouldQuit { break }
            if let signal = terminal.pendingStopSignal { return .signal(signal) }
            let busy = !controller.state.jobs.isEmpty
            let keys = terminal.readInput(timeout: .milliseconds(busy ? 50 : 100))
            inputTime = ContinuousClock.now
            redraw = []
            if keys.contains(.resize) {
                let size = terminal.size
                redraw.formUnion(controller.resize(rows: size.rows, columns: size.columns))
                redraw.formUnion(controller.apply(windowPixels: terminal.windowPixels))
            }
            redraw.formUnion(controller.handle(batch: keys, at: inputTime))
            _ = mailbox.deliver(to: controller, redraw: &redraw)
            // What others wrote to the audit file shows within half a second.
            if ContinuousClock.now - lastRefresh >= .milliseconds(500) {
                lastRefresh = ContinuousClock.now
                redraw.formUnion(controller.refreshFromElsewhere())
            }
        }
        return .quit
    }
}

/// Appends one line per frame: frame number, milliseconds from the input that caused it to
/// the end of `doupdate`, the part of that spent in the state change and screen model (the
/// rest is curses output), and the regions redrawn. Read by Benchmarks/tui.sh.
final class FrameLog {
    private let handle: FileHandle

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: Data("frame\tms\tmodel_ms\tregions\tencoded_ms\n".utf8)),
            let handle = FileHandle(forWritingAtPath: url.path)
        else {
            throw TerminalError(description: "cannot write the frame log \(url.path): check the folder exists and is writable")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// One line: the frame's total, the model's share (state and grid), the regions redrawn,
    /// and the time until its bytes were ready (the rest of the total is the terminal taking them).
    func record(
        frame: Int, since start: ContinuousClock.Instant, modelDone: ContinuousClock.Instant,
        encoded: ContinuousClock.Instant, redraw: Redraw
    ) {
        let total = Self.milliseconds(ContinuousClock.now - start)
        let model = Self.milliseconds(modelDone - start)
        let ready = Self.milliseconds(encoded - start)
        handle.write(Data(String(format: "%d\t%.3f\t%.3f\t%d\t%.3f\n", frame, total, model, Int(redraw.rawValue), ready).utf8))
    }

    deinit { try? handle.close() }
}
