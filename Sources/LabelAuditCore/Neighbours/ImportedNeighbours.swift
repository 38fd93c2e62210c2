import Foundation

/// Neighbours computed elsewhere (faiss on a GPU, a cluster job): a CSV of `id, neighbour id,
/// distance`, one line per pair, for datasets too large for the all-pairs search here.
///
/// The file is checked line by line and refused whole at the first problem, with the file, the
/// line and what to do: an id or neighbour id that is not in the dataset, a face listed as its
/// own neighbour, a distance that is not a finite number of 0 or more, the same pair twice, a
/// line without exactly three fields. A header line (`id,neighbour,distance`, any names) is
/// recognised by its third field not being a number. Per face the neighbours are sorted by
/// distance (nearest first); faces the file does not list have none.
///
/// Distances must be in the metric the dataset is audited with (`--metric`: cosine distance
/// 1 - cos, or Euclidean), so that their percentiles among the latent pair distances mean
/// something; Docs/neighbours.md shows faiss producing both.
///
/// Fast enough for a million faces: the file is read once, ids are matched as bytes against a
/// hash table of the dataset's ids (no String per field), and both halves of the file are
/// parsed on their own core. O(bytes + pairs log k).
public enum ImportedNeighbours {
    /// Most neighbours kept per face (the nearest).
    public static let maximumPerFace = 256

    public static func read(_ url: URL, ids: [String], metric: DistanceMetric) throws(DatasetError) -> NeighbourGraph {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw DatasetError(
                file: url.path,
                problem: "cannot read the neighbours file (\(error.localizedDescription)); check the path given to --neighbours",
                exitCode: 66)
        }
        let result = data.withUnsafeBytes { raw -> Result<NeighbourGraph, DatasetError> in
            do throws(DatasetError) {
                return .success(try parse(raw.bindMemory(to: UInt8.self), file: url.path, ids: ids, metric: metric))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// One parsed pair.
    struct Pair {
        var row: Int32
        var neighbour: Int32
        var distance: Float
        /// 1-based line within the chunk.
        var line: Int32
    }

    /// A problem found in a chunk, at a line relative to the chunk's start.
    struct ChunkProblem: Error {
        let line: Int
        let column: String?
        let problem: String
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, ids: [String], metric: DistanceMetric)
        throws(DatasetError) -> NeighbourGraph
    {
        var start = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
        let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let end = bytes.count
        let table = IDTable(ids)
        // Header: the first non-blank line whose third field is not a number.
        var firstLine = 1
        var position = start
        while position < end {
            let lineEnd = nextNewline(base, position, end)
            let fields = split(base, position, lineEnd)
            if fields.count == 1 && fields[0].0 == fields[0].1 {
                position = lineEnd + 1
                firstLine += 1
                continue
            }
            if fields.count == 3, case .number = FastFloat.parse(base, fields[2].0, fields[2].1) { break }
            if fields.count != 3 {
                throw DatasetError(
                    file: file, line: firstLine, problem: "found \(fields.count) fields, expected 3: id, neighbour id, distance")
            }
            position = lineEnd + 1
            firstLine += 1
            break
        }
        guard position < end else {
            throw DatasetError(
                file: file, problem: "no neighbour pairs in the file; expected lines of id, neighbour id, distance")
        }
        // Two chunks cut at a line end, parsed in parallel.
        let workers = max(1, min(Parallelism.workers, (end - position) / (1 << 20) + 1))
        var cuts = [position]
        for w in 1..<workers {
            var cut = position + (end - position) * w / workers
            while cut < end && base[cut - 1] != CSVScanner.newline { cut += 1 }
            cuts.append(max(cut, cuts.last!))
        }
        cuts.append(end)
        var results = [Result<[Pair], ChunkProblem>?](repeating: nil, count: workers)
        let shared = UncheckedSendable(results.withUnsafeMutableBufferPointer { $0.baseAddress! })
        let baseBox = UncheckedSendable(base)
        let chunkCuts = cuts
        Parallelism.run(workers: workers) { w in
            shared.value[w] = parseChunk(baseBox.value, chunkCuts[w], chunkCuts[w + 1], table: table, ids: ids)
        }
        // Lines before each chunk, to turn chunk lines into file lines (counted only if needed).
        func fileLine(chunk: Int, line: Int) -> Int {
            var before = firstLine - 1
            for c in 0..<chunk { before += countNewlines(base, cuts[c], cuts[c + 1]) }
            return before + line
        }
        var chunks: [[Pair]] = []
        for (w, result) in results.enumerated() {
            switch result! {
            case .success(let pairs): chunks.append(pairs)
            case .failure(let problem):
                throw DatasetError(
                    file: file, line: fileLine(chunk: w, line: problem.line), column: problem.column, problem: problem.problem)
            }
        }
        // Group by face: counts, then offsets, then the pairs of each face.
        let rows = ids.count
        var counts = [Int32](repeating: 0, count: rows + 1)
        for chunk in chunks { for pair in chunk { counts[Int(pair.row) + 1] += 1 } }
        var maxPerFace = 0
        for r in 0..<rows {
            maxPerFace = max(maxPerFace, Int(counts[r + 1]))
            counts[r + 1] += counts[r]
        }
        var grouped = [(neighbour: Int32, distance: Float, line: Int32, chunk: Int32)](
            repeating: (0, 0, 0, 0), count: Int(counts[rows]))
        var fill = counts
        for (c, chunk) in chunks.enumerated() {
            for pair in chunk {
                let slot = Int(fill[Int(pair.row)])
                grouped[slot] = (pair.neighbour, pair.distance, pair.line, Int32(c))
                fill[Int(pair.row)] += 1
            }
        }
        let k = max(1, min(maximumPerFace, maxPerFace))
        var indices = [Int32](repeating: -1, count: rows * k)
        var distances = [Float](repeating: .infinity, count: rows * k)
        for r in 0..<rows {
            let from = Int(counts[r])
            let to = Int(counts[r + 1])
            guard to > from else { continue }
            var list = Array(grouped[from..<to])
            // The same pair twice: an error naming both lines.
            list.sort {
                $0.neighbour < $1.neighbour || ($0.neighbour == $1.neighbour && ($0.chunk, $0.line) < ($1.chunk, $1.line))
            }
            for i in 1..<max(1, list.count) where list[i].neighbour == list[i - 1].neighbour {
                let first = fileLine(chunk: Int(list[i - 1].chunk), line: Int(list[i - 1].line))
                throw DatasetError(
                    file: file, line: fileLine(chunk: Int(list[i].chunk), line: Int(list[i].line)),
                    problem:
                        "duplicate pair: '\(TerminalSafeText.visible(ids[Int(list[i].neighbour)]))' is listed as a neighbour of '\(TerminalSafeText.visible(ids[r]))' again (first on line \(first)); list each pair once"
                )
            }
            list.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.neighbour < $1.neighbour) }
            for (slot, entry) in list.prefix(k).enumerated() {
                indices[r * k + slot] = entry.neighbour
                distances[r * k + slot] = entry.distance
            }
        }
        return NeighbourGraph(rows: rows, k: k, metric: metric, indices: indices, distances: distances)
    }

