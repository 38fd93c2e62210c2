import Foundation
import LabelAuditCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Limits for an external model command.
public struct ExternalModelOptions: Sendable, Equatable {
    /// The whole run, start to exit; nil = no limit.
    public var timeout: TimeInterval?
    /// The longest silence allowed between two result lines; nil = no limit. Before the first
    /// line the command also gets `startupAllowance` (loading weights, reading all input).
    public var itemTimeout: TimeInterval?
    package var startupAllowance: TimeInterval
    /// Between SIGTERM and SIGKILL when the command is stopped.
    package var killGrace: TimeInterval

    public init(
        timeout: TimeInterval? = 3600, itemTimeout: TimeInterval? = 60, startupAllowance: TimeInterval = 60,
        killGrace: TimeInterval = 2
    ) {
        self.timeout = timeout
        self.itemTimeout = itemTimeout
        self.startupAllowance = startupAllowance
        self.killGrace = killGrace
    }
}

/// One line sent to the command's stdin.
package struct ExternalModelInput: Sendable, Equatable, Encodable {
    package var id: String
    /// Absolute image path; null when the row has no image file.
    package var image: String?
    /// The label after the reviewers' corrections (train rows), so a command can retrain on it; null otherwise.
    package var label: UInt8?

    package init(id: String, image: String?, label: UInt8?) {
        self.id = id
        self.image = image
        self.label = label
    }

    enum CodingKeys: String, CodingKey { case id, image, label }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(image, forKey: .image)
        try c.encode(label, forKey: .label)
    }
}

/// What came back from an external model command. A failed run keeps every valid answer that
/// arrived before the failure.
package struct ExternalModelOutcome: Sendable, Equatable {
    package var probabilities: [String: Double]
    /// nil on success, else why the run failed (names the line, id or limit).
    package var failure: String?
    /// The exit status when the command exited by itself; nil when it was killed or never started.
    package var exitStatus: Int32?
    /// Where the command's stderr went.
    package var logURL: URL
    package var elapsed: TimeInterval
}

