import Foundation
import LabelAuditCore
import LabelAuditImaging
import LabelAuditStore
import TestSupport
import Testing

@testable import LabelAuditReport

@Suite struct ReportWriterTests {
    let demo = DemoFixture.shared
    static let hostileNote =
        "<script>alert(1)</script>\u{1B}]0;owned\u{07}\u{1B}[2J & \"quotes\" | pipe\u{202E}reversed\u{0}nul\nsecond line ' OR 1=1; --"

    /// Reviews with hostile text: the first 6 flipped faces of the queue confirmed wrong, plus
    /// a few OK, by two reviewers; one reviewer name carries markup.
    func hostileReport() throws -> AuditReport {
        let errors = demo.queue.filter { demo.flipped.contains($0) }.prefix(6)
        let oks = demo.queue.filter { !demo.flipped.contains($0) }.prefix(4)
        var states: [ReviewerState] = []
        for id in errors {
            states.append(.verdict(.labelWrong, id, by: "ana", note: Self.hostileNote, tags: ["<b>faint</b>", "a|b"]))
            states.append(.verdict(.labelWrong, id, by: "<img src=x onerror=alert(2)>"))
        }
        for id in oks { states.append(.verdict(.labelOK, id, by: "ana")) }
        return AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot(states: states))
    }

    @Test func theJSONExportValidatesAgainstTheDocumentedSchema() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("report.json")
        for report in [
            try hostileReport(), AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot()),
        ] {
            try ReportWriter.write(report, format: .json, to: url)
            let data = try Data(contentsOf: url)
            #expect(ReportSchema.validate(data) == [])
            // It round-trips into the same value (the CSV rows are not part of the JSON).
            var decoded = try JSONDecoder().decode(AuditReport.self, from: data)
            decoded.labelRows = report.labelRows
            decoded.directionsPicture = report.directionsPicture
            #expect(decoded == report)
        }
        // The schema shipped in Docs is the one the code validates with.
        let documented = try String(contentsOf: Paths.root.appendingPathComponent("Docs/report.schema.json"), encoding: .utf8)
        #expect(
            documented.trimmingCharacters(in: .whitespacesAndNewlines)
                == ReportSchema.json.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func theValidatorCatchesWhatTheSchemaForbids() throws {
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(ReportWriter.json(try hostileReport()).utf8)) as? [String: Any])
        object["schemaVersion"] = 1
        object.removeValue(forKey: "noise")
        object["extra"] = true
        var dataset = try #require(object["dataset"] as? [String: Any])
        dataset["prevalence"] = 1.5
        dataset["trainRows"] = "540"
        object["dataset"] = dataset
        let problems = ReportSchema.validate(try JSONSerialization.data(withJSONObject: object))
        #expect(problems.contains("$: must be 2") || problems.contains("$.schemaVersion: must be 2"))
        #expect(problems.contains("$: missing required property \"noise\""))
        #expect(problems.contains("$: unexpected property \"extra\""))
        #expect(problems.contains("$.dataset.prevalence: 1.5 is above the maximum 1.0"))
        #expect(problems.contains("$.dataset.trainRows: expected integer, found a string"))
        #expect(ReportSchema.validate(Data("{\"a\": [1, 2".utf8)).first?.hasPrefix("$: not JSON") == true)
    }

    @Test func theHTMLIsOneEscapedSelfContainedFileWithFacesAndPlots() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("report.html")
        let report = try hostileReport()
        #expect(try ReportWriter.write(report, format: .html, to: url) == [url])
        let html = try String(contentsOf: url, encoding: .utf8)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("<b>faint"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(!html.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0 || $0.value == 0x07 || $0.value == 0x202E })
        // No network: nothing is fetched from anywhere.
        #expect(
            !html.contains("http://")
                || html.components(separatedBy: "http://").count - 1 == html.components(
                    separatedBy: "xmlns=\"http://www.w3.org/2000/svg\""
                ).count - 1)
        #expect(!html.contains("https://"))
        // Each confirmed error's face is inline as a JPEG that decodes, with its eye band beside
        // it at least 384 pixels wide.
        func images(_ marker: String) throws -> [RGBImage] {
            try html.components(separatedBy: marker).dropFirst().map { chunk in
                let uri = try #require(chunk.components(separatedBy: "src=\"data:image/jpeg;base64,").dropFirst().first)
                let base64 = String(uri.prefix { $0 != "\"" })
                return try JPEGDecoder.decode(data: [UInt8](try #require(Data(base64Encoded: base64))))
            }
        }
        let faces = try images("<img class=face alt=\"face ")
        let bands = try images("<img class=eyes alt=\"eye band of face ")
        #expect(faces.count == report.confirmedErrors.count && bands.count == report.confirmedErrors.count)
        #expect(faces.allSatisfy { $0.width == Thumbnails.faceSide && $0.height == Thumbnails.faceSide })
        #expect(bands.allSatisfy { $0.width >= 384 && $0.height > 100 && $0.height < $0.width / 2 })
        #expect(html.components(separatedBy: "<svg ").count - 1 == 2)
        #expect(html.contains("aria-label=\"score histogram\"") && html.contains("aria-label=\"calibration plot\""))
    }

    @Test func theMarkdownWritesThumbnailsBesideItAndEscapesText() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("audit.md")
        let report = try hostileReport()
        let written = try ReportWriter.write(report, format: .markdown, to: url)
        #expect(written.count == 1 + 2 * report.confirmedErrors.count + (report.directionsPicture == nil ? 0 : 1))
        let markdown = try String(contentsOf: url, encoding: .utf8)
        // Thumbnails are named by id (the demo's ids are plain), the eye band beside the face.
        for face in report.confirmedErrors {
            #expect(
                markdown.contains("](audit-faces/\(face.id).jpg) ![eye band of face \(face.id)](audit-faces/\(face.id)-eyes.jpg)")
            )
            #expect(
                try JPEGDecoder.decode(path: folder.appendingPathComponent("audit-faces/\(face.id).jpg").path).width
                    == Thumbnails.faceSide)
            #expect(
                try JPEGDecoder.decode(path: folder.appendingPathComponent("audit-faces/\(face.id)-eyes.jpg").path).width >= 384)
        }
        // Every < and > from the data is backslash-escaped, so none can open a tag.
        let scalars = Array(markdown.unicodeScalars)
        #expect(!scalars.indices.contains { ["<", ">"].contains(scalars[$0]) && ($0 == 0 || scalars[$0 - 1] != "\\") })
        #expect(markdown.contains("\\<script\\>alert(1)\\</script\\>"))
        // It reads as text: numbers, paths and sentences are not littered with backslashes.
        #expect(!markdown.contains("\\%") && !markdown.contains("\\.") && !markdown.contains("\\/") && !markdown.contains("\\("))
        #expect(markdown.contains(report.dataset.root))
        #expect(!markdown.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0 || $0.value == 0x202E })
        // A pipe in a note cannot break the table.
        #expect(markdown.contains("\\| pipe"))
    }

    @Test func theCSVFilesHoldTrainIDsOnlyWithCorrectedLabels() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("labels.csv")
        let report = try hostileReport()
        let written = try ReportWriter.write(report, format: .csv, to: url)
        #expect(written == [url, folder.appendingPathComponent("labels-issues.csv")])
        let labels = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(labels[0] == "id,glasses,original_glasses,changed_by")
        #expect(labels.count == 541)
        let testIDs = demo.testIDs
        #expect(!labels.dropFirst().contains { testIDs.contains(String($0.prefix { $0 != "," })) })
        let changed = labels.dropFirst().filter { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return fields[1] != fields[2]
        }
        #expect(changed.count == report.confirmedErrors.count)
        let firstError = report.confirmedErrors[0]
        #expect(
            changed.contains(
                "\(firstError.id),\(1 - firstError.givenLabel),\(firstError.givenLabel),<img src=x onerror=alert(2)>;ana"))
        let issues = try String(contentsOf: written[1], encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(issues[0] == "id,is_label_issue,label_score,given_label,predicted_label,review")
        #expect(issues.count == 541)
        // The reviewers' word sits beside the model's: the confirmed error says label_wrong.
        #expect(issues.contains { $0.hasPrefix("\(firstError.id),") && $0.hasSuffix(",label_wrong") })
    }

    @Test func csvFieldsAreQuotedAndNeverFormulas() {
        #expect(CSVReport.field("a,b") == "\"a,b\"")
        #expect(CSVReport.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVReport.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVReport.field("-1") == "-1")
        #expect(CSVReport.field("@sum") == "'@sum")
        #expect(CSVReport.field("a\u{1B}[31mb") == "ab")
    }

    @Test func anUnwritableDestinationIsRefusedBeforeAnythingIsWritten() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = AuditReport.build(dataset: demo.dataset, evidence: demo.evidence, reviews: ReviewSnapshot())
        let missing = folder.appendingPathComponent("no/such/folder/report.html")
        #expect(throws: ReportWriteError(path: missing.path, reason: "the folder \(folder.path)/no/such/folder does not exist")) {
            try ReportWriter.write(report, format: .html, to: missing)
        }
        #expect(throws: ReportWriteError(path: folder.path, reason: "it is a folder")) {
            try ReportWriter.write(report, format: .json, to: folder)
        }
        let error = ReportWriteError(path: "/x/r.html", reason: "it is a folder")
        #expect(
            error.description
                == "cannot write the report to /x/r.html: it is a folder. Nothing was written there; pass another file with --out."
        )
    }

    @Test func facesWithoutAReadablePictureSayWhy() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.jpg")
        try Data("not a jpeg".utf8).write(to: broken)
        let batch = Thumbnails.make(for: [
            ReviewedFace(
                id: "1", row: 0, givenLabel: 1, verdicts: [], probabilities: [], score: 0, rank: 1, reason: "",
                inAuditSample: false, imagePath: broken.path),
            ReviewedFace(
                id: "2", row: 1, givenLabel: 1, verdicts: [], probabilities: [], score: 0, rank: 2, reason: "",
                inAuditSample: false, imagePath: nil),
        ])
        #expect(batch.pictures.isEmpty)
        #expect(batch.failures[1] == "no image file")
        #expect(batch.failures[0]?.contains(broken.path) == true)
    }
}

