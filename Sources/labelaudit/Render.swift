import ArgumentParser
import LabelAuditCLI
import LabelAuditImaging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SymbolSet: ExpressibleByArgument {}
extension ColorMode: ExpressibleByArgument {}
extension RenderOptions.Zoom: ExpressibleByArgument {}
extension GraphicsMode: ExpressibleByArgument {}

/// `labelaudit render`: one picture as ANSI block glyphs on stdout, like chafa, so the
/// renderer can be seen, piped and scored outside the review app.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print a JPEG as coloured block glyphs (ANSI), fitted into a cell box.",
        discussion: HelpText.reflow(
            """
            The picture keeps its aspect with a 1:2 cell and is drawn from the top-left; it may use \
            fewer rows or columns than the box. Colours default to what the terminal supports \
            (NO_COLOR, COLORTERM, TERM).
            """)
    )

    @Argument(help: "The JPEG file to draw.")
    var image: String

    @Option(name: .customLong("cols"), help: "Width of the cell box.")
    var columns = 40

    @Option(help: "Height of the cell box.")
    var rows = 20

    @Option(help: "Glyphs: half, quad or sextant (sextant needs a font with Unicode 13 sextants).")
    var symbols: SymbolSet = .quad

    @Option(help: "Colours: truecolor, 256, 16 or none (default: detected from the environment).")
    var colors: ColorMode?

    @Option(
        help:
            "full, eyes for the band around the eyes of an aligned face, or eyes-fill for that band reshaped to fill the box's width."
    )
    var zoom: RenderOptions.Zoom = .full

    @Flag(help: "Ordered dithering in 256 and 16 colours.")
    var dither = false

    @Option(help: "Real pixels: auto (ask the terminal when stdout is one), kitty, sixel, or off (glyphs).")
    var graphics: GraphicsMode = .auto

    @Option(
        name: .customLong("cell-pixels"),
        help: "Cell size in pixels for kitty/sixel, WxH (default: asked from the terminal, else 10x20).")
    var cellPixels: String?

    @Option(help: .hidden)
    var bench: Int?

    @Option(parsing: .upToNextOption, help: .hidden)
    var benchStrip: [String] = []

    func validate() throws {
        guard (1...1000).contains(columns), (1...1000).contains(rows) else {
            throw ValidationError("--cols and --rows must be between 1 and 1000 (got \(columns)x\(rows))")
        }
        if let bench, bench < 1 { throw ValidationError("--bench needs a positive count") }
        if let cellPixels, Self.parseCellPixels(cellPixels) == nil {
            throw ValidationError("--cell-pixels must be WxH with each between 1 and 200 (got '\(cellPixels)')")
        }
    }

    func run() throws {
        let options = RenderOptions(
            columns: columns, rows: rows, symbols: symbols,
            colors: colors ?? Self.detectedColors(), dither: dither, zoom: zoom)
        if let bench {
            try runBench(iterations: bench, options: options)
            return
        }
        if let bytes = try pixelGraphics(options: options) {
            Self.writeAll(bytes, to: 1)
            return
        }
        let picture: CellPicture
        do {
            picture = try BlockRenderer.render(path: image, options: options)
        } catch {
            Self.writeAll(Array("labelaudit render: \(error.message)\n".utf8), to: 2)
            throw ExitCode(error.exitCode)
        }
        Self.writeAll(ANSIWriter.bytes(picture), to: 1)
    }

    /// One write loop on the raw descriptor: no stdio buffering, nothing lost on a short write.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBufferPointer { buffer in
            var written = 0
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return
                }
                written += result
            }
        }
    }

    private static func detectedColors() -> ColorMode {
        var environment: [String: String] = [:]
        for name in ["NO_COLOR", "COLORTERM", "TERM"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return ColorMode.detect(environment: environment, terminalColors: nil)
    }

    /// In-process timings (median of `iterations`): decode + render of IMAGE with the given
    /// options, decode alone, and a strip of 8 thumbnails at 16x8 cells through a fresh
    /// RenderCache (all misses, two threads). Each figure is given as wall time and as process
    /// CPU time (`_cpu`), which a loaded machine inflates far less.
    private func runBench(iterations: Int, options: RenderOptions) throws {
        func measure(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
            var walls: [Double] = []
            var cpus: [Double] = []
            for _ in 0..<iterations {
                let wall = Self.now(CLOCK_MONOTONIC)
                let cpu = Self.now(CLOCK_PROCESS_CPUTIME_ID)
                try body()
                cpus.append(Self.now(CLOCK_PROCESS_CPUTIME_ID) - cpu)
                walls.append(Self.now(CLOCK_MONOTONIC) - wall)
            }
            return (Self.median(walls), Self.median(cpus))
        }
        let single = try measure {
            let picture = try BlockRenderer.render(path: image, options: options)
            precondition(picture.columns > 0)
        }
        let decode = try measure {
            let decoded = try JPEGDecoder.decode(path: image, covering: (options.columns * 4, options.rows * 12))
            precondition(decoded.width > 0)
        }
        let strip = benchStrip.isEmpty ? Array(repeating: image, count: 8) : Array(benchStrip.prefix(8))
        var thumbnailOptions = options
        thumbnailOptions.columns = 16
        thumbnailOptions.rows = 8
        let stripTimes = try measure {
            let cache = RenderCache(capacity: 64)
            for result in cache.pictures(paths: strip, options: thumbnailOptions) { _ = try result.get() }
        }
        print(
            "render_ms=\(Self.format(single.wall)) render_cpu_ms=\(Self.format(single.cpu))",
            "decode_ms=\(Self.format(decode.wall)) decode_cpu_ms=\(Self.format(decode.cpu))",
            "strip8_ms=\(Self.format(stripTimes.wall)) strip8_cpu_ms=\(Self.format(stripTimes.cpu)) iterations=\(iterations)",
            try graphicsBench(iterations: iterations, options: options, measure: measure))
    }

    private static func now(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
