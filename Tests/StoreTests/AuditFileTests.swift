import Foundation
import GRDB
import LabelAuditCore
import TestSupport
import Testing

@testable import LabelAuditStore

/// Files that must be refused with their bytes untouched, and the failures of real disks.
@Suite struct AuditBadFiles {
    private func expectRefusedUntouched(_ url: URL, _ expected: AuditStoreError) throws {
        let before = try #require(fileBytes(url))
        let companions = [url.path + "-wal", url.path + "-shm"].map { fileBytes(URL(fileURLWithPath: $0)) }
        #expect(throws: expected) { try AuditStore.open(at: url, testIDs: []) }
        #expect(throws: expected) { try AuditStore.open(at: url, testIDs: [], readOnly: true) }
        #expect(fileBytes(url) == before)
        #expect([url.path + "-wal", url.path + "-shm"].map { fileBytes(URL(fileURLWithPath: $0)) } == companions)
    }

    @Test func aFileThatIsNotSQLiteIsRefused() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = folder.file("train.csv")
        try Data("id,v1,v2,glasses\n1,0.5,0.25,1\n".utf8).write(to: url)
        try expectRefusedUntouched(url, .notSQLite(path: url.path))
        #expect(
            AuditStoreError.notSQLite(path: url.path).description
                == "\(url.path) is not an SQLite database, so it cannot be the audit database. Nothing was changed; pass another file with --db."
        )
        #expect(AuditStoreError.notSQLite(path: url.path).exitCode == 65)
    }

    @Test func aTruncatedDatabaseIsRefused() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = try makeAuditFile(in: folder)
        let whole = try #require(fileBytes(url))
        #expect(whole.count >= 4 * 4096)
        try whole.prefix(whole.count / 2 + 100).write(to: url)
        let expected = AuditStoreError.truncated(
            path: url.path, expectedBytes: Int64(whole.count), actualBytes: Int64(whole.count / 2 + 100))
        try expectRefusedUntouched(url, expected)

        try whole.prefix(60).write(to: url)
        try expectRefusedUntouched(url, .truncated(path: url.path, expectedBytes: 100, actualBytes: 60))
    }

    @Test func anotherProgramsDatabaseIsRefused() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = folder.file("photos.sqlite")
        let queue = try DatabaseQueue(path: url.path)
        try queue.write {
            try $0.execute(sql: "CREATE TABLE photo (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photo (name) VALUES ('a')")
        }
        try queue.close()
        try expectRefusedUntouched(url, .notAnAuditDatabase(path: url.path))
    }

    @Test func aDatabaseFromANewerBuildIsRefusedAndLeftByteIdentical() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = try makeAuditFile(in: folder)
        var queue = try DatabaseQueue(path: url.path)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = 7") }
        try queue.close()
        try expectRefusedUntouched(url, .newerSchema(path: url.path, found: "7", known: AuditStore.schemaVersion))
        #expect(
            AuditStoreError.newerSchema(path: url.path, found: "7", known: 1).description
                == "\(url.path) was written by a newer labelaudit (schema 7; this build knows up to 1). Nothing was changed; use a newer labelaudit."
        )

        // A future migration identifier without a user_version bump is caught too.
        let second = try makeAuditFile(in: folder, name: "second.sqlite")
        queue = try DatabaseQueue(path: second.path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-future')") }
        try queue.close()
        let before = try #require(fileBytes(second))
        #expect(throws: AuditStoreError.newerSchema(path: second.path, found: "v9-future", known: AuditStore.schemaVersion)) {
            try AuditStore.open(at: second, testIDs: [])
        }
        #expect(fileBytes(second) == before)
    }

    @Test func anEmptyFileBecomesANewDatabaseAndAFolderIsRefused() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = folder.file("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data()))
        let store = try AuditStore.open(at: url, testIDs: [])
        try store.record(verdict: .labelOK, item: "1", reviewer: "ana")
        #expect(throws: AuditStoreError.cannotCreate(path: folder.url.path, reason: "it is a folder")) {
            try AuditStore.open(at: folder.url, testIDs: [])
        }
        #expect(throws: AuditStoreError.notFound(path: folder.file("none.sqlite").path)) {
            try AuditStore.open(at: folder.file("none.sqlite"), testIDs: [], readOnly: true)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("none.sqlite").path))
    }

    @Test func aFirstOpenKilledBeforeItsMigrationIsTakenAsNew() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = folder.file("half.sqlite")
        let queue = try DatabaseQueue(path: url.path)
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE grdb_issue_102 (id INTEGER PRIMARY KEY); DROP TABLE grdb_issue_102")
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        }
        try queue.close()
        let store = try AuditStore.open(at: url, testIDs: [])
        try store.record(verdict: .labelOK, item: "1", reviewer: "ana")
        #expect(try store.eventCount() == 1)
    }

    @Test func defaultLocationIsBesideTheDataOrUnderXDG() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        #expect(StoreLocations.audit(forDataset: folder.url) == folder.file("labelaudit.sqlite"))
        let missing = URL(fileURLWithPath: "/nonexistent-labelaudit/faces 5000")
        let location = StoreLocations.audit(
            forDataset: missing, environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/ana"])
        #expect(location.path.hasPrefix("/data/labelaudit/faces_5000-"))
        #expect(location.pathExtension == "sqlite")
        #expect(location == StoreLocations.audit(forDataset: missing, environment: ["XDG_DATA_HOME": "/data"]))
        let fallback = StoreLocations.audit(forDataset: missing, environment: ["HOME": "/home/ana"])
        #expect(fallback.path.hasPrefix("/home/ana/.local/share/labelaudit/faces_5000-"))
        #expect(
            StoreLocations.audit(forDataset: URL(fileURLWithPath: "/nonexistent-labelaudit/other"), environment: [:])
                != location)
    }
}

