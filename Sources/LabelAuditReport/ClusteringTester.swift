import Foundation
import LabelAuditCore
import LabelAuditEngine

/// Question 2: do mislabeled faces sit close together in latent space?
///
/// Each statistic is computed on the m confirmed errors and on `permutations` random sets of m
/// train faces (the null: errors are placed like any faces); p = (1 + #random sets at least as
/// extreme) / (1 + permutations), one-sided in the direction that would mean "errors gather",
/// two-sided for the density test.
/// - nearest other error: mean latent distance from each error to the closest other error
///   (O(m² · dim) per set, so the set count shrinks for large m);
/// - errors among neighbours: mean number of an error's k latent neighbours (the engine's graph)
///   that are errors too (O(m · k) per set);
/// - nearest-neighbour distance: mean distance to the closest face of any kind (are errors in
///   denser or sparser regions?);
/// - boundary distance: mean |signed distance to the latent model's boundary| (out of fold).
enum ClusteringTester {
    static func test(
        dataset: Dataset, evidence: Evidence, errorRows: [Int], sampledRows: Set<Int>,
        options: ReportOptions
    ) -> ClusteringAnswer {
        let n = dataset.trainCount
        let m = errorRows.count
        let fromSample = errorRows.filter { sampledRows.contains($0) }.count
        var answer = ClusteringAnswer(
            status: "too_few_errors", confirmedErrors: m, minimumErrors: options.minimumErrorsForClustering,
            errorsFromAuditSample: fromSample, tests: [], directions: nil, sentence: "")
        guard m >= options.minimumErrorsForClustering, m >= 2, n > m else {
            answer.sentence =
                "Too few confirmed errors to tell (\(m) so far; at least \(max(2, options.minimumErrorsForClustering)) needed, and more make the answer firmer). Keep reviewing, ideally a random audit sample (`:sample 50`)."
            return answer
        }
        answer.status = "tested"
        var random = ReportRandom(seed: options.seed ^ 0xC1A5)
        let metric = evidence.neighbours?.graph.metric ?? .cosine
        let index = NeighbourIndex(dataset.latents, metric: metric)

        var tests: [PermutationTest] = []
        // 1. Nearest other error.
        let pairBudget = 150_000_000.0 / Double(max(1, dataset.dim))
        let nearestPermutations = max(99, min(options.permutations, Int(pairBudget / Double(m * m))))
        func nearestOther(_ rows: [Int]) -> Double {
            var sum = 0.0
            for a in rows {
                var best = Float.infinity
                for b in rows where b != a { best = min(best, index.distance(a, b)) }
                sum += Double(best)
            }
            return sum / Double(rows.count)
        }
        tests.append(
            permutation(
                name: "nearest_other_error",
                description: "mean latent distance from each confirmed error to the closest other confirmed error",
                observed: nearestOther(errorRows), m: m, population: n, permutations: nearestPermutations,
                alternative: "less", random: &random, statistic: nearestOther))

        if let graph = evidence.neighbours?.graph, graph.rows >= n {
            // 2. Errors among each other's neighbours.
            var member = [Bool](repeating: false, count: n)
            func neighboursInSet(_ rows: [Int]) -> Double {
                for row in rows { member[row] = true }
                var count = 0
                for row in rows {
                    for slot in 0..<graph.k {
                        let other = Int(graph.indices[row * graph.k + slot])
                        if other >= 0, other < n, member[other] { count += 1 }
                    }
                }
                for row in rows { member[row] = false }
                return Double(count) / Double(rows.count)
            }
            tests.append(
                permutation(
                    name: "errors_among_neighbours",
                    description: "mean number of a confirmed error's \(graph.k) latent neighbours that are confirmed errors too",
                    observed: neighboursInSet(errorRows), m: m, population: n,
                    permutations: options.permutations, alternative: "greater", random: &random,
                    statistic: neighboursInSet))
            // 3. Density: distance to the nearest face of any kind.
            let nearest = (0..<n).map { Double(graph.distances[$0 * graph.k]) }
            func meanNearest(_ rows: [Int]) -> Double { rows.reduce(0) { $0 + nearest[$1] } / Double(rows.count) }
            tests.append(
                permutation(
                    name: "nearest_neighbour_distance",
                    description: "mean latent distance from a face to its nearest neighbour (any face)",
                    observed: meanNearest(errorRows), m: m, population: n, permutations: options.permutations,
                    alternative: "two-sided", random: &random, statistic: meanNearest))
        }
        // 4. Distance to the latent labelling boundary.
        if let latent = evidence.runs.last(where: { $0.source == .latent }) {
            let distances = (0..<n).map { latent.boundaryDistances[dataset.ids[$0]].map(abs) }
            if distances.allSatisfy({ $0 != nil }) {
                let values = distances.map { $0! }
                func meanBoundary(_ rows: [Int]) -> Double { rows.reduce(0) { $0 + values[$1] } / Double(rows.count) }
                tests.append(
                    permutation(
                        name: "boundary_distance",
                        description: "mean |distance to the latent model's labelling boundary| (out of fold)",
                        observed: meanBoundary(errorRows), m: m, population: n,
                        permutations: options.permutations, alternative: "less", random: &random,
                        statistic: meanBoundary))
            }
        }
        answer.tests = tests
        answer.sentence = sentence(tests, m: m, fromSample: fromSample)
        if let directions = LatentDirections.compute(
            dataset: dataset, evidence: evidence, errorRows: errorRows,
            permutations: min(options.permutations, 199), seed: options.seed)
        {
            let p = directions.pValue
            answer.directions = SeparatingDirection(
                description:
                    "difference of the confirmed errors' and the other faces' mean standardised latents, boundary direction removed",
                separation: directions.separation, randomSeparation: directions.randomSeparation, pValue: p,
                permutations: directions.permutations)
            let pText = p < 0.001 ? "p < 0.001" : String(format: "p = %.3f", p)
            answer.sentence +=
                p < 0.05
                ? " Beyond the boundary, one latent direction separates the confirmed errors from the other faces more than it would random sets of faces (separation \(String(format: "%.2f", directions.separation)) vs \(String(format: "%.2f", directions.randomSeparation)) for random sets, \(pText), the direction refitted for each): see the picture."
                : " No latent direction beyond the boundary separates the confirmed errors better than it would random sets of faces (separation \(String(format: "%.2f", directions.separation)) vs \(String(format: "%.2f", directions.randomSeparation)), \(pText), the direction refitted for each)."
            answer.picture = LatentDirections.jpeg(directions, errorRows: errorRows)
        }
        return answer
    }

