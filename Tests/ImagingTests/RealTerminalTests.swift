import Foundation
import TestSupport
import Testing

@testable import LabelAuditImaging

@Suite("A real terminal: xterm -ti vt340 under Xvfb shows the face as sixel pixels")
struct RealTerminalTests {
    /// Threshold: the face region of the screen shot against the source resampled to that
    /// region measured SSIM 0.989 and PSNR 43.7 dB (see DECISIONS.md, "Sixel in a real
    /// terminal"). The same face drawn by xterm as glyphs (its 6x13 font) scores 0.77, and the
    /// sixel shifted by 4 px 0.87; the bar of 0.95 leaves room for palette rounding and still
    /// fails both.
    @Test(
        "render --graphics auto asks xterm, draws sixel, and the screen matches the face",
        .enabled(if: RealTerminal.available, "needs xterm, Xvfb and xwd (apt-get install xterm xvfb x11-apps; make test-deps)"))
    func xtermSixel() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let face = Fixtures.repositoryRoot + "/Assets/demo/images/face-2.jpg"
        let binary = try LabelAuditExecutable.path
        let done = folder.path + "/done"
        // Hide the cursor (it would count as picture), draw, note the exit status, then wait.
        let script = try folder.file(
            "run.sh",
            bytes: Array(
                """
                #!/bin/sh
                printf '\\033[?25l'
                '\(binary)' render '\(face)' --graphics auto --cols 40 --rows 20 2>'\(folder.path)/err'
                echo $? > '\(done).tmp'; mv '\(done).tmp' '\(done)'
                sleep 30

                """.utf8))
        chmod(script, 0o755)

        let server = try VirtualDisplay(width: 800, height: 600)
        defer { server.stop() }
        let display = server.name
        let started = Date()

        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display
        environment.removeValue(forKey: "TMUX")
        let xterm = Process()
        xterm.executableURL = URL(fileURLWithPath: RealTerminal.tool("xterm")!)
        xterm.arguments = [
            "-ti", "vt340", "-geometry", "100x40+0+0", "-bg", "black", "-fg", "white",
            "-b", "0", "-bw", "0", "+sb", "-e", script,
        ]
        xterm.environment = environment
        xterm.standardOutput = FileHandle.nullDevice
        xterm.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: try folder.file("xterm.log", bytes: [])))
        try xterm.run()
        defer {
            kill(xterm.processIdentifier, SIGKILL)
            xterm.waitUntilExit()
        }
        while !FileManager.default.fileExists(atPath: done) && Date().timeIntervalSince(started) < 15 { usleep(50_000) }
        try #require(
            FileManager.default.fileExists(atPath: done),
            "render did not finish inside xterm: \((try? String(contentsOfFile: folder.path + "/xterm.log", encoding: .utf8)) ?? "")"
        )
        #expect((try String(contentsOfFile: done, encoding: .utf8)) == "0\n")
        #expect((try String(contentsOfFile: folder.path + "/err", encoding: .utf8)) == "")
        usleep(500_000)  // let xterm paint

        var shotEnvironment = ProcessInfo.processInfo.environment
        shotEnvironment["DISPLAY"] = display
        let shotPath = folder.path + "/shot.xwd"
        let shot = try Command.run(
            URL(fileURLWithPath: RealTerminal.tool("xwd")!), ["-root", "-silent", "-out", shotPath],
            environment: shotEnvironment, timeout: 10)
        #expect(shot.status == 0)
        let screen = try RealTerminal.readXWD(try Data(contentsOf: URL(fileURLWithPath: shotPath)))
        let box = try #require(RealTerminal.pictureBox(screen), "nothing drawn")
        // 40 x 20 cells: the face fills a square at the top-left, as tall as it is wide.
        #expect(box.x == 0 && box.y == 0)
        #expect(abs(box.width - box.height) <= 6 && box.width >= 200)
        let region = RealTerminal.crop(screen, box)
        let source = try JPEGDecoder.decode(path: face).resampled(to: PixelSize(width: box.width, height: box.height))
        let ssim = Similarity.ssim(source, region)
        let psnr = Similarity.psnr(source, region)
        #expect(ssim >= 0.95, "SSIM \(ssim), PSNR \(psnr) dB over \(box)")
    }
}
