import Foundation
import GRDB
import LabelAuditCore

/// One draw of the random audit sample: uniform (`:sample N` in the review app,
/// `labelaudit sample DATASET N --uniform`) or importance-weighted (`labelaudit sample DATASET N`).
public struct AuditSampleDraw: Sendable, Equatable, Codable {
    public let sample: UUID
    public let reviewer: String
    public let timestampMicros: Int64
    public let seed: UInt64
    /// How many ids the draw was taken from (the population minus earlier samples).
    public let population: Int
    /// The sampled ids, in draw order.
    public let items: [String]
    /// Importance-weighted draws: every train id's inclusion probability under this draw (the
    /// design, as stored). nil for a uniform draw, where every id of the population had
    /// probability `items.count / population`.
    public let design: [String: Double]?

    public init(
        sample: UUID, reviewer: String, timestampMicros: Int64, seed: UInt64, population: Int, items: [String],
        design: [String: Double]?
    ) {
        self.sample = sample
        self.reviewer = reviewer
        self.timestampMicros = timestampMicros
        self.seed = seed
        self.population = population
        self.items = items
        self.design = design
    }

    /// The probability that `item` was included by this draw: from the stored design, or
    /// `items.count / population` for a uniform draw (for every train id: the union of
    /// successive uniform draws is a simple random sample of their total size).
    public func inclusion(of item: String) -> Double {
        if let design { return design[item] ?? 0 }
        return population > 0 ? min(1, Double(items.count) / Double(population)) : 0
    }
}

