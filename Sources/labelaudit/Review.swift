import ArgumentParser
import Foundation
import LabelAuditCore
import LabelAuditStore
import LabelAuditTUI

/// Options every review-app entry shares (the real `labelaudit [DATASET]` will take these too).
struct ReviewTerminalArguments: ParsableArguments {
    @Option(help: "Colours: truecolor, 256, 16 or none (default: detected; NO_COLOR is respected).")
    var colors: String?

    @Flag(help: "Do not turn on mouse reporting.")
    var noMouse = false

    @Option(help: "Append each frame's input-to-frame time in milliseconds to FILE.")
    var frameLog: String?

    @Option(help: "How many latent neighbours to show (--neighbours FILE imports precomputed ones).")
    var neighbourCount: Int = 8

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
        return ReviewApp.Options(terminal: Terminal.Options(colorOverride: colorOverride, mouse: !noMouse),
                                 frameLog: frameLog.map { URL(fileURLWithPath: $0) }, neighbourCount: neighbourCount)
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
            FileHandle.standardError.write(Data("labelaudit: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if case .signal(let number) = ending {
            let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][number] ?? "signal \(number)"
            FileHandle.standardError.write(Data("labelaudit: stopped by \(name); every change so far is saved\n".utf8))
            throw ExitCode(128 + number)
        }
    }
}

/// The review app on a small built-in sample (in memory), for the end-to-end test and for
/// trying the keys without a dataset.
struct ReviewDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review-demo",
        abstract: "Open the review app on a small in-memory sample (for tests and trying the keys).",
        shouldDisplay: false)

    @OptionGroup var terminal: ReviewTerminalArguments

    @Option(help: "How many sample faces.")
    var faces: Int = 60

    @Option(help: "Reviewer name recorded with verdicts (default: $USER).")
    var reviewer: String?

    @Option(help: "Where `x` writes the CSV export.")
    var export: String?

    @Option(help: "Milliseconds each job step takes (shows progress in the status bar).")
    var jobStepMilliseconds: Int = 0

    func run() throws {
        guard (2...5000).contains(faces) else {
            throw ValidationError("--faces \(faces) is out of range: use 2 to 5000")
        }
        let name = reviewer ?? ProcessInfo.processInfo.environment["USER"] ?? "reviewer"
        let backend = InMemoryReviewBackend(faces: SampleFaces.make(count: faces), reviewer: name,
                                            exportURL: export.map { URL(fileURLWithPath: $0) },
                                            jobStepDelay: .milliseconds(max(0, jobStepMilliseconds)))
        backend.recordVerdict(.unsure, by: "colleague", for: "3")
        try ReviewRunner.run(backend: backend, options: try terminal.appOptions())
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

    @Option(help: "Where x writes the audit report: .md, .html, .json or .csv (default: labelaudit-report.html beside the audit database).")
    var report: String?

    @OptionGroup var evidence: EvidenceArguments
    @OptionGroup var reviewerArguments: ReviewerArguments
    @OptionGroup var terminal: ReviewTerminalArguments

    /// Where the demo lives: `Assets/demo` under the current directory or under a parent of
    /// the executable (`.build/release/labelaudit` sits three levels below the package root).
    static func demoFolder(currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                           executable: URL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath())
        -> (found: URL?, searched: [String]) {
        var candidates = [currentDirectory]
        var folder = executable.deletingLastPathComponent()
        for _ in 0 ..< 5 {
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
                CommandLineIO.printError("no DATASET given and no demo found (looked in \(demo.searched.prefix(3).joined(separator: ", ")), ...); "
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
        let backend: EngineReviewBackend
        do {
            let reportURL = report.map { URL(fileURLWithPath: $0) }
                ?? store.url.deletingLastPathComponent().appendingPathComponent("labelaudit-report.html")
            backend = try EngineReviewBackend(engine: engine, store: store, reviewer: name, reportURL: reportURL)
        } catch {
            CommandLineIO.printError(TerminalSafeText.sanitized(error.message))
            throw ExitCode(74)
        }
        try ReviewRunner.run(backend: backend, options: appOptions)
    }
}
