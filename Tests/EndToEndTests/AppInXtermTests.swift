import Foundation
import LabelAuditImaging
import LabelAuditTUI
import TestSupport
import Testing

/// Issue 14's real pixels in the review app: xterm -ti vt340 under Xvfb answers that it draws
/// sixel; the app, opened in the inspect view, draws the eye band with it; a screenshot of the
/// band's cells matches the face's eye band.
@Suite(.serialized) struct AppInXtermTests {
    @Test(
        "the inspect view draws the eye band as sixel pixels in xterm, and they match the face",
        .enabled(if: RealTerminal.available, "needs xterm, Xvfb and xwd (apt-get install xterm xvfb x11-apps; make test-deps)"))
    func inspectViewInXterm() throws {
        let folder = try TemporaryFolder("xterm-app")
        defer { folder.remove() }
        let binary = try LabelAuditExecutable.path
        let id = "2"
        let face = Repository.demo.appendingPathComponent("images/face-\(id).jpg").path
        let script = try folder.write(
            """
            #!/bin/sh
            export LANG=C.UTF-8 XDG_CONFIG_HOME='\(folder.path)/config'
            '\(binary)' '\(Repository.demo.path)' --db '\(folder.path)/audit.sqlite' --reviewer xterm --no-image \\
                --goto \(id) --inspect --graphics auto 2>'\(folder.path)/err'
            sleep 30

            """, to: "run.sh")
        chmod(script.path, 0o755)
        let columns = 100
        let rows = 40
        let server = try VirtualDisplay(width: 1000, height: 800)
        defer { server.stop() }
        let display = server.name
        let started = Date()

        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display
        environment.removeValue(forKey: "TMUX")
        let xterm = Process()
        xterm.executableURL = URL(fileURLWithPath: RealTerminal.tool("xterm")!)
        xterm.arguments = [
            "-ti", "vt340", "-geometry", "\(columns)x\(rows)+0+0", "-bg", "black", "-fg", "white",
            "-b", "0", "-bw", "0", "+sb", "-e", script.path,
        ]
        xterm.environment = environment
        xterm.standardOutput = FileHandle.nullDevice
        xterm.standardError = FileHandle.nullDevice
        try xterm.run()
        defer {
            kill(xterm.processIdentifier, SIGKILL)
            xterm.waitUntilExit()
        }

        // Wait until the band's cells hold pixels (the app asks, xterm answers, the app draws).
        var shotEnvironment = ProcessInfo.processInfo.environment
        shotEnvironment["DISPLAY"] = display
        let shotPath = folder.path + "/shot.xwd"
        var screen: RGBImage?
        var whole: RGBImage?
        let layout = InspectLayout(rows: rows, columns: columns)
        var cell = (width: 0, height: 0)
        while Date().timeIntervalSince(started) < 40 {
            usleep(500_000)
            guard
                (try? Command.run(
                    URL(fileURLWithPath: RealTerminal.tool("xwd")!), ["-root", "-silent", "-out", shotPath],
                    environment: shotEnvironment, timeout: 10))?.status == 0,
                let shot = try? RealTerminal.readXWD(try Data(contentsOf: URL(fileURLWithPath: shotPath))),
                let window = RealTerminal.pictureBox(shot)
            else { continue }
            // xterm's window is at the origin; its size over the cells gives the cell size.
            cell = ((window.x + window.width + columns - 1) / columns, 0)
            cell.height = (window.y + window.height + rows - 1) / rows
            let band = CellRect(
                row: layout.band.row, column: layout.band.column, rows: layout.band.rows, columns: layout.band.columns)
            let region = RealTerminal.crop(
                shot,
                (
                    band.column * cell.width, band.row * cell.height,
                    band.columns * cell.width, band.rows * cell.height
                ))
            if let drawn = RealTerminal.pictureBox(region), drawn.width > band.columns * cell.width * 9 / 10 {
                screen = RealTerminal.crop(region, drawn)
                whole = shot
                break
            }
        }
        let err = (try? String(contentsOfFile: folder.path + "/err", encoding: .utf8)) ?? ""
        let drawn = try #require(screen, "no eye band drawn in xterm within 40 s; the app said: \(err)")
        // The same band of the face, resampled to what was drawn.
        let source = try JPEGDecoder.decode(path: face)
        var options = RenderOptions(columns: layout.band.columns, rows: layout.band.rows, zoom: .eyesFill)
        options.enlarge = true
        let band = try #require(options.band(imageWidth: source.width, imageHeight: source.height))
        let expected = source.resampled(
            to: PixelSize(width: drawn.width, height: drawn.height),
            region: band.region(width: source.width, height: source.height))
        let ssim = Similarity.ssim(expected, drawn)
        if let keep = ProcessInfo.processInfo.environment["LABELAUDIT_KEEP_SHOTS"] {
            for (name, image) in [("drawn", drawn), ("expected", expected), ("screen", whole ?? drawn)] {
                let header = Array("P6\n\(image.width) \(image.height)\n255\n".utf8)
                _ = FileManager.default.createFile(atPath: "\(keep)/xterm-\(name).ppm", contents: Data(header + image.pixels))
            }
        }
        // Same bar as `render` in xterm (DECISIONS.md, "Sixel in a real terminal"): glyphs score
        // about 0.77, a picture off by a few pixels about 0.87.
        #expect(ssim >= 0.95, "SSIM \(ssim) over \(drawn.width)x\(drawn.height) px, cell \(cell)")
    }
}
