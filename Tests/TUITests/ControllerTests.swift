import LabelAuditCore
import Foundation
import Testing
@testable import LabelAuditTUI

@Suite struct KeymapTests {
    @Test func everyBindingResolvesToItsAction() {
        for binding in Keymap.bindings {
            for key in binding.keys {
                #expect(Keymap.action(for: key) == binding.action, "\(key)")
            }
            #expect(!binding.help.isEmpty)
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

@Suite struct ControllerTests {
    @Test func movingDownTheQueueChangesTheFocusAndSaysWhatToRedraw() {
        let controller = makeController()
        #expect(controller.state.rows.map(\.id).prefix(3) == ["14", "47", "1"])
        #expect(controller.handle(.character("j")) == [.queue, .face, .detail, .neighbours, .status])
        #expect(controller.state.focusID == "47")
        #expect(controller.handle(.character("k")) == [.queue, .face, .detail, .neighbours, .status])
        #expect(controller.handle(.character("k")) == [])  // already at the top
        #expect(controller.handle(.character("G")) != [])
        #expect(controller.state.cursor == controller.state.rows.count - 1)
        _ = controller.handle(.character("g"))
        #expect(controller.state.cursor == 0)
    }

    @Test func openANeighbourAndComeBack() throws {
        let controller = makeController()
        #expect(controller.handle(.enter) == .status)
        #expect(controller.state.message?.text == "Enter opens a neighbour: Tab to the neighbours strip first")
        #expect(controller.handle(.tab) == [.queue, .neighbours, .status])
        #expect(controller.handle(.character("j")) == [.neighbours, .status])
        let second = controller.state.neighbours[1].id
        _ = controller.handle(.enter)
        #expect(controller.state.focusID == second)
        #expect(controller.state.history == ["14"])
        let third = controller.state.neighbours[0].id
        _ = controller.handle(.enter)
        #expect(controller.state.focusID == third)
        _ = controller.handle(.backspace)
        #expect(controller.state.focusID == second)
        _ = controller.handle(.backspace)
        #expect(controller.state.focusID == "14")
        #expect(controller.state.openedID == nil)
        #expect(controller.handle(.backspace) == .status)
        #expect(controller.state.message?.text == "nothing to go back to")
    }

    @Test func verdictsFlagsNotesAndUndoAreCommittedAtOnce() {
        let controller = makeController()
        _ = controller.handle(.character("2"))
        #expect(controller.state.rows[0].verdict == .labelWrong)
        #expect(controller.state.message?.text == "id 14: label_wrong (saved)")
        #expect(controller.state.detail?.verdicts.map(\.reviewer) == ["colleague", "ana"])
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
        // Everything is in the backend already: a fresh controller sees it.
        let again = ReviewController(backend: controller.backend, rows: 40, columns: 120, colorModeName: "truecolor")
        again.reloadQueue()
        #expect(again.state.detail?.note == "faint frames, 眼鏡")
        _ = controller.handle(.character("u"))
        #expect(controller.state.message?.text == "undone: last change to id 14")
        #expect(controller.state.detail?.tags == [])
        #expect(controller.state.detail?.note == "faint frames, 眼鏡")
        _ = controller.handle(.character("u"))
        _ = controller.handle(.character("u"))
        _ = controller.handle(.character("u"))
        #expect(controller.state.rows.first { $0.id == "14" }?.verdict == nil)
        _ = controller.handle(.character("u"))
        #expect(controller.state.message == StatusMessage("nothing to undo", isError: true))
    }

    @Test func escapeCancelsTheNoteWithoutSaving() {
        let controller = makeController()
        _ = controller.handle(.character("e"))
        _ = controller.handle(.paste("draft"))
        _ = controller.handle(.escape)
        #expect(controller.state.editor == nil)
        #expect(controller.state.detail?.note == "")
    }

    @Test func testFacesAreViewOnly() {
        let controller = makeController()
        _ = controller.handle(.character(":"))
        controller.type("filter test")
        #expect(controller.state.rows.count == 6)
        #expect(controller.state.rows.allSatisfy { $0.split == .test })
        #expect(controller.handle(.character("1")) == .status)
        let id = controller.state.rows[0].id
        #expect(controller.state.message == StatusMessage(
            "id \(id) is a test face: test faces are view only, never labelled by a person", isError: true))
        _ = controller.handle(.character("e"))
        #expect(controller.state.editor == nil)
    }

    @Test func commandLine() {
        let controller = makeController()
        _ = controller.runCommand("sort id")
        #expect(controller.state.rows.map(\.id) == ["1", "2", "11", "14", "47", "51"])
        _ = controller.runCommand("sort p")
        #expect(controller.state.rows.first?.id == "14")
        _ = controller.runCommand("filter train")
        #expect(controller.state.rows.count == 54)
        _ = controller.runCommand("sample 10")
        #expect(controller.state.rows.count == 10)
        let sampled = controller.state.rows.map(\.id)
        _ = controller.runCommand("sample 10")
        #expect(controller.state.rows.map(\.id) == sampled)
        _ = controller.runCommand("sample off")
        #expect(controller.state.rows.count == 54)
        _ = controller.runCommand("sort id")
        _ = controller.runCommand("goto 30")
        #expect(controller.state.focusID == "30")
        #expect(controller.state.message?.text == "id 30: row 30 of 54")
        _ = controller.runCommand("filter label=1,pred=0")
        #expect(controller.state.filter == .confusion(label: 1, predicted: 0))
        _ = controller.runCommand("filter bogus")
        #expect(controller.state.message == StatusMessage("unknown filter 'bogus': use ranked, train, test, flagged, "
            + "reviewed, unreviewed, label_ok, label_wrong, unsure, bad_image or label=1,pred=0", isError: true))
        _ = controller.runCommand("sort size")
        #expect(controller.state.message == StatusMessage("unknown sort 'size': use score, id or p", isError: true))
        _ = controller.runCommand("sample -3")
        #expect(controller.state.message == StatusMessage(":sample needs a positive count (or off), got '-3'", isError: true))
        _ = controller.runCommand("launch")
        #expect(controller.state.message == StatusMessage("unknown command 'launch': use goto, filter, sort, sample, run, diff, quit (? lists them)", isError: true))
    }

    @Test func findAnIdOutsideTheQueueAndAnUnknownOne() {
        let controller = makeController()
        _ = controller.handle(.character("/"))
        controller.type("30")
        #expect(controller.state.focusID == "30")
        #expect(controller.state.message?.text == "id 30 is not in this queue (filter ranked); Backspace returns")
        _ = controller.handle(.backspace)
        #expect(controller.state.focusID == "14")
        _ = controller.handle(.character("/"))
        controller.type("9999")
        #expect(controller.state.focusID == "14")
        #expect(controller.state.message == StatusMessage("no face with id '9999' in this dataset", isError: true))
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
        _ = controller.handle(.mouse(MouseEvent(kind: .click, row: layout.queueList.bottom - 1, column: 3)))
        #expect(controller.state.cursor == 5)  // an empty row below the queue does nothing
    }

    @Test func exportRunsAsAJobAndWritesTheCSV() throws {
        let folder = try scratchDirectory("export")
        let file = folder.appendingPathComponent("audit.csv")
        let controller = makeController(exportURL: file)
        _ = controller.handle(.character("2"))
        _ = controller.handle(.character("e"))
        controller.type("glasses, \"faint\"")
        _ = controller.handle(.character("x"))
        #expect(controller.state.message?.text == "exported 1 annotated faces to \(file.path)")
        let csv = try String(contentsOf: file, encoding: .utf8)
        #expect(csv == "id,reviewer,verdict,flagged,tags,note\n14,colleague,unsure,0,,\"glasses, \"\"faint\"\"\"\n"
            + "14,ana,label_wrong,0,,\"glasses, \"\"faint\"\"\"\n")
        _ = controller.handle(.character("R"))
        #expect(controller.state.message == StatusMessage(
            "rerun needs the evidence engine; this in-memory backend has no model to train", isError: true))
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
        _ = controller.finish(.export, result: .failure(ReviewBackendError("disk full")))
        #expect(controller.state.jobs.isEmpty)
        #expect(controller.state.message == StatusMessage("disk full", isError: true))
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
}
