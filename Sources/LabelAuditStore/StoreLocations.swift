import Foundation

/// Where a dataset's two databases live, decided in one place: the audit database (the team's
/// verdicts: irreplaceable) and the cache (model runs, features, neighbours: recomputable).
///
/// - Audit: `--db`, else `<dataset>/labelaudit.sqlite` when that file exists or the folder is
///   writable, else `$XDG_DATA_HOME/labelaudit/<folder>-<hash>.sqlite` (`~/.local/share`). An
///   existing file beside the data wins even in a read-only folder, so verdicts are never split
///   over two files.
/// - Cache: `--cache`, else beside the audit database (`<audit name>-cache.sqlite` next to
///   `--db`, `labelaudit-cache.sqlite` in the dataset folder); when that folder cannot be
///   written, `$XDG_CACHE_HOME/labelaudit/<folder>-<hash>-cache.sqlite` (`~/.cache`).
///
/// Fallback names are the folder's name (plain characters only) and an FNV-1a hash of its
/// absolute path: stable across runs and machines, distinct for same-named folders.
public enum StoreLocations {
    /// The audit database for `dataset` (`explicit`: `--db`).
    public static func audit(
        forDataset dataset: URL, explicit: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        if let explicit { return explicit }
        let folder = dataset.standardizedFileURL
        let beside = folder.appendingPathComponent("labelaudit.sqlite")
        if FileManager.default.fileExists(atPath: beside.path) || access(folder.path, W_OK | X_OK) == 0 {
            return beside
        }
        return home("XDG_DATA_HOME", ".local/share", environment).appendingPathComponent("labelaudit", isDirectory: true)
            .appendingPathComponent(fallbackName(folder) + ".sqlite")
    }

    /// The cache for `dataset` whose audit database is `audit` (`explicitAudit`: whether it was
    /// named with `--db`; `explicit`: `--cache`).
    public static func cache(
        forDataset dataset: URL, audit: URL? = nil, explicit: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        if let explicit { return explicit }
        let beside = audit.map(cacheBeside) ?? dataset.standardizedFileURL.appendingPathComponent("labelaudit-cache.sqlite")
        return canWrite(beside) ? beside : cacheFallback(for: beside, environment: environment)
    }

    /// `<audit name>-cache.sqlite` beside an audit database.
    package static func cacheBeside(_ audit: URL) -> URL {
        let base = audit.deletingPathExtension().lastPathComponent
        return audit.deletingLastPathComponent().appendingPathComponent("\(base)-cache.sqlite")
    }

    /// Where a cache goes when `url`'s folder cannot be written.
    public static func cacheFallback(for url: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        home("XDG_CACHE_HOME", ".cache", environment).appendingPathComponent("labelaudit", isDirectory: true)
            .appendingPathComponent(fallbackName(url.deletingLastPathComponent().standardizedFileURL) + "-cache.sqlite")
    }

    /// Whether a database can be created or written at `url`.
    package static func canWrite(_ url: URL) -> Bool {
        let folder = url.deletingLastPathComponent().path
        if FileManager.default.fileExists(atPath: url.path) {
            return access(url.path, W_OK) == 0 && access(folder, W_OK | X_OK) == 0
        }
        return access(folder, W_OK | X_OK) == 0
    }

    /// `$VARIABLE` when it is an absolute path, else `$HOME/<fallback>`.
    static func home(_ variable: String, _ fallback: String, _ environment: [String: String]) -> URL {
        if let value = environment[variable], value.hasPrefix("/") { return URL(fileURLWithPath: value, isDirectory: true) }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(fallback)
    }

    /// `<folder name>-<FNV-1a of the path>`, the name of a fallback file.
    static func fallbackName(_ folder: URL) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in folder.path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let safeName = String(
            folder.lastPathComponent.unicodeScalars.map { scalar -> Character in
                let isPlain =
                    scalar.isASCII
                    && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" || scalar == ".")
                return isPlain ? Character(scalar) : "_"
            }.prefix(60))
        return "\(safeName.isEmpty ? "dataset" : safeName)-\(String(hash, radix: 16))"
    }
}
