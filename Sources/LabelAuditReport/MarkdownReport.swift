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
        out += "Generated \(report.generatedAt) by labelaudit (report schema \(report.schemaVersion)) for \(md(report.dataset.root)).\n\n"
        out += ReportText.summary(report).map { "- " + prose($0) }.joined(separator: "\n") + "\n\n"

        out += "## Dataset\n\n"
        let d = report.dataset
        out += "| train faces | test faces | latent dimensions | prevalence (train) | missing images (train / test) |\n|---|---|---|---|---|\n"
        out += "| \(d.trainRows) | \(d.testRows) | \(d.latentDimensions) | \(percent(d.prevalence)) | \(d.missingImagesTrain) / \(d.missingImagesTest) |\n\n"
        out += "Test labels do not exist, so no metric here is a test-set metric.\n\n"

        out += "## Model runs (train rows, out of fold where known)\n\n"
        if report.runs.isEmpty {
            out += "No model runs.\n\n"
        } else {
            out += "| run | source | out of fold | weight | log loss | accuracy | AUROC | rows |\n|---|---|---|---|---|---|---|---|\n"
            for run in report.runs {
                out += "| \(md(run.name)) | \(run.source) | \(run.outOfFold.map { $0 ? "yes" : "no" } ?? "unknown") | \(formatted(run.weight, digits: 2)) | \(formatted(run.trainLogLoss)) | \(formatted(run.trainAccuracy)) | \(formatted(run.trainAUROC)) | \(run.trainRowsPredicted) |\n"
            }
            out += "\n"
        }

        out += "## Review progress\n\n"
        let p = report.progress
        out += "\(p.reviewed) of \(p.queueSize) train faces reviewed (\(p.decisive) with a decisive verdict); random audit sample: \(p.auditSampleReviewed) of \(p.auditSampleSize) reviewed.\n\n"
        if !p.perReviewer.isEmpty {
            out += "| reviewer | verdicts | label_ok | label_wrong | unsure | bad_image |\n|---|---|---|---|---|---|\n"
            for r in p.perReviewer {
                out += "| \(md(r.reviewer)) | \(r.verdicts) | \(r.labelOK) | \(r.labelWrong) | \(r.unsure) | \(r.badImage) |\n"
            }
            out += "\n"
        }
        if !p.agreement.isEmpty {
            out += "| reviewers | faces both judged | agreed | Cohen's kappa |\n|---|---|---|---|\n"
            for a in p.agreement {
                out += "| \(md(a.reviewerA)) / \(md(a.reviewerB)) | \(a.overlap) | \(a.agreed) | \(formatted(a.kappa, digits: 2)) |\n"
            }
            out += "\n"
        }
        if !report.conflicts.isEmpty {
            out += "### Conflicts\n\n"
            out += faceTable(report.conflicts, links: nil)
        }

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

        out += "## Question 1: how noisy are the training labels?\n\n"
        out += prose(report.noise.sentence) + "\n\n"
        let m = report.noiseMatrix
        func count(_ d: NoiseDirection) -> String {
            guard m.basis != "none" else { return "–" }
            var text = formatted(d.wrong.estimate, digits: 1)
            if let low = d.wrong.low, let high = d.wrong.high { text += " (\(formatted(low, digits: 1))–\(formatted(high, digits: 1)))" }
            return text
        }
        func share(_ value: Interval?) -> String {
            guard let value else { return "–" }
            var text = percent(value.estimate)
            if let low = value.low, let high = value.high { text += " (\(percent(low))–\(percent(high)))" }
            return text
        }
        out += "### Noise matrix: which way labels are wrong\n\n"
        out += "| given label | faces | confirmed wrong | estimated wrong | meaning |\n|---|---|---|---|---|\n"
        out += "| 0 (no glasses) | \(m.labelledZero.faces) | \(m.labelledZero.confirmedWrong) | \(count(m.labelledZero)) | wear glasses after all |\n"
        out += "| 1 (glasses) | \(m.labelledOne.faces) | \(m.labelledOne.confirmedWrong) | \(count(m.labelledOne)) | wear no glasses |\n\n"
        out += "| | glasses | no glasses |\n|---|---|---|\n"
        out += "| P(label 0 given the face) | \(share(m.label0GivenGlasses)) | – |\n"
        out += "| P(label 1 given the face) | – | \(share(m.label1GivenNoGlasses)) |\n"
        out += "| prevalence | corrected \(share(m.correctedPrevalence)) | provided \(percent(m.providedPrevalence)) |\n\n"
        out += prose(m.sentence) + "\n\n"
        out += "### Where in the queue (stratified estimate, for comparison)\n\n"
        if let s = report.noise.stratifiedShare, let low = report.noise.stratifiedShareLow, let high = report.noise.stratifiedShareHigh {
            out += "Stratified by queue position: \(percent(s)) (95% interval \(percent(low)) to \(percent(high))).\n\n"
        }
        out += "| bin | queue positions | score | faces | reviewed | wrong | random-sample reviews | basis | share (95% interval) |\n|---|---|---|---|---|---|---|---|---|\n"
        for b in report.noise.bins {
            out += "| \(b.index) | \(b.firstRank)-\(b.lastRank) | \(formatted(b.scoreLow, digits: 2))-\(formatted(b.scoreHigh, digits: 2)) | \(b.size) | \(b.reviewed) | \(formatted(b.wrong, digits: 1)) | \(b.sampledReviewed) | \(md(b.basis)) | \(percent(b.share)) (\(percent(b.shareLow))-\(percent(b.shareHigh))) |\n"
        }
        out += "\nMethod: \(prose(report.noise.method))\n\n"

        out += "## Question 2: do mislabeled faces sit close together in latent space?\n\n"
        out += prose(report.clustering.sentence) + "\n\n"
        if let link = links.directions {
            out += "![confirmed errors against all faces on two latent directions](\(link))\n\n" + prose(ReportText.directionsCaption) + "\n\n"
        }
        if !report.clustering.tests.isEmpty {
            out += "| statistic | confirmed errors | random sets | p | permutations |\n|---|---|---|---|---|\n"
            for t in report.clustering.tests {
                out += "| \(md(t.description)) | \(formatted(t.errorsValue)) | \(formatted(t.randomValue)) | \(formatted(t.pValue, digits: 4)) (\(t.alternative)) | \(t.permutations) |\n"
            }
            out += "\n"
        }

        out += "## How well each score found the errors\n\nPrecision among reviewed faces (label_wrong / decisive verdicts) in the top k of each ranking.\n\n"
        let ks = report.precision.first?.points.map(\.k) ?? []
        if !ks.isEmpty {
            out += "| ranking | " + ks.map { "top \($0)" }.joined(separator: " | ") + " |\n|---|" + ks.map { _ in "---|" }.joined() + "\n"
            for r in report.precision {
                out += "| \(md(r.ranking)) | " + r.points.map { pt in
                    pt.precision.map { "\(percent($0)) (\(pt.wrong)/\(pt.reviewed))" } ?? "– (0 reviewed)"
                }.joined(separator: " | ") + " |\n"
            }
            out += "\n"
        }
        if !report.warnings.isEmpty {
            out += "## Warnings\n\n" + report.warnings.map { "- " + md($0) }.joined(separator: "\n") + "\n"
        }
        return out
    }

    static func faceTable(_ faces: [ReviewedFace], links: Links?) -> String {
        var out = links == nil ? "| id | label | verdicts | model p | score (rank) | reason | notes |\n|---|---|---|---|---|---|---|\n"
            : "| face and eye band | id | label | verdicts | model p | score (rank) | reason | notes |\n|---|---|---|---|---|---|---|---|\n"
        for face in faces {
            let picture: String
            if let link = links?.faces[face.row] {
                picture = "![face \(md(face.id))](\(link.face)) ![eye band of face \(md(face.id))](\(link.eyes))"
            } else {
                picture = links?.failures[face.row].map { "(no picture: \(md($0)))" } ?? ""
            }
            let verdicts = face.verdicts.map { "\(md($0.reviewer)): \($0.verdict)" }.joined(separator: "; ")
            let probabilities = face.probabilities.map { "\(md($0.run)) \(formatted($0.probability, digits: 2))" }.joined(separator: ", ")
            let notes = face.verdicts.compactMap { v -> String? in
                var parts: [String] = []
                if let note = v.note, !note.isEmpty { parts.append(md(shortened(note))) }
                if !v.tags.isEmpty { parts.append("tags " + v.tags.map(md).joined(separator: ", ")) }
                return parts.isEmpty ? nil : "\(md(v.reviewer)): " + parts.joined(separator: " ")
            }.joined(separator: "; ")
            out += "| " + (links == nil ? "" : "\(picture) | ") + "\(md(face.id))\(face.inAuditSample ? " (sample)" : "") | \(face.givenLabel) | \(verdicts) | \(probabilities) | \(formatted(face.score, digits: 2)) (\(face.rank)) | \(md(face.reason)) | \(notes) |\n"
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
    static let directionsCaption = "Every training face (grey) and the confirmed errors (red) on two latent directions: across, the latent model's signed distance to its labelling boundary (right: the glasses side; the vertical line is the boundary); up, the direction that best separates the confirmed errors from the other faces once the boundary is accounted for (the horizontal line is the mean). The separation's p-value refits that direction for random sets of faces, so a picture of random points would not pass."

    static func summary(_ report: AuditReport) -> [String] {
        var lines: [String] = []
        lines.append("\(report.progress.reviewed) of \(report.progress.queueSize) train faces reviewed; \(report.confirmedErrors.count) confirmed label error(s), \(report.conflicts.count) conflict(s), \(report.badImages.count) broken picture(s).")
        lines.append(report.noise.sentence)
        lines.append(report.noiseMatrix.sentence)
        lines.append(report.clustering.status == "tested" ? "Question 2 tested on \(report.clustering.confirmedErrors) confirmed errors (see below)." : "Question 2: too few confirmed errors to tell.")
        return lines
    }
}
