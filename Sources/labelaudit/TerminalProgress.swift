import Foundation
import LabelAuditCore

/// Progress of long work on stderr, only when stderr is a terminal: pipes and logs get results,
/// not carriage returns. One line, rewritten in place, at most ten times a second.
final class TerminalProgress: @unchecked Sendable {
    private let enabled = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drewSomething = false

    func update(_ label: String, done: Int, total: Int) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
        lastDraw = now
        let percent = total > 0 ? Int((Double(done) / Double(total) * 100).rounded()) : 0
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(TerminalSafeText.sanitized(label)) \(done)/\(total) (\(percent)%)".utf8))
        drewSomething = true
    }

    func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if drewSomething { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drewSomething = false
    }
}
