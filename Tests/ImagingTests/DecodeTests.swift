import Foundation
import TestSupport
import Testing

@testable import LabelAuditImaging

@Suite("JPEG decoding")
struct DecodeTests {
    @Test("a baseline JPEG decodes at full size with its colours")
    func decodesBaseline() throws {
        let source = Fixtures.gradient(width: 64, height: 48)
        let image = try JPEGDecoder.decode(data: try JPEGEncoder.encode(source, quality: 95))
        #expect(image.width == 64 && image.height == 48)
        for (x, y) in [(0, 0), (63, 0), (32, 24), (10, 40)] {
            #expect(Fixtures.close(Fixtures.pixel(image, x, y), Fixtures.pixel(source, x, y), tolerance: 12))
        }
    }

    @Test("the smallest DCT scale that still covers the request is used")
    func choosesSmallestCoveringScale() throws {
        let bytes = try JPEGEncoder.encode(Fixtures.gradient(width: 1024, height: 1024), quality: 80)
        #expect(try JPEGDecoder.decode(data: bytes, covering: (100, 100)).width == 128)
        #expect(try JPEGDecoder.decode(data: bytes, covering: (129, 10)).width == 256)
        #expect(try JPEGDecoder.decode(data: bytes, covering: (700, 700)).width == 768)
        #expect(try JPEGDecoder.decode(data: bytes, covering: (2000, 2000)).width == 1024)
        #expect(try JPEGDecoder.decode(data: bytes).width == 1024)
        // libjpeg rounds scaled sizes up: 1000 x 500 at 1/8 is 125 x 63.
        #expect(JPEGDecoder.scaleNumerator(imageWidth: 1000, imageHeight: 500, covering: (125, 63)) == 1)
        #expect(JPEGDecoder.scaleNumerator(imageWidth: 1000, imageHeight: 500, covering: (126, 63)) == 2)
        #expect(JPEGDecoder.scaleNumerator(imageWidth: 1000, imageHeight: 500, covering: (125, 64)) == 2)
    }

