import ArgumentParser
import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging
import LabelAuditStore

/// Options shared by the evidence commands (rank, models, neighbours).
package struct EvidenceArguments: ParsableArguments {
    @Flag(help: "The --predictions files hold out-of-fold predictions for the train rows.")
    package var oof = false

    @Option(help: "Neighbours per face for the neighbour evidence.")
    package var k = 10

    @Option(help: "Latent distance: cosine or l2.")
    package var metric: DistanceMetric = .cosine

    @Flag(help: "Skip the built-in image model.")
    package var noImage = false

    @Option(help: "The cache file (default: beside the audit database, <db name>-cache.sqlite).")
    package var cache: String?

    @Option(
        name: .customLong("neighbours"),
        help:
            "Precomputed neighbours (CSV: id, neighbour id, distance in the --metric; e.g. from faiss) instead of the all-pairs search (Docs/neighbours.md)."
    )
    package var neighboursFile: String?

    package init() {}
}

extension DistanceMetric: ExpressibleByArgument {}

/// Opening the engine for a command: dataset, cache file, options, progress on stderr.
package enum EvidenceCLI {
    /// The cache file (`StoreLocations.cache`: `--cache`, beside the audit database, or the
    /// user's cache folder when that one cannot be written).
    package static func cacheURL(data: DatasetArguments, evidence: EvidenceArguments, dataset: Dataset) -> URL {
        StoreLocations.cache(
            forDataset: dataset.root, audit: data.db.map { URL(fileURLWithPath: $0) },
            explicit: evidence.cache.map { URL(fileURLWithPath: $0) })
    }

    package static func engine(data: DatasetArguments, evidence: EvidenceArguments) throws -> EvidenceEngine {
        let dataset = try data.loadDataset()
        for warning in dataset.warnings { CommandLineIO.printWarning(warning) }
        // A bad --neighbours file is refused before anything is opened or computed.
        let neighboursFile = evidence.neighboursFile.map { URL(fileURLWithPath: $0) }
        var imported: CachedNeighbours? = nil
        if let neighboursFile {
            do throws(EvidenceError) {
                imported = try EvidenceEngine.readNeighbours(neighboursFile, dataset: dataset, metric: evidence.metric)
            } catch {
                CommandLineIO.printError(error.description)
                if case .neighbours(let e) = error { throw ExitCode(e.exitCode) }
                throw ExitCode(65)
            }
        }
        let url = cacheURL(data: data, evidence: evidence, dataset: dataset)
        let cache: CacheStore
        do {
            cache = try CacheStore.open(at: url)
        } catch {
            // A cache that cannot be opened where it was meant to be (and was not named with
            // --cache) is made in the fallback place instead.
            let fallback = StoreLocations.cacheFallback(for: url)
            guard evidence.cache == nil, fallback != url, let opened = try? CacheStore.open(at: fallback) else {
                CommandLineIO.printError(error.description)
                throw ExitCode(74)
            }
            cache = opened
        }
        let named = Set(data.predictions.map { URL(fileURLWithPath: $0).standardizedFileURL })
        let imports = dataset.predictionFiles.map { url in
            ImportedPredictions(url: url, outOfFold: named.contains(url.standardizedFileURL) && evidence.oof ? true : nil)
        }
        let options = EvidenceOptions(
            neighbourCount: evidence.k, metric: evidence.metric, imports: imports,
            imageReader: evidence.noImage ? nil : ImageDecoding.standard,
            neighboursFile: neighboursFile)
        return EvidenceEngine(dataset: dataset, cache: cache, options: options, importedNeighbours: imported)
    }

    /// Runs the engine with progress on stderr (only when it is a terminal) and clear errors.
    package static func evidence(_ engine: EvidenceEngine) throws -> Evidence {
        var progress: ProgressHandler? = nil
        if CommandLineIO.stderrIsTerminal {
            progress = { (p: EvidenceProgress) in
                let line = "\r\u{1B}[K" + TerminalSafeText.sanitized(p.message) + " " + String(Int(p.fraction * 100)) + "%"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        defer { if progress != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
        do throws(EvidenceError) {
            return try engine.evidence(progress: progress)
        } catch {
            CommandLineIO.printError(error.description)
            switch error {
            case .predictions(let e), .neighbours(let e): throw ExitCode(e.exitCode)
            case .cache: throw ExitCode(74)
            case .cancelled: throw ExitCode(130)
            case .noTrainRows: throw ExitCode(65)
            }
        }
    }

    package static func format(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    /// A metric: "undefined" when it has no value for these rows (AUROC of a one-label set).
    package static func metric(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "undefined" }
        return String(format: "%.\(digits)f", value)
    }
}
