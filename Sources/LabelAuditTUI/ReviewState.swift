import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

/// Parts of the screen an action changed. Actions return this instead of drawing, so the
/// run loop decides when to build a frame and tests can assert what an action touches.
package struct Redraw: OptionSet, Hashable, Sendable {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }
    package static let queue = Redraw(rawValue: 1 << 0)
    package static let face = Redraw(rawValue: 1 << 1)
    package static let detail = Redraw(rawValue: 1 << 2)
    package static let neighbours = Redraw(rawValue: 1 << 3)
    package static let status = Redraw(rawValue: 1 << 4)
    package static let overlay = Redraw(rawValue: 1 << 5)
    /// The terminal must forget what it believes is on screen (Ctrl-L, colour pairs reset).
    package static let repaint = Redraw(rawValue: 1 << 6)
    /// A different face is in view.
    package static let focus: Redraw = [.face, .detail, .neighbours, .status]
    package static let all: Redraw = [.queue, .face, .detail, .neighbours, .status, .overlay]
}

/// Glyphs of the interface (not of pictures), with an ASCII set for terminals without UTF-8.
package struct GlyphSet: Hashable, Sendable {
    package var verticalLine: String
    package var horizontalLine: String
    package var flag: String
    package var differs: String
    package var ellipsis: String
    package var labelOK: String
    package var labelWrong: String
    package var unsure: String
    package var badImage: String
    package var isUnicode: Bool

    package static let unicode = GlyphSet(
        verticalLine: "│", horizontalLine: "─", flag: "⚑", differs: "≠", ellipsis: "…",
        labelOK: "✓", labelWrong: "✗", unsure: "?", badImage: "⌀", isUnicode: true)
    package static let ascii = GlyphSet(
        verticalLine: "|", horizontalLine: "-", flag: "F", differs: "!", ellipsis: "~",
        labelOK: "v", labelWrong: "x", unsure: "?", badImage: "b", isUnicode: false)

    package func mark(for verdict: Verdict?) -> String {
        switch verdict {
        case .labelOK: return labelOK
        case .labelWrong: return labelWrong
        case .unsure: return unsure
        case .badImage: return badImage
        case nil: return " "
        }
    }

    /// The team's decision: the verdict marks, and `differs` (≠) when reviewers disagree.
    package func mark(for decision: ConsensusDecision?) -> String {
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
package enum EditPurpose: Hashable, Sendable {
    case note, tags, find, command

    package var prompt: String {
        switch self {
        case .note: return "note: "
        case .tags: return "tags: "
        case .find: return "/"
        case .command: return ":"
        }
    }
}

/// The last `/` find: its matches (queue order first) and which one is shown.
package struct SearchState: Hashable, Sendable {
    package var query: String
    package var matches: [String]
    package var index: Int
}

/// Which list j/k move in.
package enum Pane: Hashable, Sendable { case queue, neighbours }

/// A non-blocking line in the status area.
package struct StatusMessage: Hashable, Sendable {
    package var text: String
    package var isError: Bool
    package init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// Progress of a background job.
package struct JobProgress: Hashable, Sendable {
    package var fraction: Double
    package var text: String
}

/// The whole app state: everything the screen shows is a pure function of this (plus the
/// pictures the backend renders).
package struct ReviewState: Sendable {
    package var screenRows: Int
    package var screenColumns: Int
    package var filter: QueueFilter = .ranked
    package var sort: QueueSort = .score
    /// `:sample N`: a reproducible random sample of the queue, nil for the whole queue.
    package var sampleSize: Int?
    package var rows: [QueueRow] = []
    package var cursor = 0
    package var scrollTop = 0
    package var pane: Pane = .queue
    package var neighbours: [NeighbourSummary] = []
    package var neighbourCursor = 0
    package var detail: FaceDetail?
    /// A face opened from the neighbours strip (not the queue's current row).
    package var openedID: String?
    /// Faces to return to with Backspace.
    package var history: [String] = []
    package var zoomed = false
    /// The inspect view (`i`): the current face alone, its eye band as wide as the terminal.
    package var inspecting = false
    /// The contact sheet (`c`): the filter's faces as a grid; the cursor is the selected tile.
    package var contactSheet = false
    /// The last find (`]`/`[` step through it).
    package var search: SearchState?
    /// After a verdict, move to the next face (`:set advance off` turns it off).
    package var autoAdvance = true
    /// `--graphics`: real pixels when the terminal has them (auto), forced, or never (off).
    package var graphicsMode: GraphicsMode = .off
    /// What the terminal answered about graphics so far.
    package var graphics = GraphicsSupport()
    /// The protocol faces are drawn with (nil: glyphs).
    package var pixels: GraphicsProtocol?
    /// Kitty pictures go through tmux's passthrough (the answer came that way).
    package var pixelsThroughTmux = false
    /// Glyphs and colours of every picture (`--symbols`, the terminal's colours).
    package var pictureStyle = PictureStyle()
    package var editor: LineEditor?
    package var editPurpose: EditPurpose?
    /// A modal panel (`?`, `:run`, `:diff`); it owns the keys until Esc or q closes it.
    package var panel: InfoPanel?
    /// True while `?` is open.
    package var showsHelp: Bool { panel?.isHelp == true }
    /// The model run chosen with `:run NAME`; nil = the combined ranking.
    package var activeRun: String?
    /// The run whose p the queue shows (the chosen one, else the first).
    package var shownRun: String?
    package var message: StatusMessage?
    package var jobs: [ReviewJob: JobProgress] = [:]
    package var reviewer: String
    package var colorModeName: String
    package var glyphs: GlyphSet
    package var neighbourCount: Int
    package var shouldQuit = false

    package init(
        screenRows: Int, screenColumns: Int, reviewer: String, colorModeName: String,
        glyphs: GlyphSet = .unicode, neighbourCount: Int = 8
    ) {
        self.screenRows = screenRows
        self.screenColumns = screenColumns
        self.reviewer = reviewer
        self.colorModeName = colorModeName
        self.glyphs = glyphs
        self.neighbourCount = neighbourCount
    }

    /// The id whose face, detail and neighbours are in view.
    package var focusID: String? {
        openedID ?? (rows.indices.contains(cursor) ? rows[cursor].id : nil)
    }
}
