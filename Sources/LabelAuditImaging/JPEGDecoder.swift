import CJPEG
import LabelAuditCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a picture could not be decoded. A value, never a crash or a line on stderr, so one bad
/// file in a dataset of thousands costs one placeholder, not the session.
public struct ImageDecodeError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The file could not be opened or read (the system's errno text).
        case unreadable(String)
        /// The file has zero bytes.
        case empty
        /// The bytes do not start like a JPEG (libjpeg's message).
        case notJPEG(String)
        /// A JPEG that libjpeg cannot finish: truncated or damaged (libjpeg's message).
        case corrupt(String)
        /// Refused before any pixel memory is allocated.
        case tooLarge(width: Int, height: Int)
        /// The path is a folder, a named pipe, a device or a socket ("a named pipe (FIFO)"):
        /// refused without reading, so a FIFO named like an image never blocks.
        case notRegularFile(String)
    }

    /// The file path, or `"(memory)"` for bytes decoded from memory.
    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    /// One line for people: what went wrong with which file and what to do about it.
    /// Text that came from the file is stripped of control characters.
    public var message: String {
        let name = TerminalSafeText.visible(path)
        switch kind {
        case .unreadable(let reason):
            return
                "\(name): cannot read the image (\(TerminalSafeText.visible(reason))); check that the file exists and is readable"
        case .empty:
            return "\(name): the image file is empty (0 bytes); replace it with the original JPEG"
        case .notJPEG(let reason):
            return "\(name): not a JPEG file (\(TerminalSafeText.visible(reason))); convert it to JPEG or fix the image path"
        case .corrupt(let reason):
            return "\(name): damaged JPEG (\(TerminalSafeText.visible(reason))); re-copy or re-export the file"
        case .notRegularFile(let kind):
            return "\(name): is \(kind), not an image file; name the JPEG file itself"
        case .tooLarge(let width, let height):
            return
                "\(name): image is \(width)x\(height) pixels, over the limit of \(JPEGDecoder.maximumSide) a side or \(JPEGDecoder.maximumPixels) pixels; downscale it first"
        }
    }

    public var description: String { message }

    /// sysexits.h: 66 (EX_NOINPUT) when the file is missing, unreadable or not a file; 65
    /// (EX_DATAERR) when its bytes are not a usable JPEG.
    public var exitCode: Int32 {
        switch kind {
        case .unreadable, .notRegularFile: return 66
        case .empty, .notJPEG, .corrupt, .tooLarge: return 65
        }
    }
}

/// Size and layout of a JPEG, read from its header only.
public struct JPEGInfo: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK.
    public let components: Int
    package let isProgressive: Bool
}

/// libjpeg(-turbo) decoding that asks the DCT for the smallest picture that is still big
/// enough: a 1024 px face shown in 80 sample columns decodes at 1/8 scale, about 20x less work
/// than a full decode.
public enum JPEGDecoder {
    /// Largest accepted side. Anything bigger is refused before allocation.
    package static let maximumSide = 16_384
    /// Largest accepted pixel count (width x height in the file).
    package static let maximumPixels = 100_000_000

    /// Reads the header only (no pixel memory).
    public static func info(data: [UInt8], path: String = "(memory)") throws(ImageDecodeError) -> JPEGInfo {
        if data.isEmpty { throw ImageDecodeError(path: path, kind: .empty) }
        var info = la_jpeg_info()
        var message = [CChar](repeating: 0, count: Int(LA_JPEG_MESSAGE_MAX))
        let status = data.withUnsafeBufferPointer { bytes in
            la_jpeg_read_info(bytes.baseAddress, bytes.count, &info, &message)
        }
        if status != 0 { throw failure(data: data, path: path, message: message) }
        return JPEGInfo(
            width: Int(info.width), height: Int(info.height),
            components: Int(info.components), isProgressive: info.progressive != 0)
    }

    /// Smallest DCT scale (1/8...1) whose output still covers `covering`, then the caller area-averages.
    public static func decode(path: String, covering: (width: Int, height: Int)? = nil) throws(ImageDecodeError) -> RGBImage {
        let data = try FileBytes.contents(of: path)
        return try decode(data: data, covering: covering, path: path)
    }

    /// Smallest DCT scale (1/8...1) whose output still covers `covering`, then the caller area-averages.
    public static func decode(data: [UInt8], covering: (width: Int, height: Int)? = nil) throws(ImageDecodeError) -> RGBImage {
        try decode(data: data, covering: covering, path: "(memory)")
    }

    /// The DCT scale numerator (over 8) that libjpeg should use so that its output is at least
    /// `covering` in both directions; 8 (full size) when nothing smaller covers it.
    package static func scaleNumerator(imageWidth: Int, imageHeight: Int, covering: (width: Int, height: Int)?) -> Int {
        guard let covering else { return 8 }
        for numerator in 1...8 {
            let width = (imageWidth * numerator + 7) / 8
            let height = (imageHeight * numerator + 7) / 8
            if width >= covering.width && height >= covering.height { return numerator }
        }
        return 8
    }

