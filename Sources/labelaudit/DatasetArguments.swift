import ArgumentParser
import Foundation
import LabelAuditCore

/// The options every dataset-reading subcommand shares.
struct DatasetArguments: ParsableArguments {
    @Argument(help: "The dataset folder (train.csv, test.csv, images/).")
    var dataset: String

    @OptionGroup var source: DatasetSourceOptions

    var db: String? { source.db }
    var predictions: [String] { source.predictions }

    var options: DatasetOptions {
        DatasetOptions(root: URL(fileURLWithPath: dataset), idColumn: source.idColumn, labelColumn: source.labelColumn,
                       imageDirectory: source.images.map { URL(fileURLWithPath: $0) }, imagePattern: source.imagePattern,
                       predictionFiles: source.predictions.map { URL(fileURLWithPath: $0) })
    }
}

/// How to read a dataset folder and where its audit lives: the options after the folder, shared
/// by `DatasetArguments` and the review app (whose folder is optional).
struct DatasetSourceOptions: ParsableArguments {
    @Option(help: "The audit database (default: <dataset>/labelaudit.sqlite, or under $XDG_DATA_HOME).")
    var db: String?

    @Option(help: "Name of the id column (default: id, ID or Id).")
    var idColumn: String?

    @Option(help: "Name of the label column (default: glasses, label, target or y).")
    var labelColumn: String?

    @Option(help: "Folder of the images (default: <dataset>/images).")
    var images: String?

    @Option(help: "Image file name pattern, {id} is replaced (default: face-{id}.jpg, then {id}.jpg).")
    var imagePattern: String?

    @Option(name: .customLong("predictions"), help: "A predictions CSV (id,probability) to import as a model run; repeatable.")
    var predictions: [String] = []
}

extension DatasetArguments {
    /// Loads the dataset, or prints the problem (file, line, column) and exits with its status.
    func loadDataset() throws -> Dataset {
        do {
            return try DatasetLoader.load(options)
        } catch {
            CommandLineIO.printError(error.description)
            throw ExitCode(error.exitCode)
        }
    }
}

/// Results go to stdout, everything else (warnings, progress, errors) to stderr.
enum CommandLineIO {
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("labelaudit: \(message)\n".utf8))
    }

    static func printWarning(_ message: String) {
        FileHandle.standardError.write(Data("labelaudit: warning: \(message)\n".utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Pretty, key-sorted JSON on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
