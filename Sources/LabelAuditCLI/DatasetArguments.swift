import ArgumentParser
import Foundation
import LabelAuditCore

/// The options every dataset-reading subcommand shares.
package struct DatasetArguments: ParsableArguments {
    @Argument(help: "The dataset folder (train.csv, test.csv, images/).")
    package var dataset: String

    @OptionGroup package var source: DatasetSourceOptions

    package init() {}

    package var db: String? { source.db }
    package var predictions: [String] { source.predictions }

    package var options: DatasetOptions {
        DatasetOptions(
            root: URL(fileURLWithPath: dataset), idColumn: source.idColumn, labelColumn: source.labelColumn,
            imageDirectory: source.images.map { URL(fileURLWithPath: $0) }, imagePattern: source.imagePattern,
            predictionFiles: source.predictions.map { URL(fileURLWithPath: $0) })
    }
}

/// How to read a dataset folder and where its audit lives: the options after the folder, shared
/// by `DatasetArguments` and the review app (whose folder is optional).
package struct DatasetSourceOptions: ParsableArguments {
    @Option(help: "The audit database (default: <dataset>/labelaudit.sqlite, or under $XDG_DATA_HOME).")
    package var db: String?

    @Option(help: "Name of the id column (default: id, ID or Id).")
    package var idColumn: String?

    @Option(help: "Name of the label column (default: glasses, label, target or y).")
    package var labelColumn: String?

    @Option(help: "Folder of the images (default: <dataset>/images).")
    package var images: String?

    @Option(help: "Image file name pattern, {id} is replaced (default: face-{id}.jpg, then {id}.jpg).")
    package var imagePattern: String?

    @Option(name: .customLong("predictions"), help: "A predictions CSV (id,probability) to import as a model run; repeatable.")
    package var predictions: [String] = []

    package init() {}
}

extension DatasetArguments {
    /// Loads the dataset, or prints the problem (file, line, column) and exits with its status.
    package func loadDataset() throws -> Dataset {
        do {
            return try DatasetLoader.load(options)
        } catch {
            CommandLineIO.printError(error.description)
            throw ExitCode(error.exitCode)
        }
    }
}
