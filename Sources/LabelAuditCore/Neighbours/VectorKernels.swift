import Dispatch
import Foundation

/// SIMD building blocks shared by the neighbour search and the models.
///
/// All loops read 16 floats at a time (`SIMD16<Float>`): on the baseline x86-64 target the
/// compiler lowers that to four SSE registers, with `LABELAUDIT_NATIVE=1` to two AVX registers
/// with FMA. The tail (count % 16) is handled with scalar code, so any dimension is correct.
package enum VectorKernels {
    /// Dot product of two `count`-long float runs. O(count).
    @inlinable
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD16<Float>()
        var acc1 = SIMD16<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while i + 32 <= count {
            acc0 +=
                rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 +=
                rawA.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            i += 32
        }
        while i + 16 <= count {
            acc0 +=
                rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
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
    package static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        let rawX = UnsafeRawPointer(x)
        let rawY = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i + 16 <= count {
            let v =
                rawY.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                + a * rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            rawY.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// Dot products of four rows with one vector, sharing each load of `w`. O(4 * count).
    @inlinable
    package static func dot4(
        _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
        _ a3: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ count: Int
    ) -> SIMD4<Float> {
        // Eight-wide accumulators: four of them (eight SSE registers on the baseline target)
        // leave room for the loads; sixteen-wide ones spilled to the stack.
        var acc0 = SIMD8<Float>()
        var acc1 = SIMD8<Float>()
        var acc2 = SIMD8<Float>()
        var acc3 = SIMD8<Float>()
        let r0 = UnsafeRawPointer(a0)
        let r1 = UnsafeRawPointer(a1)
        let r2 = UnsafeRawPointer(a2)
        let r3 = UnsafeRawPointer(a3)
        let rw = UnsafeRawPointer(w)
        var i = 0
        while i + 8 <= count {
            let v = rw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc0 += r0.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * v
            acc1 += r1.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * v
            acc2 += r2.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * v
            acc3 += r3.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * v
            i += 8
        }
        var sums = SIMD4<Float>(acc0.sum(), acc1.sum(), acc2.sum(), acc3.sum())
        while i < count {
            sums += SIMD4<Float>(a0[i], a1[i], a2[i], a3[i]) * w[i]
            i += 1
        }
        return sums
    }

    /// `y += alpha[0] * x0 + ... + alpha[3] * x3`, one pass over `y`. O(4 * count).
    @inlinable
    package static func axpy4(
        _ alpha: SIMD4<Float>, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
        _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        let r0 = UnsafeRawPointer(x0)
        let r1 = UnsafeRawPointer(x1)
        let r2 = UnsafeRawPointer(x2)
        let r3 = UnsafeRawPointer(x3)
        let ry = UnsafeMutableRawPointer(y)
        let a0 = SIMD16<Float>(repeating: alpha[0])
        let a1 = SIMD16<Float>(repeating: alpha[1])
        let a2 = SIMD16<Float>(repeating: alpha[2])
        let a3 = SIMD16<Float>(repeating: alpha[3])
        var i = 0
        while i + 16 <= count {
            var v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            v += a0 * r0.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            v += a1 * r1.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            v += a2 * r2.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            v += a3 * r3.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            y[i] += alpha[0] * x0[i] + alpha[1] * x1[i] + alpha[2] * x2[i] + alpha[3] * x3[i]
            i += 1
        }
    }

    /// Squared Euclidean distance. O(count).
    @inlinable
    package static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while i + 16 <= count {
            let d =
                rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
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

extension Parallelism {
    /// Runs `body(worker)` for each worker index on its own thread and waits for all.
    package static func run(workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers <= 1 {
            body(0)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { body($0) }
    }
}
