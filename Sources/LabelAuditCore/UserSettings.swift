import Foundation

/// What a reviewer chose once and expects to keep (`:set advance off`, `--symbols sextant`):
/// a small JSON file per user, `$XDG_CONFIG_HOME/labelaudit/settings.json` (else
/// `~/.config/labelaudit/settings.json`), never the team's shared audit database. A missing
/// file is the defaults; a damaged one is ignored with a warning and rewritten on the next change.
public struct UserSettings: Codable, Equatable, Sendable {
    /// Glyph set of pictures: half, quad or sextant.
    public var symbols: String?
    /// Move to the next face after a verdict.
    public var autoAdvance: Bool?
    /// Real pixels: auto, kitty, sixel or off.
    public var graphics: String?

    public init(symbols: String? = nil, autoAdvance: Bool? = nil, graphics: String? = nil) {
        self.symbols = symbols
        self.autoAdvance = autoAdvance
        self.graphics = graphics
    }

    /// Where the file lives for this environment.
    public static func location(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            return URL(fileURLWithPath: config).appendingPathComponent("labelaudit/settings.json")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".config/labelaudit/settings.json")
    }

    /// The settings in `url`, and a warning when the file exists but cannot be used.
    public static func load(from url: URL) -> (settings: UserSettings, warning: String?) {
        guard let data = FileManager.default.contents(atPath: url.path) else { return (UserSettings(), nil) }
        guard data.count < 64 * 1024, let settings = try? JSONDecoder().decode(UserSettings.self, from: data) else {
            return (
                UserSettings(),
                "ignored the settings in \(TerminalSafeText.sanitized(url.path)): not a labelaudit "
                    + "settings file; it is rewritten on the next change"
            )
        }
        return (settings, nil)
    }

    /// Writes the settings (creating the folder), atomically.
    public func save(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
