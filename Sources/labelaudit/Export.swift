import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine
import LabelAuditReport
import LabelAuditStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the audit report: what the reviewers found, the noise estimate, and the corrected labels.",
        discussion: HelpText.reflow(
            """
            Formats: md (Markdown; face thumbnails go to <name>-faces/ beside the file), html (one
            self-contained file, opens offline), json (versioned; schema in Docs/report.schema.json,
            or --schema), csv (two files: --out X.csv gets the corrected training labels
            id,glasses,original_glasses,changed_by and X-issues.csv the cleanlab-style issues
            id,is_label_issue,label_score,given_label,predicted_label).
            Default --out: ./labelaudit-report.<format> (csv: ./labelaudit-labels.csv); --out - writes
            md, html or json to stdout. Train ids only: the test set is never hand-labeled, and there is
            no submission format.
            """))

    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Option(help: "md, html, json or csv.") var format: String = "html"
    @Option(help: "The file to write (see above).") var out: String?
    @Flag(help: "Print the JSON report's schema and exit.") var schema = false

    /// Why `--format submission` is refused (exit 64).
    static let submissionRefusal = """
        there is no submission format: the competition forbids hand-labeled submissions and the test set \
        must never be labelled by a person, so labelaudit never writes one. Train your model on the corrected \
        training labels (--format csv) and let it predict the test set.
        """

    static func parseFormat(_ text: String) throws -> ReportFormat {
        let lowered = text.lowercased()
        if lowered == "submission" || lowered == "kaggle" {
            CommandLineIO.printError(submissionRefusal)
            throw ExitCode(64)
        }
        if lowered == "markdown" { return .markdown }
        guard let format = ReportFormat(rawValue: lowered) else {
            CommandLineIO.printError("unknown format '\(TerminalSafeText.sanitized(text))': choose md, html, json or csv")
            throw ExitCode(64)
        }
        return format
    }

    func run() throws {
        if schema {
            print(ReportSchema.json)
            return
        }
        let format = try Export.parseFormat(self.format)
        let toStdout = out == "-"
        if toStdout && format == .csv {
            CommandLineIO.printError("--format csv writes two files, so it needs --out FILE.csv (not -)")
            throw ExitCode(64)
        }
        let defaultName = format == .csv ? "labelaudit-labels.csv" : "labelaudit-report.\(format.fileExtension)"
        let url = URL(fileURLWithPath: out ?? defaultName)
        if !toStdout {
            // Refuse an unwritable destination before any model runs.
            do {
                try ReportWriter.checkWritable(url)
                if format == .csv { try ReportWriter.checkWritable(ReportWriter.issuesURL(forLabels: url)) }
            } catch {
                CommandLineIO.printError(TerminalSafeText.sanitized(error.description))
                throw ExitCode(73)
            }
        }
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        let dataset = engine.dataset
        let result = try EvidenceCLI.evidence(engine)
        let store = try AuditCommandSupport.open(data, dataset, readOnly: true)
        let report: AuditReport
        do {
            report = try AuditReport.build(dataset: dataset, evidence: result, store: store)
        } catch {
            throw AuditCommandSupport.reported(error)
        }
        for warning in report.warnings { CommandLineIO.printWarning(TerminalSafeText.sanitized(warning)) }
        if store == nil {
            CommandLineIO.printWarning(
                "no audit database yet at \(TerminalSafeText.sanitized(AuditCommandSupport.databaseURL(data, dataset).path)): the report shows progress 0"
            )
        }
        if toStdout {
            let text: String
            switch format {
            case .json: text = ReportWriter.json(report)
            case .html: text = ReportWriter.html(report)
            default: text = ReportWriter.markdown(report)
            }
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            let written = try ReportWriter.write(report, format: format, to: url)
            let extra = written.count > 1 && format == .markdown ? " (+\(written.count - 1) thumbnails)" : ""
            let shown = format == .markdown ? [written[0]] : written
            for file in shown { print("wrote \(TerminalSafeText.sanitized(file.path))\(file == written[0] ? extra : "")") }
        } catch {
            CommandLineIO.printError(TerminalSafeText.sanitized(error.description))
            throw ExitCode(73)
        }
    }
}
