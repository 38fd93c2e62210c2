import LabelAuditImaging

/// The bytes of every demo file, computed from a plan. Split from the disk writer so tests can
/// compare them with committed files without writing anything.
package enum DemoFiles {
    /// `id,v1,...,vD,glasses` for the train faces.
    package static func trainCSV(_ plan: DemoPlan) -> [UInt8] {
        latentCSV(plan, faces: plan.faces.filter(\.isTrain), withLabel: true)
    }

    /// `id,v1,...,vD` for the test faces (ids continue after train).
    package static func testCSV(_ plan: DemoPlan) -> [UInt8] {
        latentCSV(plan, faces: plan.faces.filter { !$0.isTrain }, withLabel: false)
    }

    /// `id,glasses` with 0.64 (the prevalence) for every test id, as the competition's.
    package static func sampleSubmissionCSV(_ plan: DemoPlan) -> [UInt8] {
        var out = Array("id,glasses\n".utf8)
        for face in plan.faces where !face.isTrain {
            out += Array("\(face.id),0.64\n".utf8)
        }
        return out
    }

    /// `id,label,image_has_glasses,flipped,style` for every face, train and test.
    package static func truthCSV(_ plan: DemoPlan) -> [UInt8] {
        var out = Array("id,label,image_has_glasses,flipped,style\n".utf8)
        for face in plan.faces {
            out += Array(
                "\(face.id),\(face.label),\(face.imageHasGlasses ? 1 : 0),\(face.flipped ? 1 : 0),\(face.style.rawValue)\n".utf8)
        }
        return out
    }

    /// The JPEG of one face (libjpeg, quality 90).
    package static func jpeg(_ plan: DemoPlan, face: DemoFace, renderer: inout FaceRenderer) throws(DemoError) -> [UInt8] {
        let image = renderer.render(plan.look(of: face))
        do {
            return try JPEGEncoder.encode(image, quality: 90)
        } catch {
            throw .jpeg(id: face.id, message: error.message)
        }
    }

    package static func imageName(id: Int) -> String { "face-\(id).jpg" }

    static func latentCSV(_ plan: DemoPlan, faces: [DemoFace], withLabel: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + faces.count * (plan.options.dim * 10 + 12))
        out += Array("id".utf8)
        for i in 1...plan.options.dim { out += Array(",v\(i)".utf8) }
        if withLabel { out += Array(",glasses".utf8) }
        out.append(UInt8(ascii: "\n"))
        for face in faces {
            appendInteger(face.id, to: &out)
            for value in face.latent {
                out.append(UInt8(ascii: ","))
                appendFixed5(value, to: &out)
            }
            if withLabel {
                out.append(UInt8(ascii: ","))
                out.append(face.label == 1 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        out += Array(String(value).utf8)
    }

    /// Writes a latent value with exactly 5 decimals ("-1.23457"), from integer arithmetic only,
    /// so the text is byte-identical everywhere. Latents are already on the 1e-5 grid, so this
    /// round-trips exactly.
    static func appendFixed5(_ value: Double, to out: inout [UInt8]) {
        var scaled = Int((value * 100_000).rounded())
        if scaled < 0 {
            out.append(UInt8(ascii: "-"))
            scaled = -scaled
        }
        appendInteger(scaled / 100_000, to: &out)
        out.append(UInt8(ascii: "."))
        var fraction = scaled % 100_000
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: 5)
        for i in stride(from: 4, through: 0, by: -1) {
            digits[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
            fraction /= 10
        }
        out += digits
    }
}
