import LabelAuditCore

// Deterministic randomness for the demo: the same numbers on every platform.

/// The demo's draws from Core's `SplitMix64` (Steele, Lea & Flood 2014), which is defined
/// purely by integer arithmetic, so every platform produces the same stream for the same seed.
extension SplitMix64 {
    /// A uniform double in [0, 1) from the top 53 bits (exact, no platform rounding involved).
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal by Marsaglia's polar method. It needs only +, *, / and sqrt (all
    /// correctly rounded by IEEE 754) plus `portableLog`, so the bytes match across platforms;
    /// Box–Muller would need sin/cos, whose last bit differs between libms.
    mutating func nextGaussian() -> Double {
        while true {
            let u = 2 * nextUnit() - 1
            let v = 2 * nextUnit() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * portableLog(s) / s).squareRoot()
            }
        }
    }
}

/// Derives independent stream seeds from (seed, stream, index) so faces can be generated in any
/// order, on any number of threads, and still get the same numbers.
func streamSeed(_ seed: UInt64, stream: UInt64, index: UInt64) -> UInt64 {
    var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    _ = mixer.next()
    var second = SplitMix64(seed: mixer.next() ^ (index &* 0x9E37_79B9_7F4A_7C15))
    return second.next()
}

/// Natural logarithm from IEEE arithmetic only: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
/// ln m = 2 atanh(s), s = (m - 1)/(m + 1), |s| < 0.172, summed to 1e-17. Accurate to a few ulp and,
/// more to the point, identical on every platform (libm's `log` is not required to be).
func portableLog(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite)
    var m = x.significand  // [1, 2)
    var e = Double(x.exponent)
    if m > 1.4142135623730951 {
        m *= 0.5
        e += 1
    }
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    var term = s
    var sum = 0.0
    var k = 1.0
    while k < 40 {
        sum += term / k
        term *= s2
        k += 2
    }
    return 2 * sum + e * 0.6931471805599453
}

/// Smooth squashing of a projection (≈ N(0, 1)) into (-1, 1) with sqrt only: a/sqrt(1 + a²).
@inline(__always)
func squash(_ a: Double) -> Double { a / (1 + a * a).squareRoot() }

/// Squash to (0, 1).
@inline(__always)
func unitSquash(_ a: Double) -> Double { 0.5 + 0.5 * squash(a) }
