import Foundation
import LabelAuditCore
import TestSupport
import Testing

@testable import LabelAuditReport

/// The cleanlab-style issues file says what the queue says: `export --format csv`'s
/// `is_label_issue` rows are exactly the rows `rank` marks as confident-learning label issues
/// (both from the ranking's pooled picture probabilities, image model included), its
/// `label_score` is the score `rank` shows, and its order is the queue's order up to the two
/// small latent terms of the ranking.
@Suite(.serialized) struct IssuesAgreementTests {
    struct RankOutput: Decodable {
        struct Row: Decodable {
            var rank: Int
            var id: String
            var label: Int
            var score: Double
            var labelIssue: Bool
            var labelScore: Double?
        }
        var rows: [Row]
    }

    @Test func theIssuesFileAndTheQueueMarkTheSameFaces() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["train.csv", "test.csv"] {
            try FileManager.default.copyItem(at: Paths.demo.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let common = [folder.path, "--images", Paths.demo.appendingPathComponent("images").path, "--cache", Paths.testCache.path]
        let rank = try run(try Paths.executable, ["rank"] + common + ["--top", "1000", "--json"])
        #expect(rank.status == 0, "\(rank.err)")
        let queue = try JSONDecoder().decode(RankOutput.self, from: Data(rank.out.utf8)).rows
        #expect(queue.count == 540)
        let csv = folder.appendingPathComponent("labels.csv")
        let export = try run(try Paths.executable, ["export"] + common + ["--format", "csv", "--out", csv.path])
        #expect(export.status == 0, "\(export.err)")
        let lines = try String(contentsOf: folder.appendingPathComponent("labels-issues.csv"), encoding: .utf8).split(
            separator: "\n")
        #expect(lines.first == "id,is_label_issue,label_score,given_label,predicted_label,review")
        var issue: [String: Bool] = [:]
        var score: [String: Double] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            issue[fields[0]] = fields[1] == "True"
            score[fields[0]] = Double(fields[2])
        }
        #expect(issue.count == 540)
        let queueIssues = Set(queue.filter(\.labelIssue).map(\.id))
        let fileIssues = Set(issue.filter(\.value).map(\.key))
        #expect(!fileIssues.isEmpty)
        #expect(fileIssues == queueIssues)
        for row in queue {
            let exported = try #require(score[row.id])
            let shown = try #require(row.labelScore)
            #expect(abs(exported - shown) < 1e-6, "\(row.id): \(exported) vs \(shown)")
        }
        // Order: the queue's score is -ln(label_score) plus at most 0.12 nats of latent terms, so
        // a face whose label_score is lower by more than that factor comes earlier in the queue.
        let surprise = queue.map { -log(max(score[$0.id]!, 1e-4)) }
        var inversions = 0
        for i in queue.indices {
            for j in queue.indices where j > i && surprise[j] > surprise[i] + 0.12 + 1e-9 { inversions += 1 }
        }
        #expect(inversions == 0)
        // And the flipped labels score low: the issues file finds the errors the queue finds.
        let demo = DemoFixture.shared
        let flaggedErrors = fileIssues.intersection(demo.flipped).count
        #expect(flaggedErrors >= demo.flipped.count / 2, "\(flaggedErrors) of \(demo.flipped.count) flipped labels flagged")
    }
}
