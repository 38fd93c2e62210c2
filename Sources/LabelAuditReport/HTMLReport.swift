import Foundation
import LabelAuditCore

/// The report as one self-contained HTML file: inline CSS, faces as JPEG data URIs, plots as
/// inline SVG, no script and no network. Every string from the data goes through `h(_:)`
/// (`TerminalSafeText.htmlEscaped`: controls stripped, `& < > " '` escaped).
enum HTMLReport {
    static func render(_ report: AuditReport, thumbnails: Thumbnails.Batch) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
            <title>Label audit report</title>
            <style>
            body { font: 15px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1120px; color: #1d232a; padding: 0 16px; }
            h1 { font-size: 26px; margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 2px solid #d6dde4; padding-bottom: 4px; }
            table { border-collapse: collapse; margin: 8px 0 16px; } th, td { border: 1px solid #d6dde4; padding: 4px 8px; text-align: left; vertical-align: top; }
            th { background: #eef2f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
            .lead { background: #f4f7fa; border-left: 4px solid #3a6ea5; padding: 8px 14px; }
            .answer { font-size: 16px; background: #fbf7ec; border-left: 4px solid #c08a1e; padding: 8px 14px; }
            .note { white-space: pre-wrap; max-width: 320px; overflow-wrap: anywhere; }
            .muted { color: #5b6670; } .pics { display: flex; gap: 6px; align-items: center; }
            img.face { width: 160px; height: auto; border-radius: 4px; display: block; } img.eyes { width: 400px; height: auto; display: block; border: 2px solid #1f9e89; }
            table.matrix td, table.matrix th { text-align: center; } table.matrix th { background: #e3d7f4; } img.plot { max-width: 100%; border: 1px solid #d6dde4; }
            .nopic { width: 160px; height: 160px; background: #eee; color: #777; font-size: 12px; display: flex; align-items: center; justify-content: center; text-align: center; }
            svg text { font: 12px system-ui, sans-serif; fill: #1d232a; }
            </style></head><body>
            <h1>Label audit report</h1>
            <p class="muted">Generated \(h(report.generatedAt)) by labelaudit (report schema \(report.schemaVersion)) for <code>\(h(report.dataset.root))</code>.</p>
            <div class="lead"><ul>
            """
        out += ReportText.summary(report).map { "<li>\(h($0))</li>" }.joined(separator: "\n")
        out += "</ul></div>\n"

        out += "<h2>Dataset</h2>\n" + table(.dataset(report.dataset))
        out += "<p class=muted>Test labels do not exist, so no metric here is a test-set metric.</p>\n"

        out += "<h2>Model runs</h2>\n"
        if report.runs.isEmpty {
            out += "<p>No model runs.</p>\n"
        } else {
            out += table(.runs(report.runs))
        }

        let p = report.progress
        out +=
            "<h2>Review progress</h2>\n<p>\(p.reviewed) of \(p.queueSize) train faces reviewed (\(p.decisive) with a decisive verdict); random audit sample: \(p.auditSampleReviewed) of \(p.auditSampleSize) reviewed.</p>\n"
        if !p.perReviewer.isEmpty { out += table(.reviewers(p)) }
        if !p.agreement.isEmpty { out += table(.agreement(p)) }
        if !report.conflicts.isEmpty {
            out += "<h3>Conflicts</h3>\n" + faceTable(report.conflicts, thumbnails: nil)
        }

        out += "<h2>Question 1: how noisy are the training labels?</h2>\n<p class=answer>\(h(report.noise.sentence))</p>\n"
        out += noiseMatrixTable(report.noiseMatrix)
        out += "<p>\(h(report.noiseMatrix.sentence))</p>\n"
        out += "<h3>Where in the queue (stratified estimate, for comparison)</h3>\n"
        if let share = report.noise.stratifiedShare, let low = report.noise.stratifiedShareLow,
            let high = report.noise.stratifiedShareHigh
        {
            out += "<p>Stratified by queue position: \(percent(share)) (95% interval \(percent(low)) to \(percent(high))).</p>\n"
        }
        out += table(.queueBins(report.noise.bins))
        out += "<p class=muted>Method: \(h(report.noise.method))</p>\n"

        out +=
            "<h2>Question 2: do mislabeled faces sit close together?</h2>\n<p class=answer>\(h(report.clustering.sentence))</p>\n"
        if let picture = report.directionsPicture {
            out +=
                "<figure><img class=plot alt=\"confirmed errors against all faces on two latent directions\" src=\"data:image/jpeg;base64,\(Data(picture).base64EncodedString())\">"
            out += "<figcaption class=muted>\(h(ReportText.directionsCaption))</figcaption></figure>\n"
        }
        if !report.clustering.tests.isEmpty { out += table(.clusteringTests(report.clustering.tests)) }

        out += "<h2>Confirmed label errors</h2>\n"
        out += report.confirmedErrors.isEmpty ? "<p>None yet.</p>\n" : faceTable(report.confirmedErrors, thumbnails: thumbnails)
        if !report.badImages.isEmpty {
            out += "<h3>Broken pictures (bad_image)</h3>\n" + faceTable(report.badImages, thumbnails: thumbnails)
        }

        out +=
            "<h2>How well each score found the errors</h2>\n<p>Precision among reviewed faces (label_wrong / decisive verdicts) in the top k of each ranking.</p>\n"
        if let precision = ReportTable.precision(report.precision) { out += table(precision) }

        out += "<h2>Scores</h2>\n" + histogramSVG(report.scoreHistogram) + "\n"
        out += "<h2>Calibration (train rows, out of fold)</h2>\n" + calibrationSVG(report.calibration) + "\n"
        if !report.warnings.isEmpty {
            out += "<h2>Warnings</h2>\n<ul>" + report.warnings.map { "<li>\(h($0))</li>" }.joined() + "</ul>\n"
        }
        return out + "</body></html>\n"
    }

    /// The one HTML escaper (Core's: controls stripped, `& < > " '` escaped).
    static func h(_ text: String) -> String { TerminalSafeText.htmlEscaped(text) }

    /// The noise matrix: rows the given label, columns what the faces show.
    static func noiseMatrixTable(_ m: NoiseMatrix) -> String {
        let basis =
            [
                "audit_sample": "from the audit sample (95% intervals)",
                "model_based": "model-based (confident learning), no interval",
                "none": "no estimate yet",
            ][m.basis] ?? m.basis
        return "<h3>Noise matrix: which way labels are wrong</h3>\n<p class=muted>Basis: \(h(basis)).</p>\n"
            + table(.noiseDirections(m)) + table(.noiseShares(m))
    }

    /// A shared table (`ReportTable`) as HTML: every cell escaped, figures right-aligned.
    static func table(_ table: ReportTable) -> String {
        var out = table.style.map { "<table class=\(h($0))>" } ?? "<table>"
        out += "<tr>" + table.header.map { "<th>\(h($0))</th>" }.joined() + "</tr>\n"
        for row in table.rows {
            out += "<tr>"
            for cell in row {
                switch cell {
                case .text(let text): out += "<td>\(h(text))</td>"
                case .number(let text): out += "<td class=num>\(h(text))</td>"
                }
            }
            out += "</tr>\n"
        }
        return out + "</table>\n"
    }

    static func faceTable(_ faces: [ReviewedFace], thumbnails: Thumbnails.Batch?) -> String {
        var out =
            "<table><tr>" + (thumbnails == nil ? "" : "<th>face</th>")
            + "<th>id</th><th>label</th><th>verdicts</th><th>model p</th><th>score (rank)</th><th>reason</th><th>notes and tags</th></tr>\n"
        for face in faces {
            out += "<tr>"
            if let thumbnails {
                if let picture = thumbnails.pictures[face.row] {
                    out +=
                        "<td><div class=pics><img class=face alt=\"face \(h(face.id))\" src=\"data:image/jpeg;base64,\(Data(picture.face).base64EncodedString())\">"
                    out +=
                        "<img class=eyes alt=\"eye band of face \(h(face.id))\" src=\"data:image/jpeg;base64,\(Data(picture.eyeBand).base64EncodedString())\"></div></td>"
                } else {
                    out += "<td><div class=nopic>\(h(thumbnails.failures[face.row] ?? "no picture"))</div></td>"
                }
            }
            let verdicts = face.verdicts.map { "\(h($0.reviewer)): <b>\(h($0.verdict))</b>" }.joined(separator: "<br>")
            let probabilities = face.probabilities.map { "\(h($0.run)) \(formatted($0.probability, digits: 2))" }.joined(
                separator: "<br>")
            let notes = face.verdicts.compactMap { v -> String? in
                var parts: [String] = []
                if let note = v.note, !note.isEmpty { parts.append(h(shortened(note))) }
                if !v.tags.isEmpty { parts.append("<i>tags: " + v.tags.map(h).joined(separator: ", ") + "</i>") }
                return parts.isEmpty ? nil : "<b>\(h(v.reviewer))</b>: " + parts.joined(separator: " ")
            }.joined(separator: "<br>")
            out +=
                "<td>\(h(face.id))\(face.inAuditSample ? " <span class=muted>(sample)</span>" : "")</td><td class=num>\(face.givenLabel)</td><td>\(verdicts)</td><td>\(probabilities)</td><td class=num>\(formatted(face.score, digits: 2)) (\(face.rank))</td><td>\(h(face.reason))</td><td class=note>\(notes)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// All train scores (grey) on top; below, the reviewed faces per bin: confirmed errors (red)
    /// and confirmed OK (green), on their own scale.
    static func histogramSVG(_ histogram: ScoreHistogram) -> String {
        guard histogram.all.count > 0, histogram.edges.count == histogram.all.count + 1 else { return "<p>No scores.</p>" }
        let width = 760.0
        let left = 48.0
        let plotWidth = width - left - 16
        let top1 = 20.0
        let height1 = 170.0
        let top2 = 230.0
        let height2 = 90.0
        let bins = histogram.all.count
        let barWidth = plotWidth / Double(bins)
        let maxAll = Double(max(1, histogram.all.max() ?? 1))
        let maxReviewed = Double(max(1, zip(histogram.confirmedErrors, histogram.confirmedOK).map { $0 + $1 }.max() ?? 1))
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"360\" viewBox=\"0 0 \(Int(width)) 360\" role=\"img\" aria-label=\"score histogram\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"360\" fill=\"#ffffff\"/>\n"
        svg += "<text x=\"\(left)\" y=\"14\">train faces per default-ranking score (max \(Int(maxAll)))</text>\n"
        svg +=
            "<text x=\"\(left)\" y=\"\(top2 - 8)\">reviewed: <tspan fill=\"#c0392b\">confirmed errors</tspan> and <tspan fill=\"#2e8b57\">confirmed OK</tspan> (max \(Int(maxReviewed)))</text>\n"
        for b in 0..<bins {
            let x = left + Double(b) * barWidth
            let h1 = height1 * Double(histogram.all[b]) / maxAll
            svg +=
                "<rect x=\"\(f(x + 1))\" y=\"\(f(top1 + height1 - h1))\" width=\"\(f(barWidth - 2))\" height=\"\(f(h1))\" fill=\"#8a9aab\"/>\n"
            let hw = height2 * Double(histogram.confirmedErrors[b]) / maxReviewed
            let ho = height2 * Double(histogram.confirmedOK[b]) / maxReviewed
            svg +=
                "<rect x=\"\(f(x + 1))\" y=\"\(f(top2 + height2 - hw))\" width=\"\(f(barWidth - 2))\" height=\"\(f(hw))\" fill=\"#c0392b\"/>\n"
            svg +=
                "<rect x=\"\(f(x + 1))\" y=\"\(f(top2 + height2 - hw - ho))\" width=\"\(f(barWidth - 2))\" height=\"\(f(ho))\" fill=\"#2e8b57\"/>\n"
        }
        svg +=
            "<line x1=\"\(left)\" y1=\"\(top1 + height1)\" x2=\"\(left + plotWidth)\" y2=\"\(top1 + height1)\" stroke=\"#333\"/>\n"
        svg +=
            "<line x1=\"\(left)\" y1=\"\(top2 + height2)\" x2=\"\(left + plotWidth)\" y2=\"\(top2 + height2)\" stroke=\"#333\"/>\n"
        for tick in stride(from: 0, through: bins, by: max(1, bins / 6)) {
            let x = left + Double(tick) * barWidth
            svg +=
                "<text x=\"\(f(x))\" y=\"\(top2 + height2 + 16)\" text-anchor=\"middle\">\(formatted(histogram.edges[tick], digits: 2))</text>\n"
        }
        svg +=
            "<text x=\"\(left + plotWidth / 2)\" y=\"354\" text-anchor=\"middle\">score (higher = more likely a wrong label)</text>\n"
        return svg + "</svg>"
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// Reliability diagram per run: mean predicted p against the share labelled 1 (provided
    /// labels, solid; after the confirmed corrections, dashed).
    static func calibrationSVG(_ curves: [CalibrationCurve]) -> String {
        guard !curves.isEmpty else { return "<p>No model runs.</p>" }
        let size = 360.0
        let left = 50.0
        let top = 16.0
        let legendX = left + size + 24
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(legendX + 260))\" height=\"\(Int(size + 70))\" viewBox=\"0 0 \(Int(legendX + 260)) \(Int(size + 70))\" role=\"img\" aria-label=\"calibration plot\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(legendX + 260))\" height=\"\(Int(size + 70))\" fill=\"#ffffff\"/>\n"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(size)\" height=\"\(size)\" fill=\"#f7f9fb\" stroke=\"#333\"/>\n"
        svg +=
            "<line x1=\"\(left)\" y1=\"\(top + size)\" x2=\"\(left + size)\" y2=\"\(top)\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n"
        for tick in 0...4 {
            let v = Double(tick) / 4
            svg +=
                "<text x=\"\(f(left + v * size))\" y=\"\(f(top + size + 16))\" text-anchor=\"middle\">\(formatted(v, digits: 2))</text>\n"
            svg +=
                "<text x=\"\(f(left - 6))\" y=\"\(f(top + size - v * size + 4))\" text-anchor=\"end\">\(formatted(v, digits: 2))</text>\n"
        }
        svg +=
            "<text x=\"\(f(left + size / 2))\" y=\"\(f(top + size + 36))\" text-anchor=\"middle\">mean predicted P(label = 1)</text>\n"
        svg +=
            "<text x=\"14\" y=\"\(f(top + size / 2))\" transform=\"rotate(-90 14 \(f(top + size / 2)))\" text-anchor=\"middle\">share labelled 1</text>\n"
        for (i, curve) in curves.enumerated() {
            let color = palette[i % palette.count]
            for (dashed, keyPath) in [(false, \CalibrationBin.providedRate), (true, \CalibrationBin.correctedRate)] {
                let points = curve.bins.compactMap { bin -> (Double, Double)? in
                    guard let x = bin.meanPredicted, let y = bin[keyPath: keyPath] else { return nil }
                    return (left + x * size, top + size - y * size)
                }
                guard !points.isEmpty else { continue }
                svg +=
                    "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 3\" opacity=\"0.7\"" : "") points=\""
                    + points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>\n"
                if !dashed {
                    for point in points {
                        svg += "<circle cx=\"\(f(point.0))\" cy=\"\(f(point.1))\" r=\"3.5\" fill=\"\(color)\"/>\n"
                    }
                }
            }
            let y = top + 14 + Double(i) * 20
            svg +=
                "<line x1=\"\(f(legendX))\" y1=\"\(f(y - 4))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            svg += "<text x=\"\(f(legendX + 30))\" y=\"\(f(y))\">\(h(curve.run))</text>\n"
        }
        let noteY = top + 14 + Double(curves.count) * 20 + 10
        svg += "<text x=\"\(f(legendX))\" y=\"\(f(noteY))\" class=\"muted\">solid: provided labels</text>\n"
        svg += "<text x=\"\(f(legendX))\" y=\"\(f(noteY + 18))\">dashed: after confirmed corrections</text>\n"
        return svg + "</svg>"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
