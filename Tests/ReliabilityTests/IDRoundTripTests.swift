import Foundation
import TestSupport
import Testing

/// Issue 15, item 12: ids are kept byte-exact everywhere, so the corrected-labels CSV always
/// joins back to train.csv (ids that could not be kept exact are refused when train.csv is read).
@Suite struct IDRoundTrip {
    /// RFC 4180 fields of one CSV text (quotes, doubled quotes, commas and line ends inside quotes).
    static func records(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" {
                        scalars.removeFirst()
                        field.unicodeScalars.append("\"")
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\n" {
                fields.append(field)
                field = ""
                records.append(fields)
                fields = []
            } else if c != "\r" {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(fields)
        }
        return records
    }

    static func quoted(_ id: String) -> String {
        id.contains(where: { $0 == "," || $0 == "\"" }) ? "\"" + id.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : id
    }

    @Test func theCorrectedLabelsJoinBackToTrainCSVByteForByte() throws {
        let folder = try TemporaryFolder("ids")
        defer { folder.remove() }
        let ids = ["7", "007", "face, 8", "say \"hi\"", "顔-9", "e\u{301}", "-5", "a b", "🕶️10", "x;y", "+3", "1e5"]
        var train = "id,v1,v2,glasses\n"
        for (k, id) in ids.enumerated() { train += "\(Self.quoted(id)),\(Double(k) / 10),\(Double(k % 3) / 3),\(k % 2)\n" }
        try folder.write(train, to: "data/train.csv")
        let data = folder.file("data").path
        var environment = ProcessInfo.processInfo.environment
        environment["USER"] = "ana"
        environment["XDG_CACHE_HOME"] = folder.file("cache").path
        for id in ["face, 8", "say \"hi\"", "顔-9", "-5"] {
            let result = try Command.labelaudit(["verdict", data, "--", id, "label_wrong"], environment: environment)
            #expect(result.status == 0, "\(id): \(result.stderr)")
        }
        let out = folder.file("labels.csv").path
        let result = try Command.labelaudit(
            ["export", data, "--no-image", "--format", "csv", "--out", out], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")

        let trainRecords = Self.records(try String(contentsOfFile: folder.file("data/train.csv").path, encoding: .utf8))
        let labelRecords = Self.records(try String(contentsOfFile: out, encoding: .utf8))
        #expect(labelRecords.first == ["id", "glasses", "original_glasses", "changed_by"])
        let trainIDs = trainRecords.dropFirst().map { Array($0[0].utf8) }
        let labelIDs = labelRecords.dropFirst().map { Array($0[0].utf8) }
        #expect(Set(labelIDs) == Set(trainIDs))
        #expect(labelIDs.count == ids.count)
        var given: [String: String] = [:]
        for record in trainRecords.dropFirst() { given[record[0]] = record[3] }
        for record in labelRecords.dropFirst() {
            let flipped = ["face, 8", "say \"hi\"", "顔-9", "-5"].contains(record[0])
            #expect(record[2] == given[record[0]], "\(record[0])")
            #expect(record[1] == (flipped ? (given[record[0]] == "1" ? "0" : "1") : given[record[0]]), "\(record[0])")
        }
    }
}