    static func decode(data: [UInt8], covering: (width: Int, height: Int)?, path: String) throws(ImageDecodeError) -> RGBImage {
        let header = try info(data: data, path: path)
        guard header.width > 0, header.height > 0,
            header.width <= maximumSide, header.height <= maximumSide,
            header.width * header.height <= maximumPixels
        else {
            throw ImageDecodeError(path: path, kind: .tooLarge(width: header.width, height: header.height))
        }
        let numerator = scaleNumerator(imageWidth: header.width, imageHeight: header.height, covering: covering)
        var message = [CChar](repeating: 0, count: Int(LA_JPEG_MESSAGE_MAX))
        var width: Int32 = 0
        var height: Int32 = 0
        let sized = data.withUnsafeBufferPointer { bytes in
            la_jpeg_scaled_size(bytes.baseAddress, bytes.count, Int32(numerator), &width, &height, &message)
        }
        if sized != 0 { throw failure(data: data, path: path, message: message) }
        let capacity = Int(width) * Int(height) * 3
        var status: Int32 = 0
        var warnings: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            status = data.withUnsafeBufferPointer { bytes in
                la_jpeg_decode_rgb(
                    bytes.baseAddress, bytes.count, Int32(numerator), Int32(maximumSide),
                    buffer.baseAddress, capacity, &width, &height, &warnings, &message)
            }
            // On failure the pixels are dropped (count 0) without touching the untouched pages.
            count = status == 0 ? capacity : 0
        }
        if status != 0 { throw failure(data: data, path: path, message: message) }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    private static func failure(data: [UInt8], path: String, message: [CChar]) -> ImageDecodeError {
        data.withUnsafeBufferPointer { failure(bytes: $0, path: path, message: message) }
    }

    static func failure(bytes data: UnsafeBufferPointer<UInt8>, path: String, message: [CChar]) -> ImageDecodeError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if data.isEmpty { return ImageDecodeError(path: path, kind: .empty) }
        if data.count < 2 || data[0] != 0xFF || data[1] != 0xD8 {
            return ImageDecodeError(path: path, kind: .notJPEG(text))
        }
        return ImageDecodeError(path: path, kind: .corrupt(text))
    }
}

/// Where a band decode landed in the picture.
package struct JPEGBandInfo: Sendable, Equatable {
    /// The DCT scale used, over 8.
    package let scaleNumerator: Int
    /// The whole picture at that scale.
    package let scaledWidth: Int
    package let scaledHeight: Int
    /// The band's top-left corner and size in the scaled picture.
    package let x: Int
    package let y: Int
    package let width: Int
    package let height: Int
}

/// Decodes only a band of a JPEG (the eye band, for the image model) at the smallest DCT scale
/// whose picture still covers a given size: rows above the band are skipped without IDCT or
/// colour conversion, columns beside it are not transformed, and decoding stops after its last
/// row, so a 1024 px face's eye band at 512 px costs about half of a full 1/2-scale decode.
///
/// One per worker thread, reused for every image: libjpeg's decompressor, the file buffer and
/// the pixel buffer are allocated once and grow when a bigger file comes. Not thread-safe.
package final class JPEGBandDecoder {
    private let decoder: OpaquePointer?
    private var fileBytes: [UInt8] = []
    private var fileCount = 0
    private var output: [UInt8] = []
    private var message = [CChar](repeating: 0, count: Int(LA_JPEG_MESSAGE_MAX))
    /// The last band decoded (valid with `withPixels` until the next decode).
    package private(set) var band: JPEGBandInfo?

    package init() {
        decoder = la_jpeg_decoder_create()
    }

    deinit {
        la_jpeg_decoder_destroy(decoder)
    }

    /// Decodes the region (fractions of width and height, edges rounded outwards) of the file at
    /// `path`, at the smallest DCT scale whose picture covers `covering` x `covering`.
    @discardableResult
    package func decode(path: String, region: EyeBand, covering: Int) throws(ImageDecodeError) -> JPEGBandInfo {
        band = nil
        fileCount = try FileBytes.load(path, into: &fileBytes)
        return try decodeLoaded(path: path, region: region, covering: covering)
    }

    /// The same from bytes in memory.
    @discardableResult
    package func decode(data: [UInt8], region: EyeBand, covering: Int) throws(ImageDecodeError) -> JPEGBandInfo {
        band = nil
        if fileBytes.count < data.count { fileBytes = [UInt8](repeating: 0, count: data.count) }
        fileBytes.withUnsafeMutableBufferPointer { dst in
            data.withUnsafeBufferPointer { src in
                if let from = src.baseAddress { dst.baseAddress!.update(from: from, count: src.count) }
            }
        }
        fileCount = data.count
        return try decodeLoaded(path: "(memory)", region: region, covering: covering)
    }

    private func decodeLoaded(path: String, region: EyeBand, covering: Int) throws(ImageDecodeError) -> JPEGBandInfo {
        if fileCount == 0 { throw ImageDecodeError(path: path, kind: .empty) }
        var info = la_jpeg_band()
        var warnings: Int32 = 0
        var status: Int32 = 3
        for _ in 0..<2 where status == 3 {
            status = fileBytes.withUnsafeBufferPointer { bytes in
                output.withUnsafeMutableBufferPointer { out in
                    la_jpeg_decode_band(
                        decoder, bytes.baseAddress, fileCount, Int32(JPEGDecoder.maximumSide),
                        Int32(covering), Int32(covering), region.x0, region.x1, region.y0, region.y1,
                        out.baseAddress, out.count, &info, &warnings, &message)
                }
            }
            if status == 3 {
                // The band is bigger than any before: grow once and decode again.
                output = [UInt8](repeating: 0, count: Int(info.width) * Int(info.height) * 3)
            }
        }
        if status == 2 {
            throw ImageDecodeError(path: path, kind: .tooLarge(width: Int(info.scaled_width), height: Int(info.scaled_height)))
        }
        if status != 0 {
            let bytes = fileBytes.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[0..<fileCount]) }
            throw JPEGDecoder.failure(bytes: bytes, path: path, message: message)
        }
        let decoded = JPEGBandInfo(
            scaleNumerator: Int(info.scale_num), scaledWidth: Int(info.scaled_width),
            scaledHeight: Int(info.scaled_height), x: Int(info.x), y: Int(info.y),
            width: Int(info.width), height: Int(info.height))
        band = decoded
        return decoded
    }

    /// The last band's pixels (interleaved RGB, `width * height * 3` bytes, rows without padding).
    package func withPixels<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let count = band.map { $0.width * $0.height * 3 } ?? 0
        return try output.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    /// The last band as its own picture (a copy).
    package var image: RGBImage? {
        guard let band else { return nil }
        return withPixels { RGBImage(width: band.width, height: band.height, pixels: Array($0)) }
    }
}

