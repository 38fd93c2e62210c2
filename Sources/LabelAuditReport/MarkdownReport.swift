import Foundation
import LabelAuditCore

/// The report as Markdown (GitHub-flavoured tables). Every string from the data goes through
/// `md(_:)`: control characters stripped, Markdown and HTML punctuation backslash-escaped, so a
/// note can neither inject markup nor break a table.
enum MarkdownReport {
    static func render(_ report: AuditReport, thumbnailLinks: [Int: String], failures: [Int: String]) -> String {
        var out = "# Label audit report\n\n"
        out += "Generated \(report.generatedAt) by labelaudit (report schema \(report.schemaVersion)) for \(md(report.dataset.root)).\n\n"
        out += ReportText.summary(report).map { "- " + md($0) }.joined(separator: "\n") + "\n\n"

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
            out += faceTable(report.conflicts, thumbnails: [:], failures: [:])
        }

        out += "## Confirmed label errors\n\n"
        if report.confirmedErrors.isEmpty {
            out += "None yet.\n\n"
        } else {
            out += faceTable(report.confirmedErrors, thumbnails: thumbnailLinks, failures: failures)
        }
        if !report.badImages.isEmpty {
            out += "### Broken pictures (bad_image)\n\n"
            out += faceTable(report.badImages, thumbnails: thumbnailLinks, failures: failures)
        }

        out += "## Question 1: how noisy are the training labels?\n\n"
        out += md(report.noise.sentence) + "\n\n"
        out += "| bin | queue positions | score | faces | reviewed | wrong | random-sample reviews | basis | share (95% interval) |\n|---|---|---|---|---|---|---|---|---|\n"
        for b in report.noise.bins {
            out += "| \(b.index) | \(b.firstRank)-\(b.lastRank) | \(formatted(b.scoreLow, digits: 2))-\(formatted(b.scoreHigh, digits: 2)) | \(b.size) | \(b.reviewed) | \(formatted(b.wrong, digits: 1)) | \(b.sampledReviewed) | \(b.basis) | \(percent(b.share)) (\(percent(b.shareLow))-\(percent(b.shareHigh))) |\n"
        }
        out += "\nMethod: \(md(report.noise.method))\n\n"

        out += "## Question 2: do mislabeled faces sit close together in latent space?\n\n"
        out += md(report.clustering.sentence) + "\n\n"
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

    static func faceTable(_ faces: [ReviewedFace], thumbnails: [Int: String], failures: [Int: String]) -> String {
        var out = "| face | id | label | verdicts | model p | score (rank) | reason | notes |\n|---|---|---|---|---|---|---|---|\n"
        for face in faces {
            let picture: String
            if let link = thumbnails[face.row] {
                picture = "![face \(md(face.id))](\(link))"
            } else {
                picture = failures[face.row].map { "(no picture: \(md($0)))" } ?? ""
            }
            let verdicts = face.verdicts.map { "\(md($0.reviewer)): \($0.verdict)" }.joined(separator: "; ")
            let probabilities = face.probabilities.map { "\(md($0.run)) \(formatted($0.probability, digits: 2))" }.joined(separator: ", ")
            let notes = face.verdicts.compactMap { v -> String? in
                var parts: [String] = []
                if let note = v.note, !note.isEmpty { parts.append(md(shortened(note))) }
                if !v.tags.isEmpty { parts.append("tags " + v.tags.map(md).joined(separator: ", ")) }
                return parts.isEmpty ? nil : "\(md(v.reviewer)): " + parts.joined(separator: " ")
            }.joined(separator: "; ")
            out += "| \(picture) | \(md(face.id))\(face.inAuditSample ? " (sample)" : "") | \(face.givenLabel) | \(verdicts) | \(probabilities) | \(formatted(face.score, digits: 2)) (\(face.rank)) | \(md(face.reason)) | \(notes) |\n"
        }
        return out + "\n"
    }

    /// One line, control characters removed, ASCII punctuation backslash-escaped.
    static func md(_ text: String) -> String {
        var out = ""
        for character in TerminalSafeText.sanitized(text) {
            if character.isASCII, character.isPunctuation || character.isSymbol {
                out.append("\\")
            }
            out.append(character)
        }
        return out
    }
}

/// Plain sentences shared by the Markdown and HTML reports.
enum ReportText {
    static func summary(_ report: AuditReport) -> [String] {
        var lines: [String] = []
        lines.append("\(report.progress.reviewed) of \(report.progress.queueSize) train faces reviewed; \(report.confirmedErrors.count) confirmed label error(s), \(report.conflicts.count) conflict(s), \(report.badImages.count) broken picture(s).")
        if let share = report.noise.share, let low = report.noise.shareLow, let high = report.noise.shareHigh {
            lines.append("Estimated share of wrong training labels: \(percent(share)) (95% interval \(percent(low)) to \(percent(high))).")
        } else {
            lines.append("No noise estimate yet: review a random audit sample (:sample 50 in the review app).")
        }
        lines.append(report.clustering.status == "tested" ? "Question 2 tested on \(report.clustering.confirmedErrors) confirmed errors (see below)." : "Question 2: too few confirmed errors to tell.")
        return lines
    }
}
