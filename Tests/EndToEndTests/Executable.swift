import Foundation
import TestSupport

/// The end-to-end tests' short names for TestSupport's runner.
enum Executable {
    typealias Result = ProcessResult

    static func run(_ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) throws -> ProcessResult {
        try Command.labelaudit(arguments, environment: environment, stdin: stdin.map { Data($0.utf8) })
    }

    /// A fresh temporary folder.
    static func temporaryDirectory() throws -> URL {
        try TemporaryFolder("e2e").url
    }
}
