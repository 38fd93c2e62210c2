import Foundation
import LabelAuditCore
import LabelAuditStore
import TestSupport
import Testing

@testable import LabelAuditReport

/// `labelaudit export` as a user runs it: the built executable on a copy of the demo.
@Suite(.serialized) struct ExportCommandTests {
    /// A writable copy of the demo's CSV files (images stay where they are, via --images).
    func demoCopy() throws -> URL {
        let folder = try temporaryFolder()
        for name in ["train.csv", "test.csv"] {
            try FileManager.default.copyItem(at: Paths.demo.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    /// One cache file: every copy of the demo has the same fingerprint, so the latent model is
    /// fitted once.
    static let cache = Paths.testCache

    func export(_ folder: URL, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try run(
            try Paths.executable,
            [
                "export", folder.path, "--images", Paths.demo.appendingPathComponent("images").path, "--no-image",
                "--cache", Self.cache.path,
            ] + arguments)
    }

    @Test func askingForASubmissionExplainsWhyNot() throws {
        let folder = try demoCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try export(folder, ["--format", "submission", "--out", folder.appendingPathComponent("sub.csv").path])
        #expect(result.status == 64)
        #expect(
            result.err
                == "labelaudit: there is no submission format: the competition forbids hand-labeled submissions and the test set must never be labelled by a person, so labelaudit never writes one. Train your model on the corrected training labels (--format csv) and let it predict the test set.\n"
        )
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("sub.csv").path))
    }

    @Test func anUnknownFormatAndAnUnwritableOutAreRefused() throws {
        let folder = try demoCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let unknown = try export(folder, ["--format", "pdf\u{1B}[2J"])
        #expect(unknown.status == 64)
        #expect(unknown.err == "labelaudit: unknown format 'pdf': choose md, html, json or csv\n")
        let target = folder.appendingPathComponent("missing/report.html")
        let unwritable = try export(folder, ["--format", "html", "--out", target.path])
        #expect(unwritable.status == 73)
        #expect(
            unwritable.err
                == "labelaudit: cannot write the report to \(target.path): the folder \(folder.path)/missing does not exist. Nothing was written there; pass another file with --out.\n"
        )
        let stdoutCSV = try export(folder, ["--format", "csv", "--out", "-"])
        #expect(stdoutCSV.status == 64)
        #expect(stdoutCSV.err == "labelaudit: --format csv writes two files, so it needs --out FILE.csv (not -)\n")
    }

    @Test func aDatasetWithNoReviewsStillGetsAReport() throws {
        let folder = try demoCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("r.json")
        let result = try export(folder, ["--format", "json", "--out", out.path])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out == "wrote \(out.path)\n")
        #expect(
            result.err.contains(
                "labelaudit: warning: no audit database yet at \(folder.path)/labelaudit.sqlite: the report shows progress 0"))
        let data = try Data(contentsOf: out)
        #expect(ReportSchema.validate(data) == [])
        let report = try JSONDecoder().decode(AuditReport.self, from: data)
        #expect(report.progress.reviewed == 0 && report.noise.status == "model_based")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("labelaudit.sqlite").path))
    }

    @Test func verdictsAndASampleFromTheStoreReachTheCSVs() throws {
        let folder = try demoCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let demo = DemoFixture.shared
        let store = try AuditStore.open(at: folder.appendingPathComponent("labelaudit.sqlite"), testIDs: demo.testIDs)
        let wrong = demo.queue.first { demo.flipped.contains($0) }!
        try store.record(verdict: .labelWrong, item: wrong, reviewer: "ana", note: "no frames at all")
        let sample = try store.addAuditSample(count: 20, from: Array(demo.dataset.ids[0..<540]), reviewer: "ana", seed: 4)
        try store.close()
        let out = folder.appendingPathComponent("labels.csv")
        let result = try export(folder, ["--format", "csv", "--out", out.path])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out == "wrote \(out.path)\nwrote \(folder.path)/labels-issues.csv\n")
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        let row = demo.dataset.row(of: wrong)!
        let given = demo.dataset.labels[row]
        #expect(lines.contains("\(wrong),\(1 - given),\(given),ana"[...]))
        #expect(lines.count == 541)
        let md = folder.appendingPathComponent("report.md")
        let markdown = try export(folder, ["--format", "md", "--out", md.path])
        #expect(markdown.status == 0)
        // The face and its eye band, named by id.
        #expect(markdown.out == "wrote \(md.path) (+2 thumbnails)\n")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report-faces/\(wrong).jpg").path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report-faces/\(wrong)-eyes.jpg").path))
        let reviewedInSample = sample.contains(wrong) ? 1 : 0
        #expect(try String(contentsOf: md, encoding: .utf8).contains("random audit sample: \(reviewedInSample) of 20 reviewed"))
    }
}
