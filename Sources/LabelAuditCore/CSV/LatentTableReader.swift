import Dispatch
import Foundation

/// What a column of a latent table is for.
enum ColumnRole: Equatable {
    case id
    case label
    /// Index into the latent vector.
    case latent(Int)
    case ignored
}

/// The shape of one CSV table once its header and first data row are read.
struct TableSchema {
    var names: [String]
    var roles: [ColumnRole]
    var latentNames: [String]
    var ignoredNames: [String]
    var idName: String
    var labelName: String?
}

/// The rows of one table: ids, labels (train only) and latents appended to a shared buffer.
struct TableRows {
    var schema: TableSchema
    var ids: [String] = []
    var labels: [UInt8] = []
    /// The physical line of each row, for messages that come after parsing (duplicate ids).
    var lines: [Int32] = []
}

/// Streams a CSV of `id, latent..., [label]` into contiguous Float32 storage.
///
/// The file is read in blocks (never whole into memory, never into a String). A block without
/// quote characters is split at a line end and its halves parsed on both cores; blocks with
/// quotes are parsed in one piece so that a quoted newline can't be cut. O(bytes).
enum LatentTableReader {
    static let blockSize = 8 << 20

    enum Kind {
        case train(labelColumn: String?)
        /// Test tables must carry the train table's latent columns, matched by name.
        case test(trainLatentNames: [String])
    }

    static let idCandidates = ["id", "ID", "Id"]
    static let labelCandidates = ["glasses", "label", "target", "y"]

    /// The longest physical line accepted (the header or one row): a row of 512 latents takes
    /// about 10 KB, so a longer line is not a latent table, and refusing it before it is parsed
    /// keeps time and memory bounded whatever the file holds. Equal to the stream block.
    static var maximumLineBytes: Int { blockSize }

    static func read(
        _ url: URL, kind: Kind, idColumn: String?, into latents: inout [Float],
        reserveRowsHint: Int = 0
    ) throws(DatasetError) -> TableRows {
        let fd: Int32
        do {
            fd = try InputFile.openRegular(url.path)
        } catch {
            throw DatasetError(file: url.path, problem: error.problem, exitCode: error.exitCode)
        }
        defer { close(fd) }
        var fileSize = 0
        var info = stat()
        if fstat(fd, &info) == 0 { fileSize = Int(info.st_size) }
        if fileSize > 0, let mapping = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED {
            defer { munmap(mapping, fileSize) }
            _ = madvise(mapping, fileSize, MADV_SEQUENTIAL)
            return try readMapped(
                UnsafePointer(mapping.assumingMemoryBound(to: UInt8.self)), size: fileSize, url: url,
                kind: kind, idColumn: idColumn, into: &latents, reserveRowsHint: reserveRowsHint)
        }
        // A file that cannot be mapped (an empty one, or a file system without mmap) is streamed.
        return try readStream(
            descriptor: fd, fileSize: fileSize, url: url, kind: kind, idColumn: idColumn,
            into: &latents, reserveRowsHint: reserveRowsHint)
    }

    /// Reads a table from a descriptor through a buffer of `blockSize` bytes, however the reads
    /// split the bytes (a pipe, a file that cannot be mapped); the same parser as the mapped path.
    /// A line longer than the block is refused, so memory stays at one block plus the table.
    package static func readStream(
        descriptor fd: Int32, fileSize: Int = 0, url: URL, kind: Kind, idColumn: String?,
        into latents: inout [Float], reserveRowsHint: Int = 0,
        blockSize: Int = LatentTableReader.blockSize
    ) throws(DatasetError) -> TableRows {
        var buffer = [UInt8](repeating: 0, count: blockSize)
        var filled = 0  // bytes valid in buffer
        var eof = false
        var line = 1  // physical line of buffer[start]
        var rows: TableRows? = nil
        var dim = 0
        var parts = [PartResult(), PartResult()]

        func fill() throws(DatasetError) {
            while filled < buffer.count && !eof {
                let n = buffer.withUnsafeMutableBytes { raw in
                    Foundation.read(fd, raw.baseAddress! + filled, raw.count - filled)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DatasetError(file: url.path, problem: "read failed (\(String(cString: strerror(errno))))", exitCode: 74)
                }
                if n == 0 { eof = true } else { filled += n }
            }
        }

        try fill()
        var start = 0
        // UTF-8 byte order mark.
        if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
        if filled - start == 0 {
            throw DatasetError(
                file: url.path,
                problem: "the file is empty; expected a header line such as `id,v1,...,v512\(kindLabelHint(kind))` and data rows")
        }
        if filled >= 2, let error = utf16Refusal(buffer[0], buffer[1], url: url) { throw error }

        while true {
            // The usable part ends at the last record boundary (or at EOF).
            var boundary = filled
            if !eof {
                guard let b = lastRecordBoundary(buffer, from: start, to: filled) else {
                    // No record ends in the buffer: make room by dropping what was parsed; a
                    // record that fills the whole buffer is too long to be a row.
                    if start == 0 {
                        throw lineTooLong(url, line: line, limit: blockSize)
                    }
                    buffer.withUnsafeMutableBytes { raw in
                        _ = memmove(raw.baseAddress!, raw.baseAddress! + start, filled - start)
                    }
                    filled -= start
                    start = 0
                    try fill()
                    continue
                }
                boundary = b
            } else if boundary - start > blockSize {
                throw lineTooLong(url, line: line, limit: blockSize)
            }

            if rows == nil {
                let schema = try buffer.withUnsafeBufferPointer { p throws(DatasetError) in
                    try readSchema(
                        p.baseAddress!, start: start, end: boundary, line: line, url: url, kind: kind, idColumn: idColumn)
                }
                rows = TableRows(schema: schema.schema)
                dim = schema.schema.latentNames.count
                start = schema.dataStart
                line = schema.dataLine
                if case .train = kind {
                    let bytesPerRow = max(1, schema.firstRowBytes)
                    let estimate = max(reserveRowsHint, Int(Double(fileSize) / Double(bytesPerRow) * 1.25) + 16)
                    latents.reserveCapacity(latents.count + min(estimate, 1 << 24) * dim)
                }
            }

            let schema = rows!.schema
            _ = buffer.withUnsafeBufferPointer { p in
                parseBlock(
                    p.baseAddress!, start: start, end: boundary, line: line, schema: schema, dim: dim, url: url,
                    boundaryIsQuoteAware: true, parts: &parts)
            }
            try collect(&parts, into: &rows!, latents: &latents)
            line += parts[0].newlines + parts[1].newlines

            if eof && boundary >= filled { break }
            // Keep the partial record, read more.
            let remaining = filled - boundary
            buffer.withUnsafeMutableBytes { raw in
                _ = memmove(raw.baseAddress!, raw.baseAddress! + boundary, remaining)
            }
            filled = remaining
            start = 0
            try fill()
            if eof && filled == 0 { break }
        }

        guard var result = rows else {
            throw DatasetError(file: url.path, problem: "the file is empty")
        }
        if result.ids.isEmpty {
            throw DatasetError(
                file: url.path, line: 1, problem: "header only, no data rows; expected one row per image after the header")
        }
        try checkDuplicates(&result, url: url)
        return result
    }