    static func parseChunk(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int, table: IDTable, ids: [String]) -> Result<
        [Pair], ChunkProblem
    > {
        var pairs: [Pair] = []
        pairs.reserveCapacity((to - from) / 20)
        var position = from
        var line = 0
        while position < to {
            line += 1
            let lineEnd = nextNewline(base, position, to)
            defer { position = lineEnd + 1 }
            // Three fields split on commas; surrounding spaces and a CR are trimmed. Fixed slots:
            // no allocation per line.
            var fields: ((Int, Int), (Int, Int), (Int, Int)) = ((0, 0), (0, 0), (0, 0))
            var fieldCount = 0
            var fieldStart = position
            var i = position
            while i <= lineEnd {
                if i == lineEnd || base[i] == CSVScanner.comma {
                    var s = fieldStart
                    var e = i
                    while s < e && (base[s] == 0x20 || base[s] == 0x09) { s += 1 }
                    while e > s && (base[e - 1] == 0x20 || base[e - 1] == 0x09 || base[e - 1] == CSVScanner.carriageReturn) {
                        e -= 1
                    }
                    switch fieldCount {
                    case 0: fields.0 = (s, e)
                    case 1: fields.1 = (s, e)
                    case 2: fields.2 = (s, e)
                    default: break
                    }
                    fieldCount += 1
                    fieldStart = i + 1
                }
                i += 1
            }
            if fieldCount == 1 && fields.0.0 == fields.0.1 { continue }
            guard fieldCount == 3 else {
                return .failure(
                    ChunkProblem(
                        line: line, column: nil, problem: "found \(fieldCount) fields, expected 3: id, neighbour id, distance"))
            }
            func unquoted(_ f: (Int, Int)) -> (Int, Int) {
                f.1 - f.0 >= 2 && base[f.0] == CSVScanner.quote && base[f.1 - 1] == CSVScanner.quote ? (f.0 + 1, f.1 - 1) : f
            }
            let idField = unquoted(fields.0)
            let neighbourField = unquoted(fields.1)
            guard let row = table.row(base, idField.0, idField.1) else {
                let text = TerminalSafeText.visible(
                    String(decoding: UnsafeBufferPointer(start: base + idField.0, count: idField.1 - idField.0), as: UTF8.self))
                return .failure(
                    ChunkProblem(
                        line: line, column: "1 (id)",
                        problem: "id '\(text)' is not in the dataset; is the file for another dataset?"))
            }
            guard let neighbour = table.row(base, neighbourField.0, neighbourField.1) else {
                let text = TerminalSafeText.visible(
                    String(
                        decoding: UnsafeBufferPointer(start: base + neighbourField.0, count: neighbourField.1 - neighbourField.0),
                        as: UTF8.self))
                return .failure(
                    ChunkProblem(
                        line: line, column: "2 (neighbour id)",
                        problem: "neighbour id '\(text)' is not in the dataset; is the file for another dataset?"))
            }
            if row == neighbour {
                return .failure(
                    ChunkProblem(
                        line: line, column: "2 (neighbour id)",
                        problem:
                            "'\(TerminalSafeText.visible(ids[row]))' is listed as its own neighbour; leave each face's own row out (faiss returns it first)"
                    ))
            }
            let distanceField = fields.2
            guard case .number(let value) = FastFloat.parse(base, distanceField.0, distanceField.1), value >= 0, value.isFinite
            else {
                let text = TerminalSafeText.visible(
                    String(
                        decoding: UnsafeBufferPointer(start: base + distanceField.0, count: distanceField.1 - distanceField.0),
                        as: UTF8.self))
                return .failure(
                    ChunkProblem(
                        line: line, column: "3 (distance)",
                        problem: "found '\(text)', expected a distance: a finite number of 0 or more"))
            }
            pairs.append(Pair(row: Int32(row), neighbour: Int32(neighbour), distance: Float(value), line: Int32(line)))
        }
        return .success(pairs)
    }

