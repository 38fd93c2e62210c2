import LabelAuditImaging
import LabelAuditEngine
import LabelAuditCore

/// Parts of the screen an action changed. Actions return this instead of drawing, so the
/// run loop decides when to build a frame and tests can assert what an action touches.
public struct Redraw: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let queue = Redraw(rawValue: 1 << 0)
    public static let face = Redraw(rawValue: 1 << 1)
    public static let detail = Redraw(rawValue: 1 << 2)
    public static let neighbours = Redraw(rawValue: 1 << 3)
    public static let status = Redraw(rawValue: 1 << 4)
    public static let overlay = Redraw(rawValue: 1 << 5)
    /// The terminal must forget what it believes is on screen (Ctrl-L, colour pairs reset).
    public static let repaint = Redraw(rawValue: 1 << 6)
    /// A different face is in view.
    public static let focus: Redraw = [.face, .detail, .neighbours, .status]
    public static let all: Redraw = [.queue, .face, .detail, .neighbours, .status, .overlay]
}

/// Glyphs of the interface (not of pictures), with an ASCII set for terminals without UTF-8.
public struct GlyphSet: Hashable, Sendable {
    public var verticalLine: String
    public var horizontalLine: String
    public var flag: String
    public var differs: String
    public var ellipsis: String
    public var labelOK: String
    public var labelWrong: String
    public var unsure: String
    public var badImage: String
    public var isUnicode: Bool

    public static let unicode = GlyphSet(verticalLine: "│", horizontalLine: "─", flag: "⚑", differs: "≠", ellipsis: "…",
                                         labelOK: "✓", labelWrong: "✗", unsure: "?", badImage: "⌀", isUnicode: true)
    public static let ascii = GlyphSet(verticalLine: "|", horizontalLine: "-", flag: "F", differs: "!", ellipsis: "~",
                                       labelOK: "v", labelWrong: "x", unsure: "?", badImage: "b", isUnicode: false)

    public func mark(for verdict: Verdict?) -> String {
        switch verdict {
        case .labelOK: return labelOK
        case .labelWrong: return labelWrong
        case .unsure: return unsure
        case .badImage: return badImage
        case nil: return " "
        }
    }

    /// The team's decision: the verdict marks, and `differs` (≠) when reviewers disagree.
    public func mark(for decision: ConsensusDecision?) -> String {
        switch decision {
        case .labelOK: return labelOK
        case .labelWrong: return labelWrong
        case .unsure: return unsure
        case .badImage: return badImage
        case .conflict: return differs
        case nil: return " "
        }
    }
}

/// What the line editor at the bottom is editing.
public enum EditPurpose: Hashable, Sendable {
    case note, tags, find, command

    public var prompt: String {
        switch self {
        case .note: return "note: "
        case .tags: return "tags: "
        case .find: return "/"
        case .command: return ":"
        }
    }
}

/// The last `/` find: its matches (queue order first) and which one is shown.
public struct SearchState: Hashable, Sendable {
    public var query: String
    public var matches: [String]
    public var index: Int
}

/// Which list j/k move in.
public enum Pane: Hashable, Sendable { case queue, neighbours }

/// A non-blocking line in the status area.
public struct StatusMessage: Hashable, Sendable {
    public var text: String
    public var isError: Bool
    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// Progress of a background job.
public struct JobProgress: Hashable, Sendable {
    public var fraction: Double
    public var text: String
}

/// The whole app state: everything the screen shows is a pure function of this (plus the
/// pictures the backend renders).
public struct ReviewState: Sendable {
    public var screenRows: Int
    public var screenColumns: Int
    public var filter: QueueFilter = .ranked
    public var sort: QueueSort = .score
    /// `:sample N`: a reproducible random sample of the queue, nil for the whole queue.
    public var sampleSize: Int?
    public var rows: [QueueRow] = []
    public var cursor = 0
    public var scrollTop = 0
    public var pane: Pane = .queue
    public var neighbours: [NeighbourSummary] = []
    public var neighbourCursor = 0
    public var detail: FaceDetail?
    /// A face opened from the neighbours strip (not the queue's current row).
    public var openedID: String?
    /// Faces to return to with Backspace.
    public var history: [String] = []
    public var zoomed = false
    /// The inspect view (`i`): the current face alone, its eye band as wide as the terminal.
    public var inspecting = false
    /// The contact sheet (`c`): the filter's faces as a grid; the cursor is the selected tile.
    public var contactSheet = false
    /// The last find (`]`/`[` step through it).
    public var search: SearchState?
    /// After a verdict, move to the next face (`:set advance off` turns it off).
    public var autoAdvance = true
    /// `--graphics`: real pixels when the terminal has them (auto), forced, or never (off).
    public var graphicsMode: GraphicsMode = .off
    /// What the terminal answered about graphics so far.
    public var graphics = GraphicsSupport()
    /// The protocol faces are drawn with (nil: glyphs).
    public var pixels: GraphicsProtocol?
    /// Kitty pictures go through tmux's passthrough (the answer came that way).
    public var pixelsThroughTmux = false
    /// Glyphs and colours of every picture (`--symbols`, the terminal's colours).
    public var pictureStyle = PictureStyle()
    public var editor: LineEditor?
    public var editPurpose: EditPurpose?
    /// A modal panel (`?`, `:run`, `:diff`); it owns the keys until Esc or q closes it.
    public var panel: InfoPanel?
    /// True while `?` is open.
    public var showsHelp: Bool { panel?.isHelp == true }
    /// The model run chosen with `:run NAME`; nil = the combined ranking.
    public var activeRun: String?
    /// The run whose p the queue shows (the chosen one, else the first).
    public var shownRun: String?
    public var message: StatusMessage?
    public var jobs: [ReviewJob: JobProgress] = [:]
    public var reviewer: String
    public var colorModeName: String
    public var glyphs: GlyphSet
    public var neighbourCount: Int
    public var shouldQuit = false

    public init(screenRows: Int, screenColumns: Int, reviewer: String, colorModeName: String,
                glyphs: GlyphSet = .unicode, neighbourCount: Int = 8) {
        self.screenRows = screenRows
        self.screenColumns = screenColumns
        self.reviewer = reviewer
        self.colorModeName = colorModeName
        self.glyphs = glyphs
        self.neighbourCount = neighbourCount
    }

    /// The id whose face, detail and neighbours are in view.
    public var focusID: String? {
        openedID ?? (rows.indices.contains(cursor) ? rows[cursor].id : nil)
    }
}
