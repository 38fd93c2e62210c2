import Foundation
import LabelAuditCore
import LabelAuditStore

/// How two runs of the same dataset differ: the app's `:diff A B`, `labelaudit models --diff A B`
/// and the rerun's JSON all read this one computation.
public struct RunDiff: Sendable, Equatable, Codable {
    public struct Change: Sendable, Equatable, Codable {
        public var id: String
        /// Provided label (train rows), nil for test rows.
        public var label: UInt8?
        public var before: Double
        public var after: Double
        public var delta: Double { after - before }
        /// p moved across 0.5 (either way).
        public var crossed: Bool { (before >= 0.5) != (after >= 0.5) }
    }

    public var beforeName: String
    public var afterName: String
    package var beforeRunID: Int64?
    package var afterRunID: Int64?
    /// Ids predicted by both runs, largest |change| first (ties by dataset order).
    public var changes: [Change]
    /// Ids whose p crossed 0.5 upwards / downwards.
    public var crossedUp: Int
    public var crossedDown: Int
    package var onlyBefore: Int
    package var onlyAfter: Int
    public var meanAbsoluteChange: Double
    /// Train faces scored by both runs, and how many of them each run puts on the side of
    /// their provided label.
    public var labelled: Int
    public var agreeBefore: Int
    public var agreeAfter: Int

    /// O(ids log ids).
    public init(from before: ModelRun, to after: ModelRun, dataset: Dataset) {
        beforeName = before.name
        afterName = after.name
        beforeRunID = before.id
        afterRunID = after.id
        var changes: [(Int, Change)] = []
        var up = 0
        var down = 0
        var onlyBefore = 0
        var onlyAfter = 0
        var total = 0.0
        var labelled = 0
        var agreeBefore = 0
        var agreeAfter = 0
        for (row, id) in dataset.ids.enumerated() {
            switch (before.probabilities[id], after.probabilities[id]) {
            case (let a?, let b?):
                changes.append((row, Change(id: id, label: dataset.label(of: row), before: a, after: b)))
                if a < 0.5 && b >= 0.5 { up += 1 }
                if a >= 0.5 && b < 0.5 { down += 1 }
                total += abs(b - a)
                if let label = dataset.label(of: row) {
                    labelled += 1
                    if (a >= 0.5) == (label == 1) { agreeBefore += 1 }
                    if (b >= 0.5) == (label == 1) { agreeAfter += 1 }
                }
            case (_?, nil): onlyBefore += 1
            case (nil, _?): onlyAfter += 1
            case (nil, nil): break
            }
        }
        changes.sort { x, y in
            let dx = abs(x.1.delta)
            let dy = abs(y.1.delta)
            return dx > dy || (dx == dy && x.0 < y.0)
        }
        self.changes = changes.map(\.1)
        crossedUp = up
        crossedDown = down
        self.onlyBefore = onlyBefore
        self.onlyAfter = onlyAfter
        meanAbsoluteChange = changes.isEmpty ? 0 : total / Double(changes.count)
        self.labelled = labelled
        self.agreeBefore = agreeBefore
        self.agreeAfter = agreeAfter
    }

    /// One line of the diff as shown; `id` is the face the line names (nil for headings), so a
    /// panel can open it.
    public struct Line: Sendable, Equatable {
        public var text: String
        public var id: String?
    }

    /// The diff as lines: counts, then the `limit` largest changes, one face per line (`*`
    /// marks a crossing of 0.5). Ids are as in the dataset: sanitise before a terminal.
    public func lines(limit: Int = 12) -> [Line] {
        var lines = [
            Line(text: "\(changes.count) faces scored by both; mean |change in p| \(String(format: "%.3f", meanAbsoluteChange))"),
            Line(text: "crossed 0.5: \(crossedUp) up, \(crossedDown) down"),
            Line(text: "train faces whose label the run agrees with: \(agreeBefore) -> \(agreeAfter) of \(labelled)"),
        ]
        if onlyBefore > 0 || onlyAfter > 0 {
            lines.append(Line(text: "scored by one run only: \(onlyBefore) by \(beforeName), \(onlyAfter) by \(afterName)"))
        }
        let shown = changes.prefix(limit)
        guard !shown.isEmpty else { return lines }
        let width = max(2, shown.map(\.id.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String {
            text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
        }
        lines.append(Line(text: ""))
        lines.append(Line(text: "largest changes (* crossed 0.5):"))
        lines.append(Line(text: "  \(pad("id", width))  label  p \(beforeName) -> p \(afterName)"))
        for change in shown {
            let label = change.label.map(String.init) ?? "test"
            let text =
                "  \(pad(change.id, width))  \(pad(label, 5))  \(String(format: "%.2f", change.before)) -> \(String(format: "%.2f", change.after))\(change.crossed ? " *" : "")"
            lines.append(Line(text: text, id: change.id))
        }
        return lines
    }
}
