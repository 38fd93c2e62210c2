/// SplitMix64: a tiny seeded generator that gives the same numbers on every platform, so
/// folds and distance samples are reproducible (SystemRandomNumberGenerator is not).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0 ..< bound` (bound > 0) without modulo bias worth caring about at these sizes.
    public mutating func next(below bound: Int) -> Int {
        Int(truncatingIfNeeded: (UInt128(next()) * UInt128(bound)) >> 64)
    }

    /// A Fisher-Yates shuffle that only depends on the seed (the standard library's may change).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = next(below: i + 1)
            array.swapAt(i, j)
        }
    }
}