    @inline(__always)
    static func nextNewline(_ base: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        if from >= end { return end }
        guard let found = memchr(base + from, Int32(CSVScanner.newline), end - from) else { return end }
        return UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
    }

    static func countNewlines(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var count = 0
        var position = from
        while position < to {
            let next = nextNewline(base, position, to)
            if next < to { count += 1 }
            position = next + 1
        }
        return count
    }

    static func split(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> [(Int, Int)] {
        var fields: [(Int, Int)] = []
        var start = from
        for i in from...to where i == to || base[i] == CSVScanner.comma {
            var e = i
            while e > start && (base[e - 1] == CSVScanner.carriageReturn || base[e - 1] == 0x20) { e -= 1 }
            fields.append((start, e))
            start = i + 1
        }
        return fields
    }

    /// Open-addressing hash table from id bytes to row, built once per import: lookups hash the
    /// field's bytes in place and compare them with the stored id bytes.
    struct IDTable: Sendable {
        let bytes: [UInt8]
        let offsets: [Int32]
        let slots: [Int32]
        let mask: Int

        init(_ ids: [String]) {
            var bytes: [UInt8] = []
            var offsets: [Int32] = [0]
            for id in ids {
                bytes.append(contentsOf: id.utf8)
                offsets.append(Int32(bytes.count))
            }
            var capacity = 16
            while capacity < ids.count * 2 { capacity <<= 1 }
            var slots = [Int32](repeating: -1, count: capacity)
            bytes.withUnsafeBufferPointer { b in
                for row in ids.indices {
                    let s = Int(offsets[row])
                    let e = Int(offsets[row + 1])
                    var slot =
                        Int(truncatingIfNeeded: IDTable.hash(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, s, e))
                        & (capacity - 1)
                    while slots[slot] >= 0 {
                        let other = Int(slots[slot])
                        // Duplicate ids cannot happen (the loader refuses them); keep the first.
                        if IDTable.equal(b.baseAddress!, s, e, b.baseAddress!, Int(offsets[other]), Int(offsets[other + 1])) {
                            break
                        }
                        slot = (slot + 1) & (capacity - 1)
                    }
                    if slots[slot] < 0 { slots[slot] = Int32(row) }
                }
            }
            self.bytes = bytes
            self.offsets = offsets
            self.slots = slots
            mask = capacity - 1
        }

        @inline(__always)
        static func hash(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> UInt64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for i in from..<to { h = (h ^ UInt64(base[i])) &* 0x100_0000_01b3 }
            return h ^ (h >> 29)
        }

        @inline(__always)
        static func equal(
            _ a: UnsafePointer<UInt8>, _ aFrom: Int, _ aTo: Int, _ b: UnsafePointer<UInt8>, _ bFrom: Int, _ bTo: Int
        ) -> Bool {
            aTo - aFrom == bTo - bFrom && memcmp(a + aFrom, b + bFrom, aTo - aFrom) == 0
        }

        func row(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
            bytes.withUnsafeBufferPointer { b -> Int? in
                let stored = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                var slot = Int(truncatingIfNeeded: IDTable.hash(base, from, to)) & mask
                while true {
                    let row = Int(slots[slot])
                    if row < 0 { return nil }
                    if IDTable.equal(base, from, to, stored, Int(offsets[row]), Int(offsets[row + 1])) { return row }
                    slot = (slot + 1) & mask
                }
            }
        }
    }
}