/// Runs a team's own classifier as a child process under the rerun protocol:
///
/// - started directly by `posix_spawnp` (no shell; the words come from `ShellWords`), in a
///   session of its own, so it has no controlling terminal and stopping it reaches its children;
/// - stdin: one JSON object per line, `{"id": "30", "image": "/abs/face-30.jpg", "label": 1}`,
///   then end of file; stdout: one `{"id": "30", "p": 0.93}` per id, in any order (blank lines
///   are ignored); stderr: appended to a log file;
/// - any protocol error (malformed line, unknown or duplicate id, p outside [0, 1], missing
///   ids, non-zero exit, a timeout) stops the command (SIGTERM, then SIGKILL after
///   `killGrace`) and is reported in `failure`.
///
/// Input is written on a thread of its own while the caller's thread reads stdout with
/// `poll`, so neither side can deadlock on a full pipe. SIGPIPE is ignored process-wide (a
/// command that exits early must not kill the caller). O(ids) memory.
package enum ExternalModel {
    package typealias Progress = @Sendable (_ answered: Int, _ total: Int) -> Void

    /// Longest stdout line accepted (a line is one small JSON object).
    static let maximumLineLength = 1 << 20

    package static func run(
        arguments: [String], inputs: [ExternalModelInput], logURL: URL,
        options: ExternalModelOptions = ExternalModelOptions(), progress: Progress? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) -> ExternalModelOutcome {
        let started = Date()
        var outcome = ExternalModelOutcome(probabilities: [:], failure: nil, exitStatus: nil, logURL: logURL, elapsed: 0)
        func finish(_ failure: String?) -> ExternalModelOutcome {
            outcome.failure = failure
            outcome.elapsed = Date().timeIntervalSince(started)
            return outcome
        }
        guard let program = arguments.first else { return finish("the model command is empty") }
        signal(SIGPIPE, SIG_IGN)

        try? FileManager.default.createDirectory(at: logURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        rotateLog(logURL)
        let logFD = open(logURL.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { return finish("cannot open the log file \(logURL.path): \(errorText(errno))") }
        defer { close(logFD) }
        let header =
            "--- labelaudit rerun \(ISO8601DateFormatter().string(from: started)): \(arguments.map(quoted).joined(separator: " ")) ---\n"
        writeAll(logFD, Array(header.utf8))

        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard makePipe(&stdinPipe) else { return finish("cannot create a pipe: \(errorText(errno))") }
        guard makePipe(&stdoutPipe) else {
            close(stdinPipe[0])
            close(stdinPipe[1])
            return finish("cannot create a pipe: \(errorText(errno))")
        }
        guard makePipe(&stderrPipe) else {
            for fd in stdinPipe + stdoutPipe { close(fd) }
            return finish("cannot create a pipe: \(errorText(errno))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        // Nothing else of ours reaches the command (an inherited pipe of our own caller, a
        // database file): a background child it leaves behind then holds only its own pipes.
        closeFrom3(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A session of its own: no controlling terminal, and kill(-pid) reaches its children.
        // Default signal handling in the child, whatever the caller (a TUI) installed.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setflags(
            &attributes, Int16(spawnSetSession | Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)))

        var pid: pid_t = 0
        let cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let spawnStatus = posix_spawnp(&pid, program, &actions, &attributes, cArguments, environ)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard spawnStatus == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            return finish("cannot start '\(program)': \(errorText(spawnStatus))")
        }
        // The command's stderr goes to the log through us, at most `maximumLogBytesPerRun`.
        let stderrLog = StderrLog(readFD: stderrPipe[0], logFD: logFD)
        defer { stderrLog.finish() }

        // Feed stdin on its own thread; it ends on EPIPE if the command stops reading.
        let payload = encodedInput(inputs)
        let writerDone = DispatchSemaphore(value: 0)
        let stopWriting = CancellationFlag()
        let writeFD = stdinPipe[1]
        let writer = Thread {
            writeAll(writeFD, payload, stop: stopWriting)
            close(writeFD)
            writerDone.signal()
        }
        writer.start()

        let child = Child(pid: pid, grace: options.killGrace)
        let readFD = stdoutPipe[0]
        defer {
            close(readFD)
            // A background child may hold stdin open without reading it: stop feeding it.
            stopWriting.cancel()
            writerDone.wait()
        }
        let expected = Set(inputs.map(\.id))
        let total = expected.count
        var buffer: [UInt8] = []
        var lineNumber = 0
        var lastAnswer = started
        var chunk = [UInt8](repeating: 0, count: 65_536)
        func summary() -> String { "answered \(outcome.probabilities.count) of \(total)" }

        // The command's own exit, once seen (reaped while its output is still being read).
        var exited: Child.Status? = nil
        // Reads stdout until end of file, or until the command has exited and what it wrote is
        // read: a background child that inherited stdout (and keeps it open) must not make the
        // run wait for its end. Returns a failure, if any.
        func readAnswers() -> String? {
            while true {
                if isCancelled?() == true { return "cancelled; \(summary())" }
                let now = Date()
                var limit = now.addingTimeInterval(0.1)
                if let timeout = options.timeout {
                    let end = started.addingTimeInterval(timeout)
                    if now >= end { return "timed out after \(seconds(timeout)) (overall --timeout); \(summary())" }
                    limit = min(limit, end)
                }
                if let itemTimeout = options.itemTimeout {
                    let allowance = outcome.probabilities.isEmpty ? itemTimeout + options.startupAllowance : itemTimeout
                    let end = lastAnswer.addingTimeInterval(allowance)
                    if now >= end {
                        return "no answer for \(seconds(allowance)) (--item-timeout \(seconds(itemTimeout))); \(summary())"
                    }
                    limit = min(limit, end)
                }
                var descriptors = [
                    pollfd(fd: readFD, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: stderrLog.readFD, events: Int16(POLLIN), revents: 0),
                ]
                let waitMillis = exited == nil ? Int32(max(0, min(100, limit.timeIntervalSince(now) * 1000)).rounded(.up)) : 0
                let ready = poll(&descriptors, stderrLog.isOpen ? 2 : 1, waitMillis)
                if ready < 0 && errno == EINTR { continue }
                if stderrLog.isOpen && descriptors[1].revents != 0 { stderrLog.drain() }
                if descriptors[0].revents == 0 {
                    if exited != nil {
                        // The command has exited and everything it wrote has been read.
                        return endOfOutput()
                    }
                    if let status = child.poll() { exited = status }
                    continue
                }
                let count = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return "cannot read the model's output: \(errorText(errno))"
                }
                if count == 0 { return endOfOutput() }
                var start = 0
                for i in 0..<count where chunk[i] == UInt8(ascii: "\n") {
                    buffer.append(contentsOf: chunk[start..<i])
                    start = i + 1
                    lineNumber += 1
                    if let failure = accept(buffer) { return failure }
                    buffer.removeAll(keepingCapacity: true)
                }
                buffer.append(contentsOf: chunk[start..<count])
                if buffer.count > maximumLineLength {
                    return
                        "output line \(lineNumber + 1) is longer than \(maximumLineLength) bytes; each line must be one {\"id\": ..., \"p\": ...} object"
                }
            }
        }

        // The last line may lack its newline.
        func endOfOutput() -> String? {
            if !buffer.isEmpty {
                lineNumber += 1
                if let failure = accept(buffer) { return failure }
                buffer.removeAll()
            }
            return nil
        }

        // Validates one line; records its answer.
        func accept(_ line: [UInt8]) -> String? {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
            guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(line)) else {
                let text = TerminalSafeExcerpt.make(line)
                return "output line \(lineNumber) is not a JSON object {\"id\": ..., \"p\": ...}: \(text)"
            }
            let id = answer.id
            guard expected.contains(id) else {
                return "output line \(lineNumber): id '\(TerminalSafeExcerpt.make(Array(id.utf8)))' was not sent to the model"
            }
            guard outcome.probabilities[id] == nil else {
                return "output line \(lineNumber): id '\(TerminalSafeExcerpt.make(Array(id.utf8)))' answered twice"
            }
            guard answer.p >= 0 && answer.p <= 1 else {
                return
                    "output line \(lineNumber): p for id '\(TerminalSafeExcerpt.make(Array(id.utf8)))' is \(answer.p), outside [0, 1]"
            }
            outcome.probabilities[id] = answer.p
            lastAnswer = Date()
            progress?(outcome.probabilities.count, total)
            return nil
        }

        if let failure = readAnswers() {
            child.stop()
            return finish(failure)
        }
        // End of output: wait for the exit within the overall limit.
        while true {
            stderrLog.drain()
            if let status = exited ?? child.poll() {
                outcome.exitStatus = status.exitCode
                if let signal = status.signal { return finish("the model command was killed by signal \(signal); \(summary())") }
                if status.exitCode != 0 {
                    return finish("the model command exited with status \(status.exitCode!); \(summary())")
                }
                break
            }
            if isCancelled?() == true {
                child.stop()
                return finish("cancelled; \(summary())")
            }
            if let timeout = options.timeout, Date() >= started.addingTimeInterval(timeout) {
                child.stop()
                return finish("timed out after \(seconds(timeout)) (overall --timeout); \(summary())")
            }
            usleep(5_000)
        }
        if outcome.probabilities.count < total {
            let missing = inputs.first { outcome.probabilities[$0.id] == nil }!.id
            return finish(
                "the model answered \(outcome.probabilities.count) of \(total) ids; missing e.g. '\(TerminalSafeExcerpt.make(Array(missing.utf8)))'"
            )
        }
        return finish(nil)
    }

    struct Answer: Decodable {
        let id: String
        let p: Double

        enum CodingKeys: String, CodingKey { case id, p }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let text = try? c.decode(String.self, forKey: .id) {
                id = text
            } else {
                id = String(try c.decode(Int64.self, forKey: .id))
            }
            p = try c.decode(Double.self, forKey: .p)
        }
    }

    static func encodedInput(_ inputs: [ExternalModelInput]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        var bytes: [UInt8] = []
        for input in inputs {
            if let data = try? encoder.encode(input) {
                bytes += data
                bytes.append(0x0A)
            }
        }
        return bytes
    }

    /// The most of one run's stderr kept in the log; the rest is counted, not kept.
    static let maximumLogBytesPerRun = 4 << 20
    /// A log over this size is moved to `<log>.1` (replacing the previous one) before a run
    /// starts, so the log and its one old copy stay bounded however many runs there are.
    static let logRotationBytes = 8 << 20

    static func rotateLog(_ url: URL) {
        var info = stat()
        guard stat(url.path, &info) == 0, Int(info.st_size) > logRotationBytes else { return }
        _ = rename(url.path, url.path + ".1")
    }

    /// A pipe whose ends are closed on exec: the child gets only the ends dup2'ed onto 0 and 1.
    static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    static func seconds(_ value: TimeInterval) -> String { String(format: "%g s", value) }

    static func quoted(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Writes everything unless `stop` is set first (the fd is switched to non-blocking and
    /// waited on with `poll`, so the writer never hangs on a reader that has gone quiet).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], stop: CancellationFlag) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var offset = 0
        while offset < bytes.count && !stop.isCancelled {
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&descriptor, 1, 100)
            if ready <= 0 { continue }
            if descriptor.revents & Int16(POLLOUT) == 0 { return }  // POLLERR / POLLHUP: the reader is gone
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            offset += written
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// glibc >= 2.34's `posix_spawn_file_actions_addclosefrom_np` (declared only under
    /// _GNU_SOURCE, so looked up at run time); without it, descriptors not marked close-on-exec
    /// are inherited as before.
    static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        #if os(Linux)
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
                return
            }
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        #endif
    }

    #if os(Linux)
        /// glibc's POSIX_SPAWN_SETSID (not visible to Swift without _GNU_SOURCE).
        static let spawnSetSession: Int32 = 0x80
    #else
        static let spawnSetSession: Int32 = Int32(POSIX_SPAWN_SETSID)
    #endif
}