/// Whole-file reads with POSIX calls, so failures carry the errno text and no Foundation
/// start-up cost lands on the render path.
enum FileBytes {
    /// Only regular files are read (`InputFile`): a FIFO named like an image is refused without
    /// blocking, a device or folder without reading.
    static func contents(of path: String) throws(ImageDecodeError) -> [UInt8] {
        let descriptor: Int32
        do {
            descriptor = try InputFile.openRegular(path)
        } catch {
            if let kind = error.nonRegularKind { throw ImageDecodeError(path: path, kind: .notRegularFile(kind)) }
            throw ImageDecodeError(path: path, kind: .unreadable(error.systemReason ?? error.problem))
        }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) != 0 { throw ImageDecodeError(path: path, kind: .unreadable(errnoText())) }
        let expected = Int(status.st_size)
        if expected == 0 { throw ImageDecodeError(path: path, kind: .empty) }
        var failed: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
            var filled = 0
            while filled < expected {
                let got = read(descriptor, buffer.baseAddress! + filled, expected - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    failed = errno
                    break
                }
                if got == 0 { break }
                filled += got
            }
            count = filled
        }
        if failed != 0 { throw ImageDecodeError(path: path, kind: .unreadable(String(cString: strerror(failed)))) }
        if bytes.isEmpty { throw ImageDecodeError(path: path, kind: .empty) }
        return bytes
    }

    /// Reads the whole file into `buffer` (grown when too small, never shrunk); returns the
    /// byte count. The reuse keeps a worker that reads thousands of files from allocating.
    static func load(_ path: String, into buffer: inout [UInt8]) throws(ImageDecodeError) -> Int {
        // withCString: the path's own bytes (`open(path, ...)` copied it into a new array each call).
        // Non-blocking open then fstat, as `InputFile` does: a FIFO named like an image must
        // not block the worker forever.
        let descriptor = path.withCString { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        if descriptor < 0 { throw ImageDecodeError(path: path, kind: .unreadable(errnoText())) }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) != 0 { throw ImageDecodeError(path: path, kind: .unreadable(errnoText())) }
        if let kind = InputFile.nonRegularKind(status.st_mode) { throw ImageDecodeError(path: path, kind: .notRegularFile(kind)) }
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        let expected = Int(status.st_size)
        if expected == 0 { throw ImageDecodeError(path: path, kind: .empty) }
        if buffer.count < expected { buffer = [UInt8](repeating: 0, count: expected) }
        var failed: Int32 = 0
        let filled = buffer.withUnsafeMutableBufferPointer { out -> Int in
            var filled = 0
            while filled < expected {
                let got = read(descriptor, out.baseAddress! + filled, expected - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    failed = errno
                    break
                }
                if got == 0 { break }
                filled += got
            }
            return filled
        }
        if failed != 0 { throw ImageDecodeError(path: path, kind: .unreadable(String(cString: strerror(failed)))) }
        if filled == 0 { throw ImageDecodeError(path: path, kind: .empty) }
        return filled
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
