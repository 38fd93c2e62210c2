import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

/// One model run's opinion of a face.
public struct RunProbability: Hashable, Sendable {
    public var run: String
    public var probability: Double
    public init(run: String, probability: Double) {
        self.run = run
        self.probability = probability
    }
}

/// A verdict by any reviewer (the team shares the store).
public struct ReviewerVerdict: Hashable, Sendable {
    public var reviewer: String
    public var verdict: Verdict
    public init(reviewer: String, verdict: Verdict) {
        self.reviewer = reviewer
        self.verdict = verdict
    }
}

/// Everything the detail panel shows about one face.
public struct FaceDetail: Hashable, Sendable {
    public var id: String
    public var split: Split
    public var label: UInt8?
    public var runs: [RunProbability]
    /// One line saying why the face is in the queue (e.g. "label 1, all 3 runs say 0").
    public var reason: String
    public var verdicts: [ReviewerVerdict]
    public var note: String
    public var tags: [String]
    /// Flagged by this reviewer.
    public var flagged: Bool
    /// Everyone who flagged it (a rerun takes anyone's flags).
    public var flaggedBy: [String] = []
    /// The other reviewers' notes (the team shares the store).
    public var teamNotes: [ReviewerNote] = []
    /// The image file, for display only (sanitised on screen).
    public var imageName: String?
    /// The image file's full path (to open the original, or copy its path).
    public var imagePath: String?

    /// What the team decided from everyone's verdicts.
    public var team: ConsensusDecision? { ConsensusDecision(verdicts.map(\.verdict)) }

    public init(id: String, split: Split, label: UInt8?, runs: [RunProbability], reason: String,
                verdicts: [ReviewerVerdict], note: String, tags: [String], flagged: Bool, imageName: String? = nil) {
        self.id = id
        self.split = split
        self.label = label
        self.runs = runs
        self.reason = reason
        self.verdicts = verdicts
        self.note = note
        self.tags = tags
        self.flagged = flagged
        self.imageName = imageName
    }
}

/// A note by another reviewer.
public struct ReviewerNote: Hashable, Sendable {
    public var reviewer: String
    public var note: String
    public init(reviewer: String, note: String) {
        self.reviewer = reviewer
        self.note = note
    }
}

/// A latent-space neighbour of the face in view.
public struct NeighbourSummary: Hashable, Sendable {
    public var id: String
    public var label: UInt8?
    public var probability: Double?
    public var distance: Double
    /// Share (0...1) of all pairs of faces that are closer than this one: how unusual the
    /// closeness is (0.0002: only 0.02% of pairs are closer).
    public var closerShare: Double
    /// How many pairs `closerShare` was measured on (one over it is the finest share).
    public var pairsMeasured: Int
    /// This reviewer's verdict.
    public var verdict: Verdict?
    /// What the team decided about the neighbour.
    public var team: ConsensusDecision?

    public init(id: String, label: UInt8?, probability: Double?, distance: Double, closerShare: Double,
                pairsMeasured: Int = 0, verdict: Verdict?, team: ConsensusDecision? = nil) {
        self.id = id
        self.label = label
        self.probability = probability
        self.distance = distance
        self.closerShare = closerShare
        self.pairsMeasured = pairsMeasured
        self.verdict = verdict
        self.team = team
    }
}

/// A change a reviewer makes; committed by the backend the moment it is made.
public enum ReviewChange: Hashable, Sendable {
    case verdict(Verdict)
    case toggleFlag
    case setFlag(Bool)
    case note(String)
    case tags([String])
}

/// What an undo took back: the face it touched, and the changes that would put it back (redo).
public struct UndoOutcome: Hashable, Sendable {
    public var id: String
    /// Applied in order, they restore what the undo removed.
    public var redo: [ReviewChange]

    public init(id: String, redo: [ReviewChange]) {
        self.id = id
        self.redo = redo
    }
}

/// Work that takes long enough to run off the UI thread.
public enum ReviewJob: Hashable, Sendable {
    case export
    /// Retrain / re-predict on the flagged set.
    case rerunFlagged
    /// Model runs, neighbour graph and ranking, computed at start-up while the app is usable.
    case evidence
}

