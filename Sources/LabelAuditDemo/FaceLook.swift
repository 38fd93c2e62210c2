/// An RGB colour in 0...255 floats.
typealias Colour = SIMD3<Float>

/// Everything the renderer needs to paint one face, in units of the image side (0...1).
/// Each value is a smooth function of projections of z (categorical choices such as hair style
/// and glasses style excepted), so neighbouring latents look alike — as with a GAN.
public struct FaceLook: Sendable {
    package enum HairStyle: Int, Sendable, CaseIterable { case short, long, fringe, receding, curly }

    var skin: Colour
    var hair: Colour
    var backgroundTop: Colour
    var backgroundBottom: Colour
    var clothes: Colour
    var iris: Colour
    var lips: Colour
    package var hairStyle: HairStyle
    var hairVolume: Float
    var hairPart: Float
    var faceHalfWidth: Float
    var faceHalfHeight: Float
    var jaw: Float
    var eyeHalfSpacing: Float
    var eyeScale: Float
    var browThickness: Float
    var browArch: Float
    var browLift: Float
    var mouthHalfWidth: Float
    var smile: Float
    var noseWidth: Float
    var lightX: Float
    var lightStrength: Float
    /// Head tilt in radians (small: |tilt| < 0.06).
    public var tilt: Float
    public var glasses: GlassesStyle
    var frameColour: Colour
    var lensTint: Colour
    var lensScale: Float

    init(face: DemoFace, directions: LatentDirections) {
        func p(_ axis: LatentDirections.Axis) -> Double { directions.project(face.latent, on: axis) }
        func s(_ axis: LatentDirections.Axis) -> Float { Float(squash(p(axis))) }
        func u(_ axis: LatentDirections.Axis) -> Float { Float(unitSquash(p(axis))) }

        // Skin: a ramp from light to deep brown, with a warm/cool shift.
        let skinRamp: [Colour] = [
            [246, 222, 200], [232, 192, 160], [206, 155, 118], [160, 110, 76],
            [118, 78, 52], [86, 58, 42],
        ]
        var skin = ramp(skinRamp, u(.skinTone))
        let warm = s(.skinWarmth)
        skin += Colour(8 * warm, 0, -8 * warm)
        self.skin = skin

        let hairRamp: [Colour] = [
            [24, 20, 19], [52, 36, 27], [92, 60, 36], [132, 84, 44],
            [176, 120, 62], [214, 176, 110],
        ]
        let grey = Float(max(0, min(1, (p(.hairGrey) - 0.9) * 1.2)))
        hair = ramp(hairRamp, u(.hairShade)) * (1 - grey) + Colour(178, 174, 170) * grey

        let backgrounds: [Colour] = [
            [96, 128, 172], [78, 150, 150], [120, 160, 100], [200, 185, 150],
            [150, 150, 156], [205, 150, 160], [140, 110, 170], [70, 80, 96],
        ]
        let light = 0.8 + 0.35 * u(.backgroundLight)
        let base = ramp(backgrounds, u(.backgroundHue))
        backgroundTop = clampColour(base * light + 18)
        backgroundBottom = clampColour(base * light * 0.8)

        let clothesRamp: [Colour] = [
            [40, 44, 60], [150, 40, 44], [60, 110, 70], [220, 220, 215],
            [90, 70, 120], [200, 150, 60], [30, 30, 30],
        ]
        clothes = ramp(clothesRamp, u(.clothes))
        let irisRamp: [Colour] = [[60, 40, 25], [110, 75, 40], [90, 110, 60], [70, 110, 150], [120, 140, 160]]
        iris = ramp(irisRamp, u(.eyeColour))
        let lipBase = skin * 0.66 + Colour(165, 62, 72) * 0.34
        lips = lipBase * (0.92 + 0.1 * s(.lipColour))

        let styleProjection = p(.hairStyle)
        hairStyle =
            styleProjection < -0.97
            ? .short
            : styleProjection < -0.25
                ? .long
                : styleProjection < 0.43
                    ? .fringe
                    : styleProjection < 1.1 ? .receding : .curly
        hairVolume = 0.5 + 0.5 * s(.hairVolume)
        hairPart = 0.05 * s(.hairPart)

        faceHalfWidth = 0.268 + 0.026 * s(.faceWidth)
        faceHalfHeight = 0.335 + 0.022 * s(.faceLength)
        jaw = 0.22 + 0.12 * s(.jaw)
        eyeHalfSpacing = 0.14 + 0.012 * s(.eyeSpacing)
        eyeScale = 1 + 0.12 * s(.eyeSize)
        browThickness = 0.0075 + 0.0045 * s(.browThickness)
        browArch = 0.013 + 0.008 * s(.browArch)
        browLift = 0.06 + 0.01 * s(.browHeight)
        mouthHalfWidth = 0.072 + 0.016 * s(.mouthWidth)
        smile = 0.012 * s(.smile) + 0.004
        noseWidth = 1 + 0.2 * s(.noseWidth)
        lightX = 0.7 * s(.lightDirection)
        lightStrength = 0.1 + 0.08 * u(.lightStrength)
        tilt = 0.055 * s(.tilt)

        glasses = face.style
        let colourChoice = u(.glassesColour)
        switch face.style {
        case .thickFrames:
            frameColour = ramp([[18, 16, 16], [64, 36, 22], [30, 34, 70], [90, 20, 30]], colourChoice)
        case .metalFrames, .rimless, .tinted:
            frameColour = ramp([[150, 118, 50], [96, 96, 102], [160, 160, 168], [70, 60, 50]], colourChoice)
        case .faintFrames:
            frameColour = skin * 0.72 + Colour(120, 110, 100) * 0.28
        case .sunglasses, .none:
            frameColour = Colour(28, 26, 26)
        }
        switch face.style {
        case .sunglasses: lensTint = ramp([[22, 22, 26], [40, 30, 22], [20, 34, 30]], colourChoice)
        case .tinted: lensTint = ramp([[130, 70, 30], [40, 80, 150], [170, 60, 100], [60, 120, 80]], colourChoice)
        default: lensTint = Colour(200, 220, 235)
        }
        lensScale = (face.style == .sunglasses ? 1.1 : 1) + 0.07 * s(.lensSize)
    }
}

/// Piecewise-linear interpolation along a list of colours, t in 0...1.
func ramp(_ colours: [Colour], _ t: Float) -> Colour {
    let x = max(0, min(1, t)) * Float(colours.count - 1)
    let i = min(Int(x), colours.count - 2)
    let f = x - Float(i)
    return colours[i] * (1 - f) + colours[i + 1] * f
}

func clampColour(_ c: Colour) -> Colour {
    c.clamped(lowerBound: Colour(repeating: 0), upperBound: Colour(repeating: 255))
}
