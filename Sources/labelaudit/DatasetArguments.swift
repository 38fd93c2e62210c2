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
///
/// Every message passes Core's sanitiser on its way out (`TerminalSafeText.visible`): whatever
/// a message quotes from data or file names (a CSV header, an id, a path), no control byte,
/// escape sequence or bidi control reaches the terminal; each shows as `?`.
enum CommandLineIO {
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("labelaudit: \(TerminalSafeText.visible(message))\n".utf8))
    }

    static func printWarning(_ message: String) {
        FileHandle.standardError.write(Data("labelaudit: warning: \(TerminalSafeText.visible(message))\n".utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Pretty, key-sorted JSON on stdout. Texts keep their exact value, but DEL, C1 controls,
    /// bidi controls and line/paragraph separators are written as `\uXXXX` escapes (JSON
    /// escapes C0 itself), so JSON read on a terminal cannot drive it either.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(terminalSafeJSON(data))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// `json` with every scalar a terminal could act on escaped as `\uXXXX` (same JSON value).
    static func terminalSafeJSON(_ json: Data) -> Data {
        let text = String(decoding: json, as: UTF8.self)
        guard text.unicodeScalars.contains(where: needsEscape) else { return json }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: "\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return Data(String(out).utf8)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || TerminalSafeText.isBidiControl(value)
    }
}
