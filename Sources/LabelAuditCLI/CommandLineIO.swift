import Foundation
import LabelAuditCore

/// Results go to stdout, everything else (warnings, progress, errors) to stderr.
///
/// Every message passes Core's sanitiser on its way out (`TerminalSafeText.visible`): whatever
/// a message quotes from data or file names (a CSV header, an id, a path), no control byte,
/// escape sequence or bidi control reaches the terminal; each shows as `?`.
package enum CommandLineIO {
    package static func printError(_ message: String) {
        FileHandle.standardError.write(Data("labelaudit: \(TerminalSafeText.visible(message))\n".utf8))
    }

    package static func printWarning(_ message: String) {
        FileHandle.standardError.write(Data("labelaudit: warning: \(TerminalSafeText.visible(message))\n".utf8))
    }

    package static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Pretty, key-sorted JSON on stdout. Texts keep their exact value, but DEL, C1 controls,
    /// bidi controls and line/paragraph separators are written as `\uXXXX` escapes (JSON
    /// escapes C0 itself), so JSON read on a terminal cannot drive it either.
    package static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(terminalSafeJSON(data))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// `json` with every scalar a terminal could act on escaped as `\uXXXX` (same JSON value).
    package static func terminalSafeJSON(_ json: Data) -> Data {
        let text = String(decoding: json, as: UTF8.self)
        guard text.unicodeScalars.contains(where: needsEscape) else { return json }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: "\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return Data(String(out).utf8)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || TerminalSafeText.isBidiControl(value)
    }
}
