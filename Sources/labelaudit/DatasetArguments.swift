import ArgumentParser
import Foundation
import LabelAuditCore

/// The options every dataset-reading subcommand shares.
struct DatasetArguments: ParsableArguments {
    @Argument(help: "The dataset folder (train.csv, test.csv, images/).")
    var dataset: String

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

    var options: DatasetOptions {
        DatasetOptions(root: URL(fileURLWithPath: dataset), idColumn: idColumn, labelColumn: labelColumn,
                       imageDirectory: images.map { URL(fileURLWithPath: $0) }, imagePattern: imagePattern,
                       predictionFiles: predictions.map { URL(fileURLWithPath: $0) })
    }
}
