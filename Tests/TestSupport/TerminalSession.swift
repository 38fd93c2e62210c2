import Foundation

/// Drives the real `labelaudit` binary in a detached tmux session (a real
/// terminal), reads the screen with `capture-pane`, and checks what the reviewer did reached
/// the data (through the app's CSV export) and that the terminal is restored on SIGTERM,
/// on a fatal error and on quit. `make test` installs tmux (Makefile deps).
package enum TUITmux {
    package static let packageRoot = Repository.root

    package static let tmuxPath: String? = {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/tmux"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    package static var binary: String {
        get throws { try LabelAuditExecutable.path }
    }

    /// Runs tmux and returns its output. Spawned with posix_spawn and reaped with waitpid;
    /// output goes through a file, not a pipe, because the server that `new-session` forks
    /// would otherwise hold the pipe open.
    @discardableResult
    package static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("labelaudit-tmux-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([tmuxPath!] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environment =
            ProcessInfo.processInfo.environment.filter { $0.key != "TMUX" }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in environment { free(pointer) } }
        // Test runners block signals on their threads; a blocked SIGCHLD inherited by the tmux
        // server would keep it from ever reaping the app, so start tmux with a clean mask.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signalNumber) }
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tmuxPath!, &actions, &attributes, argv, environment)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exitStatus, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }

    package static func scratch(_ name: String) throws -> URL {
        let folder = packageRoot.appendingPathComponent(".tmp/tui-e2e/\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// One tmux server (private socket) with one session running the app.
package final class TUISession {
    package let socket: String
    package let target = "review"

    /// `subcommand` empty runs the default command (`labelaudit DATASET ...`).
    package init(
        name: String, columns: Int = 120, rows: Int = 40, environment: [String: String], subcommand: [String] = [],
        arguments: [String]
    ) throws {
        socket = "labelaudit-e2e-\(name)-\(ProcessInfo.processInfo.processIdentifier)"
        // remain-on-exit from the config, so the pane keeps the screen even when the app exits
        // at once (a fatal error) and the test can read its last words and exit status.
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket).conf")
        try "set-option -g remain-on-exit on\n".write(to: config, atomically: true, encoding: .utf8)
        var command = [
            "-L", socket, "-f", config.path, "new-session", "-d", "-s", target,
            "-x", String(columns), "-y", String(rows),
        ]
        // The reviewer's settings file goes to a scratch folder, never the real ~/.config.
        var environment = environment
        if environment["XDG_CONFIG_HOME"] == nil {
            environment["XDG_CONFIG_HOME"] = try TUITmux.scratch("config-\(name)").path
        }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { command += ["-e", "\(key)=\(value)"] }
        // A shell waits for the app and prints its exit status on the pane: tmux's own
        // pane_dead_status proved unreliable under a loaded test runner.
        command +=
            ["sh", "-c", "\"$0\" \"$@\"; echo \"app exited with status $?\"; sleep 120", try TUITmux.binary] + subcommand
            + arguments
        let started = try TUITmux.run(command)
        guard started.status == 0 else { throw TUIError("tmux new-session failed: \(started.output)") }
    }

    package struct TUIError: Error, CustomStringConvertible {
        package var description: String
        package init(_ description: String) { self.description = description }
    }

    /// Presses keys, no faster than a person: the app refuses a recording key that comes
    /// within a few milliseconds of a panel closing (a paste's next chunk), and a script that
    /// answers the screen at once would be that fast.
    package func send(_ keys: String...) throws {
        Thread.sleep(forTimeInterval: 0.06)
        try TUITmux.run(["-L", socket, "send-keys", "-t", target] + keys)
    }

    package func type(_ text: String) throws {
        Thread.sleep(forTimeInterval: 0.06)
        try TUITmux.run(["-L", socket, "send-keys", "-t", target, "-l", text])
    }

    package func screen(escapes: Bool = false) throws -> String {
        try TUITmux.run(["-L", socket, "capture-pane", "-t", target, "-p"] + (escapes ? ["-e"] : [])).output
    }

    /// The screen plus its scrollback: when a pane dies tmux scrolls its last words up a line.
    package func screenWithHistory() throws -> String {
        try TUITmux.run(["-L", socket, "capture-pane", "-t", target, "-p", "-S", "-"]).output
    }

    package func value(_ format: String) throws -> String {
        try TUITmux.run(["-L", socket, "display-message", "-p", "-t", target, format]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls the screen until `predicate` holds and returns it; throws (failing the test with
    /// the screen's last words) when it never does. 15 s by default: a wait ends as soon as the
    /// screen shows what it waits for, and under a parallel build one wait here took over 5 s.
    @discardableResult
    package func waitFor(_ what: String, timeout: Double = 15, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if predicate(last) { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let text = last.split(separator: "\n").filter { !$0.contains("▀") }.suffix(4).joined(separator: " / ")
        throw TUIError("timed out waiting for \(what); screen text ended: \(text)")
    }

    @discardableResult
    package func waitForText(_ text: String, timeout: Double = 15) throws -> String {
        try waitFor("'\(text)'", timeout: timeout) { $0.contains(text) }
    }

    /// Waits for the app to exit and returns its exit status (nil on timeout).
    @discardableResult
    package func waitForExit(timeout: Double = 10) throws -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = try screenWithHistory()
            if let range = text.range(of: "app exited with status ") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                return Int(digits)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TUIError("the app did not exit within \(timeout) s")
    }

    /// The app's process id: the child of the pane's shell.
    package func appProcessID() throws -> pid_t? {
        guard let shell = Int32(try value("#{pane_pid}")) else { return nil }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == shell { return pid }
        }
        return nil
    }

    deinit { _ = try? TUITmux.run(["-L", socket, "kill-server"]) }
}