/// How pictures are drawn: the glyph set and the colours they are fitted to.
public struct PictureStyle: Hashable, Sendable {
    public var symbols: SymbolSet
    public var colors: ColorMode

    public init(symbols: SymbolSet = .quad, colors: ColorMode = .truecolor) {
        self.symbols = symbols
        self.colors = colors
    }
}

/// A box a face is drawn in: its size in cells, and whether it shows the eye band.
public struct PictureShape: Hashable, Sendable {
    public var columns: Int
    public var rows: Int
    public var zoomed: Bool

    public init(columns: Int, rows: Int, zoomed: Bool) {
        self.columns = columns
        self.rows = rows
        self.zoomed = zoomed
    }
}

/// A picture the screen asks for: one face fitted into a cell box, in a style.
public struct PictureRequest: Hashable, Sendable {
    public var id: String
    public var shape: PictureShape
    public var style: PictureStyle

    public init(id: String, shape: PictureShape, style: PictureStyle = PictureStyle()) {
        self.id = id
        self.shape = shape
        self.style = style
    }

    /// What the renderer needs for this request.
    public var renderOptions: RenderOptions {
        var options = RenderOptions(columns: shape.columns, rows: shape.rows, symbols: style.symbols, colors: style.colors,
                                    zoom: shape.zoomed ? .eyesFill : .full)
        options.enlarge = true
        return options
    }
}

/// What the screen will probably show next (the faces after the cursor and their
/// neighbours' thumbnails), so a backend can render it before the key press arrives.
public struct PrefetchPlan: Hashable, Sendable {
    /// Likely next faces, most likely first.
    public var ids: [String]
    /// The boxes each face is drawn in (the face pane, or the eye band and the face).
    public var shapes: [PictureShape]
    /// The neighbours' thumbnail box (nil: none drawn).
    public var thumbnail: PictureShape?
    /// Thumbnails per face (0: none).
    public var neighbourCount: Int
    public var style: PictureStyle

    public init(ids: [String], shapes: [PictureShape], thumbnail: PictureShape?, neighbourCount: Int,
                style: PictureStyle = PictureStyle()) {
        self.ids = ids
        self.shapes = shapes
        self.thumbnail = thumbnail
        self.neighbourCount = neighbourCount
        self.style = style
    }
}

/// Lines for a modal panel (help, the list of runs, a run diff). While it is open it owns every
/// key: j/k move, Enter opens the selected line's face (when it names one), Esc or q closes;
/// any other key does nothing, so text typed at a panel can never run as commands.
public struct InfoPanel: Hashable, Sendable {
    public var title: String
    public var lines: [String]
    /// The face each line opens with Enter (same index; nil or missing: none).
    public var lineIDs: [String?]
    /// The line under the cursor.
    public var selected = 0
    /// `?`: drawn in as many columns as fit.
    public var isHelp = false

    public init(title: String, lines: [String], lineIDs: [String?] = []) {
        self.title = title
        self.lines = lines
        self.lineIDs = lineIDs
    }

    /// The id Enter opens, nil when the selected line names no face.
    public var selectedID: String? {
        lineIDs.indices.contains(selected) ? lineIDs[selected] : nil
    }

    /// True when some line opens a face (the panel then shows a cursor).
    public var isSelectable: Bool { lineIDs.contains { $0 != nil } }
}