    /// A UTF-16 byte order mark: the table was saved as UTF-16 (a spreadsheet's "Unicode text").
    static func utf16Refusal(_ first: UInt8, _ second: UInt8, url: URL) -> DatasetError? {
        guard (first == 0xFF && second == 0xFE) || (first == 0xFE && second == 0xFF) else { return nil }
        return DatasetError(
            file: url.path, line: 1,
            problem:
                "the file is UTF-16 text; labelaudit reads UTF-8 CSV: save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8`)")
    }

    static func lineTooLong(_ url: URL, line: Int, limit: Int) -> DatasetError {
        let size = limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"
        return DatasetError(
            file: url.path, line: line,
            problem:
                "this line is longer than \(size) (or opens a quote that never closes); a row of a latent table is a few KB: check that this is the right file"
        )
    }

    /// The whole file is mapped (no copy into a buffer, no moving of partial records) and parsed
    /// in rounds of `blockSize`; each round's pages are released once parsed, so the resident
    /// set holds the latents and about one round of text, not the file.
    private static func readMapped(
        _ base: UnsafePointer<UInt8>, size: Int, url: URL, kind: Kind, idColumn: String?,
        into latents: inout [Float], reserveRowsHint: Int
    ) throws(DatasetError) -> TableRows {
        var start = 0
        if size >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { start = 3 }
        if size - start == 0 {
            throw DatasetError(
                file: url.path,
                problem: "the file is empty; expected a header line such as `id,v1,...,v512\(kindLabelHint(kind))` and data rows")
        }
        if size >= 2, let error = utf16Refusal(base[0], base[1], url: url) { throw error }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var released = 0
        var line = 1
        // The header and first row decide the schema: read with the quote-aware scanner, which
        // stops after them (the whole mapping is only its limit).
        let schemaRead = try readSchema(base, start: start, end: size, line: line, url: url, kind: kind, idColumn: idColumn)
        let schema = schemaRead.schema
        var rows = TableRows(schema: schema)
        let dim = schema.latentNames.count
        start = schemaRead.dataStart
        line = schemaRead.dataLine
        // A file of up to four rounds is parsed in one (one split, one barrier). Each part gets
        // room for its rows up front, so that none grows by copying; when the table starts
        // empty, in a single round the first part gets room for the whole table and then
        // becomes it (see `collect`).
        let singleRound = size - start <= 4 * blockSize
        let adoptFirstPart = singleRound && latents.isEmpty
        if case .train = kind, !adoptFirstPart {
            let bytesPerRow = max(1, schemaRead.firstRowBytes)
            let estimate = max(reserveRowsHint, Int(Double(size) / Double(bytesPerRow) * 1.25) + 16)
            latents.reserveCapacity(latents.count + estimate * dim)
        }
        var parts = [PartResult(), PartResult()]
        let roundBytes = singleRound ? size - start : blockSize
        let rowsPerHalf = (roundBytes / 2 / max(1, schemaRead.firstRowBytes) + 16) * 5 / 4
        for k in parts.indices {
            let rows = adoptFirstPart && k == 0 ? 2 * rowsPerHalf : rowsPerHalf
            parts[k].latents.reserveCapacity(rows * dim)
            parts[k].ids.reserveCapacity(rows)
            parts[k].lines.reserveCapacity(rows)
            parts[k].labels.reserveCapacity(rows)
        }
        while start < size {
            let roundSize = singleRound ? size - start : blockSize
            var boundary = size
            if start + roundSize < size {
                guard let found = lastNewline(base, from: start, to: start + roundSize) else {
                    throw lineTooLong(url, line: line, limit: blockSize)  // no line end in a whole round
                }
                boundary = found
            }
            if !parseBlock(
                base, start: start, end: boundary, line: line, schema: schema, dim: dim, url: url,
                boundaryIsQuoteAware: false, parts: &parts)
            {
                // Quotes in this round: a newline may sit inside a quoted field, so find the
                // round's end again, honouring quotes, and parse it in one piece.
                let end = min(size, start + roundSize)
                if end >= size {
                    boundary = size
                } else if let found = lastQuoteAwareBoundary(base, from: start, to: end) {
                    boundary = found
                } else {
                    throw lineTooLong(url, line: line, limit: blockSize)  // a quote open for a whole round
                }
                _ = parseBlock(
                    base, start: start, end: boundary, line: line, schema: schema, dim: dim, url: url,
                    boundaryIsQuoteAware: true, parts: &parts)
            }
            try collect(&parts, into: &rows, latents: &latents, adoptFirstPart: adoptFirstPart)
            line += parts[0].newlines + parts[1].newlines
            start = boundary
            // Give the parsed pages back (they stay in the page cache).
            let releaseEnd = start / pageSize * pageSize
            if releaseEnd > released {
                _ = madvise(UnsafeMutableRawPointer(mutating: base + released), releaseEnd - released, MADV_DONTNEED)
                released = releaseEnd
            }
        }
        if rows.ids.isEmpty {
            throw DatasetError(
                file: url.path, line: 1, problem: "header only, no data rows; expected one row per image after the header")
        }
        try checkDuplicates(&rows, url: url)
        return rows
    }

