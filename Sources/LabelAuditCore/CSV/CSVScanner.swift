/// Byte-level RFC 4180 field scanning over a buffer that holds whole records.
///
/// Written by hand rather than taken from a CSV package because it runs at every start on up to
/// a gigabyte of numbers: it never builds a String for a numeric field and never copies a byte.
struct CSVField {
    /// Content range in the buffer, quotes excluded.
    var start: Int
    var end: Int
    /// The field contains doubled quotes that must be collapsed when its text is needed.
    var hasEscapedQuotes: Bool
}

enum CSVScanner {
    static let comma = UInt8(ascii: ",")
    static let quote = UInt8(ascii: "\"")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")

    /// Scans one record starting at `position`; fills `fields` (cleared first) and returns the
    /// offset just past the record's line end plus how many newlines it spanned. Returns nil at `end`.
    /// An unterminated quote runs to `end`.
    /// At most `fieldLimit + 1` fields are kept (more means "more than `fieldLimit`"), so a
    /// hostile line of commas costs a scan, not an array of millions of fields.
    @inline(__always)
    static func nextRecord(
        _ base: UnsafePointer<UInt8>, from position: Int, end: Int,
        fields: inout [CSVField], fieldLimit: Int = 1 << 20
    ) -> (next: Int, newlines: Int)? {
        if position >= end { return nil }
        fields.removeAll(keepingCapacity: true)
        var i = position
        var newlines = 0
        while true {
            if i < end && base[i] == quote {
                // Quoted field.
                i += 1
                let start = i
                var escaped = false
                while i < end {
                    let c = base[i]
                    if c == quote {
                        if i + 1 < end && base[i + 1] == quote {
                            escaped = true
                            i += 2
                            continue
                        }
                        break
                    }
                    if c == newline { newlines += 1 }
                    i += 1
                }
                let contentEnd = i
                if i < end { i += 1 }  // closing quote
                // Anything between the closing quote and the separator is kept out (lenient).
                while i < end && base[i] != comma && base[i] != newline { i += 1 }
                var fieldEnd = contentEnd
                if fieldEnd > start && base[fieldEnd - 1] == carriageReturn && i >= end { fieldEnd -= 1 }
                if fields.count <= fieldLimit { fields.append(CSVField(start: start, end: fieldEnd, hasEscapedQuotes: escaped)) }
            } else {
                let start = i
                while i < end && base[i] != comma && base[i] != newline { i += 1 }
                var fieldEnd = i
                if fieldEnd > start && base[fieldEnd - 1] == carriageReturn && (i >= end || base[i] == newline) { fieldEnd -= 1 }
                if fields.count <= fieldLimit { fields.append(CSVField(start: start, end: fieldEnd, hasEscapedQuotes: false)) }
            }
            if i >= end { return (end, newlines) }
            if base[i] == comma {
                i += 1
                continue
            }
            // newline
            return (i + 1, newlines + 1)
        }
    }

    /// The field's text with doubled quotes collapsed.
    /// The field's text without surrounding spaces and tabs (trimmed on the bytes: Foundation's
    /// `trimmingCharacters` bridges through NSString and cost a millisecond per header).
    static func trimmedText(_ base: UnsafePointer<UInt8>, _ field: CSVField) -> String {
        text(base, trimmed(base, field))
    }

    /// The field without surrounding spaces and tabs.
    static func trimmed(_ base: UnsafePointer<UInt8>, _ field: CSVField) -> CSVField {
        var trimmed = field
        while trimmed.start < trimmed.end && (base[trimmed.start] == 0x20 || base[trimmed.start] == 0x09) { trimmed.start += 1 }
        while trimmed.end > trimmed.start && (base[trimmed.end - 1] == 0x20 || base[trimmed.end - 1] == 0x09) { trimmed.end -= 1 }
        return trimmed
    }

    static func text(_ base: UnsafePointer<UInt8>, _ field: CSVField) -> String {
        let bytes = UnsafeBufferPointer(start: base + field.start, count: field.end - field.start)
        guard field.hasEscapedQuotes else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var k = 0
        while k < bytes.count {
            out.append(bytes[k])
            if bytes[k] == quote && k + 1 < bytes.count && bytes[k + 1] == quote { k += 2 } else { k += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when the record is an empty line (skipped, as pandas does).
    @inline(__always)
    static func isBlank(_ base: UnsafePointer<UInt8>, _ fields: [CSVField]) -> Bool {
        fields.count == 1 && fields[0].start == fields[0].end
    }
}
