import Foundation
import LabelAuditCore
import TestSupport
import Testing

@testable import LabelAuditImaging

/// A real face from the demo set (rimless glasses: fine detail on skin).
func demoFace(_ id: Int = 2) throws -> RGBImage {
    try JPEGDecoder.decode(path: Fixtures.repositoryRoot + "/Assets/demo/images/face-\(id).jpg")
}

@Suite("Pixel graphics: kitty and sixel encoders, decoded back")
struct GraphicsEncoderTests {
    @Test("kitty: base64 RGB in chunks of at most 4096, keys on the first chunk, the picture comes back exactly")
    func kittyRoundTrip() throws {
        let face = try demoFace()
        let bytes = KittyGraphics.place(face, imageID: 7, columns: 30, rows: 15, cell: PixelSize(width: 8, height: 16))
        let decoded = try KittyDecoder.decode(bytes)
        // 30x15 cells of 8x16 px = 240x240 px: the square face fills it.
        #expect(decoded.keys["a"] == "T" && decoded.keys["i"] == "7" && decoded.keys["q"] == "2" && decoded.keys["C"] == "1")
        #expect(decoded.keys["c"] == "30" && decoded.keys["r"] == "15")
        #expect(decoded.image.width == 240 && decoded.image.height == 240)
        #expect(decoded.chunkSizes.dropLast().allSatisfy { $0 == 4096 })
        #expect(decoded.chunkSizes.last! <= 4096 && decoded.chunkSizes.count == (240 * 240 * 3 * 4 / 3 + 4095) / 4096)
        // Raw RGB is lossless: the payload is the resampled picture, byte for byte.
        #expect(decoded.image == face.resampled(to: PixelSize(width: 240, height: 240)))
    }

    @Test("kitty: a wide region is fitted by width and covers only the rows it needs; delete frees the id")
    func kittyPlacement() throws {
        let face = try demoFace()
        let band = EyeBand.standard.region(width: face.width, height: face.height)
        let bytes = KittyGraphics.place(
            face, imageID: 9, columns: 100, rows: 30, cell: PixelSize(width: 10, height: 20), region: band)
        let decoded = try KittyDecoder.decode(bytes)
        // The band is 174 x 61 px of source: 1000 px wide, 61 * 1000 / 174 = 351 px tall -> 18 rows.
        #expect(decoded.image.width == 1000 && decoded.image.height == 351)
        #expect(decoded.keys["c"] == "100" && decoded.keys["r"] == "18")
        #expect(KittyGraphics.delete(imageID: 9) == Array("\u{1B}_Ga=d,d=I,i=9,q=2\u{1B}\\".utf8))
        #expect(KittyGraphics.place(face, imageID: 1, columns: 0, rows: 10).isEmpty)
    }

    /// Thresholds: measured SSIM 0.988 and PSNR 43.9 dB for this face at 240x240 (median cut +
    /// k-means, 256 registers, percent steps); the bars leave room for palette changes while
    /// still failing for a wrong band order, lost runs or a shifted palette (each of those
    /// drops SSIM below 0.9).
    @Test("sixel: a face decodes back close to the source (256 registers)")
    func sixelFace() throws {
        let face = try demoFace()
        let bytes = SixelEncoder.place(face, columns: 24, rows: 12, cell: PixelSize(width: 10, height: 20))
        #expect(bytes.starts(with: Array("\u{1B}P9;1;0q\"1;1;240;240".utf8)))
        #expect(bytes.suffix(2) == [0x1B, UInt8(ascii: "\\")])
        let decoded = try SixelDecoder.decode(bytes)
        #expect(decoded.image.width == 240 && decoded.image.height == 240)
        #expect(decoded.registersDefined <= 256)
        let reference = face.resampled(to: PixelSize(width: 240, height: 240))
        let ssim = Similarity.ssim(reference, decoded.image)
        let psnr = Similarity.psnr(reference, decoded.image)
        #expect(ssim >= 0.97 && psnr >= 35)
    }

    /// Measured: plain SSIM 0.960 / PSNR 35.3 dB, Floyd-Steinberg 0.805 / 31.9 dB: error
    /// diffusion scores worse pixel by pixel on a smooth face, so it is not the default.
    @Test("sixel: 16 registers (a VT340) still draw a recognisable face; dithering is optional and not better")
    func sixelSixteen() throws {
        let face = try demoFace()
        let reference = face.resampled(to: PixelSize(width: 240, height: 240))
        let plain = try SixelDecoder.decode(SixelEncoder.encode(reference, maxColors: 16))
        let dithered = try SixelDecoder.decode(SixelEncoder.encode(reference, maxColors: 16, dither: true))
        #expect(plain.registersDefined <= 16 && dithered.registersDefined <= 16)
        let plainScores = (Similarity.ssim(reference, plain.image), Similarity.psnr(reference, plain.image))
        let ditheredScores = (Similarity.ssim(reference, dithered.image), Similarity.psnr(reference, dithered.image))
        #expect(plainScores.0 >= 0.93 && plainScores.1 >= 32)
        #expect(ditheredScores.1 >= 28 && ditheredScores.0 < plainScores.0)
    }

