import Foundation
import LabelAuditCore
import LabelAuditImaging

/// The formats a report can be written in. There is deliberately no submission format: the
/// competition forbids hand-labeled submissions, and the test set is never labelled here.
public enum ReportFormat: String, Sendable, CaseIterable {
    case markdown = "md"
    case html
    case json
    case csv

    public var fileExtension: String { rawValue }
}

/// Why a report could not be written; the message names the file and says what to do.
public struct ReportWriteError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "cannot write the report to \(path): \(reason). Nothing was written there; pass another file with --out."
    }
}

/// Writes an `AuditReport` to files. Every file is written atomically (temporary file, then
/// rename), so a failure never leaves half a report.
public enum ReportWriter {
    /// The second CSV file (cleanlab-style issues) for a corrected-labels file `url`:
    /// `labels.csv` -> `labels-issues.csv`.
    public static func issuesURL(forLabels url: URL) -> URL {
        let ext = url.pathExtension
        let base = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent(base + "-issues" + (ext.isEmpty ? ".csv" : "." + ext))
    }

    /// The thumbnail folder beside a Markdown report: `report.md` -> `report-faces/`.
    package static func thumbnailFolder(forMarkdown url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(
            url.deletingPathExtension().lastPathComponent + "-faces", isDirectory: true)
    }

