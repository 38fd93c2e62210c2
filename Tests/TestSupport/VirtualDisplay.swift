import Foundation

/// An Xvfb server on a display number it picks itself (`-displayfd`): a fixed or random number
/// could be one an earlier server left behind (a killed Xvfb keeps its socket and lock file),
/// and a test would then start xterm on a display nobody serves and wait for nothing.
package final class VirtualDisplay {
    /// The `DISPLAY` value, e.g. ":3".
    package let name: String
    private let server: Process

    /// Starts Xvfb with one screen of `width` x `height` at 24 bits and waits (10 s at most)
    /// until it says which display it serves.
    package init(width: Int, height: Int) throws {
        guard let xvfb = RealTerminal.tool("Xvfb") else { throw ScreenshotError(description: "Xvfb is not installed") }
        let answer = Pipe()
        server = Process()
        server.executableURL = URL(fileURLWithPath: xvfb)
        server.arguments = ["-displayfd", "1", "-screen", "0", "\(width)x\(height)x24", "-nolisten", "tcp"]
        server.standardOutput = answer
        server.standardError = FileHandle.nullDevice
        try server.run()
        let descriptor = answer.fileHandleForReading.fileDescriptor
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.hasSuffix("\n") && Date() < deadline {
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(descriptor, &byte, 1) == 1 else { break }
            text.append(Character(Unicode.Scalar(byte)))
        }
        guard let number = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            throw ScreenshotError(description: "Xvfb did not say which display it serves (it printed '\(text)')")
        }
        name = ":\(number)"
    }

    /// Stops the server and removes what a killed server leaves (SIGKILL: a server started from
    /// the test runner may not act on SIGTERM).
    package func stop() {
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        let number = name.dropFirst()
        try? FileManager.default.removeItem(atPath: "/tmp/.X11-unix/X\(number)")
        try? FileManager.default.removeItem(atPath: "/tmp/.X\(number)-lock")
    }
}
