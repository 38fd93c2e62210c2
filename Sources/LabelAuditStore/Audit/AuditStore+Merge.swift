import Foundation
import GRDB
import LabelAuditCore

/// Merging a teammate's audit file: events keyed by UUID, each checked by the rules a local
/// action passes.
extension AuditStore {
    /// Imports every event of another audit database (another reviewer's copy).
    ///
    /// Idempotent and order-independent: events are keyed by UUID, and each touched pair's
    /// state is replayed from all its events. Disagreements stay as separate reviewers'
    /// verdicts; nothing here overwrites. The other file is only read, never written or given
    /// side files (`ReadOnlySource`), and every incoming event must pass the rules a local
    /// action passes (`AuditEventRules`; ids must be in `knownItems` when given): what does
    /// not is skipped and reported per reason. Any problem with the file itself is a
    /// `.mergeSource` error that names it. O(E log E) for E events in the other file.
    @discardableResult
    public func merge(from other: URL, knownItems: Set<String>? = nil) throws -> MergeSummary {
        let otherPath = other.path
        let now = AuditEventRules.nowMicros()
        let incoming: (events: [AuditEvent], skipped: [MergeSkipExample], testItems: Int)
        let incomingSamples: (rows: [SampleRow], skipped: [MergeSkipExample])
        let incomingDesign: (rows: [DesignRow], skipped: [MergeSkipExample])
        do {
            guard let source = try ReadOnlySource.open(path: otherPath) else {
                throw AuditStoreError.mergeSource(
                    path: otherPath, problem: "it is empty: it holds no audit database yet", exitCode: 65)
            }
            defer { try? source.queue.close() }
            let testIDs = self.testIDs
            (incoming, incomingSamples, incomingDesign) = try source.queue.read { db in
                (
                    try AuditEventRules.incomingEvents(db, knownItems: knownItems, testIDs: testIDs, now: now),
                    try AuditEventRules.incomingSampleRows(db, knownItems: knownItems, testIDs: testIDs, now: now),
                    try AuditEventRules.incomingDesignRows(db, knownItems: knownItems, testIDs: testIDs)
                )
            }
        } catch {
            throw AuditStoreError.asMergeSource(error, path: otherPath)
        }
        return try write { db in
            var summary = MergeSummary()
            summary.refusedTestItems = incoming.testItems
            for skip in incoming.skipped + incomingSamples.skipped + incomingDesign.skipped {
                summary.skipped[skip.reason, default: 0] += 1
                if summary.skippedExamples.filter({ $0.reason == skip.reason }).count < 3 { summary.skippedExamples.append(skip) }
            }
            var pairs = Set<Pair>()
            for event in incoming.events {
                let existing = try Self.fetchEvents(
                    db, sql: "SELECT * FROM event WHERE id = ?",
                    arguments: [event.id.uuidString.lowercased()])
                if let existing = existing.first {
                    if existing == event { summary.alreadyPresent += 1 } else { summary.mismatched += 1 }
                    continue
                }
                try Self.insert(event, db)
                summary.imported += 1
                pairs.insert(Pair(item: event.item, reviewer: event.reviewer))
            }
            for pair in pairs { try Self.storeState(db, pair: pair) }
            summary.affectedPairs = pairs.count
            summary.importedSampleItems = try Self.insertMissingSampleRows(incomingSamples.rows, testIDs: testIDs, db)
            try Self.insertMissingDesignRows(incomingDesign.rows, testIDs: testIDs, db)
            return summary
        }
    }
}
