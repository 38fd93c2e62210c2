import LabelAuditImaging

/// A grid of demo faces, each downscaled by box averaging: how a person checks at a glance that
/// the generator draws faces (and glasses) that read as such.
public enum DemoContactSheet {
    /// Renders the faces at `indices` of `plan` and tiles them `columns` wide at `thumbnail` pixels.
    /// `thumbnail` must divide the plan's image size.
    public static func make(_ plan: DemoPlan, indices: [Int], columns: Int, thumbnail: Int) -> RGBImage {
        let size = plan.options.size
        precondition(thumbnail > 0 && size % thumbnail == 0 && columns > 0)
        let rows = (indices.count + columns - 1) / columns
        let gap = 2
        let width = columns * thumbnail + (columns + 1) * gap
        let height = rows * thumbnail + (rows + 1) * gap
        var sheet = RGBImage(width: width, height: height, fill: (24, 24, 24))
        var renderer = FaceRenderer(size: size)
        let factor = size / thumbnail
        for (n, index) in indices.enumerated() {
            let face = renderer.render(plan.look(of: plan.faces[index]))
            let originX = gap + (n % columns) * (thumbnail + gap)
            let originY = gap + (n / columns) * (thumbnail + gap)
            for ty in 0..<thumbnail {
                for tx in 0..<thumbnail {
                    var sum = (0, 0, 0)
                    for sy in 0..<factor {
                        for sx in 0..<factor {
                            let i = ((ty * factor + sy) * size + tx * factor + sx) * 3
                            sum.0 += Int(face.pixels[i])
                            sum.1 += Int(face.pixels[i + 1])
                            sum.2 += Int(face.pixels[i + 2])
                        }
                    }
                    let area = factor * factor
                    let o = ((originY + ty) * width + originX + tx) * 3
                    sheet.pixels[o] = UInt8((sum.0 + area / 2) / area)
                    sheet.pixels[o + 1] = UInt8((sum.1 + area / 2) / area)
                    sheet.pixels[o + 2] = UInt8((sum.2 + area / 2) / area)
                }
            }
        }
        return sheet
    }
}
