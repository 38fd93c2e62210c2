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
    static func parse(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, powers powersOfTen: UnsafePointer<Double>) -> Outcome {
        var i = start
        var stop = end
        while i < stop && (base[i] == 0x20 || base[i] == 0x09) { i += 1 }
        while stop > i && (base[stop - 1] == 0x20 || base[stop - 1] == 0x09) { stop -= 1 }
        if i == stop { return .notANumber }
        var negative = false
        if base[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if base[i] == UInt8(ascii: "+") { i += 1 }
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
                exponent += 1; truncated = true
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
            if i < stop && base[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < stop && base[i] == UInt8(ascii: "+") { i += 1 }
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