@Suite(.serialized) struct AuditRealDisks {
    @Test(.enabled(if: SmallFileSystem.isAvailable, "needs root to mount a tmpfs"))
    func aFullDiskRollsBackTheActionAndKeepsEverythingCommitted() throws {
        let disk = try SmallFileSystem(kilobytes: 1024)
        defer { disk.unmount() }
        let url = disk.folder.file("audit.sqlite")
        let store = try AuditStore.open(at: url, testIDs: [])
        var committed: [String] = []
        var failure: (any Error)?
        let note = String(repeating: "n", count: 16 * 1024)
        for index in 0..<200 {
            do {
                try store.record(verdict: .labelWrong, item: "\(index)", reviewer: "ana", note: note)
                committed.append("\(index)")
            } catch {
                failure = error
                break
            }
        }
        #expect(failure as? AuditStoreError == .diskFull(path: url.path))
        #expect(AuditStoreError.diskFull(path: url.path).exitCode == 74)
        #expect(committed.count > 2)
        let failedItem = "\(committed.count)"
        #expect(try store.state(item: failedItem).isEmpty)
        #expect(try store.allStates().map(\.item).sorted() == committed.sorted())
        #expect(try store.eventCount() == committed.count * 2)
        #expect(try store.integrityCheck() == "ok")
        try store.close()
        // After the disk fills, a fresh open still reads everything that was committed.
        let reader = try AuditStore.open(at: url, testIDs: [], readOnly: true)
        #expect(try reader.allStates().count == committed.count)
        try reader.close()
    }