@Suite struct MarkdownTextTests {
    @Test func onlyWhatBreaksTheSyntaxIsEscaped() {
        #expect(
            MarkdownText.escaped("About 9.6% of /data/set (95% interval 8.1% to 11.2%).")
                == "About 9.6% of /data/set (95% interval 8.1% to 11.2%).")
        #expect(MarkdownText.escaped("label_wrong and _emphasis_") == "label_wrong and \\_emphasis\\_")
        #expect(
            MarkdownText.escaped("a | b *c* [d](e) <f> `g` ~h~ \\ &amp;")
                == "a \\| b \\*c\\* \\[d\\](e) \\<f\\> \\`g\\` \\~h\\~ \\\\ \\&amp;")
        #expect(MarkdownText.escaped("# title") == "\\# title")
        #expect(MarkdownText.escaped("1. first") == "1\\. first")
        #expect(MarkdownText.escaped("- item") == "\\- item")
        #expect(MarkdownText.escaped("x - y = 2") == "x - y = 2")
        #expect(MarkdownText.escaped("run `labelaudit sample d 100`", code: true) == "run `labelaudit sample d 100`")
        #expect(MarkdownText.escaped("two\nlines\u{1B}[31m") == "two lines")
    }

    @Test func thumbnailFilesAreNamedByID() {
        #expect(Thumbnails.fileName(id: "3737", row: 3736, suffix: "") == "3737.jpg")
        #expect(Thumbnails.fileName(id: "3737", row: 3736, suffix: "-eyes") == "3737-eyes.jpg")
        #expect(Thumbnails.fileName(id: "../x y", row: 5, suffix: "") == "xy-row5.jpg")
        #expect(Thumbnails.fileName(id: ".hidden", row: 6, suffix: "") == "hidden-row6.jpg")
    }
}
