import Foundation
import TestSupport
import Testing

/// `--neighbours FILE`: precomputed neighbours on every command that uses neighbours, and a bad
/// file refused with its file and line before anything is computed or written.
@Suite struct NeighboursFileEndToEndTests {
    /// Six train faces on two clusters, one test face; no images.
    func dataset() throws -> URL {
        let dir = try Executable.temporaryDirectory()
        let train = """
            id,v1,v2,v3,glasses
            1,1.0,0.1,0.0,1
            2,0.9,0.2,0.1,1
            3,1.1,0.0,0.1,0
            4,-1.0,0.1,0.0,0
            5,-0.9,0.0,0.2,0
            6,-1.1,0.2,0.1,1

            """
        try Data(train.utf8).write(to: dir.appendingPathComponent("train.csv"))
        try Data("id,v1,v2,v3\n7,0.5,0.5,0.5\n".utf8).write(to: dir.appendingPathComponent("test.csv"))
        return dir
    }

    func write(_ text: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent("nn.csv")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func theNeighboursCommandShowsTheFilesNeighboursWithPercentiles() throws {
        let dir = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try write("id,neighbour,distance\n1,3,0.02\n1,2,0.01\n1,6,0.9\n", in: dir)
        let r = try Executable.run([
            "neighbours", dir.path, "1", "--neighbours", file, "--json", "--cache", dir.appendingPathComponent("c.sqlite").path,
        ])
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let neighbours = try #require(object?["neighbours"] as? [[String: Any]])
        #expect(neighbours.map { $0["id"] as? String } == ["2", "3", "6"])
        #expect(
            neighbours.map { $0["distance"] as? Double }.compactMap { $0 }.map { ($0 * 100).rounded() / 100 } == [
                0.01, 0.02, 0.9,
            ])
        #expect(neighbours.allSatisfy { ($0["percentile"] as? Double).map { (0...100).contains($0) } ?? false })
    }

    @Test func rankUsesTheFilesNeighboursForTheDisagreementTerm() throws {
        let dir = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Face 3 (label 0) gets two neighbours labelled 1; face 6 (label 1) two labelled 0.
        let file = try write("3,1,0.1\n3,2,0.1\n6,4,0.2\n6,5,0.2\n", in: dir)
        let r = try Executable.run([
            "rank", dir.path, "--neighbours", file, "--json", "--no-image", "--cache",
            dir.appendingPathComponent("c.sqlite").path,
        ])
        #expect(r.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let rows = try #require(object?["rows"] as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"] as! String, $0) })
        #expect(byID["3"]?["neighboursDisagreeing"] as? Int == 2)
        #expect(byID["3"]?["labelledNeighbours"] as? Int == 2)
        #expect(byID["6"]?["neighboursDisagreeing"] as? Int == 2)
        #expect(byID["1"]?["labelledNeighbours"] as? Int == 0)
    }

    @Test func aBadFileExitsWith65NamingFileAndLineAndWritesNothing() throws {
        let dir = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            (
                "id,neighbour,distance\n1,2,0.1\n99,1,0.2\n",
                ":3: column 1 (id): id '99' is not in the dataset; is the file for another dataset?"
            ),
            (
                "1,2,0.1\n2,2,0.0\n",
                ":2: column 2 (neighbour id): '2' is listed as its own neighbour; leave each face's own row out (faiss returns it first)"
            ),
            ("1,2,0.1\n1,3,NaN\n", ":2: column 3 (distance): found 'NaN', expected a distance: a finite number of 0 or more"),
            (
                "1,2,0.1\n3,1,0.2\n1,2,0.3\n",
                ":3: duplicate pair: '2' is listed as a neighbour of '1' again (first on line 1); list each pair once"
            ),
        ]
        for (text, message) in cases {
            let file = try write(text, in: dir)
            let db = dir.appendingPathComponent("audit.sqlite")
            for command in [
                ["rank", dir.path, "--no-image"], ["neighbours", dir.path, "1"], ["models", dir.path, "--no-image"],
            ] {
                let r = try Executable.run(command + ["--neighbours", file, "--db", db.path])
                #expect(r.status == 65, "\(command[0]): \(text)")
                #expect(r.stdout == "")
                #expect(r.stderr == "labelaudit: \(file)\(message)\n")
                // Refused before anything was opened: no audit database, no cache, nothing beside the data.
                #expect(!FileManager.default.fileExists(atPath: db.path))
                #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("audit-cache.sqlite").path))
                #expect(
                    try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["nn.csv", "test.csv", "train.csv"])
            }
        }
        let missing = dir.appendingPathComponent("missing.csv").path
        let r = try Executable.run([
            "rank", dir.path, "--no-image", "--neighbours", missing, "--cache", dir.appendingPathComponent("c.sqlite").path,
        ])
        #expect(r.status == 66)
        #expect(r.stderr.hasPrefix("labelaudit: \(missing): cannot read the neighbours file ("))
    }
}