/// Why a backend call failed, in words for the status bar (naming the id and what to do).
public struct ReviewBackendError: Error, Hashable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// The TUI's only view of the data. The real implementation (engine + audit store) and the
/// in-memory one used by tests and `review-demo` both conform; every value crossing it is
/// plain data so the screen model stays pure.
///
/// Calls are made from the UI thread and must be quick (cached); `run(_:progress:)` is called
/// from a background thread and may take long, reporting progress as it goes.
public protocol ReviewBackend: Sendable {
    /// Who is reviewing (recorded with each verdict).
    var reviewer: String { get }
    func queue(_ filter: QueueFilter, sort: QueueSort) throws(ReviewBackendError) -> [QueueRow]
    func detail(for id: String) throws(ReviewBackendError) -> FaceDetail
    func neighbours(of id: String, count: Int) throws(ReviewBackendError) -> [NeighbourSummary]
    /// The face rendered as `request` asks; nil when there is no image or it cannot be decoded.
    func picture(_ request: PictureRequest) -> CellPicture?
    /// The face drawn as real pixels for `request`'s box (nil: no image, or it cannot be
    /// decoded); `imageID` names a kitty picture so the next one replaces it.
    func pixelDrawing(_ request: PictureRequest, protocol kind: GraphicsProtocol, cell: PixelSize, sixelRegisters: Int,
                      imageID: UInt32, throughTmux: Bool) -> PixelPicture.Drawing?
    /// Commits `change` for `id` and returns the face's new detail.
    func record(_ change: ReviewChange, for id: String) throws(ReviewBackendError) -> FaceDetail
    /// Undoes this reviewer's latest change: the id it touched and how to redo it.
    func undo() throws(ReviewBackendError) -> UndoOutcome
    /// Ids whose id, note or tags (anyone's) contain `text`, case-insensitively, in dataset
    /// order (an exact id first).
    func search(_ text: String) -> [String]
    /// Runs a long job; `progress` receives (fraction 0...1, words). Returns a summary line.
    func run(_ job: ReviewJob, progress: @Sendable (Double, String) -> Void) throws(ReviewBackendError) -> String
    /// Asks a running job to stop (it then ends with a "cancelled" failure); false when it is
    /// not running or cannot be stopped.
    func cancel(_ job: ReviewJob) -> Bool
    /// A job the app starts as soon as its first frame is up (the evidence), nil for none.
    var startupJob: ReviewJob? { get }
    /// Renders what `plan` names in the background; a newer plan supersedes an older one.
    func prefetch(_ plan: PrefetchPlan)
    /// Reloads the reviewers' verdicts when another process wrote to the audit database since
    /// the last call (a teammate's merge, a second app, the CLI); true when something changed.
    func reloadIfChangedElsewhere() -> Bool
    /// Names of the model runs `:run` can choose.
    func runNames() -> [String]
    /// The run whose p the queue and the strip show (nil before any run).
    func shownRunName() -> String?
    /// Chooses the run whose p is shown and ranks the queue (nil: the combined ranking of all
    /// runs); returns a line for the status bar.
    func selectRun(_ name: String?) throws(ReviewBackendError) -> String
    /// What changed between two runs (`:diff A B`).
    func diffRuns(_ first: String, _ second: String) throws(ReviewBackendError) -> InfoPanel
    /// Draws `count` more train faces into the random audit sample and returns them; nil when the
    /// backend keeps no sample (the controller then samples the queue itself).
    func drawAuditSample(count: Int) throws(ReviewBackendError) -> [String]?
}

extension ReviewBackend {
    public var startupJob: ReviewJob? { nil }
    public func prefetch(_ plan: PrefetchPlan) {}
    public func runNames() -> [String] { [] }
    public func cancel(_ job: ReviewJob) -> Bool { false }
    public func pixelDrawing(_ request: PictureRequest, protocol kind: GraphicsProtocol, cell: PixelSize, sixelRegisters: Int,
                             imageID: UInt32, throughTmux: Bool) -> PixelPicture.Drawing? { nil }
    public func reloadIfChangedElsewhere() -> Bool { false }
    public func shownRunName() -> String? { nil }
    public func selectRun(_ name: String?) throws(ReviewBackendError) -> String {
        throw ReviewBackendError("this backend has no model runs to choose from")
    }
    public func diffRuns(_ first: String, _ second: String) throws(ReviewBackendError) -> InfoPanel {
        throw ReviewBackendError("this backend has no model runs to compare")
    }
    public func drawAuditSample(count: Int) throws(ReviewBackendError) -> [String]? { nil }
}
