// Multiply-adds per output (HR) pixel: the cost measure notebook 7 compares methods by. Counted
// from the architecture alone (a 'same' convolution of k×k from C to O maps costs k²·C·O per pixel
// of its grid), so it is exact for the networks and independent of the machine.

extension NetworkSpec {
    /// Multiply-adds per LR input pixel: the layers before the upscaling run on the LR grid; a
    /// transposed convolution costs k²·C·O per LR pixel it stamps; layers after a pixel shuffle
    /// run on the finer grid (scale² more pixels).
    public var multiplyAddsPerInputPixel: Double {
        var grid = 1.0, total = 0.0
        for layer in layers {
            switch layer {
            case let .conv(k, c, o, _): total += grid * Double(k * k * c * o)
            case let .deconv(k, c, o, s, _): total += grid * Double(k * k * c * o); grid *= Double(s * s)
            case let .pixelShuffle(r): grid *= Double(r * r)
            case .prelu, .tanh, .relu: break
            }
        }
        return total
    }

    /// Multiply-adds per HR output pixel.
    public var multiplyAddsPerOutputPixel: Double {
        multiplyAddsPerInputPixel / Double(scale * scale)
    }
}

extension SRCNNArchitecture {
    /// Multiply-adds per HR pixel: every layer runs on the bicubic-upscaled (HR) grid.
    public var multiplyAddsPerOutputPixel: Double {
        layers.reduce(0) { $0 + Double($1.kernel * $1.kernel * $1.inChannels * $1.outChannels) }
    }
}
