import Foundation

/// A CSV of per-id probabilities (the Kaggle submission shape `id,glasses`), as a team's own
/// classifier writes it.
public struct PredictionsFile: Sendable {
    public let url: URL
    /// The probability column's header name.
    public let column: String
    public let probabilities: [String: Double]

    /// Largest predictions file read (1 GiB: ten million rows of `id,p`); a longer one is refused
    /// before it is read.
    static let maximumBytes = 1 << 30

    /// Reads `id,<probability>`: an id column (`id`/`ID`/`Id` or `idColumn`) and exactly one other
    /// numeric column with values in [0, 1]. Unknown ids are an error, so a file for another
    /// dataset is not silently half-imported.
    public static func read(_ url: URL, idColumn: String? = nil, knownIDs: Set<String>? = nil) throws(DatasetError)
        -> PredictionsFile
    {
        let data: [UInt8]
        do {
            data = try InputFile.readAll(url.path, limit: maximumBytes, what: "predictions file")
        } catch {
            throw DatasetError(
                file: url.path, problem: "cannot read the predictions file: it \(error.problem)", exitCode: error.exitCode)
        }
        var start = 0
        if data.count >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF { start = 3 }
        return try data.withUnsafeBufferPointer { p throws(DatasetError) -> PredictionsFile in
            let base = p.baseAddress ?? UnsafePointer(bitPattern: 1)!
            var fields: [CSVField] = []
            var position = start
            var line = 1
            var header: [String] = []
            while let (next, newlines) = CSVScanner.nextRecord(base, from: position, end: data.count, fields: &fields) {
                position = next
                line += newlines
                if CSVScanner.isBlank(base, fields) { continue }
                header = fields.map { CSVScanner.trimmedText(base, $0) }
                break
            }
            if header.isEmpty {
                throw DatasetError(
                    file: url.path, problem: "the file is empty; expected a header `id,<probability>` and one row per id")
            }
            let idName = idColumn ?? LatentTableReader.idCandidates.first(where: header.contains)
            guard let idName, let idIndex = header.firstIndex(of: idName) else {
                throw DatasetError(
                    file: url.path, line: 1, column: "id",
                    problem: "missing column: no id column (looked for id, ID, Id); found \(DatasetError.shownHeader(header))")
            }
            let others = header.indices.filter { $0 != idIndex }
            guard others.count == 1 else {
                throw DatasetError(
                    file: url.path, line: 1,
                    problem:
                        "expected exactly two columns, an id and one probability; found \(header.count): \(DatasetError.shownHeader(header))"
                )
            }
            let pIndex = others[0]
            var out = [String: Double]()
            var firstLine = [String: Int]()
            var rowLine = line
            while let (next, newlines) = CSVScanner.nextRecord(base, from: position, end: data.count, fields: &fields) {
                position = next
                let thisLine = rowLine
                rowLine += newlines
                if CSVScanner.isBlank(base, fields) { continue }
                guard fields.count == header.count else {
                    throw DatasetError(
                        file: url.path, line: thisLine,
                        problem: "ragged row: \(fields.count) fields, expected \(header.count) as in the header")
                }
                let id = CSVScanner.trimmedText(base, fields[idIndex])
                let shownID = TerminalSafeText.visible(id, limit: 80)
                if let knownIDs, !knownIDs.contains(id) {
                    throw DatasetError(
                        file: url.path, line: thisLine, column: "'\(idName)'",
                        problem: "id '\(shownID)' is not in the dataset; are these predictions for another dataset?")
                }
                let field = fields[pIndex]
                guard case .number(let value) = FastFloat.parse(base, field.start, field.end), value >= 0, value <= 1 else {
                    let found = TerminalSafeText.visible(CSVScanner.text(base, field), limit: 40)
                    throw DatasetError(
                        file: url.path, line: thisLine, column: "'\(header[pIndex])' (\(pIndex + 1))",
                        problem: "found '\(found)', expected a probability between 0 and 1")
                }
                if let earlier = firstLine[id] {
                    throw DatasetError(
                        file: url.path, line: thisLine, column: "'\(idName)'",
                        problem: "duplicate id '\(shownID)', first seen on line \(earlier)")
                }
                firstLine[id] = thisLine
                out[id] = value
            }
            if out.isEmpty {
                throw DatasetError(file: url.path, line: 1, problem: "header only, no data rows")
            }
            return PredictionsFile(url: url, column: header[pIndex], probabilities: out)
        }
    }
}
