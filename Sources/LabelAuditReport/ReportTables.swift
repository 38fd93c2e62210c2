import Foundation
import LabelAuditCore

/// One table of the report as data: which columns, which rows, how each number is written.
/// Written once here; the HTML and Markdown reports only draw it, each escaping every cell its
/// own way (`HTMLReport.table`, `MarkdownReport.table`), so the two formats cannot drift apart.
struct ReportTable {
    enum Cell {
        /// Words or text from the data (escaped by the renderer).
        case text(String)
        /// A figure we formatted (right-aligned in HTML).
        case number(String)
    }

    var header: [String]
    var rows: [[Cell]]
    /// An HTML class for the table (the noise matrix is centred).
    var style: String?

    init(header: [String], rows: [[Cell]], style: String? = nil) {
        self.header = header
        self.rows = rows
        self.style = style
    }
}

extension ReportTable {
    static func dataset(_ d: DatasetSection) -> ReportTable {
        ReportTable(
            header: ["train faces", "test faces", "latent dimensions", "prevalence (train)", "missing images (train / test)"],
            rows: [
                [
                    .number("\(d.trainRows)"), .number("\(d.testRows)"), .number("\(d.latentDimensions)"),
                    .number(percent(d.prevalence)), .number("\(d.missingImagesTrain) / \(d.missingImagesTest)"),
                ]
            ])
    }

    static func runs(_ runs: [RunSection]) -> ReportTable {
        ReportTable(
            header: ["run", "source", "out of fold", "weight", "train log loss", "accuracy", "AUROC", "rows"],
            rows: runs.map { run in
                [
                    .text(run.name), .text(run.source), .text(run.outOfFold.map { $0 ? "yes" : "no" } ?? "unknown"),
                    .number(formatted(run.weight, digits: 2)), .number(formatted(run.trainLogLoss)),
                    .number(formatted(run.trainAccuracy)), .number(formatted(run.trainAUROC)),
                    .number("\(run.trainRowsPredicted)"),
                ]
            })
    }

    static func reviewers(_ progress: ReviewProgress) -> ReportTable {
        ReportTable(
            header: ["reviewer", "verdicts", "label_ok", "label_wrong", "unsure", "bad_image"],
            rows: progress.perReviewer.map { r in
                [
                    .text(r.reviewer), .number("\(r.verdicts)"), .number("\(r.labelOK)"), .number("\(r.labelWrong)"),
                    .number("\(r.unsure)"), .number("\(r.badImage)"),
                ]
            })
    }

    static func agreement(_ progress: ReviewProgress) -> ReportTable {
        ReportTable(
            header: ["reviewers", "faces both judged", "agreed", "Cohen's kappa"],
            rows: progress.agreement.map { a in
                [
                    .text("\(a.reviewerA) / \(a.reviewerB)"), .number("\(a.overlap)"), .number("\(a.agreed)"),
                    .number(formatted(a.kappa, digits: 2)),
                ]
            })
    }

    /// Rows the given label: how many faces, how many confirmed and estimated wrong.
    static func noiseDirections(_ m: NoiseMatrix) -> ReportTable {
        func count(_ d: NoiseDirection) -> String {
            guard m.basis != "none" else { return "–" }
            var text = formatted(d.wrong.estimate, digits: 1)
            if let low = d.wrong.low, let high = d.wrong.high {
                text += " (\(formatted(low, digits: 1))–\(formatted(high, digits: 1)))"
            }
            return text
        }
        return ReportTable(
            header: ["given label", "faces", "confirmed wrong", "estimated wrong", "meaning"],
            rows: [
                [
                    .text("0 (no glasses)"), .number("\(m.labelledZero.faces)"), .number("\(m.labelledZero.confirmedWrong)"),
                    .number(count(m.labelledZero)), .text("wear glasses after all"),
                ],
                [
                    .text("1 (glasses)"), .number("\(m.labelledOne.faces)"), .number("\(m.labelledOne.confirmedWrong)"),
                    .number(count(m.labelledOne)), .text("wear no glasses"),
                ],
            ], style: "matrix")
    }

    /// Columns what the faces show: the chance of each wrong label, and the prevalence.
    static func noiseShares(_ m: NoiseMatrix) -> ReportTable {
        func share(_ value: Interval?) -> String {
            guard let value else { return "–" }
            var text = percent(value.estimate)
            if let low = value.low, let high = value.high { text += " (\(percent(low))–\(percent(high)))" }
            return text
        }
        return ReportTable(
            header: ["", "glasses", "no glasses"],
            rows: [
                [.text("P(label 0 given the face)"), .number(share(m.label0GivenGlasses)), .number("–")],
                [.text("P(label 1 given the face)"), .number("–"), .number(share(m.label1GivenNoGlasses))],
                [
                    .text("prevalence"), .text("corrected \(share(m.correctedPrevalence))"),
                    .text("provided \(percent(m.providedPrevalence))"),
                ],
            ], style: "matrix")
    }

    /// The stratified estimate's bins along the queue.
    static func queueBins(_ bins: [NoiseBin]) -> ReportTable {
        ReportTable(
            header: [
                "bin", "queue positions", "score", "faces", "reviewed", "wrong", "random-sample reviews", "basis",
                "share (95% interval)",
            ],
            rows: bins.map { b in
                [
                    .number("\(b.index)"), .text("\(b.firstRank)–\(b.lastRank)"),
                    .text("\(formatted(b.scoreLow, digits: 2))–\(formatted(b.scoreHigh, digits: 2))"), .number("\(b.size)"),
                    .number("\(b.reviewed)"), .number(formatted(b.wrong, digits: 1)), .number("\(b.sampledReviewed)"),
                    .text(b.basis), .text("\(percent(b.share)) (\(percent(b.shareLow))–\(percent(b.shareHigh)))"),
                ]
            })
    }

    static func clusteringTests(_ tests: [PermutationTest]) -> ReportTable {
        ReportTable(
            header: ["statistic", "confirmed errors", "random sets", "p", "permutations"],
            rows: tests.map { t in
                [
                    .text(t.description), .number(formatted(t.errorsValue)), .number(formatted(t.randomValue)),
                    .number("\(formatted(t.pValue, digits: 4)) (\(t.alternative))"), .number("\(t.permutations)"),
                ]
            })
    }

    /// Precision among reviewed faces in the top k of each ranking; nil when there is none.
    static func precision(_ rankings: [RankingPrecision]) -> ReportTable? {
        guard let ks = rankings.first?.points.map(\.k), !ks.isEmpty else { return nil }
        return ReportTable(
            header: ["ranking"] + ks.map { "top \($0)" },
            rows: rankings.map { r in
                [.text(r.ranking)]
                    + r.points.map { point in
                        .number(point.precision.map { "\(percent($0)) (\(point.wrong)/\(point.reviewed))" } ?? "– (0 reviewed)")
                    }
            })
    }
}
