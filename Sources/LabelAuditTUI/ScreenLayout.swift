import LabelAuditImaging

/// Where each pane goes for a given terminal size. Pure; recomputed on every resize.
///
/// The face gets all the height the top area has and as much width as leaves the detail
/// panel readable (a cell is about twice as tall as wide, so a square face is 2 columns per
/// row). The neighbours strip shows as many thumbnails as fit, up to the requested k.
package struct ScreenLayout: Hashable, Sendable {
    package static let minimumRows = 20
    package static let minimumColumns = 60
    static let detailMinimumColumns = 30
    static let captionRows = 2

    package let rows: Int
    package let columns: Int
    package let isTooSmall: Bool
    /// The queue's header line.
    package let queueHeader: CellRect
    /// The queue's rows.
    package let queueList: CellRect
    /// The vertical line right of the queue.
    package let queueSeparator: CellRect
    package let face: CellRect
    package let detail: CellRect
    /// The horizontal line above the neighbours strip.
    package let neighboursSeparator: CellRect
    package let neighboursHeader: CellRect
    /// One picture box per thumbnail slot.
    package let thumbnails: [CellRect]
    /// The caption under each thumbnail (same index).
    package let captions: [CellRect]
    package let statusBar: CellRect
    package let bottomLine: CellRect

    package init(rows: Int, columns: Int, neighbourCount: Int) {
        self.rows = rows
        self.columns = columns
        isTooSmall = rows < Self.minimumRows || columns < Self.minimumColumns
        statusBar = CellRect(row: rows - 2, column: 0, rows: 1, columns: columns)
        bottomLine = CellRect(row: rows - 1, column: 0, rows: 1, columns: columns)
        let bodyRows = rows - 2
        let queueWidth = min(40, max(26, columns / 4))
        queueHeader = CellRect(row: 0, column: 0, rows: 1, columns: queueWidth)
        queueList = CellRect(row: 1, column: 0, rows: bodyRows - 1, columns: queueWidth)
        queueSeparator = CellRect(row: 0, column: queueWidth, rows: bodyRows, columns: 1)

        let rightColumn = queueWidth + 1
        let rightWidth = columns - rightColumn
        let thumbRows = bodyRows >= 50 ? 10 : (bodyRows >= 34 ? 8 : 5)
        let thumbColumns = thumbRows * 2
        let slotWidth = max(thumbColumns, 14) + 1
        let slots = max(0, min(neighbourCount, (rightWidth + 1) / slotWidth))
        let stripRows = 1 + thumbRows + Self.captionRows
        let stripTop = bodyRows - stripRows
        neighboursSeparator = CellRect(row: stripTop - 1, column: rightColumn, rows: 1, columns: rightWidth)
        neighboursHeader = CellRect(row: stripTop, column: rightColumn, rows: 1, columns: rightWidth)
        var thumbnails: [CellRect] = []
        var captions: [CellRect] = []
        for slot in 0..<slots {
            let column = rightColumn + slot * slotWidth
            let pictureColumn = column + (slotWidth - 1 - thumbColumns) / 2
            thumbnails.append(CellRect(row: stripTop + 1, column: pictureColumn, rows: thumbRows, columns: thumbColumns))
            captions.append(
                CellRect(
                    row: stripTop + 1 + thumbRows, column: column, rows: Self.captionRows,
                    columns: slotWidth - 1))
        }
        self.thumbnails = thumbnails
        self.captions = captions

        let topRows = max(0, stripTop - 1)
        let faceColumns = max(0, min(topRows * 2, rightWidth - Self.detailMinimumColumns - 1))
        face = CellRect(row: 0, column: rightColumn, rows: topRows, columns: faceColumns)
        let detailColumn = rightColumn + faceColumns + 1
        detail = CellRect(row: 0, column: detailColumn, rows: topRows, columns: columns - detailColumn)
    }
}

extension ScreenLayout {
    /// Rows the eye band takes when drawn `columns` wide (square faces, 1:2 cells), as the
    /// renderer fits it; at least 1.
    static func eyeBandRows(columns: Int) -> Int {
        let band = EyeBand.standard
        let aspect = (band.x1 - band.x0) / (band.y1 - band.y0)
        return max(1, Int((Double(columns) / 2 / aspect).rounded(.down)))
    }

