import Foundation
import LabelAuditCore
import LabelAuditEngine
import LabelAuditStore
import TestSupport
import Testing

@testable import LabelAuditTUI

@Suite struct KeymapTests {
    @Test func noKeyIsBoundTwiceAndEveryBindingIsExplained() {
        // One keymap table: a key listed under two actions would run only the first of them.
        var seen: [Key: ReviewAction] = [:]
        for binding in Keymap.bindings {
            for key in binding.keys {
                #expect(seen[key] == nil, "\(key) is bound to \(String(describing: seen[key])) and \(binding.action)")
                seen[key] = binding.action
            }
            #expect(!binding.help.isEmpty, "\(binding.action) has no help line")
        }
    }

    @Test func theKeysTheIssueNamesAreBound() {
        let expected: [(Key, ReviewAction)] = [
            (.character("j"), .moveDown), (.down, .moveDown), (.character("k"), .moveUp), (.up, .moveUp),
            (.pageDown, .pageDown), (.pageUp, .pageUp), (.character("g"), .first), (.character("G"), .last),
            (.tab, .switchPane), (.enter, .openNeighbour), (.backspace, .back), (.character("z"), .toggleZoom),
            (.character("1"), .verdict(.labelOK)), (.character("2"), .verdict(.labelWrong)),
            (.character("3"), .verdict(.unsure)), (.character("4"), .verdict(.badImage)),
            (.character("f"), .toggleFlag), (.character("e"), .editNote), (.character("t"), .editTags),
            (.character("u"), .undo), (.character("x"), .export), (.character("R"), .rerun),
            (.character("/"), .find), (.character(":"), .command), (.character("?"), .help), (.character("q"), .quit),
        ]
        for (key, action) in expected { #expect(Keymap.action(for: key) == action, "\(key)") }
        #expect(Keymap.action(for: .character("Q")) == nil)
    }

    @Test func helpOverlayListsEveryBinding() {
        let controller = makeController(rows: 60, columns: 200)
        #expect(controller.handle(.character("?")) == .overlay)
        let screen = ReviewScreen.render(controller).text
        for binding in Keymap.bindings { #expect(screen.contains(binding.help), "\(binding.help)") }
        for command in CommandTable.entries { #expect(screen.contains(command.usage), "\(command.usage)") }
        // Help owns the keys: verdict and navigation keys do nothing while it is open.
        for key: Key in [.character("2"), .character("f"), .character("x"), .character("e")] {
            _ = controller.handle(key)
        }
        #expect(controller.state.showsHelp)
        #expect(controller.state.editor == nil && controller.state.jobs.isEmpty)
        #expect(try! controller.backend.detail(for: controller.state.focusID!).verdicts.allSatisfy { $0.reviewer != "ana" })
        #expect(controller.handle(.escape) == .all)
        #expect(!controller.state.showsHelp)
        #expect(controller.state.cursor == 0)  // the key that closes help does nothing else
    }
}

@Suite(.serialized) struct ControllerTests {
    @Test func movingDownTheQueueChangesTheFocusAndSaysWhatToRedraw() {
        let controller = makeController()
        let rows = controller.state.rows.map(\.id)
        #expect(rows.first == DemoFixture.shared.queue.first)
        #expect(controller.handle(.character("j")) == [.queue, .face, .detail, .neighbours, .status])
        #expect(controller.state.focusID == rows[1])
        #expect(controller.handle(.character("k")) == [.queue, .face, .detail, .neighbours, .status])
        #expect(controller.handle(.character("k")) == [])  // already at the top
        #expect(controller.handle(.character("G")) != [])
        #expect(controller.state.cursor == controller.state.rows.count - 1)
        _ = controller.handle(.character("g"))
        #expect(controller.state.cursor == 0)
    }

    @Test func walkTheStripWithArrowsOpenANeighbourAndComeBack() throws {
        let controller = makeController()
        let first = controller.state.rows[0].id
        #expect(controller.handle(.enter) == .status)
        #expect(controller.state.message?.text == "Enter opens a neighbour: Tab to the neighbours strip first")
        // Right enters the strip, Right moves, Left moves back, Left at the first returns.
        #expect(controller.handle(.right) == [.queue, .neighbours, .status])
        #expect(controller.state.pane == .neighbours && controller.state.neighbourCursor == 0)
        let count = controller.state.neighbours.count
        for _ in 0..<count + 2 { _ = controller.handle(.right) }
        #expect(controller.state.neighbourCursor == count - 1, "the last neighbour, no further")
        // The selection is always in the strip's window.
        let slots = controller.layout.thumbnails.count
        let start = ReviewController.neighbourWindowStart(cursor: controller.state.neighbourCursor, count: count, slots: slots)
        #expect(start <= count - 1 && count - 1 < start + slots)
        let last = controller.state.neighbours[count - 1].id
        _ = controller.handle(.enter)
        #expect(controller.state.focusID == last)
        #expect(controller.state.history == [first])
        let further = controller.state.neighbours[0].id
        _ = controller.handle(.enter)
        #expect(controller.state.focusID == further)
        _ = controller.handle(.backspace)
        #expect(controller.state.focusID == last)
        _ = controller.handle(.backspace)
        #expect(controller.state.focusID == first)
        #expect(controller.state.openedID == nil)
        #expect(controller.handle(.backspace) == .status)
        #expect(controller.state.message?.text == "nothing to go back to")
        _ = controller.handle(.left)
        #expect(controller.state.pane == .queue)
    }

    @Test func verdictsAdvanceAndUndoRedoPutThingsBack() throws {
        let session = try DemoSession()
        let controller = session.controller()
        let rows = controller.state.rows.map(\.id)
        _ = controller.handle(.character("2"))
        #expect(try session.store.state(item: rows[0], reviewer: "ana")?.verdict == .labelWrong)
        #expect(controller.state.rows[0].verdict == .labelWrong)
        #expect(controller.state.rows[0].team == .labelWrong, "colleague unsure abstains; ana decides")
        #expect(controller.state.focusID == rows[1], "auto-advance")
        #expect(controller.state.message?.text == "id \(rows[0]): label_wrong (saved); next face")
        _ = controller.handle(.character("k"))
        #expect(controller.state.detail?.verdicts.map(\.reviewer).sorted() == ["ana", "colleague"])
        _ = controller.handle(.character("f"))
        #expect(controller.state.rows[0].flagged)
        _ = controller.handle(.character("e"))
        #expect(controller.state.editPurpose == .note)
        controller.type("faint frames, 眼鏡")
        #expect(controller.state.editor == nil)
        #expect(controller.state.detail?.note == "faint frames, 眼鏡")
        _ = controller.handle(.character("t"))
        controller.type("faint, zoom needed")
        #expect(controller.state.detail?.tags == ["faint", "zoom needed"])
        // Everything is in the store already: a fresh controller sees it.
        let again = ReviewController(backend: controller.backend, rows: 40, columns: 120, colorModeName: "truecolor")
        again.reloadQueue()
        #expect(again.state.detail?.note == "faint frames, 眼鏡")
        // Undo takes back the tags; redo puts them back; a new change clears the redo.
        _ = controller.handle(.character("u"))
        #expect(controller.state.message?.text == "undone: last change to id \(rows[0]) (U redoes)")
        #expect(controller.state.detail?.tags == [])
        _ = controller.handle(.character("U"))
        #expect(controller.state.detail?.tags == ["faint", "zoom needed"])
        #expect(try session.store.state(item: rows[0], reviewer: "ana")?.tags == ["faint", "zoom needed"])
        _ = controller.handle(.character("u"))
        _ = controller.handle(.character("u"))
        #expect(controller.state.detail?.note == "")
        _ = controller.handle(.character("u"))
        #expect(controller.state.rows.first { $0.id == rows[0] }?.flagged == false)
        _ = controller.handle(.character("U"))
        #expect(try session.store.state(item: rows[0], reviewer: "ana")?.flagged == true)
        _ = controller.handle(.control("r"))
        #expect(try session.store.state(item: rows[0], reviewer: "ana")?.note == "faint frames, 眼鏡")
        _ = controller.handle(.character("3"))
        _ = controller.handle(.character("U"))
        #expect(controller.state.message?.text == "nothing to redo: redo follows an undo (u)")
        // With auto-advance off a verdict stays on its face.
        _ = controller.runCommand("set advance off")
        let here = controller.state.focusID
        _ = controller.handle(.character("1"))
        #expect(controller.state.focusID == here)
    }

    @Test func nextWithoutAnyVerdictAndWithoutMine() throws {
        let session = try DemoSession()
        let controller = session.controller()
        let rows = controller.state.rows
        // The first face has the colleague's verdict: n skips it, N does not.
        try session.elsewhere().record(verdict: .labelOK, item: rows[2].id, reviewer: "colleague")
        #expect(controller.refreshFromElsewhere() == .all)
        _ = controller.handle(.character("g"))
        _ = controller.handle(.character("n"))
        #expect(controller.state.focusID == rows[1].id)
        _ = controller.handle(.character("n"))
        #expect(controller.state.focusID == rows[3].id, "row 2 has a colleague's verdict")
        _ = controller.handle(.character("g"))
        _ = controller.runCommand("set advance off")
        _ = controller.handle(.character("1"))
        _ = controller.handle(.character("N"))
        #expect(controller.state.focusID == rows[1].id)
    }

    @Test func findsIdsNotesAndTagsAndStepsThroughTheMatches() throws {
        let session = try DemoSession()
        let controller = session.controller()
        let rows = controller.state.rows.map(\.id)
        let other = try session.elsewhere()
        try other.setNote("faint wire frames", item: rows[3], reviewer: "colleague")
        try other.setTags(["FAINT"], item: rows[7], reviewer: "ana")
        #expect(controller.refreshFromElsewhere() == .all)
        _ = controller.handle(.character("/"))
        controller.type("faint")
        #expect(controller.state.focusID == rows[3])
        #expect(controller.state.message?.text.hasPrefix("match 1 of 2 for 'faint'") == true)
        _ = controller.handle(.character("]"))
        #expect(controller.state.focusID == rows[7])
        _ = controller.handle(.character("]"))
        #expect(controller.state.focusID == rows[3], "wraps")
        _ = controller.handle(.character("["))
        #expect(controller.state.focusID == rows[7])
        // An id outside the queue opens on its own; Backspace returns.
        let outside = try #require(DemoFixture.shared.dataset.ids.first { !rows.contains($0) })
        _ = controller.handle(.character("/"))
        controller.type(outside)
        #expect(controller.state.focusID == outside && controller.state.openedID == outside)
        _ = controller.handle(.character("/"))
        controller.type("no such text anywhere")
        #expect(controller.state.message == StatusMessage("no id, note or tag holds 'no such text anywhere'", isError: true))
    }

    @Test func escapeCancelsTheNoteWithoutSaving() throws {
        let session = try DemoSession()
        let controller = session.controller()
        _ = controller.handle(.character("e"))
        _ = controller.handle(.paste("draft"))
        _ = controller.handle(.escape)
        #expect(controller.state.editor == nil)
        #expect(controller.state.detail?.note == "")
        #expect(try session.store.state(item: session.first, reviewer: "ana") == nil)
    }

    @Test func testFacesAreViewOnly() throws {
        let session = try DemoSession()
        let controller = session.controller()
        _ = controller.handle(.character(":"))
        controller.type("filter test")
        #expect(controller.state.rows.count == 60)
        #expect(controller.state.rows.allSatisfy { $0.split == .test })
        #expect(controller.handle(.character("1")) == .status)
        let id = controller.state.rows[0].id
        #expect(
            controller.state.message
                == StatusMessage(
                    "id \(id) is a test face: test faces are view only, never labelled by a person", isError: true))
        _ = controller.handle(.character("e"))
        #expect(controller.state.editor == nil)
        #expect(try session.store.eventCount() == 1, "only the colleague's verdict")
    }

    @Test func commandLineAndTeamFilters() throws {
        let session = try DemoSession()
        let controller = session.controller()
        _ = controller.runCommand("filter train")
        #expect(controller.state.rows.count == 540)
        _ = controller.runCommand("sort id")
        #expect(controller.state.rows.prefix(3).map(\.id) == ["1", "2", "3"])
        _ = controller.runCommand("goto 30")
        #expect(controller.state.focusID == "30")
        #expect(controller.state.message?.text == "id 30: row 30 of 540")
        // Team filters: conflicts, a reviewer's faces, nobody's, the team's label_wrong.
        let other = try session.elsewhere()
        try other.record(verdict: .labelWrong, item: "30", reviewer: "ana")
        try other.record(verdict: .labelOK, item: "30", reviewer: "bo")
        try other.record(verdict: .labelWrong, item: "31", reviewer: "bo")
        #expect(controller.refreshFromElsewhere() == .all)
        _ = controller.runCommand("filter conflict")
        #expect(controller.state.rows.map(\.id) == ["30"])
        #expect(ReviewScreen.render(controller).text.contains(" ≠ "), "the conflict mark")
        _ = controller.runCommand("filter reviewer bo")
        #expect(Set(controller.state.rows.map(\.id)) == ["30", "31"])
        _ = controller.runCommand("filter wrong")
        #expect(controller.state.rows.map(\.id) == ["31"])
        _ = controller.runCommand("filter unreviewed")
        #expect(controller.state.rows.count == 540 - 3, "30, 31 and the colleague's first face")
        #expect(controller.state.message?.text == "filter unreviewed: 537 faces")
        _ = controller.runCommand("filter label=1,pred=0")
        #expect(controller.state.filter == .confusion(label: 1, predicted: 0))
        _ = controller.runCommand("filter bogus")
        #expect(
            controller.state.message == StatusMessage("unknown filter 'bogus': use \(QueueFilter.commandNames)", isError: true))
        _ = controller.runCommand("sort size")
        #expect(controller.state.message == StatusMessage("unknown sort 'size': use score, id or p", isError: true))
        _ = controller.runCommand("sample -3")
        #expect(controller.state.message == StatusMessage(":sample needs a positive count (or off), got '-3'", isError: true))
        _ = controller.runCommand("launch")
        #expect(
            controller.state.message
                == StatusMessage(
                    "unknown command 'launch': use goto, filter, sort, sample, run, diff, set, quit (? lists them)", isError: true
                ))
    }

