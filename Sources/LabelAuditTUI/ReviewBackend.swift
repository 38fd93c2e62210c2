import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

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
    package var zoomed: Bool

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
    package var renderOptions: RenderOptions {
        var options = RenderOptions(
            columns: shape.columns, rows: shape.rows, symbols: style.symbols, colors: style.colors,
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

    public init(
        ids: [String], shapes: [PictureShape], thumbnail: PictureShape?, neighbourCount: Int,
        style: PictureStyle = PictureStyle()
    ) {
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
    package var lineIDs: [String?]
    /// The line under the cursor.
    public var selected = 0
    /// `?`: drawn in as many columns as fit.
    package var isHelp = false

    public init(title: String, lines: [String], lineIDs: [String?] = []) {
        self.title = title
        self.lines = lines
        self.lineIDs = lineIDs
    }

    /// The id Enter opens, nil when the selected line names no face.
    package var selectedID: String? {
        lineIDs.indices.contains(selected) ? lineIDs[selected] : nil
    }

    /// True when some line opens a face (the panel then shows a cursor).
    package var isSelectable: Bool { lineIDs.contains { $0 != nil } }
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
    func queue(_ filter: QueueFilter, sort: QueueSort) throws(ReviewError) -> [QueueRow]
    func detail(for id: String) throws(ReviewError) -> FaceDetail
    func neighbours(of id: String, count: Int) throws(ReviewError) -> [NeighbourSummary]
    /// The face rendered as `request` asks; nil when there is no image or it cannot be decoded.
    func picture(_ request: PictureRequest) -> CellPicture?
    /// The face drawn as real pixels for `request`'s box (nil: no image, or it cannot be
    /// decoded); `imageID` names a kitty picture so the next one replaces it.
    func pixelDrawing(
        _ request: PictureRequest, protocol kind: GraphicsProtocol, cell: PixelSize, sixelRegisters: Int,
        imageID: UInt32, throughTmux: Bool
    ) -> PixelPicture.Drawing?
    /// Commits `change` for `id` and returns the face's new detail.
    func record(_ change: ReviewChange, for id: String) throws(ReviewError) -> FaceDetail
    /// Undoes this reviewer's latest change: the id it touched and how to redo it.
    func undo() throws(ReviewError) -> UndoOutcome
    /// Ids whose id, note or tags (anyone's) contain `text`, case-insensitively, in dataset
    /// order (an exact id first).
    func search(_ text: String) -> [String]
    /// Runs a long job; `progress` receives (fraction 0...1, words). Returns a summary line.
    func run(_ job: ReviewJob, progress: @Sendable (Double, String) -> Void) throws(ReviewError) -> String
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
    func selectRun(_ name: String?) throws(ReviewError) -> String
    /// What changed between two runs (`:diff A B`).
    func diffRuns(_ first: String, _ second: String) throws(ReviewError) -> InfoPanel
    /// Draws `count` more train faces into the random audit sample and returns them; nil when the
    /// backend keeps no sample (the controller then samples the queue itself).
    func drawAuditSample(count: Int) throws(ReviewError) -> [String]?
}

extension ReviewBackend {
    package var startupJob: ReviewJob? { nil }
    public func prefetch(_ plan: PrefetchPlan) {}
    public func runNames() -> [String] { [] }
    public func cancel(_ job: ReviewJob) -> Bool { false }
    package func pixelDrawing(
        _ request: PictureRequest, protocol kind: GraphicsProtocol, cell: PixelSize, sixelRegisters: Int,
        imageID: UInt32, throughTmux: Bool
    ) -> PixelPicture.Drawing? { nil }
    public func reloadIfChangedElsewhere() -> Bool { false }
    public func shownRunName() -> String? { nil }
    public func selectRun(_ name: String?) throws(ReviewError) -> String {
        throw ReviewError("this backend has no model runs to choose from")
    }
    package func diffRuns(_ first: String, _ second: String) throws(ReviewError) -> InfoPanel {
        throw ReviewError("this backend has no model runs to compare")
    }
    public func drawAuditSample(count: Int) throws(ReviewError) -> [String]? { nil }
}
