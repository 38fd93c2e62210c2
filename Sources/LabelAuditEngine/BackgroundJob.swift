import Dispatch
import Foundation
import LabelAuditCore

/// Long engine work that a user may give up on: the one job runner of the engine (the
/// neighbour graph, a rerun). `start` runs a body on a thread of its own; a caller that runs
/// the work on its own thread keeps a job only as the handle someone else cancels.
/// `cancel()` sets the flag every long loop polls (`isCancelled`); `wait()` blocks until the
/// body has returned.
public final class BackgroundJob: Sendable {
    private let cancellation = CancellationFlag()
    private let finished = Locked(false)
    /// Signalled once by `finish`; each waiter passes the signal on to the next.
    private let done = DispatchSemaphore(value: 0)

    public init() {}

    /// Runs `body` on a new thread (4 MiB of stack: the model fits recurse little, but deep
    /// enough) and returns at once; the job finishes when `body` returns.
    public static func start(_ body: @escaping @Sendable (BackgroundJob) -> Void) -> BackgroundJob {
        let job = BackgroundJob()
        let thread = Thread {
            body(job)
            job.finish()
        }
        thread.stackSize = 1 << 22
        thread.start()
        return job
    }

    public var isCancelled: Bool { cancellation.isCancelled }
    package var isFinished: Bool { finished.load() }

    public func cancel() { cancellation.cancel() }

    /// Blocks until the job's body (and its completion) has run.
    public func wait() {
        guard !isFinished else { return }
        done.wait()
        done.signal()
    }

    /// Marks the job finished; only once.
    public func finish() {
        let first = finished.withLock { value in
            defer { value = true }
            return !value
        }
        if first { done.signal() }
    }
}
