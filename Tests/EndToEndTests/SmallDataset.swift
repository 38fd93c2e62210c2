import Foundation
import TestSupport
import Testing

/// The dataset the real app is driven on in tmux.
enum SmallDataset {
    /// 60 train + 6 test faces at 96 px with 16 latent dimensions (the latent model fits in a
    /// moment even in a debug build), plus a predictions file so there are two runs to compare.
    static func make(_ name: String) throws -> (dataset: URL, database: URL) {
        let folder = try TUITmux.scratch(name)
        let dataset = folder.appendingPathComponent("faces")
        let made = try Executable.run([
            "demo", "generate", "--out", dataset.path, "--truth", folder.appendingPathComponent("truth").path,
            "--train", "60", "--test", "6", "--size", "96", "--dim", "16", "--seed", "3",
        ])
        #expect(made.status == 0, "demo generate failed: \(made.stderr)")
        var predictions = "id,glasses\n"
        for id in 1...66 { predictions += "\(id),\(id % 3 == 0 ? "0.1" : "0.8")\n" }
        try predictions.write(to: folder.appendingPathComponent("classifier.csv"), atomically: true, encoding: .utf8)
        return (dataset, folder.appendingPathComponent("audit.sqlite"))
    }

}
