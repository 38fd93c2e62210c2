import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The original picture on demand: open it in the user's viewer, or copy its path to the
/// clipboard through the terminal (OSC 52). Pure decisions plus one detached spawn; nothing
/// here blocks or writes to the terminal (the app writes the clipboard bytes itself).
public enum OriginalImage {
    /// What happened when the app asked for the original.
    public enum ViewerOutcome: Equatable, Sendable {
        /// The viewer was started (detached: its own session, stdio on /dev/null, reaped in the
        /// background). `program` is the program as named.
        case opened(program: String, pid: Int32)
        /// No viewer and no display: show the path instead.
        case noDisplay(path: String)
        /// The viewer could not be started (not found, not executable, ...): show the reason
        /// and the path.
        case failed(program: String, reason: String, path: String)
    }

    /// The viewer command for this environment: `$LABELAUDIT_VIEWER` (a program and optional
    /// arguments separated by blanks, no quoting, run without a shell), else `xdg-open` when
    /// `$DISPLAY` or `$WAYLAND_DISPLAY` is set, else nil.
    package static func viewerCommand(environment: [String: String]) -> [String]? {
        if let viewer = environment["LABELAUDIT_VIEWER"] {
            let words = viewer.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if !words.isEmpty { return words }
        }
        let hasDisplay = !(environment["DISPLAY"] ?? "").isEmpty || !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty
        return hasDisplay ? ["xdg-open"] : nil
    }

    /// Opens `path` in the viewer chosen by `viewerCommand`, without waiting for it. A relative
    /// path is made absolute first (the viewer's working directory is the same, but a path
    /// beginning with `-` would otherwise read as an option).
    public static func open(path: String, environment: [String: String]) -> ViewerOutcome {
        let absolute = absolutePath(path)
        guard let command = viewerCommand(environment: environment) else { return .noDisplay(path: absolute) }
        let program = command[0]
        let arguments = command + [absolute]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own session: no controlling terminal, so it never reads the app's keys and a
        // Ctrl-C in the app does not reach it. Default signal handling and no blocked signals.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        #if os(Linux)
            let setSession: Int32 = 0x80  // glibc's POSIX_SPAWN_SETSID (hidden without _GNU_SOURCE)
        #else
            let setSession = Int32(POSIX_SPAWN_SETSID)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(setSession | Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)))
        var pid: pid_t = 0
        let cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let status = posix_spawnp(&pid, program, &actions, &attributes, cArguments, environ)
        guard status == 0 else {
            return .failed(program: program, reason: String(cString: strerror(status)), path: absolute)
        }
        // Reap it whenever it ends, so no zombie is left; the caller never waits.
        let child = pid
        DispatchQueue.global(qos: .background).async {
            var exitStatus: Int32 = 0
            while waitpid(child, &exitStatus, 0) < 0 && errno == EINTR {}
        }
        return .opened(program: program, pid: pid)
    }

    package static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "./" + path }
        let directory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (directory.hasSuffix("/") ? directory : directory + "/") + path
    }

    /// OSC 52 "set the clipboard" for `text` (base64 of its UTF-8, ST-terminated). Inside tmux
    /// (`tmuxPassthrough`), the same sequence wrapped for tmux's passthrough so the outer
    /// terminal receives it (tmux's own `set-clipboard on` handles the plain form too).
    /// Terminals that refuse OSC 52 ignore it; there is no reply to wait for.
    public static func clipboardSequence(_ text: String, tmuxPassthrough: Bool = false) -> [UInt8] {
        var sequence: [UInt8] = Array("\u{1B}]52;c;".utf8)
        sequence += Base64.encode(Array(text.utf8))
        sequence += [0x1B, UInt8(ascii: "\\")]
        return tmuxPassthrough ? TmuxPassthrough.wrap(sequence) : sequence
    }
}
