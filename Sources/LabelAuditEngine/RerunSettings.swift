import Foundation

/// Per-dataset rerun settings, read from `<dataset>/labelaudit.json` (written by the team, never
/// by labelaudit), so `--model cmd` works without repeating the command:
///
///     { "modelCommand": "python3 predict.py --weights w.pt", "timeout": 1800, "itemTimeout": 60 }
///
/// Every key is optional; unknown keys are ignored so the file can hold other tools' settings.
public struct RerunSettings: Sendable, Equatable, Decodable {
    public static let fileName = "labelaudit.json"

    public var modelCommand: String?
    /// Seconds for the whole command run.
    public var timeout: Double?
    /// Seconds of silence allowed between two result lines.
    public var itemTimeout: Double?

    public init(modelCommand: String? = nil, timeout: Double? = nil, itemTimeout: Double? = nil) {
        self.modelCommand = modelCommand
        self.timeout = timeout
        self.itemTimeout = itemTimeout
    }

    public struct LoadError: Error, Equatable, CustomStringConvertible, Sendable {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    /// The settings beside the dataset; nil when there is no such file.
    public static func load(datasetRoot: URL) throws(LoadError) -> RerunSettings? {
        let url = datasetRoot.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LoadError(path: url.path, problem: "cannot be read")
        }
        do {
            return try JSONDecoder().decode(RerunSettings.self, from: data)
        } catch {
            throw LoadError(
                path: url.path,
                problem: "is not a JSON object like {\"modelCommand\": \"python3 predict.py\"} (\(describe(error)))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .keyNotFound(_, let context)?:
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case .dataCorrupted(let context)?:
            return "invalid JSON: \(context.debugDescription)"
        default:
            return String(describing: error)
        }
    }
}
