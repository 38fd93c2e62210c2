import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print what a dataset holds: rows, latent dimension, prevalence, images, prediction files.")
    @OptionGroup var data: DatasetArguments
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Codable {
        var dataset: String
        var trainRows: Int
        var testRows: Int
        var latentDimension: Int
        var prevalence: Double
        var imagesFound: Int
        var imagesMissing: Int
        var imageDirectory: String?
        var predictionFiles: [String]
        var warnings: [String]
    }

    func run() throws {
        let dataset = try data.loadDataset()
        for warning in dataset.warnings { CommandLineIO.printWarning(warning) }
        let report = Report(
            dataset: dataset.root.path, trainRows: dataset.trainCount, testRows: dataset.testCount,
            latentDimension: dataset.dim, prevalence: dataset.prevalence,
            imagesFound: dataset.count - dataset.missingImageCount,
            imagesMissing: dataset.missingImageCount, imageDirectory: dataset.imageDirectory?.path,
            predictionFiles: dataset.predictionFiles.map(\.path), warnings: dataset.warnings)
        if json {
            try CommandLineIO.printJSON(report)
            return
        }
        let percent = String(format: "%.1f%%", dataset.prevalence * 100)
        print("dataset         \(TerminalSafeText.sanitized(report.dataset))")
        print("train rows      \(report.trainRows)")
        print("test rows       \(report.testRows)")
        print("latent dim      \(report.latentDimension)")
        print("prevalence      \(percent) labelled 1 (train)")
        print(
            "images          \(report.imagesFound) found, \(report.imagesMissing) missing\(report.imageDirectory.map { " in \(TerminalSafeText.sanitized($0))" } ?? " (no image folder)")"
        )
        if report.predictionFiles.isEmpty {
            print("predictions     none")
        } else {
            for (k, file) in report.predictionFiles.enumerated() {
                print(
                    k == 0
                        ? "predictions     \(TerminalSafeText.sanitized(file))"
                        : "                \(TerminalSafeText.sanitized(file))")
            }
        }
    }
}