    /// Offset just past the last '\n' in `start..<end`, ignoring quotes.
    private static func lastNewline(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var i = end - 1
        while i >= start {
            if base[i] == CSVScanner.newline { return i + 1 }
            i -= 1
        }
        return nil
    }

    /// Offset just past the last '\n' in `start..<end` that is not inside quotes (`start` must
    /// be at a record start).
    private static func lastQuoteAwareBoundary(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var inQuotes = false
        var last: Int? = nil
        for i in start..<end {
            let c = base[i]
            if c == CSVScanner.quote { inQuotes.toggle() } else if c == CSVScanner.newline && !inQuotes { last = i + 1 }
        }
        return last
    }

    /// Moves the rows of the parsed parts, in order, into the table; the first error wins.
    private static func collect(
        _ parts: inout [PartResult], into rows: inout TableRows, latents: inout [Float],
        adoptFirstPart: Bool = false
    ) throws(DatasetError) {
        for part in parts {
            if let error = part.error { throw error }
        }
        for k in parts.indices {
            rows.ids.append(contentsOf: parts[k].ids)
            rows.labels.append(contentsOf: parts[k].labels)
            rows.lines.append(contentsOf: parts[k].lines)
            if k == 0 && adoptFirstPart && latents.isEmpty {
                // The first part has room for the whole table: take its buffer rather than copy it.
                swap(&latents, &parts[0].latents)
                parts[0].latents.removeAll(keepingCapacity: true)
            } else {
                latents.append(contentsOf: parts[k].latents)
            }
        }
    }

    private static func kindLabelHint(_ kind: Kind) -> String {
        if case .train = kind { return ",glasses" }
        return ""
    }

    /// Offset just past the last '\n' that is not inside quotes, or nil when there is none.
    private static func lastRecordBoundary(_ buffer: [UInt8], from start: Int, to end: Int) -> Int? {
        buffer.withUnsafeBufferPointer { p -> Int? in
            let base = p.baseAddress!
            return memchr(base + start, Int32(CSVScanner.quote), end - start) == nil
                ? lastNewline(base, from: start, to: end)
                : lastQuoteAwareBoundary(base, from: start, to: end)
        }
    }

    private struct SchemaRead {
        var schema: TableSchema
        var dataStart: Int
        var dataLine: Int
        var firstRowBytes: Int
    }

