import Foundation
import LabelAuditCore

/// The `labelaudit` executable the tests run: the one `swift build` put beside the test bundle
/// (same configuration, same build folder), or `$LABELAUDIT_BIN`. There is no silent fallback:
/// when it is missing every call throws and says how to build it, so a test can never pass by
/// running a stale binary from another configuration.
package enum LabelAuditExecutable {
    package struct NotBuilt: Error, CustomStringConvertible {
        package var description: String
    }

    /// Where the test process itself lives (`.build/<triple>/<config>/`).
    static let buildFolder: URL = {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent()
    }()

    /// The binary, or an error naming where it was looked for.
    package static func url() throws(NotBuilt) -> URL {
        try locate("labelaudit", override: "LABELAUDIT_BIN")
    }

    /// The binary's path; fails the calling test when it is missing.
    package static var path: String {
        get throws(NotBuilt) { try url().path }
    }

    /// `name` beside the tests, or the executable file `$override` names.
    static func locate(_ name: String, override variable: String) throws(NotBuilt) -> URL {
        if let override = ProcessInfo.processInfo.environment[variable], !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw NotBuilt(description: "\(variable)=\(override) is not an executable file")
            }
            return URL(fileURLWithPath: override)
        }
        let candidate = buildFolder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw NotBuilt(
                description: "\(name) is not built beside the tests (\(candidate.path)): "
                    + "run `swift build --build-tests` first (make test does)")
        }
        return candidate
    }
}

/// The `labelaudit-bench` executable (the bench and fuzz commands, never shipped in
/// `labelaudit`), found the same loud way: beside the test bundle, or `$LABELAUDIT_BENCH_BIN`.
package enum LabelAuditBenchExecutable {
    /// The binary, or an error naming where it was looked for.
    package static func url() throws(LabelAuditExecutable.NotBuilt) -> URL {
        try LabelAuditExecutable.locate("labelaudit-bench", override: "LABELAUDIT_BENCH_BIN")
    }

    /// The binary's path; fails the calling test when it is missing.
    package static var path: String {
        get throws(LabelAuditExecutable.NotBuilt) { try url().path }
    }
}

/// What a finished process left behind.
package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
    /// True when a signal ended it (status is then the signal number).
    package var killedBySignal: Bool
}

/// Runs programs the way a user does, both streams captured.
package enum Command {
    /// Runs `labelaudit ARGUMENTS`.
    @discardableResult
    package static func labelaudit(
        _ arguments: [String], environment: [String: String]? = nil,
        stdin: Data? = nil, timeout: Double = 120
    ) throws -> ProcessResult {
        try run(LabelAuditExecutable.url(), arguments, environment: environment, stdin: stdin, timeout: timeout)
    }

    /// Runs `labelaudit-bench ARGUMENTS` (the bench and fuzz commands).
    @discardableResult
    package static func labelauditBench(
        _ arguments: [String], environment: [String: String]? = nil,
        stdin: Data? = nil, timeout: Double = 120
    ) throws -> ProcessResult {
        try run(LabelAuditBenchExecutable.url(), arguments, environment: environment, stdin: stdin, timeout: timeout)
    }

    /// Runs `executable` and waits for it (killing it after `timeout` seconds, which fails as
    /// a `Timeout`). Both pipes are read concurrently so a chatty child never blocks.
    @discardableResult
    package static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
        stdin: Data? = nil, timeout: Double = 120
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        let collected = Locked(StreamPair())
        let group = DispatchGroup()
        for (handle, isError) in [(out.fileHandleForReading, false), (err.fileHandleForReading, true)] {
            group.enter()
            DispatchQueue.global().async {
                let data = handle.readDataToEndOfFile()
                collected.withLock { if isError { $0.err = data } else { $0.out = data } }
                group.leave()
            }
        }
        if let stdin {
            // A child may exit before reading all of its input: that must end the write
            // (EPIPE, SIGPIPE ignored), not the test process.
            signal(SIGPIPE, SIG_IGN)
            DispatchQueue.global().async {
                try? input.fileHandleForWriting.write(contentsOf: stdin)
                try? input.fileHandleForWriting.close()
            }
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Timeout(seconds: timeout, arguments: arguments)
        }
        process.waitUntilExit()
        let streams = collected.withLock { $0 }
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(decoding: streams.out, as: UTF8.self),
            stderr: String(decoding: streams.err, as: UTF8.self),
            killedBySignal: process.terminationReason == .uncaughtSignal)
    }

    package struct Timeout: Error, CustomStringConvertible {
        package var seconds: Double
        package var arguments: [String]
        package var description: String { "still running after \(seconds) s: labelaudit \(arguments.joined(separator: " "))" }
    }

    private struct StreamPair: Sendable {
        var out = Data()
        var err = Data()
    }
}

/// A fresh folder under the system's temporary folder, removed by `remove()`.
package struct TemporaryFolder: Sendable {
    package let url: URL

    package init(_ label: String = "test") throws {
        let safe = label.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        url = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    package var path: String { url.path }

    package func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `text` to `name` and returns its URL.
    @discardableResult
    package func write(_ text: String, to name: String) throws -> URL {
        let target = file(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
        return target
    }

    package func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// The package's root folder (for Assets/ and Tests/Fixtures).
package enum Repository {
    package static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    package static let demo = root.appendingPathComponent("Assets/demo")
    package static let demoTruth = root.appendingPathComponent("Assets/demo-truth/truth.csv")
}
