import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

/// Turns keys, mouse events and job results into state changes. Owns the state; draws
/// nothing. Lives on the UI thread; only the backend (Sendable) crosses to job threads.
package final class ReviewController {
    package internal(set) var state: ReviewState
    package let backend: any ReviewBackend
    /// Starts a job off the UI thread. When nil (tests), jobs run inline.
    package var jobLauncher: ((ReviewJob) -> Void)?
    var pictureCache: [PictureRequest: CellPicture?] = [:]
    private static let pictureCacheLimit = 96
    /// When the last panel or editor closed (the input discipline refuses recording keys
    /// typed ahead of it; see `handle(batch:at:)`).
    var lastModalClose: ContinuousClock.Instant?
    /// Persists a changed setting (the fields set are the ones changed); returns an error
    /// sentence when it could not be kept. Nil: settings are not kept (tests).
    package var settingsChanged: ((UserSettings) -> String?)?
    /// Opens an image file in the user's viewer (`o`); tests replace it.
    package var openImage: @Sendable (String) -> OriginalImage.ViewerOutcome = { path in
        OriginalImage.open(path: path, environment: ProcessInfo.processInfo.environment)
    }
    /// Bytes the run loop writes to the terminal after the next frame (the OSC 52 of `y`).
    package internal(set) var pendingTerminalBytes: [UInt8] = []
    /// Inside tmux: OSC 52 goes through tmux's passthrough.
    package var insideTmux = ProcessInfo.processInfo.environment["TMUX"].map { !$0.isEmpty } ?? false
    struct PixelKey: Hashable {
        var request: PictureRequest
        var kind: GraphicsProtocol
        var cell: PixelSize
        var slot: PixelSlot.Slot
    }
    var pixelCache: [PixelKey: PixelPicture.Drawing?] = [:]
    /// What `U` puts back: the undos since the last change, latest last.
    var redoStack: [UndoOutcome] = []
    /// How many faces after the cursor are rendered ahead (and one before).
    static let prefetchAhead = 3

    package init(
        backend: any ReviewBackend, rows: Int, columns: Int, colorModeName: String,
        glyphs: GlyphSet = .unicode, neighbourCount: Int = 8
    ) {
        self.backend = backend
        state = ReviewState(
            screenRows: rows, screenColumns: columns, reviewer: backend.reviewer,
            colorModeName: colorModeName, glyphs: glyphs, neighbourCount: neighbourCount)
    }

    package var layout: ScreenLayout {
        ScreenLayout(rows: state.screenRows, columns: state.screenColumns, neighbourCount: state.neighbourCount)
    }

    // MARK: loading

    /// Reloads the queue for the current filter/sort, keeping `id` selected when it is still there.
    @discardableResult
    package func reloadQueue(keeping id: String? = nil) -> Redraw {
        do {
            var rows = try backend.queue(state.filter, sort: state.sort)
            if let size = state.sampleSize, size < rows.count {
                rows = Self.reproducibleSample(of: rows, count: size)
            }
            state.rows = rows
            state.shownRun = backend.shownRunName()
        } catch {
            state.rows = []
            state.message = StatusMessage(error.message, isError: true)
        }
        let keep = id ?? state.focusID
        if let keep, let index = state.rows.firstIndex(where: { $0.id == keep }) {
            state.cursor = index
        } else {
            state.cursor = min(state.cursor, max(0, state.rows.count - 1))
        }
        state.openedID = nil
        state.history = []
        ensureCursorVisible()
        loadFocus()
        return .all
    }

    /// Loads detail and neighbours of the face in view.
    func loadFocus() {
        state.neighbourCursor = 0
        guard let id = state.focusID else {
            state.detail = nil
            state.neighbours = []
            if state.pane == .neighbours { state.pane = .queue }
            return
        }
        do {
            state.detail = try backend.detail(for: id)
        } catch {
            state.detail = nil
            state.message = StatusMessage(error.message, isError: true)
        }
        do {
            state.neighbours = try backend.neighbours(of: id, count: state.neighbourCount)
        } catch {
            state.neighbours = []
            state.message = StatusMessage(error.message, isError: true)
        }
        if state.neighbours.isEmpty, state.pane == .neighbours { state.pane = .queue }
        requestPrefetch()
    }

    /// Asks the backend to render the faces around the cursor (and their neighbours'
    /// thumbnails) ahead of time: moving down then finds its pictures in the render cache.
    func requestPrefetch() {
        let layout = self.layout
        guard !layout.isTooSmall, !state.rows.isEmpty else { return }
        if state.contactSheet {
            // The page in view, then the next page.
            let sheet = ContactSheetLayout(rows: state.screenRows, columns: state.screenColumns)
            let first = state.cursor / max(1, sheet.perPage) * sheet.perPage
            let ids = state.rows[first..<min(state.rows.count, first + 2 * sheet.perPage)].map(\.id)
            let tile = sheet.tiles.first.map { PictureShape(columns: $0.columns, rows: $0.rows, zoomed: false) }
            backend.prefetch(
                PrefetchPlan(
                    ids: ids, shapes: tile.map { [$0] } ?? [], thumbnail: nil, neighbourCount: 0,
                    style: state.pictureStyle))
            return
        }
        var ids: [String] = []
        if let focus = state.focusID { ids.append(focus) }
        let ahead = state.cursor + 1..<min(state.rows.count, state.cursor + 1 + Self.prefetchAhead)
        ids += ahead.map { state.rows[$0].id }
        if state.cursor > 0 { ids.append(state.rows[state.cursor - 1].id) }
        ids += state.neighbours.prefix(2).map(\.id)
        backend.prefetch(
            PrefetchPlan(
                ids: ids, shapes: faceShapes, thumbnail: state.inspecting ? nil : thumbnailShape,
                neighbourCount: min(state.neighbourCount, layout.thumbnails.count),
                style: state.pictureStyle))
    }

    /// The boxes the face in view is drawn in now: the face pane (split into band and face
    /// when zoomed), or the inspect view's band and face.
    var faceShapes: [PictureShape] {
        if state.inspecting {
            let inspect = InspectLayout(rows: state.screenRows, columns: state.screenColumns)
            return [
                PictureShape(columns: inspect.band.columns, rows: inspect.band.rows, zoomed: true),
                PictureShape(columns: inspect.face.columns, rows: inspect.face.rows, zoomed: false),
            ]
        }
        guard state.zoomed else { return [PictureShape(columns: layout.face.columns, rows: layout.face.rows, zoomed: false)] }
        let split = ScreenLayout.zoomSplit(layout.face)
        var shapes = [PictureShape(columns: split.band.columns, rows: split.band.rows, zoomed: true)]
        if let below = split.face { shapes.append(PictureShape(columns: below.columns, rows: below.rows, zoomed: false)) }
        return shapes
    }

    var thumbnailShape: PictureShape? {
        layout.thumbnails.first.map { PictureShape(columns: $0.columns, rows: $0.rows, zoomed: false) }
    }

    /// Whether a verdict moves on to the next face.
    package func apply(autoAdvance: Bool) {
        state.autoAdvance = autoAdvance
    }

    /// Draws every picture from now on in `style` (the cached ones are forgotten).
    package func setPictureStyle(_ style: PictureStyle) {
        guard style != state.pictureStyle else { return }
        state.pictureStyle = style
        pictureCache.removeAll()
        requestPrefetch()
    }

    /// The pixel drawing of `id` in a box (kitty or sixel, as the terminal answered), cached
    /// like the glyph pictures; nil when the face has no readable image.
    package func pixelDrawing(id: String, columns: Int, rows: Int, zoomed: Bool, slot: PixelSlot.Slot) -> PixelPicture.Drawing? {
        guard let kind = state.pixels else { return nil }
        let request = PictureRequest(
            id: id, shape: PictureShape(columns: columns, rows: rows, zoomed: zoomed), style: state.pictureStyle)
        let key = PixelKey(request: request, kind: kind, cell: cellPixels, slot: slot)
        if let cached = pixelCache[key] { return cached }
        if pixelCache.count >= 24 { pixelCache.removeAll(keepingCapacity: true) }
        let drawing = backend.pixelDrawing(
            request, protocol: kind, cell: cellPixels,
            sixelRegisters: state.graphics.sixelColorRegisters ?? 256,
            imageID: slot.rawValue, throughTmux: state.pixelsThroughTmux)
        pixelCache[key] = drawing
        return drawing
    }

    /// The terminal's cell in pixels (what it answered, else the usual 10 x 20).
    package var cellPixels: PixelSize {
        state.graphics.cellSize(columns: state.screenColumns, rows: state.screenRows) ?? .assumedCell
    }

    /// The bytes drawing `slot` (the run loop writes them after the frame's cells).
    package func pixelBytes(for slot: PixelSlot) -> [UInt8]? {
        pixelDrawing(
            id: slot.request.id, columns: slot.request.shape.columns, rows: slot.request.shape.rows,
            zoomed: slot.request.shape.zoomed, slot: slot.slot)?.bytes
    }

    /// The text area's size in pixels as the kernel knows it (a fallback when the terminal does
    /// not answer the cell-size query, as xterm does not by default).
    package func apply(windowPixels: PixelSize?) -> Redraw {
        guard state.graphics.windowPixels == nil || state.graphics.windowPixelsFromKernel,
            let windowPixels, windowPixels != state.graphics.windowPixels
        else { return [] }
        state.graphics.windowPixels = windowPixels
        state.graphics.windowPixelsFromKernel = true
        pixelCache.removeAll()
        return state.pixels == nil ? [] : Redraw.all.union(.repaint)
    }

    /// Pixels or glyphs from the start: `--graphics` (auto waits for the terminal's answer).
    package func apply(graphics mode: GraphicsMode) {
        state.graphicsMode = mode
        state.pixels = mode == .auto ? nil : mode.resolved(nil)
    }

    /// The picture of `id` in a box, cached by (id, box, zoom, style) so redraws do not re-render.
    package func picture(id: String, columns: Int, rows: Int, zoomed: Bool) -> CellPicture? {
        let request = PictureRequest(
            id: id, shape: PictureShape(columns: columns, rows: rows, zoomed: zoomed),
            style: state.pictureStyle)
        if let cached = pictureCache[request] { return cached }
        if pictureCache.count >= Self.pictureCacheLimit { pictureCache.removeAll(keepingCapacity: true) }
        let picture = backend.picture(request)
        pictureCache[request] = picture
        return picture
    }
}

extension String {
    func trimmingCharactersInSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
