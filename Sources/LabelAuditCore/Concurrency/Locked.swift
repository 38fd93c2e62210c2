import Synchronization

/// A value shared between threads behind one lock, in the shape of GRDB's `Mutex`: every read
/// and write goes through `withLock`, so no caller can touch the value unlocked. A class, so
/// that one instance can be captured by several closures and threads.
package final class Locked<Value>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with the value locked; keep it short and never call back into the owner.
    package func withLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        try mutex.withLock(body)
    }
}

extension Locked where Value: Sendable {
    /// A copy of the value.
    package func load() -> Value {
        mutex.withLock { $0 }
    }

    /// Replaces the value.
    package func store(_ value: Value) {
        mutex.withLock { $0 = value }
    }
}

/// Hands out the indices `0 ..< limit` to worker threads, each index once, in order, and
/// counts the ones finished (for progress). Lock-free.
package final class WorkCounter: Sendable {
    private let issued = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    package let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    /// The next index to work on, nil when all are taken.
    package func next() -> Int? {
        let index = issued.add(1, ordering: .relaxed).oldValue
        return index < limit ? index : nil
    }

    /// Marks one item finished and returns how many are.
    @discardableResult
    package func finishOne() -> Int {
        done.add(1, ordering: .relaxed).newValue
    }
}

/// A flag that any thread may set once and every worker polls: the one way a long job
/// (evidence, rerun, export, neighbour graph) learns that its user gave up on it.
package final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    package init() {}

    package func cancel() {
        flag.store(true, ordering: .releasing)
    }

    package var isCancelled: Bool {
        flag.load(ordering: .acquiring)
    }
}

/// Wraps a value that is shared between worker threads on purpose (disjoint writes through a
/// pointer, joined before use). The one escape hatch from Sendable checking for the parallel
/// kernels; everything else shares state through `Locked`.
@usableFromInline
package struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline package var value: Value
    @usableFromInline package init(_ value: Value) { self.value = value }
}
