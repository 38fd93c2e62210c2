import Foundation
import LabelAuditCore

/// The two CSV exports, train ids only (nothing human-made about a test id is ever written).
///
/// - corrected labels: `id,glasses,original_glasses,changed_by`; `glasses` is flipped where the
///   reviewers confirmed the label wrong (consensus, no label_ok), `changed_by` lists those
///   reviewers separated by `;`;
/// - issues (cleanlab's `find_label_issues` shape plus the reviewers' word): `id,is_label_issue,
///   label_score,given_label,predicted_label,review`, from the ranking's pooled picture
///   probabilities (`LabelIssues`); `is_label_issue` is confident learning on them (the rows
///   `rank` marks), `review` the consensus decision (empty when unreviewed).
enum CSVReport {
    static func correctedLabels(_ report: AuditReport) -> String {
        var out = "id,glasses,original_glasses,changed_by\n"
        for row in report.labelRows {
            out +=
                [
                    field(row.id), String(row.correctedLabel), String(row.givenLabel),
                    field(row.changedBy.joined(separator: ";")),
                ].joined(separator: ",") + "\n"
        }
        return out
    }

    static func issues(_ report: AuditReport) -> String {
        var out = "id,is_label_issue,label_score,given_label,predicted_label,review\n"
        for row in report.labelRows {
            out +=
                [
                    field(row.id), row.isLabelIssue ? "True" : "False",
                    row.labelScore.map { String(format: "%.6f", $0) } ?? "",
                    String(row.givenLabel), row.predictedLabel.map(String.init) ?? "", row.review ?? "",
                ].joined(separator: ",") + "\n"
        }
        return out
    }

    /// RFC 4180 quoting, control characters removed, and a leading `'` before = + - @ so a
    /// spreadsheet never runs data as a formula.
    static func field(_ text: String) -> String {
        var safe = TerminalSafeText.sanitized(text)
        if let first = safe.first, "=+-@".contains(first), Double(safe) == nil { safe = "'" + safe }
        if safe.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return safe
    }
}