    @Test("grayscale, progressive and Adobe CMYK JPEGs come out as RGB")
    func decodesOtherLayouts() throws {
        let gray = try JPEGDecoder.decode(path: Fixtures.path("gray.jpg"))
        #expect(gray.width == 32 && gray.height == 32)
        #expect(Fixtures.close(Fixtures.pixel(gray, 5, 5), (100, 100, 100), tolerance: 3))
        #expect(Fixtures.close(Fixtures.pixel(gray, 5, 28), (200, 200, 200), tolerance: 3))

        let progressive = try JPEGDecoder.decode(path: Fixtures.path("progressive.jpg"))
        #expect(
            try JPEGDecoder.info(data: Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path("progressive.jpg")))))
                .isProgressive)
        #expect(Fixtures.close(Fixtures.pixel(progressive, 5, 5), (200, 30, 30), tolerance: 14))
        #expect(Fixtures.close(Fixtures.pixel(progressive, 5, 28), (30, 160, 60), tolerance: 14))

        let cmyk = try JPEGDecoder.decode(path: Fixtures.path("cmyk.jpg"))
        #expect(
            try JPEGDecoder.info(data: Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path("cmyk.jpg"))))).components == 4)
        #expect(Fixtures.close(Fixtures.pixel(cmyk, 5, 5), (200, 30, 30), tolerance: 14))
        #expect(Fixtures.close(Fixtures.pixel(cmyk, 5, 28), (30, 160, 60), tolerance: 14))
    }

    @Test("a zero-byte file is .empty, with a message naming the file")
    func emptyFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.file("face.jpg", bytes: [])
        #expect(throws: ImageDecodeError(path: path, kind: .empty)) { try JPEGDecoder.decode(path: path) }
        #expect(
            ImageDecodeError(path: path, kind: .empty).message
                == "\(path): the image file is empty (0 bytes); replace it with the original JPEG")
        #expect(throws: ImageDecodeError(path: "(memory)", kind: .empty)) { try JPEGDecoder.decode(data: []) }
    }

    @Test("a PNG named .jpg is .notJPEG with libjpeg's message")
    func notAJPEG() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        let path = try folder.file("face.jpg", bytes: png)
        let expected = ImageDecodeError(path: path, kind: .notJPEG("Not a JPEG file: starts with 0x89 0x50"))
        #expect(throws: expected) { try JPEGDecoder.decode(path: path) }
        #expect(
            expected.message
                == "\(path): not a JPEG file (Not a JPEG file: starts with 0x89 0x50); convert it to JPEG or fix the image path")
    }

    @Test("a truncated JPEG is .corrupt with libjpeg's message, not a grey-padded picture")
    func truncatedFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let whole = try JPEGEncoder.encode(Fixtures.gradient(width: 256, height: 256), quality: 90)
        let path = try folder.file("face.jpg", bytes: Array(whole.prefix(whole.count / 2)))
        let expected = ImageDecodeError(path: path, kind: .corrupt("Premature end of JPEG file"))
        #expect(throws: expected) { try JPEGDecoder.decode(path: path) }
        #expect(throws: expected) { try JPEGDecoder.decode(path: path, covering: (16, 16)) }
        #expect(expected.message == "\(path): damaged JPEG (Premature end of JPEG file); re-copy or re-export the file")
    }

    @Test("absurd dimensions are refused from the header, before any pixel memory")
    func absurdDimensions() throws {
        let bytes = try Fixtures.headerOnlyJPEG(width: 65000, height: 65000)
        let before = residentBytes()
        #expect(throws: ImageDecodeError(path: "(memory)", kind: .tooLarge(width: 65000, height: 65000))) {
            try JPEGDecoder.decode(data: bytes)
        }
        // 65000 x 65000 x 3 would be 12 GB; nothing near that may have been touched.
        #expect(residentBytes() - before < 64 << 20)
        #expect(
            ImageDecodeError(path: "a.jpg", kind: .tooLarge(width: 65000, height: 65000)).message
                == "a.jpg: image is 65000x65000 pixels, over the limit of 16384 a side or 100000000 pixels; downscale it first")
        #expect(throws: ImageDecodeError(path: "(memory)", kind: .tooLarge(width: 16000, height: 16000))) {
            try JPEGDecoder.decode(data: try Fixtures.headerOnlyJPEG(width: 16000, height: 16000))
        }
    }

    @Test("a missing file is .unreadable with the system's reason; a folder, FIFO or device is refused unread")
    func unreadable() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = folder.path + "/nope.jpg"
        #expect(throws: ImageDecodeError(path: missing, kind: .unreadable("No such file or directory"))) {
            try JPEGDecoder.decode(path: missing)
        }
        #expect(throws: ImageDecodeError(path: folder.path, kind: .notRegularFile("a folder"))) {
            try JPEGDecoder.decode(path: folder.path)
        }
        // A FIFO named like an image: refused at once, never waiting for a writer.
        let fifo = folder.path + "/face-1.jpg"
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = Date()
        #expect(throws: ImageDecodeError(path: fifo, kind: .notRegularFile("a named pipe (FIFO)"))) {
            try JPEGDecoder.decode(path: fifo)
        }
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(throws: ImageDecodeError(path: "/dev/zero", kind: .notRegularFile("a character device"))) {
            try JPEGDecoder.decode(path: "/dev/zero")
        }
        #expect(ImageDecodeError(path: fifo, kind: .notRegularFile("a named pipe (FIFO)")).exitCode == 66)
        #expect(ImageDecodeError(path: missing, kind: .unreadable("No such file or directory")).exitCode == 66)
    }

    @Test("control characters in a path never reach the message raw")
    func messageIsSanitised() {
        let error = ImageDecodeError(path: "evil\u{1B}[2J.jpg", kind: .corrupt("bad\u{07}"))
        #expect(error.message == "evil?[2J.jpg: damaged JPEG (bad?); re-copy or re-export the file")
    }

    @Test("no decode failure writes to stderr")
    func nothingOnStandardError() throws {
        let whole = try JPEGEncoder.encode(Fixtures.gradient(width: 128, height: 128), quality: 90)
        var withExtraneousBytes = whole
        // Garbage between the header and the scan makes libjpeg warn ("extraneous bytes").
        if let sos = (2..<(whole.count - 1)).first(where: { whole[$0] == 0xFF && whole[$0 + 1] == 0xDA }) {
            withExtraneousBytes.insert(contentsOf: [0x00, 0x11, 0x22], at: sos)
        }
        let written = try capturingStandardError {
            _ = try? JPEGDecoder.decode(data: Array(whole.prefix(300)))
            _ = try? JPEGDecoder.decode(data: Array(whole.prefix(whole.count - 40)))
            _ = try? JPEGDecoder.decode(data: [0x89, 0x50, 0x4E, 0x47])
            _ = try? JPEGDecoder.decode(data: try Fixtures.headerOnlyJPEG(width: 65000, height: 65000))
            _ = try JPEGDecoder.decode(data: withExtraneousBytes)
        }
        #expect(written == "")
    }

    @Test("the render command prints only its own one-line message for a truncated file")
    func executableStandardError() throws {
        let executable = try LabelAuditExecutable.path
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let whole = try JPEGEncoder.encode(Fixtures.gradient(width: 256, height: 256), quality: 90)
        let path = try folder.file("cut.jpg", bytes: Array(whole.prefix(whole.count / 3)))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["render", path, "--colors", "truecolor"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 65)  // EX_DATAERR: the bytes are not a usable JPEG
        #expect(stdout.isEmpty)
        #expect(
            stderr == "labelaudit render: \(path): damaged JPEG (Premature end of JPEG file); re-copy or re-export the file\n")
    }
}
