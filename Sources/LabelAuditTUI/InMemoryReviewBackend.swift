import Foundation
import LabelAuditCore
import LabelAuditImaging

/// A `ReviewBackend` over plain in-memory data: what the tests and `labelaudit review-demo`
/// run on until the engine and store are wired in. It keeps real state (verdicts, flags,
/// notes, tags, an undo log) and computes real neighbours by brute force, O(n^2 d) once at
/// start, so it suits a few hundred faces, not the real 5,000.
public final class InMemoryReviewBackend: ReviewBackend, @unchecked Sendable {
    /// One face as plain data.
    public struct Face: Sendable {
        public var id: String
        public var split: Split
        public var label: UInt8?
        public var runs: [RunProbability]
        public var latent: [Float]
        public var imageName: String?
        /// Makes the procedural picture; nil means "no image" (as for a missing file).
        public var picture: (@Sendable (_ columns: Int, _ rows: Int, _ zoomed: Bool) -> CellPicture?)?

        public init(id: String, split: Split, label: UInt8?, runs: [RunProbability], latent: [Float],
                    imageName: String? = nil,
                    picture: (@Sendable (_ columns: Int, _ rows: Int, _ zoomed: Bool) -> CellPicture?)? = nil) {
            self.id = id
            self.split = split
            self.label = label
            self.runs = runs
            self.latent = latent
            self.imageName = imageName
            self.picture = picture
        }

        /// Latest run's probability.
        var probability: Double? { runs.last?.probability }

        /// Log loss of the label under the latest run; large when they disagree.
        var score: Double? {
            guard let label, let probability else { return nil }
            let agreement = label == 1 ? probability : 1 - probability
            return -log(max(1e-6, agreement))
        }
    }

    struct Annotation: Sendable {
        var verdicts: [ReviewerVerdict] = []
        var note = ""
        var tags: [String] = []
        var flagged = false
    }

    public let reviewer: String
    /// Where `x` writes its CSV; nil makes export fail with a message saying so.
    public let exportURL: URL?
    /// Pause per progress step of a job (the demo uses it to show progress; tests use 0).
    public let jobStepDelay: Duration
    private let faces: [Face]
    private let rowByID: [String: Int]
    private let nearestDistancesSorted: [Double]
    private let lock = NSLock()
    private var annotations: [String: Annotation] = [:]
    private var undoLog: [(id: String, previous: Annotation)] = []

    public init(faces: [Face], reviewer: String, exportURL: URL? = nil, jobStepDelay: Duration = .zero) {
        self.faces = faces
        self.reviewer = reviewer
        self.exportURL = exportURL
        self.jobStepDelay = jobStepDelay
        var rowByID: [String: Int] = [:]
        for (row, face) in faces.enumerated() { rowByID[face.id] = row }
        self.rowByID = rowByID
        var nearest: [Double] = []
        for face in faces {
            var best = Double.infinity
            for other in faces where other.id != face.id { best = min(best, Self.distance(face.latent, other.latent)) }
            if best.isFinite { nearest.append(best) }
        }
        nearestDistancesSorted = nearest.sorted()
    }

    static func distance(_ a: [Float], _ b: [Float]) -> Double {
        var sum: Float = 0
        for index in 0..<min(a.count, b.count) {
            let difference = a[index] - b[index]
            sum += difference * difference
        }
        return Double(sum.squareRoot())
    }

