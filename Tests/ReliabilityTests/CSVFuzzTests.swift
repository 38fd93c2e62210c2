import Foundation
import TestSupport
import Testing

/// The CSV reader fuzz (`labelaudit-bench fuzz-csv`): mutated slices of the demo's train.csv and
/// generated tables, read mapped and streamed with random read splits. `make test` runs a few
/// hundred cases; `make reliability` runs 10,000 on the release build.
@Suite struct CSVReaderFuzz {
    @Test func mutatedTablesNeverCrashHangOrLeakControlBytes() throws {
        let cases = ProcessInfo.processInfo.environment["LABELAUDIT_FUZZ_CASES"].flatMap(Int.init) ?? 200
        let result = try Command.labelauditBench(
            [
                "fuzz-csv", "--cases", String(cases), "--seed", "151",
                "--base", Repository.demo.appendingPathComponent("train.csv").path,
            ],
            timeout: 600)
        #expect(!result.killedBySignal, "the fuzz crashed: \(result.stderr.suffix(800))")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr.suffix(800))")
        let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("row csv-fuzz ") })
        var counts: [String: String] = [:]
        for field in row.split(separator: " ").dropFirst(2) {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { counts[String(parts[0])] = String(parts[1]) }
        }
        #expect(counts["tried"] == String(cases))
        for key in ["crashes", "hangs", "wrong_exit", "raw_control", "accidental_events"] {
            #expect(counts[key] == "0", "\(key) in \(row)\n\(result.stdout)")
        }
    }
}
