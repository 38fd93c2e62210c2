import Foundation
import LabelAuditImaging
import Testing

@testable import LabelAuditDemo

@Suite struct DemoPictureTests {
    /// The contract the image model relies on: glasses lie inside the eye band
    /// x 0.16–0.84, y 0.34–0.58. Rendering each face with and without its glasses, every pixel that
    /// changes must be inside the band.
    @Test func glassesStayInsideTheEyeBand() throws {
        let plan = try DemoPlan(options: DemoOptions(trainCount: 300, testCount: 0, size: 128, dim: 512, seed: 11))
        var renderer = FaceRenderer(size: 128)
        var checked = Set<GlassesStyle>()
        for face in plan.faces where face.imageHasGlasses && !checked.contains(face.style) {
            var look = plan.look(of: face)
            let with = renderer.render(look)
            look.glasses = .none
            let without = renderer.render(look)
            var changed = 0
            for y in 0..<128 {
                for x in 0..<128 {
                    let i = (y * 128 + x) * 3
                    if with.pixels[i..<i + 3] != without.pixels[i..<i + 3] {
                        changed += 1
                        let u = (Double(x) + 0.5) / 128
                        let v = (Double(y) + 0.5) / 128
                        #expect(u >= 0.16 && u <= 0.84 && v >= 0.34 && v <= 0.58, "face \(face.id) \(face.style) pixel \(x),\(y)")
                    }
                }
            }
            #expect(changed > 100, "face \(face.id) \(face.style): glasses change only \(changed) pixels")
            checked.insert(face.style)
            if checked.count == 6 { break }
        }
        #expect(checked.count == 6)
    }

    /// Plainly visible glasses: in the eye band, every style but the faint one changes the picture
    /// a lot more than the faint one does.
    @Test func onlyTheFaintStyleIsHardToSee() throws {
        let plan = try DemoPlan(options: DemoOptions(trainCount: 400, testCount: 0, size: 256, dim: 512, seed: 12))
        var renderer = FaceRenderer(size: 256)
        var strength: [GlassesStyle: Double] = [:]
        for face in plan.faces where face.imageHasGlasses && strength[face.style] == nil {
            var look = plan.look(of: face)
            let with = renderer.render(look)
            look.glasses = .none
            let without = renderer.render(look)
            var sum = 0.0
            for (a, b) in zip(with.pixels, without.pixels) { sum += abs(Double(a) - Double(b)) }
            strength[face.style] = sum / 255
        }
        let faint = try #require(strength[.faintFrames])
        for (style, value) in strength where style != .faintFrames {
            #expect(value > 2 * faint, "\(style) \(value) vs faint \(faint)")
        }
    }

    /// The eyes sit where FFHQ puts them: the darkest pixel (the pupil) near (0.36 W, 0.46 H)
    /// and (0.64 W, 0.46 H), give or take the tilt.
    @Test func eyesAreAligned() throws {
        let plan = try DemoPlan(options: DemoOptions(trainCount: 20, testCount: 0, size: 256, dim: 512, seed: 13))
        var renderer = FaceRenderer(size: 256)
        for face in plan.faces {
            var look = plan.look(of: face)
            look.glasses = .none
            let image = renderer.render(look)
            for (lo, hi, expected) in [(70, 128, 0.36), (128, 186, 0.64)] {
                var best = (value: Int.max, x: 0, y: 0)
                for y in 100..<136 {
                    for x in lo..<hi {
                        let i = (y * 256 + x) * 3
                        let value = Int(image.pixels[i]) + Int(image.pixels[i + 1]) + Int(image.pixels[i + 2])
                        if value < best.value { best = (value, x, y) }
                    }
                }
                #expect(
                    abs(Double(best.x) / 256 - expected) < 0.03 && abs(Double(best.y) / 256 - 0.46) < 0.025,
                    "face \(face.id): pupil at \(best.x),\(best.y)")
            }
        }
    }
}
