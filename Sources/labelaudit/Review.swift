import ArgumentParser
import Foundation
import LabelAuditTUI

/// Options every review-app entry shares (the real `labelaudit [DATASET]` will take these too).
struct ReviewTerminalArguments: ParsableArguments {
    @Option(help: "Colours: truecolor, 256, 16 or none (default: detected; NO_COLOR is respected).")
    var colors: String?

    @Flag(help: "Do not turn on mouse reporting.")
    var noMouse = false

    @Option(help: "Append each frame's input-to-frame time in milliseconds to FILE.")
    var frameLog: String?

    @Option(help: "How many latent neighbours to show.")
    var neighbours: Int = 8

    func appOptions() throws -> ReviewApp.Options {
        var colorOverride: TerminalColorMode?
        if let colors {
            guard let mode = TerminalColorMode(argument: colors) else {
                throw ValidationError("--colors '\(colors)' is not a colour mode: use truecolor, 256, 16 or none")
            }
            colorOverride = mode
        }
        guard (1...32).contains(neighbours) else {
            throw ValidationError("--neighbours \(neighbours) is out of range: use 1 to 32")
        }
        return ReviewApp.Options(terminal: Terminal.Options(colorOverride: colorOverride, mouse: !noMouse),
                                 frameLog: frameLog.map { URL(fileURLWithPath: $0) }, neighbourCount: neighbours)
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