    @Test("sixel: bands of 6 rows, run-length coded, height kept within the cell box")
    func sixelStructure() throws {
        // Left half red, right half blue, 60 x 13: two bands plus one partial.
        let image = Fixtures.painted(width: 60, height: 13) { x, _ in x < 30 ? (255, 0, 0) : (0, 0, 255) }
        let bytes = SixelEncoder.encode(image)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("!30~"))  // 30 full columns in one repeat
        #expect(text.filter { $0 == "-" }.count == 2)
        let decoded = try SixelDecoder.decode(bytes)
        #expect(decoded.image == image)
        // Placed in a box: the height is a multiple of 6 and never exceeds the box.
        let placement = PixelPlacement.fitting(
            source: PixelSize(width: 100, height: 100), columns: 3, rows: 2,
            cell: PixelSize(width: 7, height: 15), heightMultiple: 6)
        #expect(placement.pixels.height % 6 == 0 && placement.pixels.height <= 30 && placement.pixels.width <= 21)
        #expect(placement.columns <= 3 && placement.rows <= 2)
    }

    @Test("sixel: a flat picture needs one register and stays exact")
    func sixelFlat() throws {
        let image = RGBImage(width: 50, height: 12, fill: (51, 102, 153))
        let decoded = try SixelDecoder.decode(SixelEncoder.encode(image))
        #expect(decoded.registersDefined == 1)
        #expect(decoded.image == image)
    }
}

@Suite("Terminal replies about graphics")
struct GraphicsSupportTests {
    @Test("xterm -ti vt340: sixel from device attributes, registers, cell and window size")
    func xtermReplies() {
        let replies = "\u{1B}[?1;0;1024S\u{1B}[6;20;10t\u{1B}[4;480;800t\u{1B}[?63;1;2;4;6;9;15;16;22;28;29c"
        let support = GraphicsSupport.reading(Array(replies.utf8))
        #expect(support.sixel && !support.kitty && support.complete)
        #expect(support.sixelColorRegisters == 1024)
        #expect(support.cellPixels == PixelSize(width: 10, height: 20))
        #expect(support.windowPixels == PixelSize(width: 800, height: 480))
        #expect(support.preferred == .sixel)
    }

    @Test("kitty: OK to our query id (ST or BEL), mixed with keys typed meanwhile; other ids and errors are not support")
    func kittyReplies() {
        let id = GraphicsProbe.kittyQueryID
        let ok = GraphicsSupport.reading(Array("jk\u{1B}_Gi=\(id);OK\u{1B}\\q\u{1B}[?62;22c".utf8))
        #expect(ok.kitty && !ok.sixel && ok.complete && ok.preferred == .kitty)
        #expect(GraphicsSupport.reading(Array("\u{1B}_Gi=\(id);OK\u{07}".utf8)).kitty)
        let otherID = GraphicsSupport.reading(Array("\u{1B}_Gi=1;OK\u{1B}\\\u{1B}[?62c".utf8))
        #expect(!otherID.kitty)
        let refused = GraphicsSupport.reading(Array("\u{1B}_Gi=\(id);ENOTSUPPORTED:no\u{1B}\\".utf8))
        #expect(!refused.kitty && refused.kittyError == "ENOTSUPPORTED:no")
    }

    @Test("no graphics: plain device attributes, tmux's own answer, nothing at all, cut-off replies")
    func noGraphics() {
        #expect(GraphicsSupport.reading(Array("\u{1B}[?1;2c".utf8)).preferred == nil)  // tmux 3.3
        #expect(GraphicsSupport.reading(Array("\u{1B}[?1;2c".utf8)).complete)
        #expect(GraphicsSupport.reading([]) == GraphicsSupport())
        #expect(!GraphicsSupport.reading(Array("\u{1B}[?63;4".utf8)).sixel)  // not complete yet
        // Attribute 4 must be an attribute, not the class (a VT420's 64 is not 4).
        #expect(!GraphicsSupport.reading(Array("\u{1B}[?4;1c".utf8)).sixel)
        #expect(!GraphicsSupport.reading(Array("\u{1B}[?64;14;1c".utf8)).sixel)
        // Malformed sizes are ignored.
        #expect(GraphicsSupport.reading(Array("\u{1B}[6;0;10t\u{1B}[6;x;3t".utf8)).cellPixels == nil)
        // XTSMGRAPHICS failure status is not a register count.
        #expect(GraphicsSupport.reading(Array("\u{1B}[?1;3;0S".utf8)).sixelColorRegisters == nil)
    }

    @Test("absorbing replies in pieces gives the same answer as all at once")
    func incremental() {
        var support = GraphicsSupport()
        support.absorb(Array("\u{1B}[6;18;9t".utf8))
        #expect(!support.complete)
        support.absorb(Array("\u{1B}[?65;4c".utf8))
        #expect(support.complete && support.sixel && support.cellSize(columns: 80, rows: 24) == PixelSize(width: 9, height: 18))
        var windowOnly = GraphicsSupport()
        windowOnly.windowPixels = PixelSize(width: 800, height: 480)
        #expect(windowOnly.cellSize(columns: 80, rows: 24) == PixelSize(width: 10, height: 20))
    }

