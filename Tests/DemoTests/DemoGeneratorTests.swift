import Foundation
import LabelAuditImaging
import Testing

@testable import LabelAuditDemo

/// A fresh folder under the system temp directory, removed afterwards.
func withTemporaryFolder(_ body: (URL) throws -> Void) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-demo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    try body(url)
}

func lines(_ url: URL) throws -> [Substring] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        .map { $0 }
}

@Suite struct DemoGeneratorTests {
    let small = DemoOptions(trainCount: 12, testCount: 3, size: 64, dim: 20, seed: 5)

    @Test func writesTheFilesInTheCompetitionsShape() throws {
        try withTemporaryFolder { root in
            let out = root.appendingPathComponent("demo")
            let summary = try DemoGenerator.generate(small, out: out.path)
            #expect(summary.truth == out.path + "-truth")

            let train = try lines(out.appendingPathComponent("train.csv"))
            #expect(train.count == 13)
            let header = train[0].split(separator: ",")
            #expect(header.count == 22)
            #expect(header.first == "id" && header[1] == "v1" && header[20] == "v20" && header.last == "glasses")
            for (n, row) in train.dropFirst().enumerated() {
                let fields = row.split(separator: ",")
                #expect(fields.count == 22)
                #expect(fields[0] == "\(n + 1)")
                #expect(fields.last == "0" || fields.last == "1")
                #expect(fields[1..<21].allSatisfy { Double($0) != nil })
            }

            let test = try lines(out.appendingPathComponent("test.csv"))
            #expect(test.count == 4)
            #expect(test[0].split(separator: ",").count == 21 && test[0].hasSuffix(",v20"))
            #expect(test.dropFirst().map { $0.split(separator: ",")[0] } == ["13", "14", "15"])

            let submission = try lines(out.appendingPathComponent("sample_submission.csv"))
            #expect(submission == ["id,glasses", "13,0.64", "14,0.64", "15,0.64"])

            let truth = try lines(out.appendingPathComponent("../demo-truth/truth.csv").standardizedFileURL)
            #expect(truth.first == "id,label,image_has_glasses,flipped,style")
            #expect(truth.count == 16)
            let styles = Set(GlassesStyle.allCases.map(\.rawValue))
            for row in truth.dropFirst() {
                let f = row.split(separator: ",")
                #expect(f.count == 5 && styles.contains(String(f[4])))
                #expect((f[1] == f[2]) == (f[3] == "0"))
            }
            // The truth is not in the dataset folder.
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("truth.csv").path))

