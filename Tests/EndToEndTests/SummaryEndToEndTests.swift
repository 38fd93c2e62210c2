import Foundation
import Testing
import TestSupport

@Suite struct SummaryEndToEndTests {
    func fixture() throws -> URL {
        let dir = try Executable.temporaryDirectory()
        try Data("id,v1,v2,glasses\n1,0.1,0.2,1\n2,0.3,0.4,0\n3,0.5,0.6,1\n".utf8).write(to: dir.appendingPathComponent("train.csv"))
        try Data("id,v1,v2\n4501,1,2\n".utf8).write(to: dir.appendingPathComponent("test.csv"))
        try Data("id,glasses\n1,0.9\n2,0.1\n3,0.8\n4501,0.5\n".utf8).write(to: dir.appendingPathComponent("predictions-cnn.csv"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        try Data([0xFF, 0xD8]).write(to: dir.appendingPathComponent("images/face-1.jpg"))
        return dir
    }

    @Test func printsTheDatasetAsText() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Executable.run(["summary", dir.path])
        #expect(r.status == 0)
        #expect(r.stderr == "")
        #expect(r.stdout.contains("train rows      3\n"))
        #expect(r.stdout.contains("test rows       1\n"))
        #expect(r.stdout.contains("latent dim      2\n"))
        #expect(r.stdout.contains("prevalence      66.7% labelled 1 (train)\n"))
        #expect(r.stdout.contains("images          1 found, 3 missing in "))
        #expect(r.stdout.contains("predictions-cnn.csv"))
    }

    @Test func printsJSON() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Executable.run(["summary", dir.path, "--json"])
        #expect(r.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["trainRows"] as? Int == 3)
        #expect(object?["latentDimension"] as? Int == 2)
        #expect(object?["imagesMissing"] as? Int == 3)
    }

    @Test func badInputExitsWith65AndOneLineOnStderr() throws {
        let dir = try fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("id,v1,v2,glasses\n1,0.1,0.2,1\n2,0.3,0.4,7\n".utf8).write(to: dir.appendingPathComponent("train.csv"))
        let r = try Executable.run(["summary", dir.path])
        #expect(r.status == 65)
        #expect(r.stdout == "")
        #expect(r.stderr == "labelaudit: \(dir.path)/train.csv:3: column 'glasses' (4): found '7', expected a label of 0 or 1\n")
    }

    @Test func missingDatasetExitsWith66() throws {
        let r = try Executable.run(["summary", "/nonexistent/labelaudit-dataset"])
        #expect(r.status == 66)
        #expect(r.stderr == "labelaudit: /nonexistent/labelaudit-dataset: no such dataset folder; expected a folder with train.csv (and test.csv, images/)\n")
    }
}