    @Test("queries: kitty first, device attributes last; tmux passthrough doubles every ESC")
    func queries() {
        let queries = GraphicsProbe.queries
        #expect(queries.starts(with: Array("\u{1B}_Gi=\(GraphicsProbe.kittyQueryID),".utf8)))
        #expect(queries.suffix(3) == Array("\u{1B}[c".utf8))
        #expect(TmuxPassthrough.wrap(Array("\u{1B}[c".utf8)) == Array("\u{1B}Ptmux;\u{1B}\u{1B}[c\u{1B}\\".utf8))
    }
}

@Suite("The original picture on demand")
struct OriginalImageTests {
    @Test("OSC 52 carries the path as base64; inside tmux it is wrapped for passthrough")
    func clipboard() {
        let path = "/data/faces/face-30.jpg"
        let encoded = Data(path.utf8).base64EncodedString()
        #expect(OriginalImage.clipboardSequence(path) == Array("\u{1B}]52;c;\(encoded)\u{1B}\\".utf8))
        #expect(
            OriginalImage.clipboardSequence(path, tmuxPassthrough: true)
                == Array("\u{1B}Ptmux;\u{1B}\u{1B}]52;c;\(encoded)\u{1B}\u{1B}\\\u{1B}\\".utf8))
        // A hostile file name cannot end the sequence early: base64 has no control bytes.
        let hostile = OriginalImage.clipboardSequence("a\u{07}b\u{1B}]0;pwned\u{07}.jpg")
        #expect(hostile.dropFirst(7).dropLast(2).allSatisfy { $0 >= 0x20 && $0 < 0x7F })
    }

    @Test("the viewer: LABELAUDIT_VIEWER, else xdg-open with a display, else the path to show")
    func viewerChoice() {
        #expect(OriginalImage.viewerCommand(environment: ["LABELAUDIT_VIEWER": "feh -F", "DISPLAY": ":0"]) == ["feh", "-F"])
        #expect(OriginalImage.viewerCommand(environment: ["DISPLAY": ":0"]) == ["xdg-open"])
        #expect(OriginalImage.viewerCommand(environment: ["WAYLAND_DISPLAY": "wayland-0"]) == ["xdg-open"])
        #expect(OriginalImage.viewerCommand(environment: ["DISPLAY": ""]) == nil)
        #expect(OriginalImage.open(path: "/x/face-1.jpg", environment: [:]) == .noDisplay(path: "/x/face-1.jpg"))
        if case .noDisplay(let shown) = OriginalImage.open(path: "-face.jpg", environment: [:]) {
            #expect(shown.hasPrefix("/") && shown.hasSuffix("/-face.jpg"))
        } else {
            Issue.record("expected noDisplay")
        }
    }

    @Test("the viewer is started detached with the absolute path, and open never waits for it")
    func viewerStarts() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let record = folder.path + "/args"
        let script = try folder.file(
            "viewer.sh", bytes: Array("#!/bin/sh\necho \"$@\" > \(record).tmp; mv \(record).tmp \(record); sleep 5\n".utf8))
        chmod(script, 0o755)
        let start = Date()
        let outcome = OriginalImage.open(path: "/data/face 30.jpg", environment: ["LABELAUDIT_VIEWER": script])
        #expect(Date().timeIntervalSince(start) < 0.5)
        guard case .opened(let program, let pid) = outcome else {
            Issue.record("not opened: \(outcome)")
            return
        }
        #expect(program == script && pid > 0)
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: record) && Date() < deadline { usleep(20_000) }
        #expect((try? String(contentsOfFile: record, encoding: .utf8)) == "/data/face 30.jpg\n")
        // Its own session: not in ours, so the app's terminal signals never reach it.
        #expect(getsid(pid) == pid)
        kill(pid, SIGTERM)
        let missing = OriginalImage.open(path: "/x.jpg", environment: ["LABELAUDIT_VIEWER": "/nonexistent/viewer"])
        #expect(missing == .failed(program: "/nonexistent/viewer", reason: "No such file or directory", path: "/x.jpg"))
    }
}

@Suite("Sixel palette search")
struct SixelSearchTests {
    @Test("the pruned nearest-entry search gives the full scan's answer")
    func prunedSearch() {
        var random = SplitMix64(seed: 3)
        for size in [1, 2, 16, 255] {
            let palette = (0..<size).map { _ in
                SIMD3<Float>(
                    Float.random(in: 0...255, using: &random), Float(Int.random(in: 0...25, using: &random) * 10),
                    Float.random(in: 0...255, using: &random))
            }
            let search = SixelEncoder.NearestSearch(palette)
            for _ in 0..<500 {
                let colour = SIMD3<Float>(
                    Float.random(in: 0...255, using: &random), Float.random(in: 0...255, using: &random),
                    Float.random(in: 0...255, using: &random))
                #expect(search.nearest(colour) == SixelEncoder.nearestIndex(colour, palette))
            }
        }
    }
}