            let images = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("images").path).sorted()
            #expect(images == (1...15).map { "face-\($0).jpg" }.sorted())
            let jpeg = try Data(contentsOf: out.appendingPathComponent("images/face-1.jpg"))
            #expect(jpeg.prefix(2) == Data([0xFF, 0xD8]) && jpeg.suffix(2) == Data([0xFF, 0xD9]))
        }
    }

    @Test func sameArgumentsGiveByteIdenticalFiles() throws {
        try withTemporaryFolder { root in
            let a = root.appendingPathComponent("a")
            let b = root.appendingPathComponent("b")
            _ = try DemoGenerator.generate(small, out: a.path, workers: 2)
            _ = try DemoGenerator.generate(small, out: b.path, workers: 1)
            let names = ["train.csv", "test.csv", "sample_submission.csv"] + (1...15).map { "images/face-\($0).jpg" }
            for name in names {
                #expect(
                    try Data(contentsOf: a.appendingPathComponent(name)) == Data(contentsOf: b.appendingPathComponent(name)),
                    "\(name)")
            }
            #expect(
                try Data(contentsOf: root.appendingPathComponent("a-truth/truth.csv"))
                    == Data(contentsOf: root.appendingPathComponent("b-truth/truth.csv")))
        }
    }

    @Test func regeneratingOverAnEarlierDemoReplacesItAndDropsStaleImages() throws {
        try withTemporaryFolder { root in
            let out = root.appendingPathComponent("demo")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try Data("verdicts".utf8).write(to: out.appendingPathComponent("labelaudit.sqlite"))
            _ = try DemoGenerator.generate(small, out: out.path)
            var fewer = small
            fewer.testCount = 1
            _ = try DemoGenerator.generate(fewer, out: out.path)
            let images = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("images").path)
            #expect(images.count == 13)
            #expect(try Data(contentsOf: out.appendingPathComponent("labelaudit.sqlite")) == Data("verdicts".utf8))
        }
    }

    @Test func badCountsAndSizesAreRefusedWithAClearMessage() throws {
        #expect(throws: DemoError.trainCount(0)) { try DemoOptions(trainCount: 0).validate() }
        #expect(
            DemoError.trainCount(0).description
                == "--train must be between 1 and 200000 (got 0): the demo needs training faces to audit.")
        #expect(throws: DemoError.size(8)) { try DemoOptions(size: 8).validate() }
        #expect(
            DemoError.size(8).description
                == "--size must be between 64 and 4096 pixels (got 8): smaller faces cannot show the glasses.")
        #expect(throws: DemoError.testCount(-1)) { try DemoOptions(testCount: -1).validate() }
        #expect(throws: DemoError.dim(3)) { try DemoOptions(dim: 3).validate() }
        #expect(
            DemoError.dim(3).description
                == "--dim must be between 16 and 4096 (got 3): the faces' attributes need at least 16 latent dimensions.")
        #expect(throws: DemoError.trainCount(0)) {
            try DemoGenerator.generate(DemoOptions(trainCount: 0), out: "/nonexistent/never-made")
        }
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/never-made"))
    }

    @Test func anUnwritableOutputFolderIsRefusedWithAClearMessage() throws {
        try withTemporaryFolder { root in
            let blocker = root.appendingPathComponent("a-file")
            try Data("x".utf8).write(to: blocker)
            let out = blocker.appendingPathComponent("demo").path
            #expect(throws: DemoError.cannotCreateFolder(out, reason: "\(blocker.path) is a file, not a folder")) {
                try DemoGenerator.generate(small, out: out, truth: root.appendingPathComponent("t").path)
            }
            #expect(
                DemoError.cannotCreateFolder(out, reason: "\(blocker.path) is a file, not a folder").description
                    == "cannot create the folder \(out): \(blocker.path) is a file, not a folder. Choose another --out (or --truth)."
            )
            #expect(throws: DemoError.cannotCreateFolder(blocker.path, reason: "a file with that name is in the way")) {
                try DemoGenerator.generate(small, out: blocker.path)
            }
            #expect(try Data(contentsOf: blocker) == Data("x".utf8))
        }
    }

    @Test func aFolderWithSomeoneElsesFilesIsNeverOverwritten() throws {
        try withTemporaryFolder { root in
            let out = root.appendingPathComponent("mine")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try Data("id,glasses\n1,1\n".utf8).write(to: out.appendingPathComponent("train.csv"))
            try Data("precious".utf8).write(to: out.appendingPathComponent("notes.txt"))
            #expect(throws: DemoError.outputNotEmpty(out.path)) { try DemoGenerator.generate(small, out: out.path) }
            #expect(
                DemoError.outputNotEmpty(out.path).description
                    == "\(out.path) already holds files that are not a demo; choose an empty or new --out folder.")
            #expect(try Data(contentsOf: out.appendingPathComponent("train.csv")) == Data("id,glasses\n1,1\n".utf8))
        }
    }

    @Test func theTruthMustLiveOutsideTheDataset() throws {
        try withTemporaryFolder { root in
            let out = root.appendingPathComponent("demo").path
            let truth = out + "/truth"
            #expect(throws: DemoError.truthInsideOutput(truth: truth, out: out)) {
                try DemoGenerator.generate(small, out: out, truth: truth)
            }
            #expect(DemoGenerator.defaultTruthFolder(for: "data/demo/") == "data/demo-truth")
        }
    }
}
