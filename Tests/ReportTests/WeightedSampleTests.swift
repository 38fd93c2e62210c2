import Foundation
import GRDB
import LabelAuditStore
import Testing

@testable import LabelAuditReport

/// The importance-weighted audit sample: its design (every face's inclusion probability) is
/// stored with the draw, merged with it, and the draw's frequencies follow the design; bad input
/// writes nothing; `labelaudit sample` draws it from the command line.
@Suite(.serialized) struct WeightedSampleTests {
    let weights: [(item: String, weight: Double)] = (1...100).map { (String($0), $0 <= 10 ? 10 : 1) }

    @Test func theDesignIsStoredMergedAndFollowedByTheDraws() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = try AuditStore.open(at: folder.appendingPathComponent("a.sqlite"), testIDs: ["101"])
        let drawn = try a.addWeightedAuditSample(count: 20, weights: weights, reviewer: "ana", seed: 3)
        #expect(drawn.count == 20 && Set(drawn).count == 20)
        let draw = try #require(try a.auditSampleDraws().last)
        let design = try #require(draw.design)
        #expect(design.count == 100)
        #expect(abs(design.values.reduce(0, +) - 20) < 1e-9)
        // Weight 10 against 1: ten faces take 100/190 of the mass, capped at 1 and rescaled.
        #expect(design["1"] == 1 && abs(design["50"]! - 10.0 / 90) < 1e-9)
        #expect(draw.inclusion(of: "1") == 1 && draw.inclusion(of: "nope") == 0)
        #expect(Set(drawn).isSuperset(of: (1...10).map(String.init)))
        try a.close()
        // Merging brings the design along, and twice changes nothing.
        let b = try AuditStore.open(at: folder.appendingPathComponent("b.sqlite"), testIDs: ["101"])
        try b.merge(from: folder.appendingPathComponent("a.sqlite"))
        try b.merge(from: folder.appendingPathComponent("a.sqlite"))
        #expect(try b.auditSampleDraws() == [draw])
    }

    @Test func paretoDrawsFollowTheirInclusionProbabilities() {
        let pi = AuditStore.inclusionProbabilities((0..<40).map { 1 + Double($0 % 4) }, count: 8)
        var counts = [Int](repeating: 0, count: 40)
        for seed in 0..<4000 {
            let rows = AuditStore.paretoDraw(inclusion: pi, count: 8, seed: UInt64(seed))
            #expect(rows.count == 8 && Set(rows).count == 8)
            for row in rows { counts[row] += 1 }
        }
        for (row, p) in pi.enumerated() {
            let frequency = Double(counts[row]) / 4000
            #expect(abs(frequency - p) < 0.03, "row \(row): drawn \(frequency), designed \(p)")
        }
    }

    @Test func aTestIDOrABadNameWritesNothing() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("a.sqlite")
        let store = try AuditStore.open(at: url, testIDs: ["101"])
        #expect(throws: AuditStoreError.testItem(id: "101")) {
            try store.addWeightedAuditSample(count: 5, weights: weights + [("101", 1)], reviewer: "ana")
        }
        #expect(throws: AuditStoreError.self) {
            try store.addWeightedAuditSample(count: 5, weights: weights, reviewer: "  ")
        }
        #expect(try store.auditSampleDraws().isEmpty)
    }

    @Test func theSampleCommandDrawsAndStoresAWeightedSample() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["train.csv", "test.csv"] {
            try FileManager.default.copyItem(at: Paths.demo.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let common = [
            folder.path, "--images", Paths.demo.appendingPathComponent("images").path, "--no-image",
            "--cache", Paths.testCache.path, "--reviewer", "ana",
        ]
        let result = try run(try Paths.executable, ["sample"] + common + ["30", "--seed", "5"])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.count == 30 && lines.allSatisfy { $0.count == 2 && Double($0[1])! > 0 && Double($0[1])! <= 1 })
        #expect(result.err.hasPrefix("drew 30 face(s) into the audit sample (weighted, inclusion probabilities "))
        let store = try AuditStore.open(at: folder.appendingPathComponent("labelaudit.sqlite"), testIDs: [], readOnly: true)
        let draw = try #require(try store.auditSampleDraws().last)
        #expect(draw.items == lines.map { $0[0] } && draw.reviewer == "ana" && draw.seed == 5)
        #expect(draw.design?.count == 540)
        for line in lines { #expect(String(format: "%.4f", draw.inclusion(of: line[0])) == line[1]) }
        // Uniform: every face 20/510 of the faces not sampled yet.
        let uniform = try run(try Paths.executable, ["sample"] + common + ["20", "--uniform", "--seed", "6"])
        #expect(uniform.status == 0, "\(uniform.err)")
        #expect(uniform.out.split(separator: "\n").allSatisfy { $0.hasSuffix("\t" + String(format: "%.4f", 20.0 / 510)) })
        // A size below 1 is refused before anything is written.
        let zero = try run(try Paths.executable, ["sample"] + common + ["0"])
        #expect(zero.status == 64)
        #expect(zero.err.contains("the sample size must be at least 1, got 0"))
        #expect(try store.auditSampleDraws().count == 2)
    }
}