    private static func readSchema(
        _ base: UnsafePointer<UInt8>, start: Int, end: Int, line: Int, url: URL, kind: Kind,
        idColumn: String?
    ) throws(DatasetError) -> SchemaRead {
        var fields: [CSVField] = []
        var position = start
        var currentLine = line
        // Header (skip leading blank lines). Each record is scanned within a bounded window, so
        // a file that is one enormous line is refused after `maximumLineBytes`, not parsed.
        var header: [String] = []
        func boundedRecord(_ fields: inout [CSVField], limit: Int) throws(DatasetError) -> (next: Int, newlines: Int)? {
            let window = min(end, position + maximumLineBytes + 1)
            guard let record = CSVScanner.nextRecord(base, from: position, end: window, fields: &fields, fieldLimit: limit) else {
                return nil
            }
            if record.next == window && window < end && base[window - 1] != CSVScanner.newline {
                throw lineTooLong(url, line: currentLine, limit: maximumLineBytes)
            }
            return record
        }
        while let (next, newlines) = try boundedRecord(&fields, limit: 1 << 20) {
            position = next
            currentLine += newlines
            if CSVScanner.isBlank(base, fields) { continue }
            if fields.count > 1 << 20 {
                throw DatasetError(
                    file: url.path, line: currentLine - newlines,
                    problem: "the header has more than \(1 << 20) columns; check that this is the right file")
            }
            header = fields.map { CSVScanner.trimmedText(base, $0) }
            break
        }
        if header.isEmpty {
            throw DatasetError(file: url.path, problem: "the file is empty; expected a header line and data rows")
        }
        var seen = Set<String>()
        for (k, h) in header.enumerated() {
            if h.isEmpty {
                throw DatasetError(
                    file: url.path, line: line, column: "\(k + 1)",
                    problem: "the header has an empty column name; name every column")
            }
            if !seen.insert(h).inserted {
                throw DatasetError(
                    file: url.path, line: line, column: "'\(h)'",
                    problem: "the header names this column twice; column names must be unique")
            }
        }
        // First data row decides which extra columns are numeric.
        let dataStart = position
        let dataLine = currentLine
        var firstRow: [CSVField]? = nil
        var firstRowBytes = 0
        while let (next, newlines) = try boundedRecord(&fields, limit: header.count * 2 + 16) {
            let recordBytes = next - position
            position = next
            currentLine += newlines
            if CSVScanner.isBlank(base, fields) { continue }
            firstRow = fields
            firstRowBytes = recordBytes
            break
        }

        /// The column the user named, or the first candidate the header has.
        func column(_ role: String, given: String?, candidates: [String]) throws(DatasetError) -> String {
            if let given {
                guard header.contains(given) else {
                    throw DatasetError(
                        file: url.path, line: line, column: "'\(given)'",
                        problem:
                            "missing column: the header has no column named '\(given)' (given with --\(role)-column); found \(preview(header))"
                    )
                }
                return given
            }
            guard let found = candidates.first(where: header.contains) else {
                throw DatasetError(
                    file: url.path, line: line, column: role,
                    problem:
                        "missing column: no \(role) column (looked for \(candidates.joined(separator: ", "))); name it with --\(role)-column; found \(preview(header))"
                )
            }
            return found
        }
        let idName = try column("id", given: idColumn, candidates: idCandidates)

        var labelName: String? = nil
        switch kind {
        case .train(let labelColumn):
            labelName = try column("label", given: labelColumn, candidates: labelCandidates)
        case .test:
            break
        }

        var roles = [ColumnRole](repeating: .ignored, count: header.count)
        var latentNames: [String] = []
        var ignoredNames: [String] = []
        switch kind {
        case .train:
            for (k, h) in header.enumerated() {
                if h == idName {
                    roles[k] = .id
                    continue
                }
                if h == labelName {
                    roles[k] = .label
                    continue
                }
                let numeric: Bool
                if let row = firstRow, k < row.count {
                    switch FastFloat.parse(base, row[k].start, row[k].end) {
                    case .number, .nonFinite: numeric = true
                    case .notANumber: numeric = false
                    }
                } else {
                    numeric = true  // ragged first row: reported by the row parser
                }
                if numeric {
                    roles[k] = .latent(latentNames.count)
                    latentNames.append(h)
                } else {
                    ignoredNames.append(h)
                }
            }
            if latentNames.isEmpty {
                throw DatasetError(
                    file: url.path, line: line,
                    problem:
                        "no latent columns: besides '\(idName)' and '\(labelName ?? "")' there is no numeric column; expected the latent vector as numeric columns (v1...v512)"
                )
            }
        case .test(let trainLatentNames):
            var position = [String: Int]()
            for (k, n) in trainLatentNames.enumerated() { position[n] = k }
            var present = Set<String>()
            for (k, h) in header.enumerated() {
                if h == idName {
                    roles[k] = .id
                    continue
                }
                if let index = position[h] {
                    roles[k] = .latent(index)
                    present.insert(h)
                    continue
                }
                ignoredNames.append(h)
            }
            if let missing = trainLatentNames.first(where: { !present.contains($0) }) {
                let count = trainLatentNames.count - present.count
                throw DatasetError(
                    file: url.path, line: line, column: "'\(missing)'",
                    problem:
                        "missing column: the train file's latent column '\(missing)' is not in this file (\(count) missing in all); test rows need the same latent columns as train rows"
                )
            }
            latentNames = trainLatentNames
        }
        let schema = TableSchema(
            names: header, roles: roles, latentNames: latentNames,
            ignoredNames: ignoredNames, idName: idName, labelName: labelName)
        return SchemaRead(schema: schema, dataStart: dataStart, dataLine: dataLine, firstRowBytes: firstRowBytes)
    }

    private static func preview(_ header: [String]) -> String { DatasetError.shownHeader(header) }

