import Foundation
import LabelAuditCore
import LabelAuditImaging

/// A small deterministic dataset for tests and `labelaudit review-demo`: faces with noisy
/// labels, two model runs, latents clustered by the true class, and procedural pictures
/// drawn with half blocks (a stand-in for the JPEG renderer, which lives in another module).
public enum SampleFaces {
    /// `count` faces, the last tenth of them test faces. Same seed, same faces.
    public static func make(count: Int = 60, seed: UInt64 = 7) -> [InMemoryReviewBackend.Face] {
        var generator = SplitMix64(seed: seed)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
        func gaussian() -> Double {
            let u1 = max(1e-12, uniform()), u2 = uniform()
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        let testStart = count - max(1, count / 10)
        var faces: [InMemoryReviewBackend.Face] = []
        for index in 0..<count {
            let id = String(index + 1)
            let wearsGlasses = uniform() < 0.64
            let isTest = index >= testStart
            let flipped = !isTest && uniform() < 0.12
            let label: UInt8? = isTest ? nil : ((wearsGlasses != flipped) ? 1 : 0)
            let centre: Float = wearsGlasses ? 1 : -1
            let latent = (0..<16).map { dimension in
                Float(gaussian()) * 0.8 + (dimension < 4 ? centre : 0)
            }
            let margin = Double(latent[0..<4].reduce(0, +))
            let latentRun = 1 / (1 + exp(-margin * 0.9))
            let imageRun = 1 / (1 + exp(-(wearsGlasses ? 2.5 : -2.5) - gaussian()))
            let skin = (0.55 + 0.35 * uniform(), 0.4 + 0.25 * uniform(), 0.3 + 0.2 * uniform())
            let backdrop = (uniform(), uniform(), uniform())
            let frame = wearsGlasses ? (0.05 + 0.3 * uniform()) : -1
            faces.append(InMemoryReviewBackend.Face(
                id: id, split: isTest ? .test : .train, label: label,
                runs: [RunProbability(run: "latent-logreg", probability: latentRun),
                       RunProbability(run: "image-features", probability: imageRun)],
                latent: latent, imageName: "face-\(id).jpg",
                picture: { columns, rows, zoomed in
                    picture(columns: columns, rows: rows, zoomed: zoomed, skin: skin, backdrop: backdrop, frame: frame)
                }))
        }
        return faces
    }

    /// A square picture fitting `columns` x `rows` cells (two pixels per cell, upper half block).
    static func picture(columns: Int, rows: Int, zoomed: Bool, skin: (Double, Double, Double),
                        backdrop: (Double, Double, Double), frame: Double) -> CellPicture? {
        let side = min(rows, columns / 2)
        guard side > 0 else { return nil }
        let pictureColumns = side * 2, pictureRows = side
        var cells: [GlyphCell] = []
        cells.reserveCapacity(pictureColumns * pictureRows)
        func colour(_ x: Double, _ y: Double) -> TerminalColor {
            var (xx, yy) = (x, y)
            if zoomed { (xx, yy) = (0.15 + x * 0.7, 0.3 + y * 0.25) }
            var rgb = backdrop
            let dx = (xx - 0.5) / 0.32, dy = (yy - 0.52) / 0.42
            if dx * dx + dy * dy < 1 { rgb = skin }
            for eyeX in [0.38, 0.62] {
                let ex = (xx - eyeX) / 0.05, ey = (yy - 0.42) / 0.025
                if ex * ex + ey * ey < 1 { rgb = (0.1, 0.1, 0.12) }
                if frame >= 0 {
                    let fx = (xx - eyeX) / 0.09, fy = (yy - 0.42) / 0.06
                    let ring = fx * fx + fy * fy
                    if ring < 1.0, ring > 0.55 { rgb = (frame, frame, frame) }
                }
            }
            let mx = (xx - 0.5) / 0.1, my = (yy - 0.66) / 0.025
            if mx * mx + my * my < 1 { rgb = (0.6, 0.2, 0.2) }
            return .rgb(UInt8(rgb.0 * 255), UInt8(rgb.1 * 255), UInt8(rgb.2 * 255))
        }
        for row in 0..<pictureRows {
            for column in 0..<pictureColumns {
                let x = (Double(column) + 0.5) / Double(pictureColumns)
                let top = (Double(row * 2) + 0.5) / Double(pictureRows * 2)
                let bottom = (Double(row * 2 + 1) + 0.5) / Double(pictureRows * 2)
                cells.append(GlyphCell(glyph: "\u{2580}", foreground: colour(x, top), background: colour(x, bottom)))
            }
        }
        return CellPicture(columns: pictureColumns, rows: pictureRows, cells: cells)
    }
}
