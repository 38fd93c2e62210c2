import Foundation
import LabelAuditCore
import Testing

@testable import LabelAuditDemo

/// The label statistics, checked on a large plan (no pixels): dim 64 keeps it fast, and z·d is
/// N(0, 1) for any dim, so the rates are the same as at 512.
@Suite struct DemoPlanTests {
    static let large = try! DemoPlan(options: DemoOptions(trainCount: 20_000, testCount: 0, size: 64, dim: 64, seed: 7))

    @Test func sameArgumentsGiveTheSamePlan() throws {
        let a = try DemoPlan(options: DemoOptions(trainCount: 50, testCount: 5, dim: 512, seed: 3))
        let b = try DemoPlan(options: DemoOptions(trainCount: 50, testCount: 5, dim: 512, seed: 3))
        #expect(a.faces == b.faces)
        let c = try DemoPlan(options: DemoOptions(trainCount: 50, testCount: 5, dim: 512, seed: 4))
        #expect(a.faces != c.faces)
    }

    @Test func theLabelIsTheRule() {
        for face in Self.large.faces {
            #expect(face.label == (face.margin > 0 ? 1 : 0))
        }
    }

    @Test func aboutSixtyFourPercentAreLabelledGlasses() {
        let share = Double(Self.large.faces.filter { $0.label == 1 }.count) / Double(Self.large.faces.count)
        #expect(share > 0.62 && share < 0.66, "label prevalence \(share)")
    }

    @Test func aboutThreePercentOfPicturesDisagreeWithTheirLabel() {
        let flipped = Self.large.faces.filter(\.flipped)
        let rate = Double(flipped.count) / Double(Self.large.faces.count)
        #expect(rate > 0.025 && rate < 0.035, "flip rate \(rate)")
        // Both directions occur: labelled glasses without any drawn, and the reverse.
        #expect(flipped.contains { $0.label == 1 && !$0.imageHasGlasses })
        #expect(flipped.contains { $0.label == 0 && $0.imageHasGlasses })
    }

    @Test func flipsConcentrateNearTheBoundary() {
        let faces = Self.large.faces
        func rate(_ subset: [DemoFace]) -> Double { Double(subset.filter(\.flipped).count) / Double(max(1, subset.count)) }
        let near = rate(faces.filter { abs($0.margin) < 0.3 })
        let far = rate(faces.filter { abs($0.margin) > 1 })
        #expect(near > 0.06, "flip rate near the boundary \(near)")
        #expect(near > 10 * far, "near \(near) vs far \(far)")
        let meanMargin = faces.map { abs($0.margin) }.reduce(0, +) / Double(faces.count)
        let flipped = faces.filter(\.flipped)
        let meanFlippedMargin = flipped.map { abs($0.margin) }.reduce(0, +) / Double(flipped.count)
        #expect(meanFlippedMargin < 0.5 * meanMargin)
    }

    @Test func flipsConcentrateInOneRegionOfLatentSpace() {
        let faces = Self.large.faces
        func rate(_ subset: [DemoFace]) -> Double { Double(subset.filter(\.flipped).count) / Double(max(1, subset.count)) }
        let inside = rate(faces.filter { $0.regionScore > 0 })
        let outside = rate(faces.filter { $0.regionScore < 0 })
        #expect(inside > 2 * outside, "region \(inside) vs elsewhere \(outside)")
    }

    @Test func everyGlassesStyleOccursAndOnlyOnFacesWithGlasses() {
        let styles = Set(Self.large.faces.filter(\.imageHasGlasses).map(\.style))
        #expect(styles == Set(GlassesStyle.allCases).subtracting([.none]))
        #expect(Self.large.faces.allSatisfy { ($0.style == .none) == !$0.imageHasGlasses })
    }

    @Test func latentsLookStandardNormal() {
        let values = Self.large.faces.prefix(2000).flatMap(\.latent)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02, "mean \(mean) variance \(variance)")
    }

    @Test func portableLogMatchesLibm() {
        for x in [1e-300, 1e-9, 0.001, 0.3, 0.5, 0.7071, 0.9999999, 1, 1.5, 2, 10, 12345.678] {
            #expect(abs(portableLog(x) - Foundation.log(x)) <= 4e-16 * max(1, abs(Foundation.log(x))), "x = \(x)")
        }
    }

    @Test func randomStreamIsPinned() {
        // The first outputs of SplitMix64 from seed 0 (reference values of the published algorithm).
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func latentValuesAreWrittenWithFiveDecimals() {
        func text(_ v: Double) -> String {
            var out: [UInt8] = []
            DemoFiles.appendFixed5(v, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text(-0.5) == "-0.50000")
        #expect(text(0.00001) == "0.00001")
        #expect(text(-0.00001) == "-0.00001")
        #expect(text(2.345678) == "2.34568")
        #expect(text(0) == "0.00000")
        #expect(text(-12.3) == "-12.30000")
    }
}
