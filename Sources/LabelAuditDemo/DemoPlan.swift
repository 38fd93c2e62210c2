import LabelAuditCore

/// The glasses a face is drawn with. The raw values are what `truth.csv` records.
public enum GlassesStyle: String, Sendable, CaseIterable {
    case none
    case thickFrames = "thick"
    case metalFrames = "metal"
    /// Deliberately faint: hard to see at thumbnail size, the reason the app can zoom.
    case faintFrames = "faint"
    case sunglasses
    case tinted
    case rimless
}

/// One face of the demo: its latent vector, the label the "algorithm" aimed for, and what the
/// picture really shows.
public struct DemoFace: Sendable, Equatable {
    public let id: Int
    package let isTrain: Bool
    /// z rounded to 5 decimals, exactly the numbers the CSV holds, so everything derived from it
    /// (label, look) can be recomputed from the files.
    public let latent: [Double]
    /// The label rule: 1 when z·d > t.
    public let label: UInt8
    /// True when the picture shows the opposite of `label`.
    public let flipped: Bool
    /// z·d − t: how far the face is from the labelling boundary.
    public let margin: Double
    /// Projection on the direction that concentrates flips (the "noisy region").
    package let regionScore: Double
    /// The style drawn; `.none` when the picture has no glasses.
    public let style: GlassesStyle

    package var imageHasGlasses: Bool { (label == 1) != flipped }
}

/// The whole demo minus the pixels: latents, labels, flips and styles. Cheap to compute (no
/// rendering), so tests check the label statistics on many thousands of faces.
///
/// Complexity: O(n · dim · k) for n faces and k ≈ 30 fixed directions.
public struct DemoPlan: Sendable {
    public let options: DemoOptions
    public let faces: [DemoFace]
    let directions: LatentDirections

    /// The threshold t: −Φ⁻¹(0.64), so that P(z·d > t) = 0.64 for z ~ N(0, I) and unit d.
    public static let threshold = -0.358459
    /// Flip probability is `flipScale · near(margin) · region(score)`; the scale makes the mean ≈ 3%.
    static let flipScale = 0.21
    static let nearWidth = 0.45

    public init(options: DemoOptions) throws(DemoError) {
        try options.validate()
        self.options = options
        let directions = LatentDirections(dim: options.dim)
        self.directions = directions
        var faces: [DemoFace] = []
        faces.reserveCapacity(options.faceCount)
        for index in 0..<options.faceCount {
            faces.append(Self.makeFace(index: index, options: options, directions: directions))
        }
        self.faces = faces
    }

    /// The chance that a face's picture disagrees with its label: high near the boundary
    /// (|margin| small) and about three times higher where `regionScore` is positive.
    package static func flipProbability(margin: Double, regionScore: Double) -> Double {
        let x = margin / nearWidth
        let near = 1 / ((1 + x * x) * (1 + x * x))
        let region = 0.15 + 0.85 * (0.5 + 0.5 * regionScore / (0.25 + regionScore * regionScore).squareRoot())
        return min(1, flipScale * near * region)
    }

    static func makeFace(index: Int, options: DemoOptions, directions: LatentDirections) -> DemoFace {
        var rng = SplitMix64(seed: streamSeed(options.seed, stream: 1, index: UInt64(index)))
        var latent = [Double](repeating: 0, count: options.dim)
        for i in 0..<options.dim {
            latent[i] = (rng.nextGaussian() * 100_000).rounded() / 100_000
        }
        let margin = directions.project(latent, on: .label) - threshold
        let regionScore = directions.project(latent, on: .noiseRegion)
        let label: UInt8 = margin > 0 ? 1 : 0
        let flipped = rng.nextUnit() < flipProbability(margin: margin, regionScore: regionScore)
        let hasGlasses = (label == 1) != flipped
        let style = hasGlasses ? GlassesStyle.fromProjection(directions.project(latent, on: .glassesStyle)) : .none
        return DemoFace(
            id: index + 1, isTrain: index < options.trainCount, latent: latent, label: label,
            flipped: flipped, margin: margin, regionScore: regionScore, style: style)
    }

    /// The face's look: every visible attribute as a smooth function of its latent vector.
    public func look(of face: DemoFace) -> FaceLook {
        FaceLook(face: face, directions: directions)
    }
}

extension GlassesStyle {
    /// Style by normal quantiles of one projection: thick 20%, metal 20%, faint 12%,
    /// sunglasses 16%, tinted 16%, rimless 16%.
    static func fromProjection(_ p: Double) -> GlassesStyle {
        if p < -0.8416 { return .thickFrames }
        if p < -0.2533 { return .metalFrames }
        if p < 0.0502 { return .faintFrames }
        if p < 0.4677 { return .sunglasses }
        if p < 0.9945 { return .tinted }
        return .rimless
    }
}

/// The fixed unit directions in latent space that define the label and every attribute.
/// They depend on `dim` only, never on `--seed`: the "algorithm" is the same for every dataset.
struct LatentDirections: Sendable {
    enum Axis: Int, CaseIterable {
        case label, noiseRegion, glassesStyle, glassesColour, lensSize
        case skinTone, skinWarmth, faceWidth, faceLength, jaw
        case hairShade, hairGrey, hairStyle, hairVolume, hairPart
        case backgroundHue, backgroundLight, clothes
        case eyeSpacing, eyeSize, eyeColour, browThickness, browArch, browHeight
        case mouthWidth, smile, lipColour, noseWidth
        case lightDirection, lightStrength, tilt
    }

    let dim: Int
    /// Row-major: `Axis.allCases.count` rows of `dim`.
    let vectors: [Double]

    init(dim: Int) {
        self.dim = dim
        var rng = SplitMix64(seed: 0x1ABE_1A0D_DE30_0003)
        var vectors: [Double] = []
        vectors.reserveCapacity(Axis.allCases.count * dim)
        for axis in Axis.allCases {
            var v = (0..<dim).map { _ in rng.nextGaussian() }
            if axis == .noiseRegion {
                // Orthogonal to the label direction, so the noisy region is independent of the margin.
                let d = Array(vectors[0..<dim])
                let dot = zip(v, d).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<dim { v[i] -= dot * d[i] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vectors.append(contentsOf: v.map { $0 / norm })
        }
        self.vectors = vectors
    }

    func project(_ latent: [Double], on axis: Axis) -> Double {
        let base = axis.rawValue * dim
        var sum = 0.0
        for i in 0..<dim { sum += latent[i] * vectors[base + i] }
        return sum
    }
}