    /// Per-core scratch for one half of a block.
    struct PartResult {
        var ids: [String] = []
        var labels: [UInt8] = []
        var lines: [Int32] = []
        var latents: [Float] = []
        var newlines = 0
        var error: DatasetError? = nil
        /// The half found a quote and parsed nothing.
        var sawQuote = false

        /// Empty again, keeping the buffers' capacity for the next round.
        mutating func reset() {
            ids.removeAll(keepingCapacity: true)
            labels.removeAll(keepingCapacity: true)
            lines.removeAll(keepingCapacity: true)
            latents.removeAll(keepingCapacity: true)
            newlines = 0
            error = nil
            sawQuote = false
        }
    }

    /// Parses the whole records in `start..<end` into `parts` (two halves on two cores when the
    /// range is large and has no quotes). Returns false, having parsed nothing, when the range
    /// holds a quote and `boundaryIsQuoteAware` is false: the caller then finds the range's end
    /// again, honouring quotes, and calls back. The quote check runs inside the halves, so it is
    /// parallel too.
    private static func parseBlock(
        _ base: UnsafePointer<UInt8>, start: Int, end: Int, line: Int, schema: TableSchema,
        dim: Int, url: URL, boundaryIsQuoteAware: Bool, parts: inout [PartResult]
    ) -> Bool {
        for k in parts.indices { parts[k].reset() }
        let length = end - start
        func hasQuote(_ from: Int, _ to: Int) -> Bool {
            to > from && memchr(base + from, Int32(CSVScanner.quote), to - from) != nil
        }
        if length <= (256 << 10) {
            let quoted = hasQuote(start, end)
            if quoted && !boundaryIsQuoteAware { return false }
            parseRangeFastOrGeneral(
                base, start, end, line: line, schema: schema, dim: dim, url: url,
                quoted: quoted, into: &parts[0])
            return true
        }
        // A line end near the middle (only a record boundary if the range has no quotes, which
        // each half checks before parsing).
        var split = start + length / 2
        while split < end && base[split] != CSVScanner.newline { split += 1 }
        let middle = min(end, split + 1)
        let input = UncheckedSendable(base)
        parts.withUnsafeMutableBufferPointer { out in
            let output = UncheckedSendable(out.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: 2) { half in
                let from = half == 0 ? start : middle
                let to = half == 0 ? middle : end
                if memchr(input.value + from, Int32(CSVScanner.quote), to - from) != nil {
                    output.value[half].sawQuote = true
                    return
                }
                // The second half's first line number needs the first half's line ends.
                let firstLine = half == 0 ? line : line + countNewlines(input.value, start, middle)
                parseRangeFastOrGeneral(
                    input.value, from, to, line: firstLine, schema: schema, dim: dim, url: url,
                    quoted: false, into: &output.value[half])
            }
        }
        if parts[0].sawQuote || parts[1].sawQuote {
            if !boundaryIsQuoteAware {
                for k in parts.indices { parts[k].sawQuote = false }
                return false
            }
            for k in parts.indices { parts[k].reset() }
            parseRangeFastOrGeneral(
                base, start, end, line: line, schema: schema, dim: dim, url: url,
                quoted: true, into: &parts[0])
        }
        return true
    }

