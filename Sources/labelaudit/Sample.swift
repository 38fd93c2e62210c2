import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore
import LabelAuditEngine
import LabelAuditReport
import LabelAuditStore

/// `labelaudit sample DATASET N`: draws the random audit sample behind the unbiased noise
/// estimate, from the command line (the review app's `:sample N` draws a uniform one).
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw a random audit sample of N training faces for the team to review.",
        discussion: HelpText.reflow(
            """
            The queue shows likely errors first, so its reviews cannot say how many wrong labels the
            rest holds; a random sample can. By default the draw is importance-weighted: a face is
            drawn with probability proportional to how unsure the picture models are about its label
            (plus a uniform share, so every face can be drawn), and every face's inclusion probability
            is stored in the audit database, so the report's estimate stays unbiased (Docs/report.md).
            --uniform draws every face with the same probability. Review the drawn faces in the app
            (`:filter sample`), then export the report.
            """))

    @OptionGroup var data: DatasetArguments
    @OptionGroup var evidence: EvidenceArguments
    @Argument(help: "How many faces to draw.") var count: Int
    @Flag(help: "Draw uniformly at random instead of weighting by the models' uncertainty.") var uniform = false
    @Option(help: "Seed of the draw (default: a fresh one; the seed used is stored).") var seed: UInt64?
    @Flag(help: "Print JSON instead of text.") var json = false
    @OptionGroup var reviewerArguments: ReviewerArguments

    func validate() throws {
        if count < 1 { throw ValidationError("the sample size must be at least 1, got \(count)") }
    }

    struct Output: Encodable {
        struct Face: Encodable {
            var id: String
            var inclusion: Double
        }
        var design: String
        var faces: [Face]
    }

    func run() throws {
        let reviewer = try reviewerArguments.resolved()
        let dataset: Dataset
        let drawn: [String]
        var inclusion: [String: Double] = [:]
        if uniform {
            dataset = try data.loadDataset()
            guard let store = try AuditCommandSupport.open(data, dataset) else { return }
            let population = Array(dataset.ids[0..<dataset.trainCount])
            drawn = try AuditCommandSupport.perform {
                try store.addAuditSample(count: count, from: population, reviewer: reviewer, seed: seed)
            }
            if let draw = try AuditCommandSupport.perform({ try store.auditSampleDraws().last }), Set(draw.items) == Set(drawn) {
                for id in drawn { inclusion[id] = draw.inclusion(of: id) }
            }
        } else {
            let engine = try EvidenceCLI.engine(data: data, evidence: evidence)
            dataset = engine.dataset
            let result = try EvidenceCLI.evidence(engine)
            guard let store = try AuditCommandSupport.open(data, dataset) else { return }
            let reviews = try AuditCommandSupport.perform { try ReviewSnapshot(store: store) }
            let weights = AuditDesign.weights(dataset: dataset, evidence: result, reviews: reviews)
            drawn = try AuditCommandSupport.perform {
                try store.addWeightedAuditSample(count: count, weights: weights, reviewer: reviewer, seed: seed)
            }
            if let draw = try AuditCommandSupport.perform({ try store.auditSampleDraws().last }) {
                for id in drawn { inclusion[id] = draw.inclusion(of: id) }
            }
        }
        let design = uniform ? "uniform" : "weighted"
        if json {
            try CommandLineIO.printJSON(Output(design: design, faces: drawn.map { .init(id: $0, inclusion: inclusion[$0] ?? 0) }))
            return
        }
        if drawn.isEmpty {
            print("no face left to draw: every train face is in the audit sample already")
            return
        }
        for id in drawn {
            print("\(AuditCommandSupport.shown(id))\t\(String(format: "%.4f", inclusion[id] ?? 0))")
        }
        let probabilities = drawn.compactMap { inclusion[$0] }
        let range =
            probabilities.isEmpty
            ? "" : String(format: ", inclusion probabilities %.4f to %.4f", probabilities.min()!, probabilities.max()!)
        // The ids are the result (stdout, one per line with its probability); the summary is a note.
        FileHandle.standardError.write(
            Data(
                ("drew \(drawn.count) face(s) into the audit sample (\(design)\(range), stored); review them in the app with `:filter sample`, then `labelaudit export`.\n")
                    .utf8))
    }
}
