import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore

extension ReportExport {
    /// The review app's `x`: builds the audit report and writes it to `url`, in the format its
    /// extension names (md, html, json, csv; anything else: html). Nothing is written when the
    /// export is cancelled while the report is being built.
    public static func auditReport(to url: URL) -> ReportExport {
        ReportExport(destination: url) { dataset, evidence, store, isCancelled, progress throws(ReviewError) in
            let format = ReportFormat(rawValue: url.pathExtension.lowercased()) ?? .html
            progress(0.1, "building the report")
            let report: AuditReport
            do {
                report = try AuditReport.build(dataset: dataset, evidence: evidence, store: store)
            } catch let error as AuditStoreError {
                throw ReviewError(error.description)
            } catch {
                throw ReviewError(String(describing: error))
            }
            if isCancelled() { throw ReviewError("export: cancelled; nothing was written") }
            progress(0.6, "writing \(url.lastPathComponent)")
            do throws(ReportWriteError) {
                let files = try ReportWriter.write(report, format: format, to: url)
                return "report written: \(files.map(\.path).joined(separator: ", "))"
            } catch {
                throw ReviewError(error.description)
            }
        }
    }
}