    private static func countNewlines(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var count = 0
        var p = base + start
        let stop = base + end
        while p < stop {
            guard let hit = memchr(p, Int32(CSVScanner.newline), stop - p) else { break }
            count += 1
            p = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return count
    }

    /// The fast path for the common case, with the general parser as the judge of anything odd:
    /// when the fast path meets something it does not handle (a quote, a ragged row, a bad value),
    /// the range is parsed again by `parseRange`, which finds and words the error.
    private static func parseRangeFastOrGeneral(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, line: Int,
        schema: TableSchema, dim: Int, url: URL, quoted: Bool,
        into part: inout PartResult
    ) {
        if !quoted && parseRangeFast(base, start, end, line: line, schema: schema, dim: dim, into: &part) { return }
        part.reset()
        parseRange(base, start, end, line: line, schema: schema, dim: dim, url: url, into: &part)
    }

    /// Role codes for the fast path: >= 0 latent index, -1 id, -2 label, -3 ignored.
    private static func roleCodes(_ schema: TableSchema) -> [Int32] {
        schema.roles.map { role in
            switch role {
            case .latent(let index): Int32(index)
            case .id: -1
            case .label: -2
            case .ignored: -3
            }
        }
    }

    /// One pass over unquoted records: each number is parsed while its field is scanned, straight
    /// into a row vector. Returns false, having possibly filled `part` partly, on anything unusual.
    private static func parseRangeFast(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, line: Int,
        schema: TableSchema, dim: Int, into part: inout PartResult
    ) -> Bool {
        let codes = roleCodes(schema)
        let expected = codes.count
        // runs[k]: how many columns from k on are latents with consecutive indices (0 if k is not a latent).
        var runs = [Int](repeating: 0, count: expected)
        for k in stride(from: expected - 1, through: 0, by: -1) where codes[k] >= 0 {
            runs[k] = k + 1 < expected && codes[k + 1] == codes[k] + 1 ? runs[k + 1] + 1 : 1
        }
        let hasLabel = schema.labelName != nil
        let comma = CSVScanner.comma
        let newline = CSVScanner.newline
        let cr = CSVScanner.carriageReturn
        let vector = UnsafeMutablePointer<Float>.allocate(capacity: max(1, dim))
        vector.initialize(repeating: 0, count: max(1, dim))
        defer { vector.deallocate() }
        return NumberTables.with { tables in
            var i = start
            var newlines = 0
            while i < end {
                // Blank lines are skipped, as in the general path.
                if base[i] == newline {
                    i += 1
                    newlines += 1
                    continue
                }
                if base[i] == cr && i + 1 < end && base[i + 1] == newline {
                    i += 2
                    newlines += 1
                    continue
                }
                let recordLine = line + newlines
                let rowStart = i
                var id = ""
                var label: UInt8 = 0
                var k = 0
                while k < expected {
                    let code = codes[k]
                    if code >= 0 {
                        // A run of latent columns in order (the competition's whole row but the id
                        // and label): a tight loop with no role dispatch.
                        let run = runs[k]
                        let first = Int(code)
                        for j in 0..<run {
                            guard let value = numberField(base, &i, end, tables) else { return false }
                            let float = Float(value)
                            guard float.isFinite, endOfField(base, &i, end, isLast: k + j == expected - 1, newlines: &newlines)
                            else { return false }
                            vector[first + j] = float
                        }
                        k += run
                        continue
                    }
                    if code == -2 {
                        guard let value = numberField(base, &i, end, tables), value == 0 || value == 1 else { return false }
                        label = value == 1 ? 1 : 0
                    } else {
                        let fieldStart = i
                        while i < end && base[i] != comma && base[i] != newline { i += 1 }
                        if code == -1 {
                            var fieldEnd = i
                            if fieldEnd > fieldStart && base[fieldEnd - 1] == cr { fieldEnd -= 1 }
                            if fieldEnd == fieldStart || base[fieldStart] == 0x20 || base[fieldEnd - 1] == 0x20 { return false }
                            // Anything but printable ASCII, or a spreadsheet formula's first
                            // character, is judged (and maybe refused) by the general path.
                            if IDRules.needsCheck(base, fieldStart, fieldEnd) { return false }
                            id = String(
                                decoding: UnsafeBufferPointer(start: base + fieldStart, count: fieldEnd - fieldStart),
                                as: UTF8.self)
                        }
                    }
                    guard endOfField(base, &i, end, isLast: k == expected - 1, newlines: &newlines) else { return false }
                    k += 1
                }
                if i - rowStart > maximumLineBytes { return false }  // the general path refuses it
                part.ids.append(id)
                if hasLabel { part.labels.append(label) }
                part.lines.append(Int32(truncatingIfNeeded: recordLine))
                part.latents.append(contentsOf: UnsafeBufferPointer(start: vector, count: dim))
            }
            part.newlines = newlines
            return true
        }
    }

    /// Steps past the delimiter after a field: a comma, or the line end after the last column
    /// (a CR before either is dropped). False when the next byte is neither.
    @inline(__always)
    private static func endOfField(
        _ base: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, isLast: Bool,
        newlines: inout Int
    ) -> Bool {
        if i < end && base[i] == CSVScanner.carriageReturn { i += 1 }
        if !isLast {
            guard i < end && base[i] == CSVScanner.comma else { return false }
            i += 1
        } else if i < end {
            guard base[i] == CSVScanner.newline else { return false }
            i += 1
            newlines += 1
        }
        return true
    }

    /// The constant tables of the number parser as raw pointers (no retain/release or bounds
    /// check per digit run), valid inside `with`.
    private struct NumberTables {
        let tens: UnsafePointer<UInt64>
        let inverse: UnsafePointer<Double>
        let powers: UnsafePointer<Double>

        static func with<Result>(_ body: (NumberTables) -> Result) -> Result {
            FastFloat.integerPowersOfTen.withUnsafeBufferPointer { tens in
                FastFloat.inversePowersOfTen.withUnsafeBufferPointer { inverse in
                    FastFloat.powersOfTen.withUnsafeBufferPointer { powers in
                        body(NumberTables(tens: tens.baseAddress!, inverse: inverse.baseAddress!, powers: powers.baseAddress!))
                    }
                }
            }
        }
    }

    /// One numeric field at `i` (advanced past it, up to its delimiter): the plain decimal shape
    /// inline, anything else (an exponent, over 19 digits) through `FastFloat`. Nil when it is not
    /// a finite number: the general path then words the error.
    @_transparent
    private static func numberField(_ base: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, _ tables: NumberTables) -> Double? {
        let fieldStart = i
        // Branch-free sign: latents are negative half the time.
        let negative = i < end && base[i] == UInt8(ascii: "-")
        i &+= Int(UInt8(negative ? 1 : 0))
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        if i + 1 < end && base[i + 1] == UInt8(ascii: ".") && base[i] &- 0x30 < 10 {
            mantissa = UInt64(base[i] &- 0x30)  // the usual single integer digit
            digits = 1
            i += 1
        } else {
            while true {
                let run = FastFloat.digitRun(base, i, end)
                if run.count == 0 { break }
                mantissa = mantissa &* tables.tens[run.count] &+ run.value
                digits += run.count
                i += run.count
                if run.count < 8 { break }
            }
        }
        if i < end && base[i] == UInt8(ascii: ".") {
            i += 1
            while true {
                let run = FastFloat.digitRun16(base, i, end, tens: tables.tens)
                if run.count == 0 { break }
                mantissa = mantissa &* tables.tens[run.count] &+ run.value
                digits += run.count
                fractionDigits += run.count
                i += run.count
                if run.count < 16 { break }
            }
        }
        let atDelimiter =
            i >= end || base[i] == CSVScanner.comma || base[i] == CSVScanner.newline || base[i] == CSVScanner.carriageReturn
        if atDelimiter && digits > 0 && digits <= 19 && mantissa < (1 << 53) && fractionDigits <= 22 {
            // Scale <= 1 and mantissa < 2^53: always finite. A multiply by 10^-k, not a divide:
            // within 1.5 ulp in Double, so the Float32 equals the correctly rounded value except
            // within ~2^-28 of a Float tie.
            let value = Double(mantissa) * tables.inverse[fractionDigits]
            return Double(bitPattern: value.bitPattern | (UInt64(negative ? 1 : 0) &<< 63))
        }
        return otherNumberField(base, fieldStart, &i, end, tables)
    }

    /// The rare shapes (exponents, long mantissas, text): kept out of line so that the usual
    /// shape inlines into the row loop, with `i` in a register instead of memory.
    @inline(never)
    private static func otherNumberField(
        _ base: UnsafePointer<UInt8>, _ fieldStart: Int, _ i: inout Int, _ end: Int,
        _ tables: NumberTables
    ) -> Double? {
        while i < end && base[i] != CSVScanner.comma && base[i] != CSVScanner.newline { i += 1 }
        var fieldEnd = i
        if fieldEnd > fieldStart && base[fieldEnd - 1] == CSVScanner.carriageReturn { fieldEnd -= 1 }
        guard case .number(let parsed) = FastFloat.parse(base, fieldStart, fieldEnd, powers: tables.powers) else { return nil }
        return parsed
    }

    /// Parses whole records in `start..<end`; stops at the first error. Runs concurrently with the
    /// other half, touching only `part`.
    private static func parseRange(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, line: Int,
        schema: TableSchema, dim: Int, url: URL, into part: inout PartResult
    ) {
        var fields: [CSVField] = []
        fields.reserveCapacity(schema.names.count + 1)
        var position = start
        var currentLine = line
        let expected = schema.names.count
        var vector = [Float](repeating: 0, count: dim)
        let powers = FastFloat.powersOfTen
        powers.withUnsafeBufferPointer { powersBuffer in
            let powers = powersBuffer.baseAddress!
            vector.withUnsafeMutableBufferPointer { vectorBuffer in
                let vector = vectorBuffer.baseAddress!
                let fieldLimit = expected * 2 + 16
                while let (next, newlines) = CSVScanner.nextRecord(
                    base, from: position, end: end, fields: &fields, fieldLimit: fieldLimit)
                {
                    let recordBytes = next - position
                    position = next
                    let recordLine = currentLine
                    currentLine += newlines
                    part.newlines += newlines
                    if recordBytes > maximumLineBytes + 1 {
                        part.error = lineTooLong(url, line: recordLine, limit: maximumLineBytes)
                        return
                    }
                    if CSVScanner.isBlank(base, fields) { continue }
                    if fields.count != expected {
                        let found = fields.count > fieldLimit ? "more than \(fieldLimit)" : String(fields.count)
                        part.error = DatasetError(
                            file: url.path, line: recordLine,
                            problem: "ragged row: \(found) fields, expected \(expected) as in the header")
                        return
                    }
                    var id = ""
                    var label: UInt8 = 0
                    for k in 0..<expected {
                        let field = fields[k]
                        switch schema.roles[k] {
                        case .latent(let index):
                            switch FastFloat.parse(base, field.start, field.end, powers: powers) {
                            case .number(let value):
                                let f = Float(value)
                                if !f.isFinite {
                                    part.error = fieldError(
                                        url, recordLine, schema, k, base, field, "a finite number (this overflows Float32)")
                                    return
                                }
                                vector[index] = f
                            case .nonFinite:
                                part.error = fieldError(
                                    url, recordLine, schema, k, base, field, "a finite number (NaN and infinity are not latents)")
                                return
                            case .notANumber:
                                part.error = fieldError(url, recordLine, schema, k, base, field, "a number")
                                return
                            }
                        case .id:
                            let trimmed = CSVScanner.trimmed(base, field)
                            if trimmed.start == trimmed.end {
                                part.error = fieldError(url, recordLine, schema, k, base, field, "a non-empty id")
                                return
                            }
                            id = CSVScanner.text(base, trimmed)
                            if let problem = IDRules.problem(base, trimmed, text: id) {
                                part.error = DatasetError(
                                    file: url.path, line: recordLine, column: "'\(schema.names[k])' (\(k + 1))",
                                    problem: problem)
                                return
                            }
                        case .label:
                            switch FastFloat.parse(base, field.start, field.end) {
                            case .number(let value) where value == 0 || value == 1:
                                label = value == 1 ? 1 : 0
                            default:
                                part.error = fieldError(url, recordLine, schema, k, base, field, "a label of 0 or 1")
                                return
                            }
                        case .ignored:
                            continue
                        }
                    }
                    part.ids.append(id)
                    if schema.labelName != nil { part.labels.append(label) }
                    part.lines.append(Int32(truncatingIfNeeded: recordLine))
                    part.latents.append(contentsOf: UnsafeBufferPointer(start: vector, count: dim))
                }
            }
        }
    }

    private static func fieldError(
        _ url: URL, _ line: Int, _ schema: TableSchema, _ k: Int,
        _ base: UnsafePointer<UInt8>, _ field: CSVField, _ expected: String
    ) -> DatasetError {
        var found = CSVScanner.text(base, field)
        if found.count > 40 { found = String(found.prefix(40)) + "..." }
        let shown = found.isEmpty ? "an empty field" : "'\(TerminalSafeText.visible(found))'"
        return DatasetError(
            file: url.path, line: line, column: "'\(schema.names[k])' (\(k + 1))",
            problem: "found \(shown), expected \(expected)")
    }

    private static func checkDuplicates(_ rows: inout TableRows, url: URL) throws(DatasetError) {
        var firstLine = [String: Int32](minimumCapacity: rows.ids.count)
        for (k, id) in rows.ids.enumerated() {
            if let earlier = firstLine.updateValue(rows.lines[k], forKey: id) {
                throw DatasetError(
                    file: url.path, line: Int(rows.lines[k]), column: "'\(rows.schema.idName)'",
                    problem:
                        "duplicate id '\(TerminalSafeText.visible(id, limit: 80))', first seen on line \(earlier); ids must be unique"
                )
            }
        }
    }
}

/// A training table read through the streaming path from a descriptor (a pipe), for the
/// reliability fuzz, which feeds it with random read splits and small blocks.
package enum StreamedTable {
    package struct Rows {
        package let ids: [String]
        package let labels: [UInt8]
        package let latents: [Float]
        package let dim: Int
    }

    package static func readTrain(descriptor: Int32, name: String, blockSize: Int) throws(DatasetError) -> Rows {
        var latents: [Float] = []
        let rows = try LatentTableReader.readStream(
            descriptor: descriptor, url: URL(fileURLWithPath: name),
            kind: .train(labelColumn: nil), idColumn: nil, into: &latents,
            blockSize: blockSize)
        return Rows(ids: rows.ids, labels: rows.labels, latents: latents, dim: rows.schema.latentNames.count)
    }
}

/// What an id may be. Ids are the join key of everything labelaudit writes (the corrected
/// labels CSV, the audit database), so they are kept byte-exact, and ids that could not be are
/// refused when the table is read, naming file and line: invalid UTF-8 (it would be repaired,
/// so written back differently), control characters and bidi controls (dropped or shown as `?`
/// on a terminal, and a CSV or spreadsheet would not show them either), and a first character
/// of `= + - @` that is not part of a number (a spreadsheet runs it as a formula, so the export
/// would have to alter it).
enum IDRules {
    /// True when the fast path must leave the id to `problem` (anything but printable ASCII, or
    /// a formula character first). O(id bytes).
    @inline(__always)
    static func needsCheck(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let first = base[start]
        if first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@") {
            return true
        }
        var i = start
        while i < end {
            let byte = base[i]
            if byte < 0x20 || byte >= 0x7F { return true }
            i += 1
        }
        return false
    }