/// The random audit sample: the queue shows likely errors first, so reviewed faces are not a
/// random sample of the training set; a noise estimate needs some faces picked uniformly at
/// random, whatever their score. Samples live in their own append-only table (migration 2) and
/// travel with `merge(from:)`.
extension AuditStore {
    /// Draws `count` ids uniformly at random, without replacement, from `population` minus the
    /// ids already in a sample (the union of successive draws stays a simple random sample),
    /// records them as one action and returns them in draw order. Reviewed ids are *not*
    /// excluded: excluding them would bias the sample. `seed` nil draws a fresh seed; the seed
    /// used is stored, so a draw can be reproduced. Test ids are refused, since the test set is
    /// never hand-labeled. O(population) time.
    @discardableResult
    public func addAuditSample(
        count: Int, from population: [String], reviewer: String,
        seed: UInt64? = nil
    ) throws -> [String] {
        try Self.validate(reviewer: reviewer)
        for id in population {
            try Self.validate(item: id)
            if testIDs.contains(id) { throw AuditStoreError.testItem(id: id) }
        }
        let seed = seed ?? UInt64.random(in: 0...UInt64.max)
        return try write { db in
            let already = Set(try String.fetchAll(db, sql: "SELECT DISTINCT item FROM audit_sample"))
            var seen = Set<String>()
            let candidates = population.filter { !already.contains($0) && seen.insert($0).inserted }
            let drawn = Self.draw(count, from: candidates, seed: seed)
            guard !drawn.isEmpty else { return [] }
            let sample = UUID().uuidString.lowercased()
            let now = try Self.nextTimestamp(db)
            for (position, item) in drawn.enumerated() {
                try db.execute(
                    sql:
                        "INSERT INTO audit_sample (sample, item, reviewer, at, seed, population, position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [sample, item, reviewer, now, Int64(bitPattern: seed), candidates.count, position])
            }
            return drawn
        }
    }

    /// Draws an importance-weighted sample of exactly `count` ids: id i is included with
    /// probability pi_i proportional to `weights[i]` (capped at 1, the rest rescaled so the pi
    /// sum to `count`), by Pareto pips sampling (Rosen 1997: fixed size, inclusion
    /// probabilities pi_i to within O(1/n)). The whole design (every id's pi_i) is stored with
    /// the draw, so the estimator can weight each reviewed sample face by 1/pi_i and anyone can
    /// check the design later. Already sampled ids are not excluded (the design is over the
    /// whole population, which keeps it simple to combine draws); give an id weight 0 to leave
    /// it out. Test ids are refused. Returns the drawn ids, most certain first. O(n log n).
    @discardableResult
    public func addWeightedAuditSample(
        count: Int, weights: [(item: String, weight: Double)], reviewer: String,
        seed: UInt64? = nil
    ) throws -> [String] {
        try Self.validate(reviewer: reviewer)
        for entry in weights {
            try Self.validate(item: entry.item)
            if testIDs.contains(entry.item) { throw AuditStoreError.testItem(id: entry.item) }
        }
        var seen = Set<String>()
        let unique = weights.filter { $0.weight > 0 && $0.weight.isFinite && seen.insert($0.item).inserted }
        let inclusion = Self.inclusionProbabilities(unique.map(\.weight), count: count)
        let seed = seed ?? UInt64.random(in: 0...UInt64.max)
        let drawn = Self.paretoDraw(inclusion: inclusion, count: count, seed: seed).map { unique[$0].item }
        guard !drawn.isEmpty else { return [] }
        return try write { db in
            let sample = UUID().uuidString.lowercased()
            let now = try Self.nextTimestamp(db)
            for (position, item) in drawn.enumerated() {
                try db.execute(
                    sql:
                        "INSERT INTO audit_sample (sample, item, reviewer, at, seed, population, position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [sample, item, reviewer, now, Int64(bitPattern: seed), unique.count, position])
            }
            for (entry, pi) in zip(unique, inclusion) {
                try db.execute(
                    sql: "INSERT INTO audit_sample_design (sample, item, inclusion) VALUES (?, ?, ?)",
                    arguments: [sample, entry.item, pi])
            }
            return drawn
        }
    }

    /// Pareto pips sampling (Rosen 1997): the `count` indices with the smallest
    /// (u / (1 - u)) / (pi / (1 - pi)), u uniform from the seeded generator; pi = 1 always in.
    /// Fixed size; each index is included with probability pi to within O(1/count). In draw
    /// order (most certain first). O(n log n).
    public static func paretoDraw(inclusion: [Double], count: Int, seed: UInt64) -> [Int] {
        var generator = SampleRandom(seed: seed)
        var keyed: [(key: Double, index: Int)] = []
        keyed.reserveCapacity(inclusion.count)
        for (index, pi) in inclusion.enumerated() where pi > 0 {
            let u = (Double(generator.next() >> 11) + 0.5) / 9_007_199_254_740_992.0
            keyed.append((pi >= 1 ? -1 : (u / (1 - u)) / (pi / (1 - pi)), index))
        }
        keyed.sort { $0.key < $1.key || ($0.key == $1.key && $0.index < $1.index) }
        return keyed.prefix(max(0, count)).map(\.index)
    }

    /// Inclusion probabilities proportional to `weights`, summing to `count` (at most the number
    /// of positive weights), none above 1: ids whose share would exceed 1 are included for sure
    /// and the rest rescaled (repeated until none exceeds 1). O(n · rounds).
    public static func inclusionProbabilities(_ weights: [Double], count: Int) -> [Double] {
        let n = min(count, weights.count)
        var pi = [Double](repeating: 0, count: weights.count)
        guard n > 0 else { return pi }
        var certain = [Bool](repeating: false, count: weights.count)
        while true {
            let left = Double(n - certain.filter { $0 }.count)
            let total = zip(weights, certain).reduce(0.0) { $0 + ($1.1 ? 0 : $1.0) }
            var capped = false
            for i in weights.indices {
                if certain[i] {
                    pi[i] = 1
                    continue
                }
                pi[i] = total > 0 ? left * weights[i] / total : 0
                if pi[i] >= 1 {
                    certain[i] = true
                    capped = true
                }
            }
            if !capped || left <= 0 { break }
        }
        return pi.map { min(1, $0) }
    }

    /// The first `count` of a seeded partial Fisher-Yates shuffle: every subset of that size is
    /// equally likely. O(candidates).
    static func draw(_ count: Int, from candidates: [String], seed: UInt64) -> [String] {
        var pool = candidates
        let take = max(0, min(count, pool.count))
        var generator = SampleRandom(seed: seed)
        for index in 0..<take {
            let pick = index + Int(generator.next(below: UInt64(pool.count - index)))
            pool.swapAt(index, pick)
        }
        return Array(pool.prefix(take))
    }

    /// Every id that was ever drawn into an audit sample (none in a database opened read-only
    /// from before migration 2).
    public func auditSample() throws -> Set<String> {
        try read { db in Set(try Self.fetchSampleRows(db).map(\.item)) }
    }

    /// The draws, oldest first, for the report and the history.
    public func auditSampleDraws() throws -> [AuditSampleDraw] {
        let rows = try read { db in try Self.fetchSampleRows(db) }
        var order: [String] = []
        var grouped: [String: [SampleRow]] = [:]
        for row in rows {
            if grouped[row.sample] == nil { order.append(row.sample) }
            grouped[row.sample, default: []].append(row)
        }
        let designs = try read { db in try Self.fetchDesignRows(db) }
        var designOf: [String: [String: Double]] = [:]
        for row in designs { designOf[row.sample, default: [:]][row.item] = row.inclusion }
        return order.compactMap { key in
            guard let first = grouped[key]?.first, let id = UUID(uuidString: key) else { return nil }
            return AuditSampleDraw(
                sample: id, reviewer: first.reviewer, timestampMicros: first.at,
                seed: UInt64(bitPattern: first.seed), population: first.population,
                items: grouped[key]!.map(\.item), design: designOf[key])
        }
    }

    struct SampleRow: Equatable {
        var sample: String
        var item: String
        var reviewer: String
        var at: Int64
        var seed: Int64
        var population: Int
        var position: Int
    }

    /// All sample rows in (time, sample, insertion) order; none for a database from before
    /// migration 2.
    static func fetchSampleRows(_ db: Database) throws -> [SampleRow] {
        guard try db.tableExists("audit_sample") else { return [] }
        // Rows of the wrong type (a file another program edited) are left out, never a trap.
        return try Row.fetchAll(
            db,
            sql: "SELECT sample, item, reviewer, at, seed, population, position FROM audit_sample ORDER BY at, sample, position"
        )
        .compactMap { row in
            let value = { (name: String) -> DatabaseValue in row[name] }
            guard let sample = AuditEventRules.text(value("sample")), let item = AuditEventRules.text(value("item")),
                let reviewer = AuditEventRules.text(value("reviewer")), let at = AuditEventRules.integer(value("at")),
                let seed = AuditEventRules.integer(value("seed")), let population = AuditEventRules.integer(value("population")),
                let position = AuditEventRules.integer(value("position"))
            else { return nil }
            return SampleRow(
                sample: sample, item: item, reviewer: reviewer, at: at, seed: seed,
                population: Int(truncatingIfNeeded: population), position: Int(truncatingIfNeeded: position))
        }
    }

    struct DesignRow: Equatable {
        var sample: String
        var item: String
        var inclusion: Double
    }

    /// Every stored design row; none for a database from before migration 3.
    static func fetchDesignRows(_ db: Database) throws -> [DesignRow] {
        guard try db.tableExists("audit_sample_design") else { return [] }
        return try Row.fetchAll(db, sql: "SELECT sample, item, inclusion FROM audit_sample_design ORDER BY sample, item")
            .compactMap { row in
                guard let sample = AuditEventRules.text(row["sample"]), let item = AuditEventRules.text(row["item"]),
                    let inclusion = AuditEventRules.real(row["inclusion"])
                else { return nil }
                return DesignRow(sample: sample, item: item, inclusion: inclusion)
            }
    }

    /// Copies design rows another database has and this one lacks (idempotent), skipping test ids.
    static func insertMissingDesignRows(_ rows: [DesignRow], testIDs: Set<String>, _ db: Database) throws {
        for row in rows where !testIDs.contains(row.item) {
            try db.execute(
                sql: "INSERT OR IGNORE INTO audit_sample_design (sample, item, inclusion) VALUES (?, ?, ?)",
                arguments: [row.sample, row.item, row.inclusion])
        }
    }

    /// Copies sample rows another database has and this one lacks (idempotent: keyed by
    /// sample and item); rows about test ids are skipped. Returns how many were new.
    static func insertMissingSampleRows(_ rows: [SampleRow], testIDs: Set<String>, _ db: Database) throws -> Int {
        var inserted = 0
        for row in rows where !testIDs.contains(row.item) {
            try db.execute(
                sql:
                    "INSERT OR IGNORE INTO audit_sample (sample, item, reviewer, at, seed, population, position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [row.sample, row.item, row.reviewer, row.at, row.seed, row.population, row.position])
            inserted += db.changesCount
        }
        return inserted
    }
}

/// Core's `SplitMix64` (the same on every platform, so a stored seed reproduces its draw
/// exactly) with the sample's own unbiased bounded draw.
struct SampleRandom {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in 0..<bound without modulo bias (rejection sampling).
    mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = next()
            if value < limit { return value % bound }
        }
    }
}
