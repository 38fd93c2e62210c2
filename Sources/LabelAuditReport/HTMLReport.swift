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
        img.face { width: 160px; height: auto; border-radius: 4px; display: block; } img.eyes { width: 400px; height: auto; display: block; }
        table.matrix td, table.matrix th { text-align: center; } img.plot { max-width: 100%; border: 1px solid #d6dde4; }
        .nopic { width: 160px; height: 160px; background: #eee; color: #777; font-size: 12px; display: flex; align-items: center; justify-content: center; text-align: center; }
        svg text { font: 12px system-ui, sans-serif; fill: #1d232a; }
        </style></head><body>
        <h1>Label audit report</h1>
        <p class="muted">Generated \(h(report.generatedAt)) by labelaudit (report schema \(report.schemaVersion)) for <code>\(h(report.dataset.root))</code>.</p>
        <div class="lead"><ul>
        """
        out += ReportText.summary(report).map { "<li>\(h($0))</li>" }.joined(separator: "\n")
        out += "</ul></div>\n"

        let d = report.dataset
        out += "<h2>Dataset</h2>\n<table><tr><th>train faces</th><th>test faces</th><th>latent dimensions</th><th>prevalence (train)</th><th>missing images (train / test)</th></tr>"
        out += "<tr><td class=num>\(d.trainRows)</td><td class=num>\(d.testRows)</td><td class=num>\(d.latentDimensions)</td><td class=num>\(percent(d.prevalence))</td><td class=num>\(d.missingImagesTrain) / \(d.missingImagesTest)</td></tr></table>\n"
        out += "<p class=muted>Test labels do not exist, so no metric here is a test-set metric.</p>\n"

        out += "<h2>Model runs</h2>\n"
        if report.runs.isEmpty {
            out += "<p>No model runs.</p>\n"
        } else {
            out += "<table><tr><th>run</th><th>source</th><th>out of fold</th><th>weight</th><th>train log loss</th><th>accuracy</th><th>AUROC</th><th>rows</th></tr>\n"
            for run in report.runs {
                out += "<tr><td>\(h(run.name))</td><td>\(h(run.source))</td><td>\(run.outOfFold.map { $0 ? "yes" : "no" } ?? "unknown")</td><td class=num>\(formatted(run.weight, digits: 2))</td><td class=num>\(formatted(run.trainLogLoss))</td><td class=num>\(formatted(run.trainAccuracy))</td><td class=num>\(formatted(run.trainAUROC))</td><td class=num>\(run.trainRowsPredicted)</td></tr>\n"
            }
            out += "</table>\n"
        }

        let p = report.progress
        out += "<h2>Review progress</h2>\n<p>\(p.reviewed) of \(p.queueSize) train faces reviewed (\(p.decisive) with a decisive verdict); random audit sample: \(p.auditSampleReviewed) of \(p.auditSampleSize) reviewed.</p>\n"
        if !p.perReviewer.isEmpty {
            out += "<table><tr><th>reviewer</th><th>verdicts</th><th>label_ok</th><th>label_wrong</th><th>unsure</th><th>bad_image</th></tr>\n"
            for r in p.perReviewer {
                out += "<tr><td>\(h(r.reviewer))</td><td class=num>\(r.verdicts)</td><td class=num>\(r.labelOK)</td><td class=num>\(r.labelWrong)</td><td class=num>\(r.unsure)</td><td class=num>\(r.badImage)</td></tr>\n"
            }
            out += "</table>\n"
        }
        if !p.agreement.isEmpty {
            out += "<table><tr><th>reviewers</th><th>faces both judged</th><th>agreed</th><th>Cohen's kappa</th></tr>\n"
            for a in p.agreement {
                out += "<tr><td>\(h(a.reviewerA)) / \(h(a.reviewerB))</td><td class=num>\(a.overlap)</td><td class=num>\(a.agreed)</td><td class=num>\(formatted(a.kappa, digits: 2))</td></tr>\n"
            }
            out += "</table>\n"
        }
        if !report.conflicts.isEmpty {
            out += "<h3>Conflicts</h3>\n" + faceTable(report.conflicts, thumbnails: nil)
        }

        out += "<h2>Confirmed label errors</h2>\n"
        out += report.confirmedErrors.isEmpty ? "<p>None yet.</p>\n" : faceTable(report.confirmedErrors, thumbnails: thumbnails)
        if !report.badImages.isEmpty {
            out += "<h3>Broken pictures (bad_image)</h3>\n" + faceTable(report.badImages, thumbnails: thumbnails)
        }

        out += "<h2>Question 1: how noisy are the training labels?</h2>\n<p class=answer>\(h(report.noise.sentence))</p>\n"
        out += noiseMatrixTable(report.noiseMatrix)
        out += "<p>\(h(report.noiseMatrix.sentence))</p>\n"
        out += "<h3>Where in the queue (stratified estimate, for comparison)</h3>\n"
        if let share = report.noise.stratifiedShare, let low = report.noise.stratifiedShareLow, let high = report.noise.stratifiedShareHigh {
            out += "<p>Stratified by queue position: \(percent(share)) (95% interval \(percent(low)) to \(percent(high))).</p>\n"
        }
        out += "<table><tr><th>bin</th><th>queue positions</th><th>score</th><th>faces</th><th>reviewed</th><th>wrong</th><th>random-sample reviews</th><th>basis</th><th>share (95% interval)</th></tr>\n"
        for b in report.noise.bins {
            out += "<tr><td class=num>\(b.index)</td><td>\(b.firstRank)–\(b.lastRank)</td><td>\(formatted(b.scoreLow, digits: 2))–\(formatted(b.scoreHigh, digits: 2))</td><td class=num>\(b.size)</td><td class=num>\(b.reviewed)</td><td class=num>\(formatted(b.wrong, digits: 1))</td><td class=num>\(b.sampledReviewed)</td><td>\(h(b.basis))</td><td>\(percent(b.share)) (\(percent(b.shareLow))–\(percent(b.shareHigh)))</td></tr>\n"
        }
        out += "</table>\n<p class=muted>Method: \(h(report.noise.method))</p>\n"

        out += "<h2>Question 2: do mislabeled faces sit close together?</h2>\n<p class=answer>\(h(report.clustering.sentence))</p>\n"
        if let picture = report.directionsPicture {
            out += "<figure><img class=plot alt=\"confirmed errors against all faces on two latent directions\" src=\"data:image/jpeg;base64,\(Data(picture).base64EncodedString())\">"
            out += "<figcaption class=muted>\(h(ReportText.directionsCaption))</figcaption></figure>\n"
        }
        if !report.clustering.tests.isEmpty {
            out += "<table><tr><th>statistic</th><th>confirmed errors</th><th>random sets</th><th>p</th><th>permutations</th></tr>\n"
            for t in report.clustering.tests {
                out += "<tr><td>\(h(t.description))</td><td class=num>\(formatted(t.errorsValue))</td><td class=num>\(formatted(t.randomValue))</td><td class=num>\(formatted(t.pValue, digits: 4)) (\(h(t.alternative)))</td><td class=num>\(t.permutations)</td></tr>\n"
            }
            out += "</table>\n"
        }

        out += "<h2>How well each score found the errors</h2>\n<p>Precision among reviewed faces (label_wrong / decisive verdicts) in the top k of each ranking.</p>\n"
        if let ks = report.precision.first?.points.map(\.k), !ks.isEmpty {
            out += "<table><tr><th>ranking</th>" + ks.map { "<th>top \($0)</th>" }.joined() + "</tr>\n"
            for r in report.precision {
                out += "<tr><td>\(h(r.ranking))</td>" + r.points.map { pt in
                    "<td class=num>" + (pt.precision.map { "\(percent($0)) (\(pt.wrong)/\(pt.reviewed))" } ?? "– (0 reviewed)") + "</td>"
                }.joined() + "</tr>\n"
            }
            out += "</table>\n"
        }

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
        let basis = ["audit_sample": "from the audit sample (95% intervals)", "model_based": "model-based (confident learning), no interval",
                     "none": "no estimate yet"][m.basis] ?? m.basis
        var out = "<h3>Noise matrix: which way labels are wrong</h3>\n<p class=muted>Basis: \(h(basis)).</p>\n"
        out += "<table class=matrix><tr><th>given label</th><th>faces</th><th>confirmed wrong</th><th>estimated wrong</th><th>meaning</th></tr>\n"
        out += "<tr><td>0 (no glasses)</td><td class=num>\(m.labelledZero.faces)</td><td class=num>\(m.labelledZero.confirmedWrong)</td><td class=num>\(count(m.labelledZero))</td><td>wear glasses after all</td></tr>\n"
        out += "<tr><td>1 (glasses)</td><td class=num>\(m.labelledOne.faces)</td><td class=num>\(m.labelledOne.confirmedWrong)</td><td class=num>\(count(m.labelledOne))</td><td>wear no glasses</td></tr>\n</table>\n"
        out += "<table class=matrix><tr><th></th><th>glasses</th><th>no glasses</th></tr>\n"
        out += "<tr><th>P(label 0 | ·)</th><td>\(share(m.label0GivenGlasses))</td><td>–</td></tr>\n"
        out += "<tr><th>P(label 1 | ·)</th><td>–</td><td>\(share(m.label1GivenNoGlasses))</td></tr>\n"
        out += "<tr><th>prevalence</th><td colspan=2>corrected \(share(m.correctedPrevalence)); provided \(percent(m.providedPrevalence))</td></tr>\n</table>\n"
        return out
    }

    static func faceTable(_ faces: [ReviewedFace], thumbnails: Thumbnails.Batch?) -> String {
        var out = "<table><tr>" + (thumbnails == nil ? "" : "<th>face</th>") + "<th>id</th><th>label</th><th>verdicts</th><th>model p</th><th>score (rank)</th><th>reason</th><th>notes and tags</th></tr>\n"
        for face in faces {
            out += "<tr>"
            if let thumbnails {
                if let picture = thumbnails.pictures[face.row] {
                    out += "<td><div class=pics><img class=face alt=\"face \(h(face.id))\" src=\"data:image/jpeg;base64,\(Data(picture.face).base64EncodedString())\">"
                    out += "<img class=eyes alt=\"eye band of face \(h(face.id))\" src=\"data:image/jpeg;base64,\(Data(picture.eyeBand).base64EncodedString())\"></div></td>"
                } else {
                    out += "<td><div class=nopic>\(h(thumbnails.failures[face.row] ?? "no picture"))</div></td>"
                }
            }
            let verdicts = face.verdicts.map { "\(h($0.reviewer)): <b>\(h($0.verdict))</b>" }.joined(separator: "<br>")
            let probabilities = face.probabilities.map { "\(h($0.run)) \(formatted($0.probability, digits: 2))" }.joined(separator: "<br>")
            let notes = face.verdicts.compactMap { v -> String? in
                var parts: [String] = []
                if let note = v.note, !note.isEmpty { parts.append(h(shortened(note))) }
                if !v.tags.isEmpty { parts.append("<i>tags: " + v.tags.map(h).joined(separator: ", ") + "</i>") }
                return parts.isEmpty ? nil : "<b>\(h(v.reviewer))</b>: " + parts.joined(separator: " ")
            }.joined(separator: "<br>")
            out += "<td>\(h(face.id))\(face.inAuditSample ? " <span class=muted>(sample)</span>" : "")</td><td class=num>\(face.givenLabel)</td><td>\(verdicts)</td><td>\(probabilities)</td><td class=num>\(formatted(face.score, digits: 2)) (\(face.rank))</td><td>\(h(face.reason))</td><td class=note>\(notes)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// All train scores (grey) on top; below, the reviewed faces per bin: confirmed errors (red)
    /// and confirmed OK (green), on their own scale.
    static func histogramSVG(_ histogram: ScoreHistogram) -> String {
        guard histogram.all.count > 0, histogram.edges.count == histogram.all.count + 1 else { return "<p>No scores.</p>" }
        let width = 760.0, left = 48.0, plotWidth = width - left - 16, top1 = 20.0, height1 = 170.0, top2 = 230.0, height2 = 90.0
        let bins = histogram.all.count
        let barWidth = plotWidth / Double(bins)
        let maxAll = Double(max(1, histogram.all.max() ?? 1))
        let maxReviewed = Double(max(1, zip(histogram.confirmedErrors, histogram.confirmedOK).map { $0 + $1 }.max() ?? 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"360\" viewBox=\"0 0 \(Int(width)) 360\" role=\"img\" aria-label=\"score histogram\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"360\" fill=\"#ffffff\"/>\n"
        svg += "<text x=\"\(left)\" y=\"14\">train faces per default-ranking score (max \(Int(maxAll)))</text>\n"
        svg += "<text x=\"\(left)\" y=\"\(top2 - 8)\">reviewed: <tspan fill=\"#c0392b\">confirmed errors</tspan> and <tspan fill=\"#2e8b57\">confirmed OK</tspan> (max \(Int(maxReviewed)))</text>\n"
        for b in 0 ..< bins {
            let x = left + Double(b) * barWidth
            let h1 = height1 * Double(histogram.all[b]) / maxAll
            svg += "<rect x=\"\(f(x + 1))\" y=\"\(f(top1 + height1 - h1))\" width=\"\(f(barWidth - 2))\" height=\"\(f(h1))\" fill=\"#8a9aab\"/>\n"
            let hw = height2 * Double(histogram.confirmedErrors[b]) / maxReviewed
            let ho = height2 * Double(histogram.confirmedOK[b]) / maxReviewed
            svg += "<rect x=\"\(f(x + 1))\" y=\"\(f(top2 + height2 - hw))\" width=\"\(f(barWidth - 2))\" height=\"\(f(hw))\" fill=\"#c0392b\"/>\n"
            svg += "<rect x=\"\(f(x + 1))\" y=\"\(f(top2 + height2 - hw - ho))\" width=\"\(f(barWidth - 2))\" height=\"\(f(ho))\" fill=\"#2e8b57\"/>\n"
        }
        svg += "<line x1=\"\(left)\" y1=\"\(top1 + height1)\" x2=\"\(left + plotWidth)\" y2=\"\(top1 + height1)\" stroke=\"#333\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top2 + height2)\" x2=\"\(left + plotWidth)\" y2=\"\(top2 + height2)\" stroke=\"#333\"/>\n"
        for tick in stride(from: 0, through: bins, by: max(1, bins / 6)) {
            let x = left + Double(tick) * barWidth
            svg += "<text x=\"\(f(x))\" y=\"\(top2 + height2 + 16)\" text-anchor=\"middle\">\(formatted(histogram.edges[tick], digits: 2))</text>\n"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"354\" text-anchor=\"middle\">score (higher = more likely a wrong label)</text>\n"
        return svg + "</svg>"
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// Reliability diagram per run: mean predicted p against the share labelled 1 (provided
    /// labels, solid; after the confirmed corrections, dashed).
    static func calibrationSVG(_ curves: [CalibrationCurve]) -> String {
        guard !curves.isEmpty else { return "<p>No model runs.</p>" }
        let size = 360.0, left = 50.0, top = 16.0
        let legendX = left + size + 24
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(legendX + 260))\" height=\"\(Int(size + 70))\" viewBox=\"0 0 \(Int(legendX + 260)) \(Int(size + 70))\" role=\"img\" aria-label=\"calibration plot\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(legendX + 260))\" height=\"\(Int(size + 70))\" fill=\"#ffffff\"/>\n"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(size)\" height=\"\(size)\" fill=\"#f7f9fb\" stroke=\"#333\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top + size)\" x2=\"\(left + size)\" y2=\"\(top)\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n"
        for tick in 0 ... 4 {
            let v = Double(tick) / 4
            svg += "<text x=\"\(f(left + v * size))\" y=\"\(f(top + size + 16))\" text-anchor=\"middle\">\(formatted(v, digits: 2))</text>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(top + size - v * size + 4))\" text-anchor=\"end\">\(formatted(v, digits: 2))</text>\n"
        }
        svg += "<text x=\"\(f(left + size / 2))\" y=\"\(f(top + size + 36))\" text-anchor=\"middle\">mean predicted P(label = 1)</text>\n"
        svg += "<text x=\"14\" y=\"\(f(top + size / 2))\" transform=\"rotate(-90 14 \(f(top + size / 2)))\" text-anchor=\"middle\">share labelled 1</text>\n"
        for (i, curve) in curves.enumerated() {
            let color = palette[i % palette.count]
            for (dashed, keyPath) in [(false, \CalibrationBin.providedRate), (true, \CalibrationBin.correctedRate)] {
                let points = curve.bins.compactMap { bin -> (Double, Double)? in
                    guard let x = bin.meanPredicted, let y = bin[keyPath: keyPath] else { return nil }
                    return (left + x * size, top + size - y * size)
                }
                guard !points.isEmpty else { continue }
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 3\" opacity=\"0.7\"" : "") points=\"" + points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>\n"
                if !dashed {
                    for point in points { svg += "<circle cx=\"\(f(point.0))\" cy=\"\(f(point.1))\" r=\"3.5\" fill=\"\(color)\"/>\n" }
                }
            }
            let y = top + 14 + Double(i) * 20
            svg += "<line x1=\"\(f(legendX))\" y1=\"\(f(y - 4))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            svg += "<text x=\"\(f(legendX + 30))\" y=\"\(f(y))\">\(h(curve.run))</text>\n"
        }
        let noteY = top + 14 + Double(curves.count) * 20 + 10
        svg += "<text x=\"\(f(legendX))\" y=\"\(f(noteY))\" class=\"muted\">solid: provided labels</text>\n"
        svg += "<text x=\"\(f(legendX))\" y=\"\(f(noteY + 18))\">dashed: after confirmed corrections</text>\n"
        return svg + "</svg>"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
