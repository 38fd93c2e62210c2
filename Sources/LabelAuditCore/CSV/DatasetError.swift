/// A problem with the input files, said the way a person fixes it: which file, which line,
/// which column, what was found and what was expected.
public struct DatasetError: Error, Equatable, CustomStringConvertible, Sendable {
    public let file: String
    /// 1-based physical line, when the problem sits on one.
    public let line: Int?
    /// The column's header name (and 1-based position), when the problem sits in one.
    public let column: String?
    public let problem: String
    /// sysexits.h: 65 (EX_DATAERR) for bad content, 66 (EX_NOINPUT) for a missing file.
    public let exitCode: Int32

    public init(file: String, line: Int? = nil, column: String? = nil, problem: String, exitCode: Int32 = 65) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        self.exitCode = exitCode
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ": column \(column)" }
        return "\(location): \(problem)"
    }
}