    /// Why the id in `field` (already trimmed; `text` its decoded text) cannot be used, or nil.
    static func problem(_ base: UnsafePointer<UInt8>, _ field: CSVField, text: String) -> String? {
        let bytes = UnsafeBufferPointer(start: base + field.start, count: field.end - field.start)
        if String(validating: bytes, as: UTF8.self) == nil {
            return
                "found the id '\(TerminalSafeText.visible(text, limit: 80))', which is not valid UTF-8 text; ids must be UTF-8 (they are written back to CSV files unchanged): fix the file's encoding"
        }
        return problem(text)
    }

    /// The same rules for an id given as text (UTF-8 by construction). Nil when it is usable.
    package static func problem(_ id: String) -> String? {
        let shown = TerminalSafeText.visible(id, limit: 80)
        for scalar in id.unicodeScalars {
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) {
                return
                    "found the id '\(shown)' with the control character U+\(hex(value)); ids must be plain text (they are shown on terminals and written back to CSV files): fix this id"
            }
            if TerminalSafeText.isBidiControl(value) {
                return
                    "found the id '\(shown)' with the bidi control U+\(hex(value)), which reorders how text is shown; ids must be plain text: fix this id"
            }
        }
        if let first = id.unicodeScalars.first, "=+-@".unicodeScalars.contains(first), Double(id) == nil {
            return
                "found the id '\(shown)', which starts with '\(Character(first))': a spreadsheet opening the exported labels would run it as a formula, so the export could not keep it as it is; rename this id"
        }
        return nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
