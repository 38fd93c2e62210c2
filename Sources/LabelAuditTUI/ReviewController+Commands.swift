import LabelAuditCore
import LabelAuditEngine
import LabelAuditImaging

extension ReviewController {
    // MARK: line editor

    /// Longest text each editor takes, in characters.
    static func editorLimit(_ purpose: EditPurpose) -> Int {
        switch purpose {
        case .note: return 20_000
        case .tags: return 2_000
        case .find, .command: return 1_000
        }
    }

    func beginEditing(_ purpose: EditPurpose, text: String) -> Redraw {
        let limit = Self.editorLimit(purpose)
        if text.count > limit {
            // Opening would show a cut copy, and Enter would save the cut: refuse instead.
            state.message = StatusMessage(
                "this \(purpose == .note ? "note" : "text") has \(text.count) characters, more than "
                    + "the editor's \(limit): change it with `labelaudit verdict ... --note` instead", isError: true)
            return .status
        }
        state.editor = LineEditor(text: text, maximumLength: limit)
        state.editPurpose = purpose
        return .status
    }

    func handleEditorKey(_ key: Key) -> Redraw {
        guard var editor = state.editor, let purpose = state.editPurpose else { return [] }
        let droppedBefore = editor.droppedCharacters
        let outcome = editor.apply(key)
        switch outcome {
        case .editing:
            state.editor = editor
            if editor.droppedCharacters > droppedBefore {
                state.message = StatusMessage(
                    "the \(purpose == .note ? "note" : "line") holds at most "
                        + "\(editor.maximumLength) characters: \(editor.droppedCharacters) left out", isError: true)
            }
            return .status
        case .cancelled:
            state.editor = nil
            state.editPurpose = nil
            return .status
        case .submitted(let text):
            state.editor = nil
            state.editPurpose = nil
            if purpose == .note || purpose == .tags, !editor.isChanged {
                state.message = StatusMessage("\(purpose == .note ? "note" : "tags") unchanged: nothing saved")
                return .status
            }
            let redraw = submit(text, for: purpose)
            if editor.droppedCharacters > 0, let message = state.message, !message.isError {
                state.message = StatusMessage(
                    message.text + "; \(editor.droppedCharacters) characters past the limit of "
                        + "\(editor.maximumLength) were left out")
            }
            return redraw.union(.status)
        }
    }

    func submit(_ text: String, for purpose: EditPurpose) -> Redraw {
        switch purpose {
        case .note:
            return record(.note(text.trimmingCharactersInSpaces()))
        case .tags:
            let tags = text.split(separator: ",").map { String($0).trimmingCharactersInSpaces() }.filter { !$0.isEmpty }
            return record(.tags(tags))
        case .find:
            return find(text)
        case .command:
            return runCommand(text)
        }
    }

    /// Runs a `:` command line; the verbs come from `CommandTable`.
    package func runCommand(_ line: String) -> Redraw {
        let parts = line.trimmingCharactersInSpaces().split(separator: " ", maxSplits: 1).map(String.init)
        guard let word = parts.first else { return [] }
        let argument = parts.count > 1 ? parts[1].trimmingCharactersInSpaces() : ""
        guard let entry = CommandTable.entry(named: word) else {
            state.message = StatusMessage(
                "unknown command '\(TerminalText.sanitized(word))': use \(CommandTable.knownNames) "
                    + "(? lists them)", isError: true)
            return .status
        }
        switch entry.verb {
        case .goto:
            guard !argument.isEmpty else {
                state.message = StatusMessage(":goto needs an id, e.g. :goto 30", isError: true)
                return .status
            }
            return go(to: argument)
        case .filter:
            guard let filter = QueueFilter(command: argument) else {
                state.message = StatusMessage(
                    "unknown filter '\(TerminalText.sanitized(argument))': use \(QueueFilter.commandNames)",
                    isError: true)
                return .status
            }
            state.filter = filter
            state.pane = .queue
            let redraw = reloadQueue()
            state.message = StatusMessage("filter \(filter.name): \(state.rows.count) faces")
            return redraw
        case .sort:
            guard let sort = QueueSort(rawValue: argument.lowercased()) else {
                state.message = StatusMessage("unknown sort '\(argument)': use score, id or p", isError: true)
                return .status
            }
            state.sort = sort
            return reloadQueue()
        case .sample:
            if argument.lowercased() == "off" || argument == "0" {
                state.sampleSize = nil
                return reloadQueue()
            }
            guard let size = Int(argument), size > 0 else {
                state.message = StatusMessage(":sample needs a positive count (or off), got '\(argument)'", isError: true)
                return .status
            }
            return drawSample(size)
        case .run:
            return chooseRun(argument)
        case .diff:
            let names = argument.split(separator: " ").map(String.init)
            guard names.count == 2 else {
                let known = backend.runNames().joined(separator: ", ")
                state.message = StatusMessage(
                    ":diff needs two run names, e.g. :diff latent image (runs: \(known.isEmpty ? "none yet" : known))",
                    isError: true)
                return .status
            }
            do {
                state.panel = try backend.diffRuns(names[0], names[1])
                return .all
            } catch {
                state.message = StatusMessage(error.message, isError: true)
                return .status
            }
        case .set:
            return setOption(argument)
        case .quit:
            state.shouldQuit = true
            return []
        }
    }