/// Copies a command's stderr into the log, up to `ExternalModel.maximumLogBytesPerRun`, then
/// counts what it drops and says so at the end. Reads without blocking: a background child
/// holding stderr open never makes the run wait.
final class StderrLog {
    let readFD: Int32
    let logFD: Int32
    private(set) var isOpen = true
    private var kept = 0
    private var dropped = 0
    private var chunk = [UInt8](repeating: 0, count: 65_536)

    init(readFD: Int32, logFD: Int32) {
        self.readFD = readFD
        self.logFD = logFD
        let flags = fcntl(readFD, F_GETFL)
        _ = fcntl(readFD, F_SETFL, flags | O_NONBLOCK)
    }

    /// Reads what is there now.
    func drain() {
        while isOpen {
            let count = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: nothing more for now
            }
            if count == 0 {
                isOpen = false
                return
            }
            let keep = min(count, max(0, ExternalModel.maximumLogBytesPerRun - kept))
            if keep > 0 { ExternalModel.writeAll(logFD, Array(chunk[0..<keep])) }
            kept += keep
            dropped += count - keep
        }
    }

    /// Reads what is left without waiting, notes what was dropped, closes the pipe.
    func finish() {
        drain()
        if dropped > 0 {
            ExternalModel.writeAll(
                logFD,
                Array(
                    "\n[labelaudit: \(dropped) more bytes of this run's stderr were not kept; the log keeps \(ExternalModel.maximumLogBytesPerRun) bytes a run]\n"
                        .utf8))
        }
        close(readFD)
        isOpen = false
    }
}

