/// An 8-bit interleaved RGB picture in one contiguous buffer (`width * height * 3` bytes).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height * 3, "RGBImage: pixels.count must be width * height * 3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        if fill != (0, 0, 0) {
            for i in stride(from: 0, to: pixels.count, by: 3) {
                pixels[i] = fill.0
                pixels[i + 1] = fill.1
                pixels[i + 2] = fill.2
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }
}
