import Foundation
import GRDB
import LabelAuditCore
import Testing

@testable import LabelAuditStore

@Suite struct AuditSampleTests {
    let population = (1...100).map(String.init)

    func open(_ folder: URL, _ name: String = "a.sqlite") throws -> AuditStore {
        try AuditStore.open(at: folder.appendingPathComponent(name), testIDs: ["101", "102"])
    }

    @Test func aSeededDrawIsReproducibleAndNeverRepeatsAnID() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try open(folder, "1.sqlite")
        let second = try open(folder, "2.sqlite")
        let a = try first.addAuditSample(count: 10, from: population, reviewer: "ana", seed: 42)
        let b = try second.addAuditSample(count: 10, from: population, reviewer: "bo", seed: 42)
        #expect(a == b)
        #expect(a.count == 10 && Set(a).count == 10)
        #expect(Set(a).isSubset(of: Set(population)))
        // A second draw excludes everything already sampled; reviewed ids are not excluded.
        try first.record(verdict: .labelOK, item: "50", reviewer: "ana")
        let c = try first.addAuditSample(count: 85, from: population, reviewer: "ana", seed: 7)
        #expect(c.count == 85)
        #expect(Set(c).isDisjoint(with: Set(a)))
        #expect(try first.auditSample() == Set(a).union(c))
        #expect(try first.auditSample().contains("50"))
        // The population is exhausted after 95 more... only 5 are left.
        let d = try first.addAuditSample(count: 50, from: population, reviewer: "ana", seed: 8)
        #expect(d.count == 5)
        #expect(try first.addAuditSample(count: 3, from: population, reviewer: "ana", seed: 9).isEmpty)
        let draws = try first.auditSampleDraws()
        #expect(draws.map(\.items.count) == [10, 85, 5])
        #expect(draws[0].seed == 42 && draws[0].population == 100 && draws[0].reviewer == "ana")
        #expect(draws[1].population == 90)
    }

    @Test func drawsAreUniform() throws {
        // 4,000 seeded draws of 10 out of 20: each id should be picked about 2,000 times.
        var counts: [String: Int] = [:]
        let ids = (1...20).map(String.init)
        for seed in 0..<4000 {
            for id in AuditStore.draw(10, from: ids, seed: UInt64(seed)) { counts[id, default: 0] += 1 }
        }
        // Binomial(4000, 0.5): sd 31.6, so 1840...2160 is five standard deviations.
        #expect(counts.count == 20)
        #expect(counts.values.allSatisfy { (1840...2160).contains($0) }, "\(counts)")
        // The first pick alone is uniform too (no modulo bias, no fixed first element).
        var firsts: [String: Int] = [:]
        for seed in 0..<4000 { firsts[AuditStore.draw(1, from: ids, seed: UInt64(seed))[0], default: 0] += 1 }
        #expect(firsts.count == 20 && firsts.values.allSatisfy { (120...280).contains($0) }, "\(firsts)")
    }

    @Test func testIDsAndBadReviewersAreRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try open(folder)
        #expect(throws: AuditStoreError.testItem(id: "101")) {
            try store.addAuditSample(count: 5, from: population + ["101"], reviewer: "ana", seed: 1)
        }
        #expect(throws: AuditStoreError.invalidReviewer(name: "")) {
            try store.addAuditSample(count: 5, from: population, reviewer: "", seed: 1)
        }
        #expect(try store.auditSample().isEmpty)
    }

    @Test func mergeCarriesSamplesIdempotently() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let mine = try open(folder, "mine.sqlite")
        let theirs = try open(folder, "theirs.sqlite")
        let drawn = try theirs.addAuditSample(count: 7, from: population, reviewer: "bo", seed: 3)
        try theirs.close()
        let first = try mine.merge(from: folder.appendingPathComponent("theirs.sqlite"))
        #expect(first.importedSampleItems == 7)
        let again = try mine.merge(from: folder.appendingPathComponent("theirs.sqlite"))
        #expect(again.importedSampleItems == 0)
        #expect(try mine.auditSample() == Set(drawn))
        #expect(try mine.auditSampleDraws().first?.reviewer == "bo")
    }

    @Test func aVersionOneDatabaseIsMigratedAndReadableReadOnly() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("old.sqlite")
        // A database as the first build wrote it: migration 1 only.
        do {
            let queue = try DatabaseQueue(path: url.path)
            try AuditSchema.migrator.migrate(queue, upTo: AuditSchema.migrationIdentifiers[0])
            try queue.close()
        }
        let readOnly = try AuditStore.open(at: url, testIDs: [], readOnly: true)
        #expect(try readOnly.auditSample().isEmpty)
        try readOnly.close()
        let store = try AuditStore.open(at: url, testIDs: [])
        #expect(try store.addAuditSample(count: 2, from: ["a", "b", "c"], reviewer: "ana", seed: 1).count == 2)
        try store.close()
        let queue = try DatabaseQueue(path: url.path)
        #expect(try queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == AuditStore.schemaVersion)
        #expect(throws: (any Error).self) {
            try queue.write { try $0.execute(sql: "DELETE FROM audit_sample") }
        }
    }
}