    @Test func sampleStartsOnTheFirstSampledFace() throws {
        let session = try DemoSession()
        let controller = session.controller()
        _ = controller.runCommand("sample 5")
        #expect(controller.state.filter == .sample)
        #expect(controller.state.rows.count == 5)
        #expect(controller.state.cursor == 0)
        #expect(Set(controller.state.rows.map(\.id)) == (try session.store.auditSample()))
    }

    @Test func mouseClicksARowAndANeighbourAndTheWheelScrolls() {
        let controller = makeController()
        let layout = controller.layout
        _ = controller.handle(.mouse(MouseEvent(kind: .click, row: layout.queueList.row + 2, column: 3)))
        #expect(controller.state.focusID == controller.state.rows[2].id)
        let neighbour = controller.state.neighbours[1].id
        let thumb = layout.thumbnails[1]
        _ = controller.handle(.mouse(MouseEvent(kind: .click, row: thumb.row + 1, column: thumb.column + 1)))
        #expect(controller.state.focusID == neighbour)
        #expect(controller.state.pane == .neighbours)
        _ = controller.handle(.mouse(MouseEvent(kind: .wheelDown, row: 5, column: 3)))
        #expect(controller.state.pane == .queue)
        #expect(controller.state.cursor == 5)
        #expect(controller.state.openedID == nil)
    }

