import ArgumentParser
import Foundation
import LabelAuditCore
import LabelAuditStore

/// The shared `--reviewer` option: every verdict says who decided it.
package struct ReviewerArguments: ParsableArguments {
    @Option(help: "Who is reviewing (default: $USER, else the login name). Each reviewer's verdicts are kept apart.")
    package var reviewer: String?

    package init() {}

    /// `--reviewer`, else $USER, else $LOGNAME, else the login name of the user id in the
    /// password database (as git does: root shells and containers often have no $USER);
    /// exits 64 when there is none.
    package func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        for candidate in [reviewer, environment["USER"], environment["LOGNAME"], Self.loginName()] {
            if let name = candidate, !name.isEmpty { return name }
        }
        CommandLineIO.printError("no reviewer name: pass --reviewer NAME or set $USER")
        throw ExitCode(64)
    }

    /// The password database's name for this process's user id.
    package static func loginName() -> String? {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}

extension Verdict: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Opening the audit database for a loaded dataset, and turning store errors into a message
/// on stderr plus the store's exit status.
package enum AuditCommandSupport {
    /// `--db`, else the dataset's default location.
    package static func databaseURL(_ data: DatasetArguments, _ dataset: Dataset) -> URL {
        if let db = data.db { return URL(fileURLWithPath: db) }
        return StoreLocations.audit(forDataset: dataset.root)
    }

    package static func testIDs(of dataset: Dataset) -> Set<String> {
        Set(dataset.ids[dataset.trainCount...])
    }

    /// Opens the store; `readOnly` returns nil when there is no database yet.
    package static func open(_ data: DatasetArguments, _ dataset: Dataset, readOnly: Bool = false) throws -> AuditStore? {
        let url = databaseURL(data, dataset)
        do {
            return try AuditStore.open(at: url, testIDs: testIDs(of: dataset), readOnly: readOnly)
        } catch AuditStoreError.notFound where readOnly {
            return nil
        } catch {
            throw reported(error)
        }
    }

    /// Prints a store error and returns the exit status to throw.
    package static func reported(_ error: any Error) -> any Error {
        if let error = error as? AuditStoreError {
            CommandLineIO.printError(error.description)
            return ExitCode(error.exitCode)
        }
        if error is ExitCode { return error }
        CommandLineIO.printError("\(error)")
        return ExitCode(74)
    }

    @discardableResult
    package static func perform<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw reported(error)
        }
    }

    /// Exits 65 naming the first id the dataset does not have.
    package static func requireKnown(_ ids: [String], in dataset: Dataset) throws {
        for id in ids where dataset.row(of: id) == nil {
            CommandLineIO.printError(
                "\(TerminalSafeText.sanitized(id)): no such id in the dataset \(TerminalSafeText.sanitized(dataset.root.path)); ids are matched exactly as written in train.csv"
            )
            throw ExitCode(65)
        }
    }

    /// Dataset row order (train then test), unknown ids last: "2" before "10".
    package static func rowOrder(_ dataset: Dataset) -> (String) -> Int {
        { dataset.row(of: $0) ?? Int.max }
    }

    /// UTC, microseconds: "2026-11-27T03:58:15.123456Z". Formatted by hand because creating
    /// an ISO8601DateFormatter costs more than listing a thousand events.
    package static func isoTime(_ micros: Int64) -> String {
        var seconds = time_t(micros / 1_000_000)
        let fraction = Int32(micros - Int64(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, fraction)
    }

    /// One line, control characters stripped, at most `limit` characters.
    package static func shown(_ text: String, limit: Int = 80) -> String {
        let safe = TerminalSafeText.sanitized(text)
        return safe.count > limit ? String(safe.prefix(limit - 1)) + "…" : safe
    }

    /// A note shortened for a listing line, saying that it was cut and where the rest is.
    package static func shownNote(_ text: String, limit: Int) -> String {
        let safe = TerminalSafeText.sanitized(text)
        guard safe.count > limit else { return safe }
        return String(safe.prefix(limit)) + "… (\(safe.count - limit) more characters; --json shows the whole note)"
    }

    /// Writes a line and flushes, so a line on stdout means the action before it committed.
    package static func printFlushed(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
