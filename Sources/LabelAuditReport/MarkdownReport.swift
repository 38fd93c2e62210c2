import Foundation
import LabelAuditCore

/// The report as Markdown (GitHub-flavoured tables) that reads as text. Every string from the
/// data goes through `md(_:)` (`MarkdownText`: controls stripped, only what would break the
/// syntax escaped), so a note can neither inject markup nor break a table.
enum MarkdownReport {
    /// Relative links of the files written beside the report.
    struct Links {
        /// Face and eye-band thumbnails per row.
        var faces: [Int: (face: String, eyes: String)] = [:]
        var failures: [Int: String] = [:]
        var directions: String?
    }

    static func render(_ report: AuditReport, links: Links) -> String {
        var out = "# Label audit report\n\n"
        out +=
            "Generated \(report.generatedAt) by labelaudit (report schema \(report.schemaVersion)) for \(md(report.dataset.root)).\n\n"
        out += ReportText.summary(report).map { "- " + prose($0) }.joined(separator: "\n") + "\n\n"

        out += "## Dataset\n\n"
        out += table(.dataset(report.dataset))
        out += "Test labels do not exist, so no metric here is a test-set metric.\n\n"

        out += "## Model runs (train rows, out of fold where known)\n\n"
        if report.runs.isEmpty {
            out += "No model runs.\n\n"
        } else {
            out += table(.runs(report.runs))
        }

        out += "## Review progress\n\n"
        let p = report.progress
        out +=
            "\(p.reviewed) of \(p.queueSize) train faces reviewed (\(p.decisive) with a decisive verdict); random audit sample: \(p.auditSampleReviewed) of \(p.auditSampleSize) reviewed.\n\n"
        if !p.perReviewer.isEmpty { out += table(.reviewers(p)) }
        if !p.agreement.isEmpty { out += table(.agreement(p)) }
        if !report.conflicts.isEmpty {
            out += "### Conflicts\n\n"
            out += faceTable(report.conflicts, links: nil)
        }

        out += "## Question 1: how noisy are the training labels?\n\n"
        out += prose(report.noise.sentence) + "\n\n"
        let m = report.noiseMatrix
        out += "### Noise matrix: which way labels are wrong\n\n"
        out += table(.noiseDirections(m)) + table(.noiseShares(m))
        out += prose(m.sentence) + "\n\n"
        out += "### Where in the queue (stratified estimate, for comparison)\n\n"
        if let s = report.noise.stratifiedShare, let low = report.noise.stratifiedShareLow,
            let high = report.noise.stratifiedShareHigh
        {
            out += "Stratified by queue position: \(percent(s)) (95% interval \(percent(low)) to \(percent(high))).\n\n"
        }
        out += table(.queueBins(report.noise.bins))
        out += "Method: \(prose(report.noise.method))\n\n"

        out += "## Question 2: do mislabeled faces sit close together in latent space?\n\n"
        out += prose(report.clustering.sentence) + "\n\n"
        if let link = links.directions {
            out +=
                "![confirmed errors against all faces on two latent directions](\(link))\n\n"
                + prose(ReportText.directionsCaption) + "\n\n"
        }
        if !report.clustering.tests.isEmpty { out += table(.clusteringTests(report.clustering.tests)) }

        out += "## Confirmed label errors\n\n"
        if report.confirmedErrors.isEmpty {
            out += "None yet.\n\n"
        } else {
            out += faceTable(report.confirmedErrors, links: links)
        }
        if !report.badImages.isEmpty {
            out += "### Broken pictures (bad_image)\n\n"
            out += faceTable(report.badImages, links: links)
        }

        out +=
            "## How well each score found the errors\n\nPrecision among reviewed faces (label_wrong / decisive verdicts) in the top k of each ranking.\n\n"
        if let precision = ReportTable.precision(report.precision) { out += table(precision) }
        if !report.warnings.isEmpty {
            out += "## Warnings\n\n" + report.warnings.map { "- " + md($0) }.joined(separator: "\n") + "\n"
        }
        return out
    }

