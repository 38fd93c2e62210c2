import Foundation

/// Decimal text to Float without Foundation's slow paths.
///
/// Up to 19 significant digits are gathered into a UInt64 and scaled by an exact power of ten in
/// Double (10^0...10^22 are exact), which gives the correctly rounded Double for typical CSV
/// numbers; the final Float32 conversion may differ from `strtof` in the last bit only for inputs
/// with more than ~17 significant digits. Anything outside that fast path goes through `strtod`.
/// O(length).
enum FastFloat {
    /// Exact powers of ten, 10^0 ... 10^22; callers in hot loops hoist this out once.
    static let powersOfTen: [Double] = (0...22).map { pow(10.0, Double($0)) }
    /// 10^-k rounded to Double, for the latent fast path, whose result is only a Float32.
    static let inversePowersOfTen: [Double] = (0...22).map { 1 / pow(10.0, Double($0)) }

    /// 10^0 ... 10^16 as integers, for joining digit runs.
    static let integerPowersOfTen: [UInt64] = (0...16).map { exponent in (0..<exponent).reduce(1) { value, _ in value * 10 } }

    /// The run of ASCII digits at `i` (at most 8 of them) and its value, eight bytes at a time.
    ///
    /// SWAR: one unaligned 8-byte load; a byte is flagged when it is not a digit, and the flag of
    /// the first non-digit is exact (carries and borrows only move upwards, and the bytes below it
    /// are digits), so the trailing zero count gives the run length. The run's value is then three
    /// multiplies (the eight-digit reduction of fast_float/simdjson). Near the end of the buffer it
    /// falls back to a byte loop. O(1).
    @inline(__always)
    static func digitRun(_ base: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (count: Int, value: UInt64) {
        if end - i >= 8 {
            let word = loadWord(base + i)
            let count = leadingDigits(word)
            if count == 0 { return (0, 0) }
            // Keep the `count` low bytes (the digits), moved to the top so that the empty low bytes read as leading zeros.
            return (count, eightDigits((word &- 0x3030_3030_3030_3030) &<< UInt64(64 - 8 * count)))
        }
        var value: UInt64 = 0
        var k = i
        while k < end, base[k] &- 0x30 < 10 {
            value = value &* 10 &+ UInt64(base[k] &- 0x30)
            k += 1
        }
        return (k - i, value)
    }

    /// The run of ASCII digits at `i`, up to 16 of them: two independent 8-byte words (so their
    /// work overlaps), for the long fraction parts of latent values. Falls back to `digitRun`
    /// near the end of the buffer. O(1).
    @inline(__always)
    static func digitRun16(
        _ base: UnsafePointer<UInt8>, _ i: Int, _ end: Int,
        tens: UnsafePointer<UInt64>
    ) -> (count: Int, value: UInt64) {
        if end - i < 16 { return digitRun(base, i, end) }
        let first = loadWord(base + i)
        let second = loadWord(base + i + 8)
        let firstCount = leadingDigits(first)
        if firstCount < 8 {
            if firstCount == 0 { return (0, 0) }
            return (firstCount, eightDigits((first &- 0x3030_3030_3030_3030) &<< UInt64(64 - 8 * firstCount)))
        }
        // Branch-free from here: the length of the second run varies from value to value.
        let secondCount = leadingDigits(second)
        let high = eightDigits(first &- 0x3030_3030_3030_3030)
        let keep: UInt64 = secondCount == 0 ? 0 : ~0
        let low = eightDigits((second &- 0x3030_3030_3030_3030) &<< UInt64(64 - 8 * secondCount)) & keep
        return (8 + secondCount, high &* tens[secondCount] &+ low)
    }

    @inline(__always)
    static func loadWord(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
    }

    /// How many of the word's bytes, from the lowest, are ASCII digits (0...8).
    @inline(__always)
    static func leadingDigits(_ word: UInt64) -> Int {
        let flags = ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
        return flags.trailingZeroBitCount >> 3
    }

    /// The value of eight digit bytes (0...9 each, first digit in the lowest byte).
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt64 {
        var digits = (word &* 10) &+ (word &>> 8)
        digits =
            (((digits & 0x0000_00FF_0000_00FF) &* (100 + (1_000_000 << 32)))
                &+ (((digits &>> 16) & 0x0000_00FF_0000_00FF) &* (1 + (10_000 << 32)))) &>> 32
        return digits
    }

    enum Outcome: Equatable {
        case number(Double)
        case notANumber
        /// "nan", "inf", "-infinity": numbers, but not ones a latent may hold.
        case nonFinite
    }

    /// Parses `bytes[start..<end]` completely (surrounding spaces allowed).
    @inline(__always)
    static func parse(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Outcome {
        powersOfTen.withUnsafeBufferPointer { parse(base, start, end, powers: $0.baseAddress!) }
    }

    @inline(__always)
    static func parse(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, powers powersOfTen: UnsafePointer<Double>)
        -> Outcome
    {
        var i = start
        var stop = end
        while i < stop && (base[i] == 0x20 || base[i] == 0x09) { i += 1 }
        while stop > i && (base[stop - 1] == 0x20 || base[stop - 1] == 0x09) { stop -= 1 }
        if i == stop { return .notANumber }
        var negative = false
        if base[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        } else if base[i] == UInt8(ascii: "+") {
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        var truncated = false
        while i < stop, base[i] &- 0x30 < 10 {
            sawDigit = true
            if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(base[i] &- 0x30)
                if mantissa != 0 { digits += 1 }
            } else {
                exponent += 1
                truncated = true
            }
            i += 1
        }
        if i < stop && base[i] == UInt8(ascii: ".") {
            i += 1
            while i < stop, base[i] &- 0x30 < 10 {
                sawDigit = true
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(base[i] &- 0x30)
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else {
                    truncated = true
                }
                i += 1
            }
        }
        if !sawDigit { return nonFiniteOrNot(base, start, end) }
        if i < stop && (base[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < stop && base[i] == UInt8(ascii: "-") {
                expNegative = true
                i += 1
            } else if i < stop && base[i] == UInt8(ascii: "+") {
                i += 1
            }
            var e = 0
            var sawExpDigit = false
            while i < stop, base[i] &- 0x30 < 10 {
                sawExpDigit = true
                if e < 100_000 { e = e * 10 + Int(base[i] &- 0x30) }
                i += 1
            }
            if !sawExpDigit { return .notANumber }
            exponent += expNegative ? -e : e
        }
        if i != stop { return .notANumber }
        if mantissa == 0 { return .number(negative ? -0.0 : 0.0) }
        if !truncated && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            value = exponent < 0 ? value / powersOfTen[-exponent] : value * powersOfTen[exponent]
            return .number(negative ? -value : value)
        }
        return slowPath(base, start, end)
    }

    private static func slowPath(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Outcome {
        var buffer = [CChar](repeating: 0, count: end - start + 1)
        for k in 0..<(end - start) { buffer[k] = CChar(bitPattern: base[start + k]) }
        return buffer.withUnsafeBufferPointer { p -> Outcome in
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(p.baseAddress!, &endPointer)
            guard let endPointer else { return .notANumber }
            var rest = endPointer
            while rest.pointee == 0x20 || rest.pointee == 0x09 { rest += 1 }
            if rest.pointee != 0 { return .notANumber }
            return value.isFinite ? .number(value) : .nonFinite
        }
    }

    private static func nonFiniteOrNot(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Outcome {
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
            .trimmingCharacters(in: .whitespaces).lowercased()
        let bare = text.hasPrefix("-") || text.hasPrefix("+") ? String(text.dropFirst()) : text
        return ["nan", "inf", "infinity"].contains(bare) ? .nonFinite : .notANumber
    }
}
