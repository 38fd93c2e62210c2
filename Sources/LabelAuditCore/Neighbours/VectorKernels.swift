/// SIMD building blocks shared by the neighbour search and the models.
///
/// All loops read 16 floats at a time (`SIMD16<Float>`): on the baseline x86-64 target the
/// compiler lowers that to four SSE registers, with `LABELAUDIT_NATIVE=1` to two AVX registers
/// with FMA. The tail (count % 16) is handled with scalar code, so any dimension is correct.
public enum VectorKernels {
    /// Dot product of two `count`-long float runs. O(count).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
        while i + 32 <= count {
            acc0 += rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 += rawA.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            i += 32
        }
        while i + 16 <= count {
            acc0 += rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// `y += alpha * x` over `count` floats. O(count).
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        let rawX = UnsafeRawPointer(x), rawY = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i + 16 <= count {
            let v = rawY.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                + a * rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            rawY.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// Squared Euclidean distance. O(count).
    @inlinable
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
        while i + 16 <= count {
            let d = rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                - rawB.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc += d * d
            i += 16
        }
        var sum = acc.sum()
        while i < count {
            let d = a[i] - b[i]
            sum += d * d
            i += 1
        }
        return sum
    }
}

/// How many worker threads the parallel kernels use: all cores, at most 8.
public enum Parallelism {
    public static var workers: Int {
        max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
    }
}

import Foundation
import Dispatch

extension Parallelism {
    /// Runs `body(worker)` for each worker index on its own thread and waits for all.
    static func run(workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers <= 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: workers) { body($0) }
    }
}
