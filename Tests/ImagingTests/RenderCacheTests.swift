import Foundation
import Testing

@testable import LabelAuditImaging

@Suite("Render cache")
struct RenderCacheTests {
    @Test("a second request is a hit; another cell box or mode is a miss")
    func hitsAndMisses() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.file("a.jpg", bytes: try JPEGEncoder.encode(Fixtures.gradient(width: 256, height: 256)))
        let cache = RenderCache(capacity: 8)
        let options = RenderOptions(columns: 16, rows: 8)
        let first = try cache.picture(path: path, options: options)
        let second = try cache.picture(path: path, options: options)
        #expect(first == second)
        #expect(cache.statistics == (hits: 1, misses: 1))
        _ = try cache.picture(path: path, options: RenderOptions(columns: 20, rows: 8))
        _ = try cache.picture(path: path, options: RenderOptions(columns: 16, rows: 8, colors: .palette256))
        #expect(cache.statistics == (hits: 1, misses: 3))
        #expect(cache.count == 3)
    }

    @Test("a rewritten file (new size and mtime) is rendered again")
    func changedFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.file("a.jpg", bytes: try JPEGEncoder.encode(RGBImage(width: 64, height: 64, fill: (255, 0, 0))))
        let cache = RenderCache(capacity: 8)
        let options = RenderOptions(columns: 4, rows: 2)
        let red = try cache.picture(path: path, options: options)
        _ = try folder.file(
            "a.jpg", bytes: try JPEGEncoder.encode(RGBImage(width: 64, height: 64, fill: (0, 0, 255)), quality: 70))
        let blue = try cache.picture(path: path, options: options)
        #expect(red != blue)
        #expect(cache.statistics.misses == 2)
    }

    @Test("the least recently used entry is evicted at capacity")
    func eviction() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.file("a.jpg", bytes: try JPEGEncoder.encode(Fixtures.gradient(width: 64, height: 64)))
        let cache = RenderCache(capacity: 2)
        let small = RenderOptions(columns: 4, rows: 2)
        let medium = RenderOptions(columns: 6, rows: 3)
        let large = RenderOptions(columns: 8, rows: 4)
        _ = try cache.picture(path: path, options: small)
        _ = try cache.picture(path: path, options: medium)
        _ = try cache.picture(path: path, options: small)  // small is now the most recent
        _ = try cache.picture(path: path, options: large)  // evicts medium
        #expect(cache.count == 2)
        let before = cache.statistics
        _ = try cache.picture(path: path, options: small)
        #expect(cache.statistics.hits == before.hits + 1)
        _ = try cache.picture(path: path, options: medium)
        #expect(cache.statistics.misses == before.misses + 1)
    }

    @Test("a strip renders on two threads, keeps order, and reports bad files per slot")
    func strip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var paths: [String] = []
        for index in 0..<8 {
            let shade = UInt8(index * 30)
            paths.append(
                try folder.file(
                    "\(index).jpg",
                    bytes: try JPEGEncoder.encode(RGBImage(width: 64, height: 64, fill: (shade, shade, shade)), quality: 95)))
        }
        paths[5] = try folder.file("bad.jpg", bytes: Array("not a jpeg".utf8))
        let cache = RenderCache(capacity: 32)
        let results = cache.pictures(paths: paths, options: RenderOptions(columns: 16, rows: 8))
        #expect(results.count == 8)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let picture):
                #expect(index != 5)
                let shade = UInt8(index * 30)
                guard case .rgb(let red, _, _) = picture[0, 0].background else {
                    Issue.record("not rgb")
                    continue
                }
                #expect(abs(Int(red) - Int(shade)) <= 3)
            case .failure(let error):
                #expect(index == 5)
                #expect(error == ImageDecodeError(path: paths[5], kind: .notJPEG("Not a JPEG file: starts with 0x6e 0x6f")))
            }
        }
    }

    @Test("concurrent readers share one cache safely")
    func concurrentUse() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.file("a.jpg", bytes: try JPEGEncoder.encode(Fixtures.gradient(width: 128, height: 128)))
        let cache = RenderCache(capacity: 4)
        try await withThrowingTaskGroup(of: CellPicture.self) { group in
            for index in 0..<32 {
                group.addTask { try cache.picture(path: path, options: RenderOptions(columns: 4 + index % 6, rows: 4)) }
            }
            for try await picture in group { #expect(picture.rows >= 1) }
        }
        #expect(cache.count <= 4)
        let statistics = cache.statistics
        #expect(statistics.hits + statistics.misses == 32)
    }
}