    static func faceTable(_ faces: [ReviewedFace], links: Links?) -> String {
        var out =
            links == nil
            ? "| id | label | verdicts | model p | score (rank) | reason | notes |\n|---|---|---|---|---|---|---|\n"
            : "| face and eye band | id | label | verdicts | model p | score (rank) | reason | notes |\n|---|---|---|---|---|---|---|---|\n"
        for face in faces {
            let picture: String
            if let link = links?.faces[face.row] {
                picture = "![face \(md(face.id))](\(link.face)) ![eye band of face \(md(face.id))](\(link.eyes))"
            } else {
                picture = links?.failures[face.row].map { "(no picture: \(md($0)))" } ?? ""
            }
            let verdicts = face.verdicts.map { "\(md($0.reviewer)): \($0.verdict)" }.joined(separator: "; ")
            let probabilities = face.probabilities.map { "\(md($0.run)) \(formatted($0.probability, digits: 2))" }.joined(
                separator: ", ")
            let notes = face.verdicts.compactMap { v -> String? in
                var parts: [String] = []
                if let note = v.note, !note.isEmpty { parts.append(md(shortened(note))) }
                if !v.tags.isEmpty { parts.append("tags " + v.tags.map(md).joined(separator: ", ")) }
                return parts.isEmpty ? nil : "\(md(v.reviewer)): " + parts.joined(separator: " ")
            }.joined(separator: "; ")
            out +=
                "| " + (links == nil ? "" : "\(picture) | ")
                + "\(md(face.id))\(face.inAuditSample ? " (sample)" : "") | \(face.givenLabel) | \(verdicts) | \(probabilities) | \(formatted(face.score, digits: 2)) (\(face.rank)) | \(md(face.reason)) | \(notes) |\n"
        }
        return out + "\n"
    }

    /// A shared table (`ReportTable`) as a GitHub-flavoured table: every cell escaped.
    static func table(_ table: ReportTable) -> String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { MarkdownText.escaped($0, atLineStart: false) }.joined(separator: " | ") + " |\n"
        }
        var out = line(table.header) + "|" + String(repeating: "---|", count: table.header.count) + "\n"
        for row in table.rows {
            out += line(
                row.map { cell in
                    switch cell {
                    case .text(let text), .number(let text): return text
                    }
                })
        }
        return out + "\n"
    }

    /// Text from the data as one line of Markdown (`MarkdownText`).
    static func md(_ text: String) -> String { MarkdownText.escaped(text) }

    /// The report's own sentences: the same escaping, but their `code` quotes stay code.
    static func prose(_ text: String) -> String { MarkdownText.escaped(text, code: true) }
}

/// Plain sentences shared by the Markdown and HTML reports.
enum ReportText {
    static let directionsCaption =
        "Every training face (grey) and the confirmed errors (red) on two latent directions: across, the latent model's signed distance to its labelling boundary (right: the glasses side; the vertical line is the boundary); up, the direction that best separates the confirmed errors from the other faces once the boundary is accounted for (the horizontal line is the mean). The separation's p-value refits that direction for random sets of faces, so a picture of random points would not pass."

    static func summary(_ report: AuditReport) -> [String] {
        var lines: [String] = []
        lines.append(
            "\(report.progress.reviewed) of \(report.progress.queueSize) train faces reviewed; \(report.confirmedErrors.count) confirmed label error(s), \(report.conflicts.count) conflict(s), \(report.badImages.count) broken picture(s)."
        )
        lines.append(report.noise.sentence)
        lines.append(report.noiseMatrix.sentence)
        lines.append(
            report.clustering.status == "tested"
                ? "Question 2 tested on \(report.clustering.confirmedErrors) confirmed errors (see below)."
                : "Question 2: too few confirmed errors to tell.")
        return lines
    }
}
