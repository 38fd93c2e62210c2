import ArgumentParser
import LabelAuditImaging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `labelaudit render --graphics`: the picture as real pixels (kitty or sixel) when asked or
/// when the terminal says it can; glyphs otherwise.
extension Render {
    /// The bytes to print instead of glyphs, or nil to print glyphs.
    func pixelGraphics(options: RenderOptions) throws -> [UInt8]? {
        if graphics == .off { return nil }
        let environment = Self.environment(["TMUX", "TERM"])
        // Ask only a terminal, and only when the answer matters: for auto, or for the cell size.
        let stdoutIsTerminal = isatty(1) == 1
        let answer: TerminalGraphicsQuery.Answer?
        if stdoutIsTerminal && (graphics == .auto || cellPixels == nil) {
            answer = TerminalGraphicsQuery.ask(environment: environment)
        } else {
            answer = nil
        }
        guard let chosen = graphics.resolved(answer?.support) else { return nil }
        let cell =
            cellPixels.flatMap(Self.parseCellPixels)
            ?? answer?.support.cellSize(columns: Self.terminalColumns() ?? 80, rows: Self.terminalRows() ?? 24)
            ?? .assumedCell
        do {
            let drawing = try PixelPicture.drawing(
                path: image, options: options, protocol: chosen, cell: cell,
                sixelRegisters: answer?.support.sixelColorRegisters ?? 256, imageID: 1,
                throughTmux: chosen == .kitty && answer?.throughTmux == true)
            // Kitty leaves the cursor where it was (C=1): move below the picture.
            return drawing.bytes + [UInt8](repeating: 0x0A, count: chosen == .kitty ? max(drawing.rows, 1) : 1)
        } catch {
            Self.writeAll(Array("labelaudit render: \(error.message)\n".utf8), to: 2)
            throw ExitCode(error.exitCode)
        }
    }

    /// In-process timings of the pixel encoders for IMAGE in the options' box (cell from
    /// --cell-pixels, else 10x20), the decode included, as `labelaudit render --bench` prints them.
    func graphicsBench(
        iterations: Int, options: RenderOptions,
        measure: (() throws -> Void) throws -> (wall: Double, cpu: Double)
    ) throws -> String {
        let cell = cellPixels.flatMap(Self.parseCellPixels) ?? .assumedCell
        let covering = (options.columns * cell.width, options.rows * cell.height)
        let sixel = try measure {
            let decoded = try JPEGDecoder.decode(path: image, covering: covering)
            precondition(!SixelEncoder.place(decoded, columns: options.columns, rows: options.rows, cell: cell).isEmpty)
        }
        let kitty = try measure {
            let decoded = try JPEGDecoder.decode(path: image, covering: covering)
            precondition(
                !KittyGraphics.place(decoded, imageID: 1, columns: options.columns, rows: options.rows, cell: cell).isEmpty)
        }
        return "sixel_ms=\(Self.format(sixel.wall)) sixel_cpu_ms=\(Self.format(sixel.cpu)) "
            + "kitty_ms=\(Self.format(kitty.wall)) kitty_cpu_ms=\(Self.format(kitty.cpu))"
    }

    static func parseCellPixels(_ text: String) -> PixelSize? {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
            (1...200).contains(width), (1...200).contains(height)
        else { return nil }
        return PixelSize(width: width, height: height)
    }

    private static func size(of image: RGBImage, region: SourceRegion?) -> PixelSize {
        guard let region else { return PixelSize(width: image.width, height: image.height) }
        return PixelSize(
            width: max(Int((region.x1 - region.x0).rounded()), 1), height: max(Int((region.y1 - region.y0).rounded()), 1))
    }

    private static func environment(_ names: [String]) -> [String: String] {
        var values: [String: String] = [:]
        for name in names {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }

    private static func terminalColumns() -> Int? {
        var size = winsize()
        return ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : nil
    }

    private static func terminalRows() -> Int? {
        var size = winsize()
        return ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_row > 0 ? Int(size.ws_row) : nil
    }
}
