import ArgumentParser
import Foundation
import LabelAuditCore
import LabelAuditDemo
import LabelAuditImaging

/// `labelaudit demo ...`: the embedded demo dataset, drawn from latent vectors.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Make the procedural demo dataset (faces whose glasses follow a latent vector, with label noise).",
        subcommands: [DemoGenerate.self, DemoContactSheetCommand.self]
    )
}

/// The generator's arguments, shared by `generate` and `contact-sheet` so both draw the same faces.
struct DemoShapeArguments: ParsableArguments {
    @Option(help: "Number of training faces (ids 1...train).") var train = 540
    @Option(help: "Number of test faces (ids continue after train).") var test = 60
    @Option(help: "Image side in pixels.") var size = 256
    @Option(help: "Latent dimensions.") var dim = 512
    @Option(help: "Random seed.") var seed: UInt64 = 1

    var options: DemoOptions { DemoOptions(trainCount: train, testCount: test, size: size, dim: dim, seed: seed) }

    func validate() throws {
        do { try options.validate() } catch { throw ValidationError(error.description) }
    }
}

struct DemoGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write train.csv, test.csv, sample_submission.csv and images/ to --out; the truth to --truth.",
        discussion:
            "The committed Assets/demo is: labelaudit demo generate --out Assets/demo --train 540 --test 60 --size 256 --dim 512 --seed 1"
    )

    @Option(help: "The dataset folder to write (created; must be empty or an earlier demo).") var out: String
    @Option(help: "Where truth.csv goes (default: <out>-truth). Kept apart so the app never reads it.") var truth: String?
    @OptionGroup var shape: DemoShapeArguments

    func run() throws {
        let start = Date()
        let summary: DemoSummary
        do {
            summary = try DemoGenerator.generate(shape.options, out: out, truth: truth)
        } catch {
            FileHandle.standardError.write(
                Data("labelaudit demo generate: \(TerminalSafeText.visible(error.description))\n".utf8))
            throw ExitCode(1)
        }
        let seconds = Date().timeIntervalSince(start)
        let glassesShare = Double(summary.labelledGlasses) / Double(summary.trainCount) * 100
        print(
            "wrote \(summary.trainCount) train + \(summary.testCount) test faces at \(shape.size)x\(shape.size) to \(summary.out)"
                + " in \(String(format: "%.1f", seconds)) s; \(String(format: "%.1f", glassesShare))% labelled glasses,"
                + " \(summary.flippedTrain) train pictures disagree with their label; truth in \(summary.truth)")
    }
}

struct DemoContactSheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact-sheet",
        abstract: "Write a JPEG grid of the first demo faces (for eyeballing the generator)."
    )

    @Option(help: "The JPEG to write.") var out: String
    @Option(help: "How many faces.") var count = 24
    @Option(help: "Faces per row.") var columns = 8
    @Option(help: "Thumbnail side in pixels (must divide --size).") var thumbnail = 128
    @OptionGroup var shape: DemoShapeArguments

    func validate() throws {
        guard count >= 1, columns >= 1 else { throw ValidationError("--count and --columns must be at least 1.") }
        guard thumbnail >= 1, shape.size % thumbnail == 0 else {
            throw ValidationError("--thumbnail must divide --size \(shape.size) (got \(thumbnail)).")
        }
    }

    func run() throws {
        do {
            let plan = try DemoPlan(options: shape.options)
            let sheet = DemoContactSheet.make(
                plan, indices: Array(0..<min(count, plan.faces.count)),
                columns: columns, thumbnail: thumbnail)
            try Data(JPEGEncoder.encode(sheet, quality: 85)).write(to: URL(fileURLWithPath: out))
        } catch let error as DemoError {
            FileHandle.standardError.write(
                Data("labelaudit demo contact-sheet: \(TerminalSafeText.visible(error.description))\n".utf8))
            throw ExitCode(1)
        }
    }
}
