import Foundation
import LabelAuditCore

/// 64-bit FNV-1a over bytes, as hex: identifies dataset content for cache keys. Not
/// cryptographic; it only has to change when the data does. O(bytes).
public struct Fingerprint: Sendable {
    private var state: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        // 8 bytes at a time (FNV-1a over 64-bit words): the latents are megabytes.
        var h = state
        let words = bytes.count / 8
        for i in 0..<words {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0x0000_0100_0000_01B3
        }
        for i in (words * 8)..<bytes.count {
            h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01B3
        }
        state = h
    }

    public mutating func add(_ text: String) {
        var copy = text + "\u{1F}"
        copy.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    public mutating func add<T>(_ values: [T]) {
        values.withUnsafeBytes { add($0) }
        add("|\(values.count)")
    }

    public var hex: String { String(format: "%016llx", state) }

    /// Ids, row split and latents: what a neighbour graph depends on.
    public static func dataset(_ dataset: Dataset) -> String {
        var f = Fingerprint()
        for id in dataset.ids { f.add(id) }
        f.add("train=\(dataset.trainCount)")
        f.add(dataset.latents.values)
        return f.hex
    }
}
