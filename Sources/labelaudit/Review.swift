import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditReport
import LabelAuditStore
import LabelAuditTUI

/// How the review app draws and reads the terminal (`labelaudit [DATASET]` and `labelaudit review`).
struct ReviewTerminalArguments: ParsableArguments {
    @Option(help: "Colours: truecolor, 256, 16 or none (default: detected; NO_COLOR is respected).")
    var colors: String?

    @Flag(help: "Do not turn on mouse reporting.")
    var noMouse = false

    @Option(help: "Append each frame's input-to-frame time in milliseconds to FILE.")
    var frameLog: String?

    @Option(help: "How many latent neighbours to show (--neighbours FILE imports precomputed ones).")
    var neighbourCount: Int = 8

    @Option(help: "Glyphs for pictures: half, quad or sextant (sextants need a font that has them; default quad).")
    var symbols: String?

    @Option(help: "Real pixels for the face: auto (when the terminal answers it has kitty or sixel), kitty, sixel or off.")
    var graphics: String?

    @Option(help: "Open on this face (its id as in train.csv or test.csv).")
    var goto: String?

    @Flag(help: "Open in the inspect view (the face alone, its eye band as wide as the terminal).")
    var inspect = false

    func appOptions() throws -> ReviewApp.Options {
        var colorOverride: TerminalColorMode?
        if let colors {
            guard let mode = TerminalColorMode(argument: colors) else {
                throw ValidationError("--colors '\(colors)' is not a colour mode: use truecolor, 256, 16 or none")
            }
            colorOverride = mode
        }
        guard (1...32).contains(neighbourCount) else {
            throw ValidationError("--neighbour-count \(neighbourCount) is out of range: use 1 to 32")
        }
        var symbolSet: SymbolSet?
        if let symbols {
            guard let set = SymbolSet(rawValue: symbols.lowercased()) else {
                throw ValidationError("--symbols '\(symbols)' is not a glyph set: use half, quad or sextant")
            }
            symbolSet = set
        }
        var graphicsMode: GraphicsMode?
        if let graphics {
            guard let mode = GraphicsMode(rawValue: graphics.lowercased()) else {
                throw ValidationError("--graphics '\(graphics)' is not a mode: use auto, kitty, sixel or off")
            }
            graphicsMode = mode
        }
        return ReviewApp.Options(
            terminal: Terminal.Options(colorOverride: colorOverride, mouse: !noMouse),
            frameLog: frameLog.map { URL(fileURLWithPath: $0) }, neighbourCount: neighbourCount,
            symbols: symbolSet, settingsFile: UserSettings.location(), graphics: graphicsMode,
            startID: goto, startInspecting: inspect)
    }
}

/// Runs the review app and turns its ending into the process's exit status.
enum ReviewRunner {
    static func run(backend: any ReviewBackend, options: ReviewApp.Options) throws {
        let ending: ReviewApp.Ending
        do {
            ending = try ReviewApp.run(backend: backend, options: options)
        } catch {
            // The terminal is restored by now, so the message lands on a normal screen.
            FileHandle.standardError.write(Data("labelaudit: \(TerminalSafeText.visible("\(error)"))\n".utf8))
            throw ExitCode(1)
        }
        if case .signal(let number) = ending {
            let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][number] ?? "signal \(number)"
            FileHandle.standardError.write(Data("labelaudit: stopped by \(name); every change so far is saved\n".utf8))
            throw ExitCode(128 + number)
        }
    }
}

/// `labelaudit [DATASET]`: the review app on a real dataset (the default subcommand). Without
/// DATASET it opens the demo in Assets/demo, looked up from the current directory and from the
/// executable's package root.
struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Open the review app: work down the ranked queue, record verdicts (the default command).")

    @Argument(help: "The dataset folder (train.csv, test.csv, images/); default: the demo in Assets/demo.")
    var dataset: String?

    @OptionGroup var source: DatasetSourceOptions

    @Option(
        help:
            "Where x writes the audit report: .md, .html, .json or .csv (default: labelaudit-report.html beside the audit database)."
    )
    var report: String?

    @OptionGroup var evidence: EvidenceArguments
    @OptionGroup var reviewerArguments: ReviewerArguments
    @OptionGroup var terminal: ReviewTerminalArguments

    /// Where the demo lives: `Assets/demo` under the current directory or under a parent of
    /// the executable (`.build/release/labelaudit` sits three levels below the package root).
    static func demoFolder(
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        executable: URL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    )
        -> (found: URL?, searched: [String])
    {
        var candidates = [currentDirectory]
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        var searched: [String] = []
        for base in candidates {
            let demo = base.appendingPathComponent("Assets/demo")
            searched.append(demo.path)
            if FileManager.default.fileExists(atPath: demo.appendingPathComponent("train.csv").path) { return (demo, searched) }
        }
        return (nil, searched)
    }

    func run() throws {
        let appOptions = try terminal.appOptions()
        let name = try reviewerArguments.resolved()
        let folder: String
        if let dataset {
            folder = dataset
        } else {
            let demo = Self.demoFolder()
            guard let found = demo.found else {
                CommandLineIO.printError(
                    "no DATASET given and no demo found (looked in \(demo.searched.prefix(3).joined(separator: ", ")), ...); "
                        + "pass a dataset folder: labelaudit DATASET, or run it from the labelaudit checkout")
                throw ExitCode(66)
            }
            folder = found.path
        }
        var data = try DatasetArguments.parse([folder])
        data.source = source
        let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
        guard let store = try AuditCommandSupport.open(data, engine.dataset) else {
            throw ExitCode(74)
        }
        // What R retrains: the picture models (the image model, and labelaudit.json's command).
        let rerunOptions = try RerunCommand.appOptions(dataset: engine.dataset, imageModel: !evidence.noImage)
        let backend: EngineReviewBackend
        do {
            let reportURL =
                report.map { URL(fileURLWithPath: $0) }
                ?? store.url.deletingLastPathComponent().appendingPathComponent("labelaudit-report.html")
            let session = try ReviewSession(
                engine: engine, store: store, reviewer: name, rerunOptions: rerunOptions,
                reportExport: .auditReport(to: reportURL))
            backend = EngineReviewBackend(session: session)
        } catch {
            CommandLineIO.printError(TerminalSafeText.sanitized(error.message))
            throw ExitCode(74)
        }
        try ReviewRunner.run(backend: backend, options: appOptions)
    }
}
