import Foundation
import GRDB
import Testing

@testable import LabelAuditStore

/// Issue 15, the store's part: a teammate's file is only read, never given side files, and
/// every event it brings passes the rules a local action passes.
@Suite struct TeamFileTests {
    /// A file as a teammate mails it: the database alone, closed.
    private func mailed(_ folder: TempFolder, _ name: String, _ build: (AuditStore) throws -> Void) throws -> URL {
        let url = folder.file(name)
        let store = try AuditStore.open(at: url, testIDs: [])
        try build(store)
        try store.close()
        try? FileManager.default.removeItem(atPath: url.path + "-wal")
        try? FileManager.default.removeItem(atPath: url.path + "-shm")
        return url
    }

    private func sideFiles(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasSuffix("-wal") || $0.hasSuffix("-shm") || $0.hasSuffix("-journal")
        }
    }

    @Test func aReadOnlyOpenAndAMergeCreateNothingBesideTheFile() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let theirs = try mailed(folder, "theirs.sqlite") {
            try $0.record(verdict: .labelWrong, item: "30", reviewer: "cy", note: "no frames")
        }
        chmod(theirs.path, 0o444)
        let before = try Data(contentsOf: theirs)
        let listing = try AuditStore.open(at: theirs, testIDs: [], readOnly: true)
        #expect(try listing.allStates().map(\.item) == ["30"])
        #expect(try listing.history().count == 2)
        try listing.close()
        let mine = try AuditStore.open(at: folder.file("mine.sqlite"), testIDs: [])
        #expect(try mine.merge(from: theirs).imported == 2)
        #expect(sideFiles(folder.url).allSatisfy { $0.hasPrefix("mine.sqlite") })
        #expect(try Data(contentsOf: theirs) == before)
    }

    @Test(.enabled(if: SmallFileSystem.isAvailable, "needs root to mount a read-only tmpfs"))
    func aFileOnReadOnlyMediaCanBeListedAndMerged() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let source = try mailed(folder, "cy.sqlite") { try $0.record(verdict: .unsure, item: "7", reviewer: "cy") }
        let media = try SmallFileSystem(kilobytes: 1024)
        defer { media.unmount() }
        let onMedia = media.folder.file("cy.sqlite")
        try FileManager.default.copyItem(at: source, to: onMedia)
        try media.remountReadOnly()
        let listing = try AuditStore.open(at: onMedia, testIDs: [], readOnly: true)
        #expect(try listing.state(item: "7", reviewer: "cy")?.verdict == .unsure)
        try listing.close()
        let mine = try AuditStore.open(at: folder.file("mine.sqlite"), testIDs: [])
        #expect(try mine.merge(from: onMedia).imported == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: media.folder.url.path) == ["cy.sqlite"])
    }

    @Test func aLiveDatabaseIsReadInPlaceAndSeesUncheckpointedVerdicts() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        // A writer that keeps the file open: its verdicts sit in the WAL.
        let writer = try AuditStore.open(at: folder.file("live.sqlite"), testIDs: [])
        try writer.record(verdict: .labelOK, item: "1", reviewer: "ana")
        let reader = try AuditStore.open(at: folder.file("live.sqlite"), testIDs: [], readOnly: true)
        #expect(try reader.allStates().map(\.item) == ["1"])
        try writer.record(verdict: .labelOK, item: "2", reviewer: "ana")
        #expect(try reader.allStates().map(\.item) == ["1", "2"])
    }

    @Test func mergeSkipsEveryEventALocalActionCouldNotWriteAndSaysWhy() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let theirs = try mailed(folder, "evil.sqlite") { try $0.record(verdict: .labelWrong, item: "8", reviewer: "eve") }
        let queue = try DatabaseQueue(path: theirs.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            func event(
                _ id: String = UUID().uuidString, item: String = "5", reviewer: String = "eve", at: Int64? = nil,
                kind: String = "verdict", field: String = "verdict",
                value: (any DatabaseValueConvertible)? = Data("label_wrong".utf8),
                undoes: String? = nil
            ) throws {
                try db.execute(
                    sql: "INSERT INTO event VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                    arguments: [id, UUID().uuidString, item, reviewer, at ?? now, kind, field, value, undoes])
            }
            try event("not-a-uuid")
            try event(reviewer: "")
            try event(reviewer: String(repeating: "r", count: 201))
            try event(reviewer: "e\u{202E}ve")
            try event(item: "ab\u{7}c")
            try event(item: "")
            try event(item: "99999")
            try event(item: "4501")
            try event(kind: "hack")
            try event(kind: "note", field: "verdict")
            try event(kind: "undo", undoes: "nope")
            try event(value: Data("hacked".utf8))
            try event(kind: "tags", field: "tags", value: Data("not json".utf8))
            try event(kind: "tags", field: "tags", value: Data("[1, 2]".utf8))
            try event(kind: "flag", field: "flag", value: Data("banana".utf8))
            try event(kind: "note", field: "note", value: Data([0x61, 0xFF]))
            try event(value: 42)
            try event(at: 1 << 62)
            try event(at: -5)
            try event(at: now + 2 * 86_400_000_000)
            try db.execute(
                sql: "INSERT INTO event VALUES (?, ?, '6', 'eve', 'yesterday', 'verdict', 'verdict', NULL, NULL, NULL)",
                arguments: [UUID().uuidString, UUID().uuidString])
        }
        try queue.close()

        let known = Set((1...30).map(String.init))
        let mine = try AuditStore.open(at: folder.file("mine.sqlite"), testIDs: ["4501"])
        let summary = try mine.merge(from: theirs, knownItems: known)
        #expect(summary.imported == 1)
        #expect(summary.refusedTestItems == 1)
        #expect(
            summary.skipped == [
                .malformedEvent: 2, .invalidReviewer: 3, .invalidItem: 2, .unknownItem: 1, .unknownKind: 2,
                .invalidValue: 6, .timeOutOfRange: 4,
            ])
        #expect(summary.skippedExamples.filter { $0.reason == .invalidValue }.count == 3)
        #expect(summary.skippedExamples.first { $0.reason == .malformedEvent }?.event == "not-a-uuid")
        #expect(try mine.history().map(\.item) == ["8"])
        // The next local action is stamped now, not in the year the 2^62 event claimed.
        let next = try mine.record(verdict: .unsure, item: "9", reviewer: "ana")
        #expect(next[0].timestampMicros < Int64(Date().timeIntervalSince1970 * 1_000_000) + 60_000_000)
    }

    @Test func filesThatAreNotATeammatesDatabaseGetAMessageAboutThatFile() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let mine = try AuditStore.open(at: folder.file("mine.sqlite"), testIDs: [])
        let marked = folder.file("marked.sqlite")
        let queue = try DatabaseQueue(path: marked.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA application_id = \(AuditFileProbe.applicationID)")
            try db.execute(sql: "PRAGMA user_version = 2")
            try db.execute(sql: "CREATE TABLE x (a)")
        }
        try queue.close()
        #expect(
            throws: AuditStoreError.mergeSource(
                path: marked.path, problem: "it carries labelaudit's mark but has no event table, so it holds no verdicts",
                exitCode: 65)
        ) {
            try mine.merge(from: marked)
        }
        #expect(mkfifo(folder.file("pipe.sqlite").path, 0o600) == 0)
        #expect(
            throws: AuditStoreError.mergeSource(
                path: folder.file("pipe.sqlite").path, problem: "it is a named pipe (FIFO), not a database file", exitCode: 66)
        ) {
            try mine.merge(from: folder.file("pipe.sqlite"))
        }
        let description = AuditStoreError.mergeSource(path: "/x/cy.sqlite", problem: "it is not an SQLite database", exitCode: 65)
            .description
        #expect(
            description
                == "cannot merge /x/cy.sqlite: it is not an SQLite database. Nothing was merged from it and this database is unchanged; ask the teammate for their labelaudit.sqlite again (copied after their labelaudit has quit), or leave this file out."
        )
        #expect(!description.contains("--db"))
        // A read-only listing names the file itself, never the private copy it read.
        let text = folder.file("notes.txt")
        try Data("hello".utf8).write(to: text)
        #expect(throws: AuditStoreError.notSQLite(path: text.path)) { try AuditStore.open(at: text, testIDs: [], readOnly: true) }
        #expect(throws: AuditStoreError.notAFile(path: folder.file("pipe.sqlite").path, kind: "a named pipe (FIFO)")) {
            try AuditStore.open(at: folder.file("pipe.sqlite"), testIDs: [])
        }
    }

    @Test func aNoteOrTagListOverEightMegabytesIsRefusedAndNothingIsWritten() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let store = try AuditStore.open(at: folder.file("a.sqlite"), testIDs: [])
        let huge = String(repeating: "n", count: (8 << 20) + 1)
        #expect(throws: AuditStoreError.valueTooLarge(field: "note", bytes: (8 << 20) + 1)) {
            try store.record(verdict: .labelOK, item: "1", reviewer: "ana", note: huge)
        }
        #expect(try store.eventCount() == 0)
    }
}
