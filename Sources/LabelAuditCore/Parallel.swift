import Dispatch

/// A raw pointer handed to `concurrentPerform` workers that write disjoint parts of one buffer.
/// @unchecked because the disjointness is the caller's promise, which the compiler cannot see.
public struct UnsafeShared<Pointer>: @unchecked Sendable {
    public let pointer: Pointer
    public init(_ pointer: Pointer) { self.pointer = pointer }
}
