import Foundation
import LabelAuditReport

/// A validator for the subset of JSON Schema that `ReportSchema.json` uses: `type` (one or a
/// list), `properties`, `required`, `additionalProperties: false`, `items`, `enum`, `const`,
/// `minimum`, `maximum` and local `$ref` (`#/$defs/...`). Self-contained, so `make test`
/// validates an export without Python. O(size of the document · depth of the schema).
/// Test support only: `labelaudit export --schema` prints the schema, nothing shipped validates.
package struct JSONSchemaValidator {
    let root: [String: JSONValue]

    package init(schemaJSON: String) throws(JSONParseError) {
        guard case .object(let object) = try JSONValue.parse(Data(schemaJSON.utf8)) else {
            throw JSONParseError(offset: 0, problem: "the schema is not a JSON object")
        }
        root = object
    }

    /// Every violation as "path: problem"; empty when the document is valid.
    package func validate(_ data: Data) -> [String] {
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch {
            return ["$: not JSON (\(error.description))"]
        }
        var problems: [String] = []
        check(document, against: root, path: "$", problems: &problems)
        return problems
    }

    func resolve(_ schema: [String: JSONValue]) -> [String: JSONValue] {
        guard case .string(let reference)? = schema["$ref"], reference.hasPrefix("#/$defs/"),
            case .object(let defs)? = root["$defs"],
            case .object(let target)? = defs[String(reference.dropFirst("#/$defs/".count))]
        else { return schema }
        return resolve(target)
    }

    func check(_ value: JSONValue, against rawSchema: [String: JSONValue], path: String, problems: inout [String]) {
        let schema = resolve(rawSchema)
        if let types = schema["type"] {
            var allowed: [String] = []
            if case .string(let one) = types { allowed = [one] }
            if case .array(let many) = types {
                allowed = many.compactMap { if case .string(let t) = $0 { return t } else { return nil } }
            }
            if !allowed.contains(where: { value.matches(type: $0) }) {
                problems.append("\(path): expected \(allowed.joined(separator: " or ")), found \(value.kind)")
                return
            }
        }
        if case .array(let options)? = schema["enum"], !options.contains(value) {
            problems.append("\(path): \(value.kind) \(value.shortText) is not one of the allowed values")
        }
        if let constant = schema["const"], constant != value {
            problems.append("\(path): must be \(constant.shortText)")
        }
        if case .number(let number) = value {
            if case .number(let minimum)? = schema["minimum"], number < minimum {
                problems.append("\(path): \(number) is below the minimum \(minimum)")
            }
            if case .number(let maximum)? = schema["maximum"], number > maximum {
                problems.append("\(path): \(number) is above the maximum \(maximum)")
            }
        }
        if case .object(let object) = value {
            var properties: [String: JSONValue] = [:]
            if case .object(let p)? = schema["properties"] { properties = p }
            if case .array(let required)? = schema["required"] {
                for case .string(let name) in required where object[name] == nil {
                    problems.append("\(path): missing required property \"\(name)\"")
                }
            }
            for (name, child) in object.sorted(by: { $0.key < $1.key }) {
                if case .object(let childSchema)? = properties[name] {
                    check(child, against: childSchema, path: "\(path).\(name)", problems: &problems)
                } else if schema["additionalProperties"] == .bool(false) {
                    problems.append("\(path): unexpected property \"\(name)\"")
                }
            }
        }
        if case .array(let array) = value, case .object(let items)? = schema["items"] {
            for (index, element) in array.enumerated() {
                check(element, against: items, path: "\(path)[\(index)]", problems: &problems)
            }
        }
    }
}

package struct JSONParseError: Error, Equatable, CustomStringConvertible, Sendable {
    package let offset: Int
    package let problem: String
    package var description: String { "byte \(offset): \(problem)" }
}

/// A parsed JSON value (RFC 8259), kept exactly: numbers as Double, booleans apart from numbers.
package indirect enum JSONValue: Equatable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    var shortText: String {
        switch self {
        case .string(let s): return "\"\(s.prefix(40))\""
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): return String(b)
        default: return kind
        }
    }

    func matches(type: String) -> Bool {
        switch (type, self) {
        case ("object", .object), ("array", .array), ("string", .string), ("number", .number), ("boolean", .bool),
            ("null", .null):
            return true
        case ("integer", .number(let n)):
            return n == n.rounded() && abs(n) < 9.3e18
        default:
            return false
        }
    }

    package static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        var parser = Parser(bytes: [UInt8](data))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the value") }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        func error(_ problem: String) -> JSONParseError { JSONParseError(offset: index, problem: problem) }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws(JSONParseError) {
            for byte in literal.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw error("expected \(literal)") }
                index += 1
            }
        }

        mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth < 512 else { throw error("nested too deeply") }
            guard index < bytes.count else { throw error("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var object: [String: JSONValue] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(object)
                }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect("}")
                    return .object(object)
                }
            case UInt8(ascii: "["):
                index += 1
                var array: [JSONValue] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(array)
                }
                while true {
                    skipSpace()
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect("]")
                    return .array(array)
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default:
                let start = index
                while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
                guard let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)), number.isFinite else {
                    index = start
                    throw error("expected a value")
                }
                return .number(number)
            }
        }

        mutating func string() throws(JSONParseError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") {
                    flush()
                    return String(scalars)
                }
                if byte < 0x20 { throw error("control character in a string") }
                guard byte == UInt8(ascii: "\\") else {
                    run.append(byte)
                    continue
                }
                flush()
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(escape))
                }
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            guard index + 4 <= bytes.count,
                let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else {
                throw error("bad \\u escape")
            }
            index += 4
            return code
        }
    }
}

extension ReportSchema {
    /// Problems of a JSON report against the schema; empty when valid.
    package static func validate(_ data: Data) -> [String] {
        guard let validator = try? JSONSchemaValidator(schemaJSON: json) else { return ["the built-in schema is not valid JSON"] }
        return validator.validate(data)
    }
}