/// A spawned command: polls its exit, stops it and its session (SIGTERM, grace, SIGKILL).
final class Child: Sendable {
    let pid: pid_t
    let grace: TimeInterval
    private let reaped = Locked(false)

    init(pid: pid_t, grace: TimeInterval) {
        self.pid = pid
        self.grace = grace
    }

    struct Status {
        var exitCode: Int32?
        var signal: Int32?
    }

    /// The exit status once the child has exited (reaping it), else nil.
    func poll() -> Status? {
        guard !reaped.load() else { return nil }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        reaped.store(true)
        let signal = status & 0x7F
        return signal == 0 ? Status(exitCode: (status >> 8) & 0xFF, signal: nil) : Status(exitCode: nil, signal: signal)
    }

    /// SIGTERM to the whole session, SIGKILL after the grace period; always reaps.
    func stop() {
        guard !reaped.load() else { return }
        kill(-pid, SIGTERM)
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if poll() != nil {
                kill(-pid, SIGKILL)
                return
            }
            usleep(5_000)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped.store(true)
    }
}

/// Text from a model's output, shortened and stripped of control characters before it goes
/// into a message that may reach a terminal.
enum TerminalSafeExcerpt {
    static func make(_ bytes: [UInt8], limit: Int = 80) -> String {
        let text = TerminalSafeText.sanitized(String(decoding: bytes, as: UTF8.self))
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}