    @Test func exportRunsAsAJobAndWritesTheReport() throws {
        let session = try DemoSession(reportName: "report.json")
        let controller = session.controller()
        _ = controller.handle(.character("2"))
        _ = controller.handle(.character("x"))
        let file = session.folder.appendingPathComponent("report.json")
        #expect(controller.state.message?.isError == false)
        let json = try String(contentsOf: file, encoding: .utf8)
        #expect(json.contains("\"schemaVersion\""))
    }

    @Test func backgroundJobProgressShowsInTheStatusBar() {
        let controller = makeController()
        var launched: [ReviewJob] = []
        controller.jobLauncher = { launched.append($0) }
        #expect(controller.handle(.character("x")) == .status)
        #expect(launched == [.export])
        #expect(controller.handle(.character("x")) == .status)
        #expect(controller.state.message?.text == "export is already running")
        #expect(controller.handle(.character("j")) != [])  // keys keep working meanwhile
        _ = controller.progress(.export, fraction: 0.4, text: "2/5 faces")
        #expect(ReviewScreen.render(controller).text.contains("[export 40% 2/5 faces]"))
        _ = controller.finish(.export, result: .failure(ReviewError("disk full")))
        #expect(controller.state.jobs.isEmpty)
        #expect(controller.state.message == StatusMessage("disk full", isError: true))
        // An error never outlives the next action.
        _ = controller.handle(.character("j"))
        #expect(controller.state.message == nil)
    }

