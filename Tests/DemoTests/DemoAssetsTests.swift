import Foundation
import LabelAuditImaging
import Testing

@testable import LabelAuditDemo

/// Assets/demo must be exactly what `labelaudit demo generate --out Assets/demo --train 540
/// --test 60 --size 256 --dim 512 --seed 1` writes. All CSVs (and the truth) are compared in
/// full; images are compared for a deterministic sample — every 10th id (1, 11, ..., 591) plus
/// the last — because rendering all 600 in a debug build would take over a minute.
@Suite struct DemoAssetsTests {
    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Assets")

    @Test func assetsAreWhatTheGeneratorMakes() throws {
        let plan = try DemoPlan(options: DemoOptions(trainCount: 540, testCount: 60, size: 256, dim: 512, seed: 1))
        let demo = Self.assets.appendingPathComponent("demo")
        #expect(try Data(contentsOf: demo.appendingPathComponent("train.csv")) == Data(DemoFiles.trainCSV(plan)))
        #expect(try Data(contentsOf: demo.appendingPathComponent("test.csv")) == Data(DemoFiles.testCSV(plan)))
        #expect(
            try Data(contentsOf: demo.appendingPathComponent("sample_submission.csv"))
                == Data(DemoFiles.sampleSubmissionCSV(plan)))
        #expect(
            try Data(contentsOf: Self.assets.appendingPathComponent("demo-truth/truth.csv")) == Data(DemoFiles.truthCSV(plan)))
        let images = try FileManager.default.contentsOfDirectory(atPath: demo.appendingPathComponent("images").path)
        #expect(images.count == 600)
        var renderer = FaceRenderer(size: 256)
        for index in Array(stride(from: 0, to: 600, by: 10)) + [599] {
            let face = plan.faces[index]
            let expected = try DemoFiles.jpeg(plan, face: face, renderer: &renderer)
            let actual = try Data(contentsOf: demo.appendingPathComponent("images/\(DemoFiles.imageName(id: face.id))"))
            #expect(actual == Data(expected), "face \(face.id)")
        }
    }

    @Test func assetsStayUnderTenMegabytes() throws {
        var total = 0
        let enumerator = try #require(FileManager.default.enumerator(at: Self.assets, includingPropertiesForKeys: [.fileSizeKey]))
        for case let url as URL in enumerator {
            total += try url.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0
        }
        #expect(total < 10_000_000, "Assets/ holds \(total) bytes")
    }
}