    /// The zoomed face pane: the eye band across the pane's whole width at the top, and the
    /// whole face below it when at least 5 rows are left (so the pane is never mostly black).
    static func zoomSplit(_ face: CellRect) -> (band: CellRect, face: CellRect?) {
        let bandRows = min(face.rows, eyeBandRows(columns: face.columns))
        let band = CellRect(row: face.row, column: face.column, rows: bandRows, columns: face.columns)
        let left = face.rows - bandRows - 1
        guard left >= 5 else { return (band, nil) }
        let below = CellRect(row: face.row + bandRows + 1, column: face.column, rows: left, columns: face.columns)
        return (band, below)
    }
}

/// The inspect view (`i`): one face alone on the whole terminal but the status lines. The eye
/// band spans the terminal's width (where faint frames are seen); the whole face and the
/// facts sit below it. Pure; recomputed on every resize.
package struct InspectLayout: Hashable, Sendable {
    /// One line: id, label, p, verdicts at a glance.
    package let header: CellRect
    package let band: CellRect
    package let face: CellRect
    package let detail: CellRect

    package init(rows: Int, columns: Int) {
        let body = max(0, rows - 2)
        header = CellRect(row: 0, column: 0, rows: 1, columns: columns)
        // One column of margin each side; the band's height follows its width, unless the
        // terminal is too short, when the band keeps 6 rows below it for the face.
        let bandColumns = max(0, columns - 2)
        let wanted = ScreenLayout.eyeBandRows(columns: bandColumns)
        let bandRows = max(0, min(wanted, body - 1 - 6))
        band = CellRect(row: 1, column: 1, rows: bandRows, columns: bandColumns)
        let lowerTop = 1 + bandRows + 1
        let lowerRows = max(0, body - lowerTop)
        let faceColumns = min(lowerRows * 2, max(0, columns / 2 - 1))
        face = CellRect(row: lowerTop, column: 1, rows: lowerRows, columns: faceColumns)
        let detailColumn = faceColumns + 3
        detail = CellRect(row: lowerTop, column: detailColumn, rows: lowerRows, columns: max(0, columns - detailColumn))
    }
}

/// The contact sheet (`c`): the current filter's faces as a grid of thumbnails with a caption
/// each (id, label, team verdict, flag), a header line and the status lines. Pure.
package struct ContactSheetLayout: Hashable, Sendable {
    package let header: CellRect
    /// Picture boxes, row by row.
    package let tiles: [CellRect]
    /// One caption line under each tile (same index).
    package let captions: [CellRect]
    package let columnsOfTiles: Int
    package let rowsOfTiles: Int

    package init(rows: Int, columns: Int) {
        header = CellRect(row: 0, column: 0, rows: 1, columns: columns)
        let body = max(0, rows - 3)
        let pictureRows = body >= 50 ? 8 : (body >= 30 ? 6 : 5)
        let pictureColumns = pictureRows * 2
        let tileWidth = max(pictureColumns, 12) + 1
        let tileHeight = pictureRows + 1
        columnsOfTiles = max(1, columns / tileWidth)
        rowsOfTiles = max(1, body / tileHeight)
        var tiles: [CellRect] = []
        var captions: [CellRect] = []
        let left = max(0, (columns - columnsOfTiles * tileWidth) / 2)
        for row in 0..<rowsOfTiles {
            for column in 0..<columnsOfTiles {
                let x = left + column * tileWidth
                let y = 1 + row * tileHeight
                tiles.append(
                    CellRect(
                        row: y, column: x + (tileWidth - 1 - pictureColumns) / 2, rows: pictureRows,
                        columns: pictureColumns))
                captions.append(CellRect(row: y + pictureRows, column: x, rows: 1, columns: tileWidth - 1))
            }
        }
        self.tiles = tiles
        self.captions = captions
    }

    /// Faces per page.
    package var perPage: Int { tiles.count }
}
