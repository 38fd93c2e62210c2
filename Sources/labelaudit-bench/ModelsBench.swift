import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore

/// The latent-model benchmark. Reads a raw little-endian float32 matrix and a label
/// byte file, runs the out-of-fold protocol with a fixed C (so scikit-learn can be run on the
/// same folds), writes `row,fold,p` and prints the fit time.
struct ModelsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models-bench",
        abstract: "The latent model's out-of-fold protocol on a raw float32 matrix (row,fold,p).")
    @Option var matrix: String
    @Option var labels: String
    @Option var rows: Int
    @Option var dim: Int
    @Option var c: Double?
    @Option var out: String

    func run() throws {
        let m = try BenchFiles.matrix(matrix, rows: rows, dim: dim)
        let y = [UInt8](try Data(contentsOf: URL(fileURLWithPath: labels)))
        guard y.count == rows else { throw ValidationError("labels file has \(y.count) bytes, expected \(rows)") }
        let options = c.map { OutOfFoldOptions.fixed($0) } ?? OutOfFoldOptions()
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try OutOfFold.run(m, trainRows: Array(0..<rows), labels: y, otherRows: [], options: options)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var text = "row,fold,p\n"
        for r in 0..<rows { text += "\(r),\(result.foldOfRow[r]!),\(result.probabilities[r]!)\n" }
        try text.write(toFile: out, atomically: true, encoding: .utf8)
        let loss = Metrics.logLoss(probabilities: (0..<rows).map { result.probabilities[$0]! }, labels: y)
        print("{\"seconds\": \(seconds), \"log_loss\": \(loss), \"chosen_c\": \(result.chosenC)}")
    }
}

enum BenchFiles {
    static func matrix(_ path: String, rows: Int, dim: Int) throws -> LatentMatrix {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count == rows * dim * 4 else {
            throw ValidationError("\(path): \(data.count) bytes, expected rows * dim * 4 = \(rows * dim * 4)")
        }
        var values = [Float](repeating: 0, count: rows * dim)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        return LatentMatrix(rows: rows, dim: dim, values: values)
    }
}
