import ArgumentParser
import Foundation
import TestSupport

/// The bench and fuzz commands behind `make bench` and `make reliability`: built beside
/// `labelaudit` but never shipped in it.
@main
struct LabelAuditBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelaudit-bench",
        abstract: "Benchmarks and fuzzers for labelaudit's own tests (not part of the product).",
        subcommands: [
            ModelsBench.self, NeighboursBench.self, NeighboursImportBench.self, IngestBench.self,
            ReportBench.self, NoiseBench.self, CSVFuzz.self, FuzzInput.self,
        ])
}

/// `fuzz-input`: the review app's key/paste decoder on random byte streams with random read
/// splits; prints the reliability suite's row (see Benchmarks/reliability.sh).
struct FuzzInput: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz-input",
        abstract: "The review app's key/paste decoder on random byte streams (a reliability row).")
    @Option(help: "How many cases.") var cases = 100_000
    @Option(help: "Seed of the cases.") var seed: UInt64 = 1
    @Option(help: "Append the row to this file (default: $LABELAUDIT_RELIABILITY_ROWS, else stdout).") var rows: String?

    func run() throws {
        let start = ContinuousClock.now
        let outcome = InputDecoderFuzz.run(cases: cases, seed: seed)
        let seconds = Double((ContinuousClock.now - start).components.seconds)
        // Split-dependent decoding would let a paste or a sequence type keys: counted as wrong
        // messages; a paste broken into keys, as accidental events (keys could record verdicts).
        let row =
            "row key-fuzz tried=\(outcome.tried) crashes=0 hangs=0 wrong_exit=0 raw_control=0 "
            + "accidental_events=\(outcome.pastesBroken.count) wrong_message=\(outcome.splitDependent.count) "
            + "note=seed_\(seed)_\(outcome.keys)_keys_\(Int(seconds))s\n"
        if let path = rows ?? ProcessInfo.processInfo.environment["LABELAUDIT_RELIABILITY_ROWS"],
            let handle = FileHandle(forWritingAtPath: path)
        {
            handle.seekToEndOfFile()
            handle.write(Data(row.utf8))
            try? handle.close()
        } else {
            print(row, terminator: "")
        }
        if !outcome.splitDependent.isEmpty || !outcome.pastesBroken.isEmpty { throw ExitCode(1) }
    }
}
