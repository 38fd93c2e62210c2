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

    /// One line, safe for a terminal: file names, header names and values quoted from the data
    /// pass through `TerminalSafeText.visible`, so a hostile header cannot reach the terminal raw.
    public var description: String {
        var location = TerminalSafeText.visible(file)
        if let line { location += ":\(line)" }
        if let column { location += ": column \(TerminalSafeText.visible(column, limit: 120))" }
        return "\(location): \(TerminalSafeText.visible(problem))"
    }

    /// A header as a message quotes it: at most six names, each made visible and cut at 40
    /// characters, then the count.
    package static func shownHeader(_ header: [String]) -> String {
        let shown = header.prefix(6).map { TerminalSafeText.visible($0, limit: 40) }.joined(separator: ",")
        return header.count > 6 ? "\(shown),... (\(header.count) columns)" : shown
    }
}
