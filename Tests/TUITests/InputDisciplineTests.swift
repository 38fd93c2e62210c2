import Foundation
import LabelAuditCore
import LabelAuditStore
import Testing

@testable import LabelAuditTUI

/// A verdict is written only by a deliberate key press. These tests drive the real controller
/// on the real engine backend with a real SQLite audit file, through every panel and editor,
/// and count the audit events in the file.
@Suite(.serialized) struct InputDisciplineTests {
    /// A controller on a fresh store, evidence computed, face "4" in view.
    static func session(_ name: String) throws -> (ReviewController, EngineFixture) {
        let fixture = try EngineFixture("discipline-\(name)")
        _ = try fixture.computeEvidence()
        let controller = ReviewController(backend: fixture.backend, rows: 40, columns: 120, colorModeName: "truecolor")
        controller.reloadQueue()
        _ = controller.runCommand("filter train")
        _ = controller.runCommand("goto 4")
        #expect(controller.state.focusID == "4")
        return (controller, fixture)
    }

    /// Every way to open a modal: the key, and what closes it without submitting.
    static let modals: [(name: String, open: [Key], isEditor: Bool)] = [
        ("help", [.character("?")], false),
        ("runs", [.character(":")] + "run".map { .character($0) } + [.enter], false),
        ("diff", [.character(":")] + "diff latent latent".map { .character($0) } + [.enter], false),
        ("note", [.character("e")], true),
        ("tags", [.character("t")], true),
        ("find", [.character("/")], true),
        ("command", [.character(":")], true),
    ]

    static func text(_ string: String) -> [Key] { string.map { .character($0) } }

    @Test(arguments: modals.map(\.name))
    func typingAndPastingAtAModalWritesNothing(modal: String) throws {
        let (controller, fixture) = try Self.session("open-\(modal)")
        let entry = try #require(Self.modals.first { $0.name == modal })
        let before = try fixture.store.eventCount()
        var clock = ContinuousClock.now
        func press(_ keys: [Key]) {
            clock += .milliseconds(400)
            _ = controller.handle(batch: keys, at: clock)
        }
        // Typed one key at a time while it is open (no Enter), then pasted, then closed.
        for key in entry.open { press([key]) }
        #expect(controller.isModal, "\(modal) opened")
        for key in Self.text("1234fu x2") { press([key]) }
        press([.paste("2\n1\n:goto 7\nf")])
        press([.escape])
        #expect(!controller.isModal, "Esc closes \(modal)")
        #expect(try fixture.store.eventCount() == before, "\(modal): typing or pasting while open wrote an event")

        // Keys typed ahead in the same read as the key that closes it.
        for key in entry.open { press([key]) }
        press([.escape] + Self.text("2f1") + [.character("u")])
        #expect(try fixture.store.eventCount() == before, "\(modal): keys after the closing key wrote an event")
        #expect(controller.state.message?.text.hasPrefix("ignored '") == true)

        // Within the settle time after closing: refused; after it: a deliberate key records.
        for key in entry.open { press([key]) }
        press([.escape])
        _ = controller.handle(batch: [.character("2")], at: clock + .milliseconds(10))
        #expect(try fixture.store.eventCount() == before, "\(modal): a verdict 10 ms after closing was recorded")
        _ = controller.handle(batch: [.character("2")], at: clock + .milliseconds(60))
        #expect(try fixture.store.eventCount() == before + 1, "\(modal): a deliberate verdict after the settle time")
        #expect(try fixture.store.state(item: "4", reviewer: "ana")?.verdict == .labelWrong)
    }

