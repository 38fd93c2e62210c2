import CJPEG

/// Why an encode failed, with libjpeg's own words.
public struct JPEGEncodeError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "JPEG encoding failed: \(message)" }
}

/// Writes JPEG with libjpeg(-turbo), baseline, 4:2:0, islow DCT: the same bytes on every run.
public enum JPEGEncoder {
    public static func encode(_ image: RGBImage, quality: Int = 90) throws(JPEGEncodeError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: Int(LA_JPEG_MESSAGE_MAX))
        let status = image.pixels.withUnsafeBufferPointer { px in
            la_jpeg_encode_rgb(px.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &out, &size, &message)
        }
        guard status == 0, let out else {
            throw JPEGEncodeError(
                message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { la_jpeg_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