    /// `:sample N`: the backend's audit sample when it keeps one (shown as the `sample` filter),
    /// else a reproducible sample of the current queue.
    func drawSample(_ size: Int) -> Redraw {
        let drawn: [String]?
        do {
            drawn = try backend.drawAuditSample(count: size)
        } catch {
            state.message = StatusMessage(error.message, isError: true)
            return .status
        }
        guard let drawn else {
            state.sampleSize = size
            return reloadQueue()
        }
        state.sampleSize = nil
        state.filter = .sample
        state.pane = .queue
        var redraw = reloadQueue()
        // The cursor starts on the first newly drawn face, in queue order.
        let drawnSet = Set(drawn)
        if let first = state.rows.firstIndex(where: { drawnSet.contains($0.id) }) { redraw.formUnion(move(to: first)) }
        state.message = StatusMessage(
            drawn.isEmpty
                ? "no face left to sample: every train face is in the audit sample already"
                : "added \(drawn.count) random faces to the audit sample; filter sample: \(state.rows.count) faces")
        return redraw
    }

    /// `:run` lists the runs, `:run NAME` shows and ranks by one run, `:run all` goes back to
    /// the combined ranking.
    func chooseRun(_ argument: String) -> Redraw {
        let names = backend.runNames()
        if argument.isEmpty {
            state.panel = InfoPanel(
                title: "model runs (:run NAME chooses, :run all combines, :diff A B compares)",
                lines: names.isEmpty
                    ? ["no model run yet"]
                    : names.map { name in
                        (name == state.activeRun ? "* " : "  ") + name
                    })
            return .all
        }
        let choice: String? = ["all", "default", "combined"].contains(argument.lowercased()) ? nil : argument
        do {
            let summary = try backend.selectRun(choice)
            state.activeRun = choice
            let redraw = reloadQueue()
            state.message = StatusMessage(summary)
            return redraw
        } catch {
            state.message = StatusMessage(error.message, isError: true)
            return .status
        }
    }

    /// A fixed-seed sample (same rows every time for the same queue), kept in queue order.
    static func reproducibleSample(of rows: [QueueRow], count: Int) -> [QueueRow] {
        var generator = SplitMix64(seed: 0x5EED_1AB3_1A0D_17ED)
        var indices = Array(rows.indices)
        for position in 0..<count {
            let pick = position + Int(generator.next() % UInt64(indices.count - position))
            indices.swapAt(position, pick)
        }
        return indices.prefix(count).sorted().map { rows[$0] }
    }

    /// `:set NAME VALUE`: a reviewer setting, kept in the user's settings file.
    func setOption(_ argument: String) -> Redraw {
        let parts = argument.split(separator: " ", maxSplits: 1).map { String($0).lowercased() }
        guard parts.count == 2 else {
            state.message = StatusMessage(
                ":set needs a name and a value: :set advance on|off, :set symbols half|quad|sextant",
                isError: true)
            return .status
        }
        var settings = UserSettings()
        switch (parts[0], parts[1]) {
        case ("advance", "on"), ("advance", "off"):
            state.autoAdvance = parts[1] == "on"
            settings.autoAdvance = state.autoAdvance
            state.message = StatusMessage(
                state.autoAdvance ? "after a verdict: the next face" : "after a verdict: stay on the face")
        case ("symbols", let value):
            guard let symbols = SymbolSet(rawValue: value) else {
                state.message = StatusMessage(
                    "unknown glyph set '\(TerminalText.sanitized(value))': use half, quad or sextant",
                    isError: true)
                return .status
            }
            setPictureStyle(PictureStyle(symbols: symbols, colors: state.pictureStyle.colors))
            settings.symbols = symbols.rawValue
            state.message = StatusMessage(
                "pictures in \(symbols.rawValue) glyphs"
                    + (symbols == .sextant ? " (they need a font with Unicode 13 sextants)" : ""))
        default:
            state.message = StatusMessage(
                "unknown setting '\(TerminalText.sanitized(argument))': use advance on|off or "
                    + "symbols half|quad|sextant", isError: true)
            return .status
        }
        if let note = settingsChanged?(settings) { state.message = StatusMessage(note, isError: true) }
        return .all
    }
}
