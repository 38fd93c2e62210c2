import LabelAuditImaging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Asks the controlling terminal what it can draw: writes `GraphicsProbe.queries` to /dev/tty
/// in raw mode, reads the replies for at most `timeout`, and restores the terminal's settings
/// whatever happens. Outside tmux the device-attributes reply (which every terminal sends)
/// ends the wait early; inside tmux, tmux answers that itself, so the probe also sends the
/// kitty query through tmux's passthrough and waits for the outer terminal's answer until the
/// timeout. Returns nil when there is no terminal to ask.
enum TerminalGraphicsQuery {
    struct Answer {
        var support: GraphicsSupport
        /// The kitty answer came through tmux's passthrough: pictures must be wrapped too.
        var throughTmux: Bool
    }

    static func ask(environment: [String: String], timeoutMilliseconds: Int = 300) -> Answer? {
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var saved = termios()
        guard tcgetattr(descriptor, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { bytes in
            bytes[Int(VMIN)] = 0
            bytes[Int(VTIME)] = 0
        }
        guard tcsetattr(descriptor, TCSANOW, &raw) == 0 else { return nil }
        defer { _ = tcsetattr(descriptor, TCSANOW, &saved) }

        let insideTmux = !(environment["TMUX"] ?? "").isEmpty
        let queries = GraphicsProbe.queries(insideTmux: insideTmux)
        guard writeAll(descriptor, queries) else { return nil }

        var received: [UInt8] = []
        var support = GraphicsSupport()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = now() + Double(timeoutMilliseconds)
        while true {
            let left = deadline - now()
            if left <= 0 { break }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left.rounded(.up)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { break }
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            received += buffer[0..<count]
            support = GraphicsSupport.reading(received)
            // Outside tmux, device attributes come last and end the wait; inside, only a
            // kitty answer (which can only have come from the outer terminal) does.
            if insideTmux ? support.kitty : support.complete { break }
        }
        if insideTmux && !support.kitty {
            // tmux itself: sixel only if tmux draws sixel (its own attributes list 4).
            return Answer(support: support, throughTmux: false)
        }
        return Answer(support: support, throughTmux: insideTmux && support.kitty)
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var written = 0
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += result
            }
            return true
        }
    }
}