    @Test func aBurstOfTextOutsideAnEditorIsAPasteAndIgnored() throws {
        let (controller, fixture) = try Self.session("burst")
        let before = try fixture.store.eventCount()
        _ = controller.handle(batch: Self.text("12341234f"), at: .now)
        _ = controller.handle(batch: [.paste("2")], at: .now + .seconds(1))
        #expect(try fixture.store.eventCount() == before)
        #expect(
            controller.state.message?.text
                == "ignored a paste of 1 characters: paste into a note (e), tags (t), find (/) or a command (:)")
        // A short burst of navigation still moves (a held-down j).
        let cursor = controller.state.cursor
        _ = controller.handle(batch: Self.text("jj"), at: .now + .seconds(2))
        #expect(controller.state.cursor == cursor + 2)
    }

    @Test func aBurstStillOpensTheCommandLineAndLineBreaksInsideItAreSpaces() throws {
        let (controller, fixture) = try Self.session("burst-editor")
        let before = try fixture.store.eventCount()
        // A fast typist's whole command arriving in one read runs.
        _ = controller.handle(batch: Self.text(":goto 7") + [.enter], at: .now)
        #expect(controller.state.focusID == "7")
        // A multi-line paste without brackets into the note editor: one note, one event.
        _ = controller.handle(batch: [.character("e")], at: .now + .seconds(1))
        _ = controller.handle(batch: Self.text("first line") + [.enter] + Self.text("second") + [.enter], at: .now + .seconds(2))
        #expect(try fixture.store.eventCount() == before + 1)
        #expect(try fixture.store.state(item: "7", reviewer: "ana")?.note == "first line second")
    }

    @Test func aNoteSubmittedUnchangedWritesNothing() throws {
        let (controller, fixture) = try Self.session("unchanged")
        _ = try fixture.backend.record(.note("faint\nframes"), for: "4")
        controller.reloadQueue()
        let before = try fixture.store.eventCount()
        _ = controller.handle(.character("e"))
        #expect(controller.state.editor?.text == "faint frames")
        _ = controller.handle(.enter)
        #expect(try fixture.store.eventCount() == before, "the shown note (line break as space) was saved over the stored one")
        #expect(try fixture.store.state(item: "4", reviewer: "ana")?.note == "faint\nframes")
        #expect(controller.state.message?.text == "note unchanged: nothing saved")
        _ = controller.handle(.character("e"))
        _ = controller.handle(.character("!"))
        _ = controller.handle(.enter)
        #expect(try fixture.store.eventCount() == before + 1)
        #expect(try fixture.store.state(item: "4", reviewer: "ana")?.note == "faint frames!")
    }

    @Test func aNoteLongerThanTheEditorIsNotOpenedAndNotCut() throws {
        let (controller, fixture) = try Self.session("long-note")
        let long = String(repeating: "a", count: 30_000)
        _ = try fixture.backend.record(.note(long), for: "4")
        controller.reloadQueue()
        let before = try fixture.store.eventCount()
        _ = controller.handle(.character("e"))
        #expect(controller.state.editor == nil)
        #expect(controller.state.message?.isError == true)
        _ = controller.handle(.enter)
        #expect(try fixture.store.eventCount() == before)
        #expect(try fixture.store.state(item: "4", reviewer: "ana")?.note == long)
    }

    /// The repro: a 100 KB paste into the note editor, its end marker in a later read
    /// at every position, keeps the verdict and saves the note; nothing else is recorded.
    @Test func aHugePasteIntoTheNoteEditorIsTheNote() throws {
        let (controller, fixture) = try Self.session("huge-paste")
        _ = try fixture.backend.record(.verdict(.labelWrong), for: "4")
        var content = ""
        while content.utf8.count < 100_000 { content += "frames faint 2 0 1 ~ 眼鏡 " }
        let bytes = Array("e".utf8) + pasteStart + Array(content.utf8) + pasteEnd
        let markerStart = bytes.count - pasteEnd.count
        var clock = ContinuousClock.now
        for offset in 0...pasteEnd.count {
            _ = try fixture.backend.record(.note(""), for: "4")
            controller.reloadQueue()
            let before = try fixture.store.eventCount()
            var decoder = InputDecoder()
            clock += .seconds(10)
            // 4 KB reads (a terminal's chunks), the end marker cut at `offset`.
            var cuts = Array(stride(from: 4096, to: markerStart, by: 4096))
            cuts.append(markerStart + offset)
            for chunk in split(bytes, at: cuts) {
                clock += .milliseconds(5)
                _ = controller.handle(batch: decoder.feed(chunk, at: clock), at: clock)
            }
            _ = controller.handle(batch: decoder.expire(at: clock + .seconds(5)), at: clock + .seconds(5))
            let editor = try #require(controller.state.editor, "offset \(offset): the editor closed")
            #expect(editor.text.count == ReviewController.editorLimit(.note))
            #expect(try fixture.store.eventCount() == before, "offset \(offset)")
            _ = controller.handle(batch: [.enter], at: clock + .seconds(6))
            #expect(try fixture.store.eventCount() == before + 1, "offset \(offset): one note event")
            let state = try #require(try fixture.store.state(item: "4", reviewer: "ana"))
            #expect(state.verdict == .labelWrong)
            #expect(state.note?.hasPrefix("frames faint 2 0 1 ~ 眼鏡") == true)
            #expect(controller.state.message?.text.contains("characters past the limit of 20000 were left out") == true)
        }
    }
}
