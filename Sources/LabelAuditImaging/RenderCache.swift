import Dispatch
import LabelAuditCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thread-safe LRU of rendered pictures keyed by (path, file size, mtime, cell box, options);
/// Sendable so the TUI's background prefetch and main loop share one.
///
/// A changed file (size or mtime) misses, so an edited image is never shown stale. Decoding
/// happens outside the lock: two threads can decode different faces at once, and a slow decode
/// never blocks a hit. Complexity: a hit is O(1); an insert into a full cache scans for the
/// least recently used entry, O(capacity), negligible next to a decode for capacities in the
/// hundreds.
public final class RenderCache: Sendable {
    struct Key: Hashable {
        let path: String
        let size: Int64
        let modifiedSeconds: Int64
        let modifiedNanoseconds: Int64
        let options: RenderOptions
    }

    private struct Entry {
        var picture: CellPicture
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public let capacity: Int
    private let state = Locked(State())

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// The picture for `path` under `options`, rendered on a miss.
    public func picture(path: String, options: RenderOptions) throws(ImageDecodeError) -> CellPicture {
        let key = try Self.key(path: path, options: options)
        let cached: CellPicture? = state.withLock { state in
            guard var entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            state.hits += 1
            return entry.picture
        }
        if let cached { return cached }
        let picture = try BlockRenderer.render(path: path, options: options)
        state.withLock { state in
            state.clock += 1
            state.entries[key] = Entry(picture: picture, lastUse: state.clock)
            while state.entries.count > capacity {
                guard let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { break }
                state.entries.removeValue(forKey: oldest)
            }
        }
        return picture
    }

    /// Pictures for several files (a strip of neighbour thumbnails), rendered on up to two
    /// threads: each miss is an independent decode, so the second core halves the wait.
    public func pictures(paths: [String], options: RenderOptions) -> [Result<CellPicture, ImageDecodeError>] {
        let results = Locked([Result<CellPicture, ImageDecodeError>?](repeating: nil, count: paths.count))
        let next = WorkCounter(limit: paths.count)
        let work: @Sendable () -> Void = {
            while let index = next.next() {
                let result: Result<CellPicture, ImageDecodeError>
                do throws(ImageDecodeError) { result = .success(try self.picture(path: paths[index], options: options)) } catch {
                    result = .failure(error)
                }
                results.withLock { $0[index] = result }
            }
        }
        if paths.count > 1 {
            DispatchQueue.concurrentPerform(iterations: 2) { _ in work() }
        } else {
            work()
        }
        return results.withLock { $0.map { $0! } }
    }

    /// Entries held now.
    public var count: Int { state.withLock { $0.entries.count } }
    /// Hits and misses since creation (for the status line and tests).
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    public func removeAll() {
        state.withLock { $0.entries.removeAll() }
    }

    static func key(path: String, options: RenderOptions) throws(ImageDecodeError) -> Key {
        var status = stat()
        if stat(path, &status) != 0 {
            throw ImageDecodeError(path: path, kind: .unreadable(String(cString: strerror(errno))))
        }
        #if canImport(Darwin)
            let seconds = Int64(status.st_mtimespec.tv_sec)
            let nanoseconds = Int64(status.st_mtimespec.tv_nsec)
        #else
            let seconds = Int64(status.st_mtim.tv_sec)
            let nanoseconds = Int64(status.st_mtim.tv_nsec)
        #endif
        return Key(
            path: path, size: Int64(status.st_size), modifiedSeconds: seconds,
            modifiedNanoseconds: nanoseconds, options: options)
    }
}