    /// Checks that `url` can be written (its folder exists and is writable, it is not a folder),
    /// before any work is done.
    public static func checkWritable(_ url: URL) throws(ReportWriteError) {
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ReportWriteError(path: url.path, reason: "it is a folder")
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportWriteError(path: url.path, reason: "the folder \(folder) does not exist")
        }
        if access(folder, W_OK | X_OK) != 0 {
            throw ReportWriteError(path: url.path, reason: "the folder \(folder) is not writable")
        }
        if FileManager.default.fileExists(atPath: url.path), access(url.path, W_OK) != 0 {
            throw ReportWriteError(path: url.path, reason: "the file is read-only")
        }
    }

    /// Writes the report; returns the files written (csv: labels and issues; md: the report and
    /// its thumbnails).
    @discardableResult
    public static func write(_ report: AuditReport, format: ReportFormat, to url: URL) throws(ReportWriteError) -> [URL] {
        try checkWritable(url)
        switch format {
        case .json:
            try save(Data(json(report).utf8), to: url)
            return [url]
        case .html:
            let faces = Thumbnails.make(for: report.confirmedErrors + report.badImages)
            try save(Data(HTMLReport.render(report, thumbnails: faces).utf8), to: url)
            return [url]
        case .markdown:
            let faces = Thumbnails.make(for: report.confirmedErrors + report.badImages)
            let folder = thumbnailFolder(forMarkdown: url)
            var written: [URL] = []
            var links = MarkdownReport.Links()
            if !faces.pictures.isEmpty || report.directionsPicture != nil {
                do {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                } catch {
                    throw ReportWriteError(path: folder.path, reason: "the thumbnail folder cannot be created")
                }
            }
            let idOfRow = Dictionary(
                (report.confirmedErrors + report.badImages).map { ($0.row, $0.id) }, uniquingKeysWith: { a, _ in a })
            // Links are relative, each path segment percent-encoded so a space cannot break them.
            func link(_ file: URL) -> String {
                [folder.lastPathComponent, file.lastPathComponent]
                    .map {
                        $0.addingPercentEncoding(
                            withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "()"))) ?? $0
                    }
                    .joined(separator: "/")
            }
            for (row, picture) in faces.pictures.sorted(by: { $0.key < $1.key }) {
                let id = idOfRow[row] ?? String(row)
                let face = folder.appendingPathComponent(Thumbnails.fileName(id: id, row: row, suffix: ""))
                let eyes = folder.appendingPathComponent(Thumbnails.fileName(id: id, row: row, suffix: "-eyes"))
                try save(Data(picture.face), to: face)
                try save(Data(picture.eyeBand), to: eyes)
                written += [face, eyes]
                links.faces[row] = (link(face), link(eyes))
            }
            if let picture = report.directionsPicture {
                let file = folder.appendingPathComponent("latent-directions.jpg")
                try save(Data(picture), to: file)
                written.append(file)
                links.directions = link(file)
            }
            links.failures = faces.failures
            try save(Data(MarkdownReport.render(report, links: links).utf8), to: url)
            return [url] + written
        case .csv:
            let issues = issuesURL(forLabels: url)
            try checkWritable(issues)
            try save(Data(CSVReport.correctedLabels(report).utf8), to: url)
            try save(Data(CSVReport.issues(report).utf8), to: issues)
            return [url, issues]
        }
    }

    /// The HTML report as text (faces embedded), e.g. for stdout.
    public static func html(_ report: AuditReport) -> String {
        HTMLReport.render(report, thumbnails: Thumbnails.make(for: report.confirmedErrors + report.badImages))
    }

    /// The Markdown report as text without thumbnails (they need a folder), e.g. for stdout.
    public static func markdown(_ report: AuditReport) -> String {
        MarkdownReport.render(report, links: MarkdownReport.Links())
    }

    /// The JSON report: pretty, key-sorted, exactly the `AuditReport` encoding.
    public static func json(_ report: AuditReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every Double in the report is finite by construction; a failure here is a bug.
        guard let data = try? encoder.encode(report) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func save(_ data: Data, to url: URL) throws(ReportWriteError) {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ReportWriteError(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}

/// The reported faces as JPEGs: the whole face small, and beside it the eye band (where faint
/// frames show) at `eyeBandWidth` pixels wide. Decoded at a reduced DCT scale that still covers
/// the band's width, area-averaged, re-encoded; on both cores.
enum Thumbnails {
    static let faceSide = 160
    /// At least 384 px, so a thin frame spans a few pixels.
    static let eyeBandWidth = 400

    struct Picture {
        var face: [UInt8]
        var eyeBand: [UInt8]
    }

    struct Batch {
        var pictures: [Int: Picture] = [:]
        /// Why a face has no thumbnail (no image file, unreadable).
        var failures: [Int: String] = [:]
    }

    static func make(for faces: [ReviewedFace]) -> Batch {
        var seen = Set<Int>()
        let unique = faces.filter { seen.insert($0.row).inserted }
        let paths = unique.map(\.imagePath)
        var results = [Result<Picture, ThumbnailFailure>?](repeating: nil, count: unique.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: unique.count) { i in
                shared.value[i] = thumbnail(paths[i])
            }
        }
        var set = Batch()
        for (face, result) in zip(unique, results) {
            switch result {
            case .success(let picture): set.pictures[face.row] = picture
            case .failure(let failure): set.failures[face.row] = failure.message
            case nil: break
            }
        }
        return set
    }

    struct ThumbnailFailure: Error {
        let message: String
    }

    static func thumbnail(_ path: String?) -> Result<Picture, ThumbnailFailure> {
        guard let path else { return .failure(ThumbnailFailure(message: "no image file")) }
        do {
            let band = EyeBand.standard
            // The band is (x1 - x0) of the width: decode large enough for it to cover eyeBandWidth.
            let needed = Int((Double(eyeBandWidth) / (band.x1 - band.x0)).rounded(.up))
            let image = try JPEGDecoder.decode(path: path, covering: (needed, needed))
            let scale = Double(faceSide) / Double(max(image.width, image.height))
            let width = max(1, Int((Double(image.width) * scale).rounded()))
            let height = max(1, Int((Double(image.height) * scale).rounded()))
            let face = try JPEGEncoder.encode(Resample.area(image, width: width, height: height), quality: 85)
            let region = band.region(width: image.width, height: image.height)
            let bandHeight = max(
                1, Int((Double(eyeBandWidth) * (region.y1 - region.y0) / max(1, region.x1 - region.x0)).rounded()))
            let eyes = try JPEGEncoder.encode(
                Resample.area(image, region: region, width: eyeBandWidth, height: bandHeight), quality: 88)
            return .success(Picture(face: face, eyeBand: eyes))
        } catch let error as ImageDecodeError {
            return .failure(ThumbnailFailure(message: error.message))
        } catch {
            return .failure(ThumbnailFailure(message: String(describing: error)))
        }
    }

    /// A file name for a face's id: the id itself when it is plain ([A-Za-z0-9._-], not
    /// starting with a dot), else the plain characters with the row appended so names stay
    /// unique. `suffix` "" for the face, "-eyes" for the eye band.
    static func fileName(id: String, row: Int, suffix: String) -> String {
        let plain = id.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0))
        }
        if plain, !id.isEmpty, !id.hasPrefix("."), id.count <= 100 { return "\(id)\(suffix).jpg" }
        let kept = String(
            id.unicodeScalars.filter { $0.isASCII && CharacterSet.alphanumerics.contains($0) }.prefix(40).map(Character.init))
        return "\(kept.isEmpty ? "face" : kept)-row\(row)\(suffix).jpg"
    }
}

/// Long notes (up to megabytes) are cut in reports; the database keeps them whole.
func shortened(_ text: String, limit: Int = 2000) -> String {
    text.count > limit ? String(text.prefix(limit)) + "… (\(text.count - limit) more characters)" : text
}

func formatted(_ value: Double?, digits: Int = 3) -> String {
    guard let value, value.isFinite else { return "–" }
    return String(format: "%.\(digits)f", value)
}