    @Test(.enabled(if: SmallFileSystem.isAvailable, "needs root to mount a tmpfs"))
    func aReadOnlyFileSystemRefusesWritesButStillLists() throws {
        let disk = try SmallFileSystem(kilobytes: 1024)
        defer { disk.unmount() }
        let url = try makeAuditFile(in: disk.folder)
        let beside = try makeAuditFile(in: disk.folder, name: "labelaudit.sqlite")
        try disk.remountReadOnly()
        // An existing database beside the data is still the default, never a second empty one.
        #expect(StoreLocations.audit(forDataset: disk.folder.url, environment: ["XDG_DATA_HOME": "/data"]) == beside)
        #expect(throws: AuditStoreError.readOnly(path: url.path)) { try AuditStore.open(at: url, testIDs: []) }
        #expect(AuditStoreError.readOnly(path: url.path).exitCode == 73)
        let reader = try AuditStore.open(at: url, testIDs: [], readOnly: true)
        #expect(try reader.allStates().map(\.item) == ["30", "31"])
        #expect(throws: AuditStoreError.readOnly(path: url.path)) {
            try reader.record(verdict: .unsure, item: "1", reviewer: "ana")
        }
        try reader.close()
        let fresh = disk.folder.file("new.sqlite")
        #expect(throws: AuditStoreError.readOnly(path: fresh.path)) { try AuditStore.open(at: fresh, testIDs: []) }
        let bare = disk.folder.url.appendingPathComponent("images")
        #expect(
            StoreLocations.audit(forDataset: bare, environment: ["XDG_DATA_HOME": "/data"]).path.hasPrefix(
                "/data/labelaudit/images-"))
    }

    @Test(.enabled(if: getuid() == 0, "chattr +i needs root"))
    func anImmutableFileIsRefusedForWriting() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = try makeAuditFile(in: folder)
        let before = try #require(fileBytes(url))
        guard try run("/usr/bin/chattr", ["+i", url.path]).status == 0 else { return }
        defer { _ = try? run("/usr/bin/chattr", ["-i", url.path]) }
        #expect(throws: AuditStoreError.readOnly(path: url.path)) { try AuditStore.open(at: url, testIDs: []) }
        #expect(fileBytes(url) == before)
    }

    @Test func aWriterWaitsUpToFiveSecondsForTheLockThenSaysBusy() throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = try makeAuditFile(in: folder)
        let store = try AuditStore.open(at: url, testIDs: [])
        let other = try DatabaseQueue(path: url.path)
        func holdWriteLock(seconds: Double) -> DispatchSemaphore {
            let taken = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                try? other.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        taken.signal()
                        Thread.sleep(forTimeInterval: seconds)
                        return .commit
                    }
                }
                done.signal()
            }
            taken.wait()
            return done
        }
        var done = holdWriteLock(seconds: 1)
        let started = Date()
        try store.record(verdict: .unsure, item: "40", reviewer: "ana")
        #expect(Date().timeIntervalSince(started) >= 0.9)
        done.wait()

        done = holdWriteLock(seconds: 6.5)
        #expect(throws: AuditStoreError.busy(path: url.path)) { try store.record(verdict: .unsure, item: "41", reviewer: "ana") }
        #expect(AuditStoreError.busy(path: url.path).exitCode == 75)
        done.wait()
        #expect(try store.state(item: "41").isEmpty)
        try other.close()
    }

    @Test func twoConnectionsWritingAtOnceLoseNothing() async throws {
        let folder = try TempFolder()
        defer { folder.cleanUp() }
        let url = folder.file("shared.sqlite")
        try AuditStore.open(at: url, testIDs: []).close()
        let perWriter = 300
        try await withThrowingTaskGroup(of: Void.self) { group in
            for reviewer in ["ana", "bo"] {
                group.addTask {
                    // Separate pools: separate SQLite connections competing for the write lock.
                    let store = try AuditStore.open(at: url, testIDs: [])
                    for index in 0..<perWriter {
                        try store.record(
                            verdict: index.isMultiple(of: 2) ? .labelOK : .labelWrong, item: "\(index)", reviewer: reviewer)
                    }
                    try store.close()
                }
            }
            try await group.waitForAll()
        }
        let store = try AuditStore.open(at: url, testIDs: [])
        #expect(try store.eventCount() == 2 * perWriter)
        #expect(try store.allStates().count == 2 * perWriter)
        #expect(try store.consensus().allSatisfy { $0.status == .agreed })
        #expect(try store.integrityCheck() == "ok")
    }
}

/// Issue 16: both databases' places come from one type, with one naming rule for fallbacks.
@Suite struct StoreLocationTests {
    @Test func cacheAndAuditFallBackWithTheSameNameRule() throws {
        let environment = ["XDG_DATA_HOME": "/data", "XDG_CACHE_HOME": "/cachehome", "HOME": "/home/ana"]
        let dataset = URL(fileURLWithPath: "/nonexistent-labelaudit/faces set")
        let audit = StoreLocations.audit(forDataset: dataset, environment: environment)
        let cache = StoreLocations.cache(forDataset: dataset, environment: environment)
        let name = audit.deletingPathExtension().lastPathComponent
        #expect(audit.path == "/data/labelaudit/\(name).sqlite" && name.hasPrefix("faces_set-"))
        #expect(cache.path == "/cachehome/labelaudit/\(name)-cache.sqlite")
        // Named files win; a cache sits beside a named audit database when it can.
        let folder = try TemporaryFolder("locations")
        defer { folder.remove() }
        let db = folder.file("team.sqlite")
        #expect(StoreLocations.audit(forDataset: dataset, explicit: db) == db)
        #expect(StoreLocations.cache(forDataset: dataset, audit: db) == folder.file("team-cache.sqlite"))
        #expect(StoreLocations.cache(forDataset: dataset, audit: db, explicit: db) == db)
    }
}