    static func permutation(
        name: String, description: String, observed: Double, m: Int, population: Int,
        permutations: Int, alternative: String, random: inout ReportRandom,
        statistic: ([Int]) -> Double
    ) -> PermutationTest {
        var pool = Array(0..<population)
        var values: [Double] = []
        values.reserveCapacity(permutations)
        for _ in 0..<permutations {
            random.choose(m, from: &pool)
            values.append(statistic(Array(pool[0..<m])))
        }
        let mean = values.reduce(0, +) / Double(max(1, values.count))
        let tolerance = 1e-12 * max(1, abs(observed))
        let lessOrEqual = values.filter { $0 <= observed + tolerance }.count
        let greaterOrEqual = values.filter { $0 >= observed - tolerance }.count
        let denominator = Double(permutations + 1)
        let p: Double
        switch alternative {
        case "less": p = Double(1 + lessOrEqual) / denominator
        case "greater": p = Double(1 + greaterOrEqual) / denominator
        default: p = min(1, 2 * Double(1 + min(lessOrEqual, greaterOrEqual)) / denominator)
        }
        return PermutationTest(
            name: name, description: description, errorsValue: finite(observed), randomValue: finite(mean),
            pValue: p, permutations: permutations, alternative: alternative)
    }

    static func sentence(_ tests: [PermutationTest], m: Int, fromSample: Int) -> String {
        func find(_ name: String) -> PermutationTest? { tests.first { $0.name == name } }
        func p(_ t: PermutationTest) -> String { t.pValue < 0.001 ? "p < 0.001" : String(format: "p = %.3f", t.pValue) }
        func v(_ x: Double) -> String { String(format: "%.3g", x) }
        var parts: [String] = []
        let together = [find("nearest_other_error"), find("errors_among_neighbours")].compactMap { $0 }
        if let strongest = together.min(by: { $0.pValue < $1.pValue }), strongest.pValue < 0.05 {
            parts.append(
                "Yes, there is evidence that mislabeled faces sit together: the \(m) confirmed errors are closer to each other than random sets of training faces (\(strongest.description): \(v(strongest.errorsValue)) vs \(v(strongest.randomValue)), \(p(strongest)))."
            )
        } else if let first = together.first {
            parts.append(
                "No evidence that mislabeled faces sit together: the \(m) confirmed errors are no closer to each other than random sets of training faces (\(first.description): \(v(first.errorsValue)) vs \(v(first.randomValue)), \(p(first)))."
            )
        }
        if let boundary = find("boundary_distance") {
            if boundary.pValue < 0.05 {
                parts.append(
                    "They lie nearer the latent labelling boundary than other faces (mean |distance| \(v(boundary.errorsValue)) vs \(v(boundary.randomValue)), \(p(boundary))), where the generator's rule is ambiguous."
                )
            } else {
                parts.append(
                    "They are no nearer the latent labelling boundary than other faces (mean |distance| \(v(boundary.errorsValue)) vs \(v(boundary.randomValue)), \(p(boundary)))."
                )
            }
        }
        if let density = find("nearest_neighbour_distance"), density.pValue < 0.05 {
            parts.append(
                "Their nearest neighbours are \(density.errorsValue < density.randomValue ? "closer" : "farther") than usual (\(v(density.errorsValue)) vs \(v(density.randomValue)), \(p(density)))."
            )
        }
        if fromSample < m {
            parts.append(
                "Caution: \(m - fromSample) of the \(m) errors were found through the queue, which favours faces near the boundary and with disagreeing neighbours, so these comparisons lean towards yes; errors found in the random audit sample (\(fromSample) so far) give an unbiased answer."
            )
        }
        return parts.joined(separator: " ")
    }
}
