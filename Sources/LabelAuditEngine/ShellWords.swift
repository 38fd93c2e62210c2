import Foundation

/// Why a model command could not be split into words.
public enum ShellWordsError: Error, Equatable, CustomStringConvertible, Sendable {
    case empty
    case unterminatedQuote(Character)
    case trailingBackslash
    /// An unquoted shell operator such as `|`, `>`, `;` or `$`: the command is never run by a
    /// shell, so it would not do what it looks like.
    case shellOperator(Character)

    public var description: String {
        switch self {
        case .empty:
            return "the model command is empty"
        case .unterminatedQuote(let quote):
            return "the model command has an unterminated \(quote) quote"
        case .trailingBackslash:
            return "the model command ends with a lone backslash"
        case .shellOperator(let c):
            return
                "the model command contains an unquoted '\(c)': it is started without a shell, so pipes, redirections, variables and command lists do not work; quote the character if it is meant literally, or put the pipeline in a script"
        }
    }
}

/// Splits a command line into words by the POSIX shell's quoting rules, so a model command
/// can be started directly (no `/bin/sh -c`) and nothing from the data can ever be run.
///
/// Supported: blanks separate words; `'...'` is literal; `"..."` is literal except that a
/// backslash escapes `$`, `` ` ``, `"`, `\` and newline; an unquoted backslash escapes the next
/// character (backslash-newline joins lines). Not supported, and refused rather than passed
/// on literally: unquoted `| & ; < > ( ) $` and backquotes. Globs and `~` are not expanded.
/// O(n) in the length of the command.
package enum ShellWords {
    package static func split(_ command: String) throws(ShellWordsError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(command).makeIterator()
        func next() -> Character? { iterator.next() }
        while let c = next() {
            switch c {
            case " ", "\t", "\n":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'":
                inWord = true
                var closed = false
                while let q = next() {
                    if q == "'" {
                        closed = true
                        break
                    }
                    current.append(q)
                }
                if !closed { throw .unterminatedQuote("'") }
            case "\"":
                inWord = true
                var closed = false
                while let q = next() {
                    if q == "\"" {
                        closed = true
                        break
                    }
                    if q == "\\" {
                        guard let escaped = next() else { throw .unterminatedQuote("\"") }
                        switch escaped {
                        case "$", "`", "\"", "\\": current.append(escaped)
                        case "\n": break
                        default:
                            current.append("\\")
                            current.append(escaped)
                        }
                        continue
                    }
                    if q == "$" || q == "`" { throw .shellOperator(q) }
                    current.append(q)
                }
                if !closed { throw .unterminatedQuote("\"") }
            case "\\":
                guard let escaped = next() else { throw .trailingBackslash }
                if escaped != "\n" {
                    current.append(escaped)
                    inWord = true
                }
            case "|", "&", ";", "<", ">", "(", ")", "$", "`":
                throw .shellOperator(c)
            default:
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        guard !words.isEmpty else { throw .empty }
        return words
    }
}
