import Foundation
import Testing

@testable import LabelAuditCore

@Suite struct ImportedNeighboursTests {
    let ids = ["a", "b", "c", "d", "30"]

    func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-nn-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        return url
    }

    func refusal(_ text: String) throws -> DatasetError? {
        let url = try write(text)
        defer { try? FileManager.default.removeItem(at: url) }
        do throws(DatasetError) {
            _ = try ImportedNeighbours.read(url, ids: ids, metric: .cosine)
            return nil
        } catch {
            #expect(error.file == url.path)
            return error
        }
    }

    @Test func readsPairsSortsThemByDistanceAndPadsFacesWithFewer() throws {
        let url = try write("id,neighbour,distance\r\na,c,0.30\na,b,0.10\n\n\"30\",d,0.5\nb,a,0.1\na,d,0.2\n")
        defer { try? FileManager.default.removeItem(at: url) }
        let graph = try ImportedNeighbours.read(url, ids: ids, metric: .cosine)
        #expect(graph.rows == 5 && graph.k == 3 && graph.metric == .cosine)
        #expect(graph.neighbours(of: 0).map(\.row) == [1, 3, 2])
        #expect(graph.neighbours(of: 0).map(\.distance) == [0.1, 0.2, 0.3])
        #expect(graph.neighbours(of: 1).map(\.row) == [0])
        #expect(graph.neighbours(of: 2).isEmpty)
        #expect(graph.neighbours(of: 4).map(\.row) == [3])
        // No header is fine too.
        let bare = try write("b,c,0.25\n")
        defer { try? FileManager.default.removeItem(at: bare) }
        #expect(try ImportedNeighbours.read(bare, ids: ids, metric: .l2).neighbours(of: 1).map(\.row) == [2])
    }

    @Test func anUnknownIdIsRefusedWithItsLine() throws {
        let error = try #require(try refusal("id,neighbour,distance\na,b,0.1\nzz,a,0.2\n"))
        #expect(error.line == 3 && error.column == "1 (id)" && error.exitCode == 65)
        #expect(error.problem == "id 'zz' is not in the dataset; is the file for another dataset?")
        let neighbour = try #require(try refusal("a,b,0.1\na,\"q\",0.2\n"))
        #expect(neighbour.line == 2 && neighbour.column == "2 (neighbour id)")
        #expect(neighbour.problem == "neighbour id 'q' is not in the dataset; is the file for another dataset?")
    }

    @Test func aFaceListedAsItsOwnNeighbourIsRefused() throws {
        let error = try #require(try refusal("id,neighbour,distance\na,b,0.1\nc,c,0\n"))
        #expect(error.line == 3)
        #expect(error.problem == "'c' is listed as its own neighbour; leave each face's own row out (faiss returns it first)")
    }

    @Test func nanNegativeAndTextDistancesAreRefused() throws {
        for (field, line) in [("nan", 2), ("-0.5", 2), ("inf", 2), ("close", 2), ("", 2)] {
            let error = try #require(try refusal("a,b,0.1\nb,c,\(field)\n"), "\(field)")
            #expect(error.line == line && error.column == "3 (distance)")
            #expect(error.problem == "found '\(field)', expected a distance: a finite number of 0 or more")
        }
    }

    @Test func aPairTwiceIsRefusedNamingBothLines() throws {
        let error = try #require(try refusal("id,neighbour,distance\na,b,0.1\nb,c,0.2\na,b,0.1\n"))
        #expect(error.line == 4)
        #expect(
            error.problem == "duplicate pair: 'b' is listed as a neighbour of 'a' again (first on line 2); list each pair once")
    }

    @Test func raggedAndEmptyFilesAreRefused() throws {
        let ragged = try #require(try refusal("a,b,0.1\nb,c\n"))
        #expect(ragged.line == 2 && ragged.problem == "found 2 fields, expected 3: id, neighbour id, distance")
        let empty = try #require(try refusal(""))
        #expect(
            empty.line == nil && empty.problem == "no neighbour pairs in the file; expected lines of id, neighbour id, distance")
        let headerOnly = try #require(try refusal("id,neighbour,distance\n"))
        #expect(headerOnly.problem == "no neighbour pairs in the file; expected lines of id, neighbour id, distance")
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("labelaudit-no-such-\(UUID().uuidString).csv")
        do throws(DatasetError) {
            _ = try ImportedNeighbours.read(missing, ids: ids, metric: .cosine)
            Issue.record("a missing file must be refused")
        } catch {
            #expect(error.exitCode == 66 && error.file == missing.path)
        }
    }

    @Test func lineNumbersHoldAcrossTheChunksParsedInParallel() throws {
        // 200,000 lines (several MB: split between the workers), the bad one near the end.
        let many = (0..<1000).map { "id\($0)" }
        var text = "id,neighbour,distance\n"
        for i in 0..<200_000 {
            let face = i / 200
            let other = (i / 200 + 1 + i % 200) % 1000
            text += "id\(face),id\(other),\(Double(i % 200) / 1000)\n"
        }
        text += "id1,id1,0.5\n"
        let url = try write(text)
        defer { try? FileManager.default.removeItem(at: url) }
        do throws(DatasetError) {
            _ = try ImportedNeighbours.read(url, ids: many, metric: .cosine)
            Issue.record("the self-neighbour on the last line must be refused")
        } catch {
            #expect(error.line == 200_002)
            #expect(error.problem.hasPrefix("'id1' is listed as its own neighbour"))
        }
    }
}