    private func withLock<T>(_ body: () throws(ReviewBackendError) -> T) throws(ReviewBackendError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func face(_ id: String) throws(ReviewBackendError) -> Face {
        guard let row = rowByID[id] else {
            throw ReviewBackendError("no face with id '\(id)' in this dataset")
        }
        return faces[row]
    }

    private func myVerdict(_ id: String) -> Verdict? {
        annotations[id]?.verdicts.last { $0.reviewer == reviewer }?.verdict
    }

    public func queue(_ filter: QueueFilter, sort: QueueSort) throws(ReviewBackendError) -> [QueueRow] {
        try withLock { () throws(ReviewBackendError) -> [QueueRow] in
            let selected = faces.filter { face in
                let annotation = annotations[face.id] ?? Annotation()
                let mine = annotation.verdicts.last { $0.reviewer == reviewer }?.verdict
                switch filter {
                case .ranked:
                    guard let label = face.label, let p = face.probability else { return false }
                    return (p >= 0.5 ? 1 : 0) != label
                case .allTrain: return face.split == .train
                case .test: return face.split == .test
                case .flagged: return annotation.flagged
                case .reviewed: return face.split == .train && mine != nil
                case .unreviewed: return face.split == .train && mine == nil
                case .sample: return false
                case .verdict(let verdict): return mine == verdict
                case .confusion(let label, let predicted):
                    guard face.label == label, let p = face.probability else { return false }
                    return (p >= 0.5 ? 1 : 0) == predicted
                }
            }
            var rows = selected.map { face in
                QueueRow(id: face.id, split: face.split, label: face.label, probability: face.probability,
                         score: face.score, verdict: myVerdict(face.id), flagged: annotations[face.id]?.flagged ?? false)
            }
            switch sort {
            case .score: rows.sort { ($0.score ?? -1, $1.id) > ($1.score ?? -1, $0.id) }
            case .probability: rows.sort { ($0.probability ?? -1, $1.id) > ($1.probability ?? -1, $0.id) }
            case .id: rows.sort { $0.id.compare($1.id, options: .numeric) == .orderedAscending }
            }
            return rows
        }
    }

    public func detail(for id: String) throws(ReviewBackendError) -> FaceDetail {
        try withLock { () throws(ReviewBackendError) -> FaceDetail in try makeDetail(id) }
    }

    private func makeDetail(_ id: String) throws(ReviewBackendError) -> FaceDetail {
        let face = try face(id)
        let annotation = annotations[id] ?? Annotation()
        return FaceDetail(id: face.id, split: face.split, label: face.label, runs: face.runs, reason: reason(for: face),
                          verdicts: annotation.verdicts, note: annotation.note, tags: annotation.tags,
                          flagged: annotation.flagged, imageName: face.imageName)
    }

    private func reason(for face: Face) -> String {
        guard !face.runs.isEmpty else { return "no model run yet" }
        let votes = face.runs.map { $0.probability >= 0.5 ? 1 : 0 }
        let ones = votes.filter { $0 == 1 }.count
        guard let label = face.label else {
            return "test face: \(ones) of \(votes.count) runs say 1"
        }
        let against = votes.filter { $0 != Int(label) }.count
        if against == 0 { return "label \(label); all \(votes.count) runs agree" }
        return "label \(label), but \(against) of \(votes.count) runs say \(1 - label)"
    }

    public func neighbours(of id: String, count: Int) throws(ReviewBackendError) -> [NeighbourSummary] {
        let center = try face(id)
        var scored: [(distance: Double, row: Int)] = []
        for (row, other) in faces.enumerated() where other.id != id {
            scored.append((Self.distance(center.latent, other.latent), row))
        }
        scored.sort { $0.distance < $1.distance }
        return withLockNonThrowing {
            scored.prefix(max(0, count)).map { item in
                let face = faces[item.row]
                return NeighbourSummary(id: face.id, label: face.label, probability: face.probability,
                                        distance: item.distance, percentile: percentile(of: item.distance),
                                        verdict: myVerdict(face.id))
            }
        }
    }

    private func withLockNonThrowing<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    private func percentile(of distance: Double) -> Double {
        guard !nearestDistancesSorted.isEmpty else { return 0 }
        var low = 0, high = nearestDistancesSorted.count
        while low < high {
            let middle = (low + high) / 2
            if nearestDistancesSorted[middle] <= distance { low = middle + 1 } else { high = middle }
        }
        return 100 * Double(low) / Double(nearestDistancesSorted.count)
    }

    public func picture(_ request: PictureRequest) -> CellPicture? {
        let (id, columns, rows, zoomed) = (request.id, request.shape.columns, request.shape.rows, request.shape.zoomed)
        guard let row = rowByID[id], let make = faces[row].picture else { return nil }
        return make(columns, rows, zoomed)
    }

    public func record(_ change: ReviewChange, for id: String) throws(ReviewBackendError) -> FaceDetail {
        try withLock { () throws(ReviewBackendError) -> FaceDetail in
            let face = try face(id)
            guard face.split == .train else {
                throw ReviewBackendError("id \(id) is a test face: test faces are never labelled by a person")
            }
            let previous = annotations[id] ?? Annotation()
            var annotation = previous
            switch change {
            case .verdict(let verdict):
                annotation.verdicts.removeAll { $0.reviewer == reviewer }
                annotation.verdicts.append(ReviewerVerdict(reviewer: reviewer, verdict: verdict))
            case .toggleFlag: annotation.flagged.toggle()
            case .note(let note): annotation.note = note
            case .tags(let tags): annotation.tags = tags
            }
            annotations[id] = annotation
            undoLog.append((id, previous))
            return try makeDetail(id)
        }
    }

    /// Records a verdict by another reviewer (tests and the demo show a shared store).
    public func recordVerdict(_ verdict: Verdict, by otherReviewer: String, for id: String) {
        withLockNonThrowing {
            var annotation = annotations[id] ?? Annotation()
            annotation.verdicts.removeAll { $0.reviewer == otherReviewer }
            annotation.verdicts.append(ReviewerVerdict(reviewer: otherReviewer, verdict: verdict))
            annotations[id] = annotation
        }
    }

    public func undo() throws(ReviewBackendError) -> String {
        try withLock { () throws(ReviewBackendError) -> String in
            guard let last = undoLog.popLast() else { throw ReviewBackendError("nothing to undo") }
            annotations[last.id] = last.previous
            return last.id
        }
    }

    public func run(_ job: ReviewJob, progress: @Sendable (Double, String) -> Void) throws(ReviewBackendError) -> String {
        switch job {
        case .evidence:
            return "evidence: the in-memory sample needs none"
        case .rerunFlagged:
            throw ReviewBackendError("rerun needs the evidence engine; this in-memory backend has no model to train")
        case .export:
            guard let exportURL else {
                throw ReviewBackendError("no export destination: start with --export FILE")
            }
            let snapshot = withLockNonThrowing { annotations }
            var lines = ["id,reviewer,verdict,flagged,tags,note"]
            let annotated = faces.filter { snapshot[$0.id] != nil }
            for (index, face) in annotated.enumerated() {
                let annotation = snapshot[face.id] ?? Annotation()
                let verdicts = annotation.verdicts.isEmpty ? [nil] : annotation.verdicts.map { Optional($0) }
                for verdict in verdicts {
                    lines.append([face.id, verdict?.reviewer ?? "", verdict?.verdict.rawValue ?? "",
                                  annotation.flagged ? "1" : "0", annotation.tags.joined(separator: ";"), annotation.note]
                        .map(Self.csvField).joined(separator: ","))
                }
                progress(Double(index + 1) / Double(max(1, annotated.count)), "\(index + 1)/\(annotated.count) faces")
                if jobStepDelay > .zero { Thread.sleep(forTimeInterval: Self.seconds(jobStepDelay)) }
            }
            do {
                try (lines.joined(separator: "\n") + "\n").write(to: exportURL, atomically: true, encoding: .utf8)
            } catch {
                throw ReviewBackendError("cannot write \(exportURL.path): \(error.localizedDescription)")
            }
            return "exported \(annotated.count) annotated faces to \(exportURL.path)"
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
