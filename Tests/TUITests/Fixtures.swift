import LabelAuditCore
import Foundation
@testable import LabelAuditTUI

/// The sample the tests review: 60 deterministic faces (the last 6 are test faces), reviewer
/// "ana", and one verdict by a colleague so the detail panel shows two reviewers.
func makeBackend(exportURL: URL? = nil) -> InMemoryReviewBackend {
    let backend = InMemoryReviewBackend(faces: SampleFaces.make(count: 60), reviewer: "ana", exportURL: exportURL)
    backend.recordVerdict(.unsure, by: "colleague", for: "14")
    return backend
}

func makeController(rows: Int = 40, columns: Int = 120, exportURL: URL? = nil) -> ReviewController {
    let controller = ReviewController(backend: makeBackend(exportURL: exportURL), rows: rows, columns: columns,
                                      colorModeName: "truecolor")
    controller.reloadQueue()
    return controller
}

extension ReviewController {
    /// Types `text` then Enter, as a reviewer would in the line editor.
    func type(_ text: String) {
        for character in text { _ = handle(.character(character)) }
        _ = handle(.enter)
    }
}

/// A scratch folder under the package's git-ignored `.tmp/`.
func scratchDirectory(_ name: String) throws -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".tmp/tui-tests/\(name)-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.removeItem(at: root)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    return root
}
