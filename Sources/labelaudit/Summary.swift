import ArgumentParser
import Foundation
import LabelAuditCore

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "summary", abstract: "Print what a dataset holds: rows, latent dimension, prevalence, images, prediction files.")
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
        let report = Report(dataset: dataset.root.path, trainRows: dataset.trainCount, testRows: dataset.testCount,
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
        print("images          \(report.imagesFound) found, \(report.imagesMissing) missing\(report.imageDirectory.map { " in \(TerminalSafeText.sanitized($0))" } ?? " (no image folder)")")
        if report.predictionFiles.isEmpty {
            print("predictions     none")
        } else {
            for (k, file) in report.predictionFiles.enumerated() {
                print(k == 0 ? "predictions     \(TerminalSafeText.sanitized(file))" : "                \(TerminalSafeText.sanitized(file))")
            }
        }
    }
}

/// Hidden: the CSV bench's in-process side. Loads the dataset `repeats` times in this process,
/// as pandas' side calls `read_csv` in its own, and prints the median wall and CPU time.
/// (The bench also times the whole `summary` process, start-up included.)
struct IngestBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest-bench", shouldDisplay: false)
    @OptionGroup var data: DatasetArguments
    @Option var repeats = 5

    func run() throws {
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        var wall: [Double] = [], cpu: [Double] = []
        var rows = 0
        for _ in 0 ..< max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds, startCPU = cpuSeconds()
            let dataset = try data.loadDataset()
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpu.append(cpuSeconds() - startCPU)
            rows = dataset.count
        }
        wall.sort()
        cpu.sort()
        print("{\"rows\": \(rows), \"wall_seconds\": \(wall[wall.count / 2]), \"cpu_seconds\": \(cpu[cpu.count / 2])}")
    }
}
