import ArgumentParser
import Foundation
import LabelAuditCore

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print what a dataset holds.")
    @OptionGroup var data: DatasetArguments
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let dataset = try DatasetLoader.load(data.options)
        print("train rows: \(dataset.trainCount)")
    }
}
