import Foundation
import LabelAuditCore
import LabelAuditImaging

/// The pure screen model: state (plus the controller's cached pictures) to a grid of cells.
/// No curses here, so tests render every layout without a terminal.
package enum ReviewScreen {
    static let headerStyle = CellStyle(attributes: [.bold, .underline])
    static let dimStyle = CellStyle(attributes: [.dim])
    static let boldStyle = CellStyle(attributes: [.bold])
    static let statusStyle = CellStyle(attributes: [.reverse])
    static let errorStyle = CellStyle(foreground: .indexed(1), attributes: [.bold])
    static let differsStyle = CellStyle(foreground: .indexed(3), attributes: [.bold])

    /// A fresh frame of the whole screen.
    package static func render(_ controller: ReviewController) -> ScreenGrid {
        var grid = ScreenGrid(rows: controller.state.screenRows, columns: controller.state.screenColumns)
        render(controller, into: &grid, redraw: .all)
        return grid
    }

    /// Redraws only the regions in `redraw` into the previous frame `grid` (all of it when the
    /// size changed or an overlay is involved).
    package static func render(_ controller: ReviewController, into grid: inout ScreenGrid, redraw: Redraw) {
        let state = controller.state
        let layout = controller.layout
        var regions = redraw
        if grid.rows != state.screenRows || grid.columns != state.screenColumns {
            grid = ScreenGrid(rows: state.screenRows, columns: state.screenColumns)
            regions = .all
        }
        if layout.isTooSmall {
            grid = ScreenGrid(rows: state.screenRows, columns: state.screenColumns)
            drawTooSmall(state, into: &grid)
            return
        }
        if state.panel != nil || regions.contains(.overlay) { regions = .all }
        if state.contactSheet {
            grid = ScreenGrid(rows: state.screenRows, columns: state.screenColumns)
            drawContactSheet(controller, into: &grid)
            grid.cursor = nil
            drawStatus(state, layout, into: &grid)
            if let panel = state.panel { drawPanel(panel, state, into: &grid) }
            return
        }
        if state.inspecting {
            // One face alone: every change redraws it (its picture is cached; a frame is cheap).
            grid = ScreenGrid(rows: state.screenRows, columns: state.screenColumns)
            drawInspect(controller, into: &grid)
            grid.cursor = nil
            drawStatus(state, layout, into: &grid)
            if let panel = state.panel { drawPanel(panel, state, into: &grid) }
            return
        }
        if regions.isSuperset(of: .all) {
            grid = ScreenGrid(rows: state.screenRows, columns: state.screenColumns)
            drawFrame(state, layout, into: &grid)
        }
        if regions.contains(.queue) { drawQueue(state, layout, into: &grid) }
        if regions.contains(.face) { drawFace(controller, layout, into: &grid) }
        if regions.contains(.detail) { drawDetail(state, box: layout.detail, into: &grid) }
        if regions.contains(.neighbours) { drawNeighbours(controller, layout, into: &grid) }
        grid.cursor = nil
        if regions.contains(.status) {
            drawStatus(state, layout, into: &grid)
        } else if let editor = state.editor, let purpose = state.editPurpose {
            grid.cursor = editorCursor(editor, purpose: purpose, layout: layout)
        }
        if let panel = state.panel { drawPanel(panel, state, into: &grid) }
    }

    // MARK: frame

    private static func drawFrame(_ state: ReviewState, _ layout: ScreenLayout, into grid: inout ScreenGrid) {
        let separator = layout.queueSeparator
        for row in separator.row..<separator.bottom {
            grid.put(state.glyphs.verticalLine, row: row, column: separator.column, style: dimStyle)
        }
        let line = layout.neighboursSeparator
        grid.put(
            String(repeating: state.glyphs.horizontalLine, count: line.columns), row: line.row,
            column: line.column, maxWidth: line.columns, style: dimStyle)
    }

    private static func drawTooSmall(_ state: ReviewState, into grid: inout ScreenGrid) {
        let lines = [
            "terminal too small: \(state.screenColumns)x\(state.screenRows)",
            "labelaudit needs at least \(ScreenLayout.minimumColumns)x\(ScreenLayout.minimumRows)",
            "enlarge the window, or press q to quit",
        ]
        let top = max(0, (state.screenRows - lines.count) / 2)
        for (offset, line) in lines.enumerated() {
            let text = TerminalText.truncated(line, toWidth: state.screenColumns, ellipsis: state.glyphs.ellipsis)
            let column = max(0, (state.screenColumns - TerminalText.width(of: text)) / 2)
            grid.put(text, row: top + offset, column: column, style: offset == 0 ? boldStyle : .plain)
        }
    }

    // MARK: queue

    static func queueColumns(width: Int) -> Int { max(4, width - 18) }

    private static func drawQueue(_ state: ReviewState, _ layout: ScreenLayout, into grid: inout ScreenGrid) {
        let header = layout.queueHeader
        grid.fill(header)
        grid.fill(layout.queueList)
        let idWidth = queueColumns(width: header.columns)
        // L label, p the shown run's probability of glasses, score the suspicion, v the team's
        // verdict (≠ reviewers disagree), f flagged; `?` explains each.
        let title = " " + TerminalText.padded("id", toWidth: idWidth) + " L    p score v f"
        grid.put(
            TerminalText.padded(title, toWidth: header.columns), row: header.row, column: header.column,
            maxWidth: header.columns, style: headerStyle)
        let list = layout.queueList
        guard !state.rows.isEmpty else {
            let lines = ["queue is empty", "(filter \(state.filter.name))", ":filter ranked returns"]
            for (offset, line) in lines.enumerated() where offset < list.rows {
                grid.put(" " + line, row: list.row + offset, column: list.column, maxWidth: list.columns, style: dimStyle)
            }
            return
        }
        for offset in 0..<list.rows {
            let index = state.scrollTop + offset
            guard state.rows.indices.contains(index) else { break }
            let row = state.rows[index]
            let label = row.label.map(String.init) ?? "-"
            let text =
                " " + TerminalText.padded(row.id, toWidth: idWidth, ellipsis: state.glyphs.ellipsis)
                + " " + label + " " + formatProbability(row.probability) + " " + formatScore(row.score)
                + " " + state.glyphs.mark(for: row.team) + " " + (row.flagged ? state.glyphs.flag : " ")
            var style = CellStyle.plain
            if index == state.cursor {
                style.attributes = state.pane == .queue && state.openedID == nil ? [.reverse, .bold] : [.reverse]
            }
            grid.put(
                TerminalText.padded(text, toWidth: list.columns), row: list.row + offset, column: list.column,
                maxWidth: list.columns, style: style)
        }
    }

    static func formatProbability(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "   -" }
        return fixed(min(1, max(0, value)), decimals: 2, width: 4)
    }

    static func formatScore(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "    -" }
        if abs(value) < 100 { return fixed(value, decimals: 2, width: 5) }
        if abs(value) < 100_000 { return fixed(value, decimals: 0, width: 5) }
        return String(format: "%5.0e", value)
    }

    static func formatDistance(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        if value < 10 { return fixed(value, decimals: 2, width: 0) }
        if value < 100 { return fixed(value, decimals: 1, width: 0) }
        return fixed(value, decimals: 0, width: 0)
    }

    /// What `String(format: "%<width>.<decimals>f", value)` gives, without Foundation's
    /// formatter: a frame formats a few hundred numbers, and `String(format:)` was a tenth of
    /// the frame's model time. Values that sit on a rounding tie after scaling (where printf's
    /// exact decimal expansion decides) and huge ones still go through `String(format:)`.
    static func fixed(_ value: Double, decimals: Int, width: Int) -> String {
        let scale = [1.0, 10, 100, 1000][min(max(decimals, 0), 3)]
        let scaled = abs(value) * scale
        let fraction = scaled - scaled.rounded(.down)
        guard decimals >= 0, decimals <= 3, scaled.isFinite, scaled < 1e15, abs(fraction - 0.5) > 1e-6 else {
            return String(format: "%\(width).\(decimals)f", value)
        }
        var digits = Array(String(Int64(scaled.rounded())).utf8)
        if decimals > 0 {
            if digits.count <= decimals {
                digits.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimals + 1 - digits.count), at: 0)
            }
            digits.insert(UInt8(ascii: "."), at: digits.count - decimals)
        }
        if value.sign == .minus { digits.insert(UInt8(ascii: "-"), at: 0) }
        if digits.count < width {
            digits.insert(contentsOf: repeatElement(UInt8(ascii: " "), count: width - digits.count), at: 0)
        }
        return String(decoding: digits, as: UTF8.self)
    }

    // MARK: face

    private static func drawFace(_ controller: ReviewController, _ layout: ScreenLayout, into grid: inout ScreenGrid) {
        let box = layout.face
        grid.fill(box)
        grid.pixelSlots.removeAll()
        guard !box.isEmpty, let id = controller.state.focusID else { return }
        guard controller.state.zoomed else {
            drawPicture(controller, id: id, in: box, zoomed: false, slot: .face, into: &grid)
            return
        }
        // Zoomed: the eye band across the pane's width, the whole face below it.
        let split = ScreenLayout.zoomSplit(box)
        drawPicture(controller, id: id, in: split.band, zoomed: true, align: .top, slot: .band, into: &grid)
        if let below = split.face { drawPicture(controller, id: id, in: below, zoomed: false, slot: .face, into: &grid) }
    }

    enum PictureAlignment { case centre, top }

    /// One face in a box (centred, or at the top), or a line saying there is no image. With a
    /// `slot` and a terminal that draws pixels (and no panel over it), the box is left blank
    /// and the picture goes into the grid's pixel slots, drawn after the cells.
    static func drawPicture(
        _ controller: ReviewController, id: String, in box: CellRect, zoomed: Bool,
        align: PictureAlignment = .centre, slot: PixelSlot.Slot? = nil, into grid: inout ScreenGrid
    ) {
        guard !box.isEmpty else { return }
        if let slot, controller.state.panel == nil,
            let drawing = controller.pixelDrawing(id: id, columns: box.columns, rows: box.rows, zoomed: zoomed, slot: slot),
            drawing.columns > 0, drawing.rows > 0
        {
            grid.fill(box)
            let top = align == .top ? box.row : box.row + (box.rows - drawing.rows) / 2
            let placed = CellRect(
                row: top, column: box.column + (box.columns - drawing.columns) / 2,
                rows: drawing.rows, columns: drawing.columns)
            let request = PictureRequest(
                id: id, shape: PictureShape(columns: box.columns, rows: box.rows, zoomed: zoomed),
                style: controller.state.pictureStyle)
            grid.pixelSlots.removeAll { $0.slot == slot }
            grid.pixelSlots.append(PixelSlot(slot: slot, request: request, box: placed))
            return
        }
        if let picture = controller.picture(id: id, columns: box.columns, rows: box.rows, zoomed: zoomed),
            picture.columns <= box.columns, picture.rows <= box.rows
        {
            let top = align == .top ? box.row : box.row + (box.rows - picture.rows) / 2
            grid.blit(picture, row: top, column: box.column + (box.columns - picture.columns) / 2)
        } else {
            let text = TerminalText.truncated(
                "no image for id \(TerminalText.sanitized(id))", toWidth: box.columns,
                ellipsis: controller.state.glyphs.ellipsis)
            grid.put(
                text, row: box.row + box.rows / 2,
                column: box.column + max(0, (box.columns - TerminalText.width(of: text)) / 2), style: dimStyle)
        }
    }

    // MARK: contact sheet

    /// The filter's faces as a grid: the page holding the cursor, the selected tile reversed.
    private static func drawContactSheet(_ controller: ReviewController, into grid: inout ScreenGrid) {
        let state = controller.state
        let sheet = ContactSheetLayout(rows: state.screenRows, columns: state.screenColumns)
        let perPage = max(1, sheet.perPage)
        let first = state.cursor / perPage * perPage
        let pages = max(1, (state.rows.count + perPage - 1) / perPage)
        let header =
            " contact sheet  page \(first / perPage + 1) of \(pages)  \(state.rows.count) \(state.filter.noun)"
            + "   arrows move  Enter open  Esc back"
        grid.put(
            TerminalText.padded(header, toWidth: state.screenColumns, ellipsis: state.glyphs.ellipsis), row: 0, column: 0,
            maxWidth: state.screenColumns, style: boldStyle)
        for (slot, tile) in sheet.tiles.enumerated() {
            let index = first + slot
            guard state.rows.indices.contains(index) else { break }
            let row = state.rows[index]
            drawPicture(controller, id: row.id, in: tile, zoomed: false, into: &grid)
            let caption = sheet.captions[slot]
            let text =
                TerminalText.sanitized(row.id) + " L" + (row.label.map(String.init) ?? "-") + " "
                + state.glyphs.mark(for: row.team) + (row.flagged ? state.glyphs.flag : "")
            let style = index == state.cursor ? CellStyle(attributes: [.reverse, .bold]) : CellStyle.plain
            grid.put(
                TerminalText.padded(text, toWidth: caption.columns, ellipsis: state.glyphs.ellipsis), row: caption.row,
                column: caption.column, maxWidth: caption.columns, style: style)
        }
        if state.rows.isEmpty {
            grid.put(
                " no faces in this filter (:filter ranked returns)", row: 2, column: 0, maxWidth: state.screenColumns,
                style: dimStyle)
        }
    }

    // MARK: inspect

    /// The inspect view: a header line, the eye band as wide as the terminal, the whole face
    /// and the facts below it.
    private static func drawInspect(_ controller: ReviewController, into grid: inout ScreenGrid) {
        let state = controller.state
        let inspect = InspectLayout(rows: state.screenRows, columns: state.screenColumns)
        guard let id = state.focusID else {
            grid.put(" no face selected  (i or Esc: back)", row: 0, column: 0, maxWidth: state.screenColumns, style: dimStyle)
            return
        }
        var header = " inspect  id \(TerminalText.sanitized(id))"
        if let detail = state.detail {
            header += "  label " + (detail.label.map(String.init) ?? "-")
            if let run = detail.runs.first {
                header += "  p " + formatProbability(run.probability).trimmingCharactersInSpaces() + " " + run.run
            }
            let verdicts = detail.verdicts.map { state.glyphs.mark(for: $0.verdict) + $0.reviewer }.joined(separator: " ")
            if !verdicts.isEmpty { header += "  " + verdicts }
            if detail.flagged { header += "  " + state.glyphs.flag }
        }
        header += "   (i or Esc: back)"
        grid.put(
            TerminalText.padded(header, toWidth: state.screenColumns, ellipsis: state.glyphs.ellipsis), row: 0, column: 0,
            maxWidth: state.screenColumns, style: boldStyle)
        drawPicture(controller, id: id, in: inspect.band, zoomed: true, align: .top, slot: .band, into: &grid)
        drawPicture(controller, id: id, in: inspect.face, zoomed: false, slot: .face, into: &grid)
        drawDetail(state, box: inspect.detail, into: &grid)
    }

    // MARK: detail

    private static func drawDetail(_ state: ReviewState, box: CellRect, into grid: inout ScreenGrid) {
        grid.fill(box)
        guard !box.isEmpty else { return }
        guard let detail = state.detail else {
            grid.put(" no face selected", row: box.row, column: box.column, maxWidth: box.columns, style: dimStyle)
            return
        }
        let keyWidth = 9
        let valueWidth = box.columns - keyWidth - 1
        guard valueWidth > 0 else { return }
        var lines: [(key: String, value: String, style: CellStyle)] = []
        func add(_ key: String, _ value: String, _ style: CellStyle = .plain, wrapping: Bool = false) {
            let room = box.rows - lines.count
            guard room > 0 else { return }
            let pieces = wrapping ? wrap(value, width: valueWidth, maxLines: room) : [value]
            for (index, piece) in pieces.enumerated() {
                lines.append(
                    (
                        index == 0 ? key : "",
                        TerminalText.truncated(
                            TerminalText.sanitized(piece), toWidth: valueWidth,
                            ellipsis: state.glyphs.ellipsis), style
                    ))
            }
        }
        add("id", detail.id + "  " + detail.split.rawValue + (state.zoomed ? "  zoom" : ""), boldStyle)
        if state.openedID != nil, let previous = state.history.last { add("from", previous + " (Bksp back)") }
        if let image = detail.imageName { add("image", image) }
        add("label", detail.label.map(String.init) ?? "none (test: view only)")
        if detail.runs.isEmpty { add("p", "no model run yet", dimStyle) }
        for (index, run) in detail.runs.enumerated() {
            add(index == 0 ? "p" : "", formatProbability(run.probability) + " " + run.run)
        }
        if !detail.reason.isEmpty { add("reason", detail.reason, wrapping: true) }
        if detail.verdicts.isEmpty { add("verdict", "none yet", dimStyle) }
        for (index, verdict) in detail.verdicts.enumerated() {
            add(
                index == 0 ? "verdict" : "",
                state.glyphs.mark(for: verdict.verdict) + " " + verdict.verdict.rawValue
                    + " " + verdict.reviewer, verdict.reviewer == state.reviewer ? boldStyle : .plain)
        }
        add("flag", detail.flagged ? state.glyphs.flag + " flagged for rerun" : "-")
        if !detail.tags.isEmpty { add("tags", detail.tags.joined(separator: ", "), wrapping: true) }
        if detail.note.isEmpty {
            add("note", "-  (e edits)", dimStyle)
        } else {
            add("note", detail.note, wrapping: true)
        }
        for other in detail.teamNotes {
            add("", TerminalText.sanitized(other.reviewer) + ": " + other.note, dimStyle, wrapping: true)
        }
        for (offset, line) in lines.enumerated() where offset < box.rows {
            let row = box.row + offset
            grid.put(" " + line.key, row: row, column: box.column, maxWidth: keyWidth, style: dimStyle)
            grid.put(line.value, row: row, column: box.column + keyWidth, maxWidth: valueWidth, style: line.style)
        }
    }

    /// Breaks text into lines of at most `width` columns, at spaces where possible (a word
    /// wider than a line is cut), and stops after `maxLines`. One pass over the characters it
    /// uses: a note of one unbroken megabyte costs what its visible lines cost.
    static func wrap(_ text: String, width: Int, maxLines: Int = .max) -> [String] {
        guard width > 0, maxLines > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        var word = ""
        var wordWidth = 0
        /// Puts the finished word on the line (or starts a new line); false when full.
        func place() -> Bool {
            defer {
                word = ""
                wordWidth = 0
            }
            if wordWidth == 0 && word.isEmpty { return true }
            if lineWidth == 0 {
                line = word
                lineWidth = wordWidth
            } else if lineWidth + 1 + wordWidth <= width {
                line += " " + word
                lineWidth += 1 + wordWidth
            } else {
                lines.append(line)
                if lines.count >= maxLines { return false }
                line = word
                lineWidth = wordWidth
            }
            return true
        }
        for character in text {
            let shown = TerminalText.displayable(character)
            if shown == " " {
                if !place() { return lines }
                continue
            }
            let characterWidth = TerminalText.width(of: shown)
            if wordWidth + characterWidth > width {
                // The word alone is wider than a line: what the line holds, then the word's head.
                if lineWidth > 0 {
                    lines.append(line)
                    line = ""
                    lineWidth = 0
                    if lines.count >= maxLines { return lines }
                }
                lines.append(word)
                word = ""
                wordWidth = 0
                if lines.count >= maxLines { return lines }
            }
            word.append(shown)
            wordWidth += characterWidth
        }
        if !place() { return lines }
        if lineWidth > 0, lines.count < maxLines { lines.append(line) }
        return lines
    }

    // MARK: neighbours

    private static func drawNeighbours(_ controller: ReviewController, _ layout: ScreenLayout, into grid: inout ScreenGrid) {
        let state = controller.state
        let header = layout.neighboursHeader
        let stripBottom = layout.statusBar.row
        grid.fill(CellRect(row: header.row, column: header.column, rows: stripBottom - header.row, columns: header.columns))
        let slots = layout.thumbnails.count
        let first = ReviewController.neighbourWindowStart(
            cursor: state.neighbourCursor, count: state.neighbours.count, slots: slots)
        var title = " neighbours in latent space"
        if state.neighbours.isEmpty {
            title += ": none"
        } else {
            let last = min(state.neighbours.count, first + slots)
            title += " \(first + 1)-\(last) of \(state.neighbours.count)"
            if first > 0 { title += " " + (state.glyphs.isUnicode ? "◀" : "<") }
            if last < state.neighbours.count { title += " " + (state.glyphs.isUnicode ? "▶" : ">") }
            if let label = state.detail?.label {
                title += "  " + state.glyphs.differs + " label differs from \(label)"
            }
            title += state.pane == .neighbours ? "  Left/Right move, Enter open" : "  Tab or Right to select"
        }
        grid.put(
            title, row: header.row, column: header.column, maxWidth: header.columns,
            style: state.pane == .neighbours ? boldStyle : dimStyle)
        let currentLabel = state.detail?.label
        for (slot, box) in layout.thumbnails.enumerated() {
            let index = first + slot
            guard state.neighbours.indices.contains(index) else { break }
            let neighbour = state.neighbours[index]
            drawPicture(controller, id: neighbour.id, in: box, zoomed: false, into: &grid)
            let caption = layout.captions[slot]
            let differs = currentLabel != nil && neighbour.label != nil && neighbour.label != currentLabel
            let selected = state.pane == .neighbours && index == state.neighbourCursor
            var style = selected ? CellStyle(attributes: [.reverse, .bold]) : CellStyle.plain
            let mark = differs ? state.glyphs.differs : " "
            let labelText = neighbour.label.map { "L\($0)" } ?? "L-"
            let firstLine = TerminalText.padded(
                mark + TerminalText.sanitized(neighbour.id) + " " + labelText + " "
                    + formatProbability(neighbour.probability).trimmingCharactersInSpaces(), toWidth: caption.columns,
                ellipsis: state.glyphs.ellipsis)
            // The team's verdict on the neighbour, then how unusual its closeness is.
            var second =
                state.glyphs.mark(for: neighbour.team) + " "
                + Closeness.short(share: neighbour.closerShare, pairsMeasured: neighbour.pairsMeasured)
            let distance = " d" + formatDistance(neighbour.distance)
            if TerminalText.width(of: second + distance) <= caption.columns { second += distance }
            if differs, !selected { style = differsStyle }
            grid.put(firstLine, row: caption.row, column: caption.column, maxWidth: caption.columns, style: style)
            grid.put(
                TerminalText.padded(second, toWidth: caption.columns, ellipsis: state.glyphs.ellipsis),
                row: caption.row + 1, column: caption.column, maxWidth: caption.columns, style: selected ? style : .plain)
        }
    }

    // MARK: status

    private static func drawStatus(_ state: ReviewState, _ layout: ScreenLayout, into grid: inout ScreenGrid) {
        let bar = layout.statusBar
        grid.fill(bar, style: statusStyle)
        let position = state.rows.isEmpty ? "0/0" : "\(state.cursor + 1)/\(state.rows.count)"
        var text = " \(position) \(state.filter.noun)"
        for (job, progress) in state.jobs.sorted(by: { ReviewController.name(of: $0.key) < ReviewController.name(of: $1.key) }) {
            text += "  [\(ReviewController.name(of: job)) \(Int((progress.fraction * 100).rounded()))% \(progress.text)]"
        }
        if !state.jobs.isEmpty { text += " ^X cancels" }
        text += "  sort \(state.sort.rawValue)"
        if let size = state.sampleSize { text += "  sample \(size)" }
        if let run = state.activeRun {
            text += "  ranked by \(TerminalText.sanitized(run))"
        } else if let run = state.shownRun {
            text += "  p: \(TerminalText.sanitized(run))"
        }
        text += "  reviewer \(state.reviewer)  \(state.colorModeName)"
        if state.zoomed { text += "  zoom" }
        grid.put(text, row: bar.row, column: bar.column, maxWidth: bar.columns, style: statusStyle)

        let line = layout.bottomLine
        grid.fill(line)
        if let editor = state.editor, let purpose = state.editPurpose {
            let prompt = purpose.prompt
            let fieldWidth = line.columns - TerminalText.width(of: prompt) - 1
            let slice = editor.visibleSlice(width: fieldWidth)
            grid.put(prompt, row: line.row, column: line.column, style: boldStyle)
            grid.put(slice.text, row: line.row, column: line.column + TerminalText.width(of: prompt), maxWidth: fieldWidth)
            grid.cursor = editorCursor(editor, purpose: purpose, layout: layout)
        } else if let message = state.message {
            grid.put(
                " " + message.text, row: line.row, column: line.column, maxWidth: line.columns,
                style: message.isError ? errorStyle : .plain)
        } else {
            grid.put(" " + hints, row: line.row, column: line.column, maxWidth: line.columns, style: dimStyle)
        }
    }

    private static func editorCursor(_ editor: LineEditor, purpose: EditPurpose, layout: ScreenLayout) -> CellPoint {
        let prompt = purpose.prompt
        let fieldWidth = layout.bottomLine.columns - TerminalText.width(of: prompt) - 1
        let slice = editor.visibleSlice(width: fieldWidth)
        return CellPoint(row: layout.bottomLine.row, column: TerminalText.width(of: prompt) + slice.cursorColumn)
    }

    /// The key hints, built from the keymap so they cannot disagree with it.
    static let hints: String = {
        let shown: [(ReviewAction, String)] = [
            (.moveDown, "move"), (.switchPane, "pane"), (.openNeighbour, "open"), (.back, "back"),
            (.verdict(.labelOK), "ok"), (.verdict(.labelWrong), "wrong"), (.verdict(.unsure), "unsure"),
            (.verdict(.badImage), "bad"), (.toggleFlag, "flag"), (.editNote, "note"), (.undo, "undo"),
            (.toggleZoom, "zoom"), (.help, "help"), (.quit, "quit"),
        ]
        return shown.compactMap { action, word in
            Keymap.binding(for: action).map { ($0.keys.first.map(keyName) ?? $0.label) + " " + word }
        }.joined(separator: "  ")
    }()

    static func keyName(_ key: Key) -> String {
        switch key {
        case .character(let character): return String(character)
        case .control(let character): return "^" + String(character).uppercased()
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .function(let number): return "F\(number)"
        case .meta(let character): return "M-" + String(character)
        case .paste: return "paste"
        case .mouse: return "mouse"
        case .resize: return "resize"
        case .reply: return "reply"
        }
    }

    // MARK: panel

    /// A modal panel in the middle of the screen: its lines (sanitised), in as many columns as
    /// fit when it is the help, scrolled to keep the selected line in view, and a footer with
    /// the keys that work in it.
    private static func drawPanel(_ panel: InfoPanel, _ state: ReviewState, into grid: inout ScreenGrid) {
        let lines = panel.lines.map { TerminalText.sanitized($0) }
        let visibleRows = max(1, min(lines.count, state.screenRows - 6))
        let widest = lines.map { TerminalText.width(of: $0) }.max() ?? 0
        let columnWidth = widest + 3
        var textColumns = 1
        if panel.isHelp, lines.count > visibleRows {
            textColumns = max(
                1, min((lines.count + visibleRows - 1) / visibleRows, (state.screenColumns - 4) / max(1, columnWidth)))
        }
        let perColumn = (lines.count + textColumns - 1) / textColumns
        let shownRows = min(perColumn, visibleRows)
        let titleWidth = TerminalText.width(of: panel.title) + 6
        let boxWidth = min(state.screenColumns - 2, max(44, titleWidth, textColumns * columnWidth + 2))
        let box = CellRect(
            row: max(0, (state.screenRows - shownRows - 4) / 2), column: max(0, (state.screenColumns - boxWidth) / 2),
            rows: shownRows + 4, columns: boxWidth)
        grid.fill(box, style: CellStyle(attributes: [.reverse]))
        grid.fill(CellRect(row: box.row + 1, column: box.column + 1, rows: box.rows - 2, columns: box.columns - 2))
        grid.put(
            " " + TerminalText.sanitized(panel.title) + " ", row: box.row, column: box.column + 2,
            maxWidth: box.columns - 4, style: CellStyle(attributes: [.reverse, .bold]))
        // One column scrolls: with a cursor it keeps the cursor in view, without one `selected`
        // is the first line shown.
        let scrollable = textColumns == 1 && lines.count > shownRows
        var top = 0
        if scrollable {
            top = panel.isSelectable ? max(0, panel.selected - shownRows / 2) : panel.selected
            top = min(top, lines.count - shownRows)
        }
        let cellWidth = textColumns == 1 ? box.columns - 4 : columnWidth - 1
        for slot in 0..<shownRows * textColumns {
            let index = textColumns == 1 ? top + slot : slot
            guard lines.indices.contains(index) else { continue }
            let column = box.column + 2 + (textColumns == 1 ? 0 : (index / perColumn) * columnWidth)
            let row = box.row + 2 + (textColumns == 1 ? slot : index % perColumn)
            let selected = panel.isSelectable && index == panel.selected
            grid.put(
                TerminalText.padded(lines[index], toWidth: cellWidth, ellipsis: state.glyphs.ellipsis), row: row,
                column: column, maxWidth: cellWidth, style: selected ? CellStyle(attributes: [.reverse, .bold]) : .plain)
        }
        var footer = panel.isSelectable ? "Esc close  j/k move  Enter open" : "Esc close"
        if scrollable {
            if !panel.isSelectable { footer += "  j/k scroll" }
            footer += "  lines \(top + 1)-\(top + shownRows) of \(lines.count)"
        }
        grid.put(
            " " + footer + " ", row: box.row + box.rows - 1, column: box.column + 2, maxWidth: box.columns - 4,
            style: CellStyle(attributes: [.reverse]))
    }
}
