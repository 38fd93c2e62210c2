import ArgumentParser
import Foundation
import LabelAuditCLI
import LabelAuditCore

/// The CSV bench's in-process side. Loads the dataset `repeats` times in this process,
/// as pandas' side calls `read_csv` in its own, and prints the median wall and CPU time.
/// (The bench also times the whole `summary` process, start-up included.)
struct IngestBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest-bench",
        abstract: "Load a dataset REPEATS times in one process; median wall and CPU time (JSON).")
    @OptionGroup var data: DatasetArguments
    @Option var repeats = 5

    func run() throws {
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        var wall: [Double] = []
        var cpu: [Double] = []
        var rows = 0
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = cpuSeconds()
            let dataset = try data.loadDataset()
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpu.append(cpuSeconds() - startCPU)
            rows = dataset.count
        }
        wall.sort()
        cpu.sort()
        print("{\"rows\": \(rows), \"wall_seconds\": \(wall[wall.count / 2]), \"cpu_seconds\": \(cpu[cpu.count / 2])}")
    }
}