    @Test func tooSmallOnlyAcceptsQuit() {
        let controller = makeController(rows: 15, columns: 50)
        #expect(controller.handle(.character("j")) == [])
        #expect(ReviewScreen.render(controller).text.contains("terminal too small: 50x15"))
        _ = controller.handle(.character("q"))
        #expect(controller.state.shouldQuit)
    }

    @Test func resizeKeepsTheCursorVisible() {
        let controller = makeController()
        _ = controller.runCommand("filter train")
        _ = controller.handle(.character("G"))
        #expect(controller.resize(rows: 24, columns: 80).contains(.repaint))
        let visible = controller.layout.queueList.rows
        #expect(controller.state.cursor >= controller.state.scrollTop)
        #expect(controller.state.cursor < controller.state.scrollTop + visible)
    }

    @Test func aSecondProcessesVerdictShowsWithoutDisturbingTheEditor() throws {
        let session = try DemoSession()
        let controller = session.controller()
        let id = controller.state.rows[1].id
        _ = controller.handle(.character("e"))
        _ = controller.handle(.paste("half typed"))
        // Another connection (a teammate's merge, the CLI) writes to the same file.
        let other = try session.elsewhere()
        try other.record(verdict: .labelWrong, item: id, reviewer: "bo")
        #expect(controller.refreshFromElsewhere() == .all)
        #expect(controller.state.rows[1].team == .labelWrong)
        #expect(controller.state.editor?.text == "half typed")
        #expect(controller.refreshFromElsewhere() == [], "nothing new")
    }
}

@Suite(.serialized) struct OriginalImageKeysTests {
    @Test func oOpensTheOriginalOrSaysWhereItIs() throws {
        let controller = makeController()
        let opened = Locked<[String]>([])
        controller.openImage = { path in
            opened.withLock { $0.append(path) }
            return .opened(program: "viewer", pid: 42)
        }
        _ = controller.handle(.character("o"))
        let path = try #require(controller.state.detail?.imagePath)
        #expect(opened.load() == [path])
        #expect(controller.state.message?.text == "opened \(path) with viewer")
        controller.openImage = { .noDisplay(path: $0) }
        _ = controller.handle(.character("o"))
        #expect(controller.state.message?.text == "no display to open it on: \(path) (y copies the path)")
    }

    @Test func yCopiesThePathThroughTheTerminal() throws {
        let controller = makeController()
        controller.insideTmux = false
        _ = controller.handle(.character("y"))
        let path = try #require(controller.state.detail?.imagePath)
        let bytes = controller.takeTerminalBytes()
        #expect(String(decoding: bytes, as: UTF8.self) == "\u{1B}]52;c;\(Data(path.utf8).base64EncodedString())\u{1B}\\")
        #expect(controller.takeTerminalBytes().isEmpty, "written once")
    }
}
