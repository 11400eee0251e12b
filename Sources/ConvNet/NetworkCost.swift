// Multiply-adds per output (HR) pixel: the cost measure notebook 7 compares methods by. Counted
// from the architecture alone (a 'same' convolution of k×k from C to O maps costs k²·C·O per pixel
// of its grid), so it is exact for the networks and independent of the machine.

extension NetworkSpec {
    /// Multiply-adds per LR input pixel: the layers before the upscaling run on the LR grid (for a
    /// `bicubicUpscale` network, all of them on the upscaled one, scale² pixels per LR pixel; the
    /// bicubic itself is not counted); a transposed convolution costs k²·C·O per pixel it stamps;
    /// layers after a pixel shuffle run on the finer grid (scale² more pixels); a block costs its
    /// layers, parallel branches the sum of theirs.
    public var multiplyAddsPerInputPixel: Double {
        let upscale = Double(bicubicUpscale ?? 1)
        var grid = upscale * upscale
        return Self.multiplyAdds(layers, grid: &grid)
    }

    private static func multiplyAdds(_ layers: [LayerSpec], grid: inout Double) -> Double {
        var total = 0.0
        for layer in layers {
            switch layer {
            case let .conv(k, c, o, _): total += grid * Double(k * k * c * o)
            case let .deconv(k, c, o, s, _): total += grid * Double(k * k * c * o); grid *= Double(s * s)
            case let .pixelShuffle(r), let .upsample(r): grid *= Double(r * r)
            case let .maxPool(s): grid /= Double(s * s)
            case let .residual(block): total += multiplyAdds(block, grid: &grid)
            case let .parallel(branches):
                total += branches.reduce(0) { sum, branch in var g = grid; return sum + multiplyAdds(branch, grid: &g) }
            case .prelu, .tanh, .relu, .batchNorm: break
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

extension SRCNNArchitecture {
    /// Floating-point operations of one training sample of side `inputSize` through the valid
    /// convolutions (each layer's output is k − 1 smaller): forward, weight gradients, and input
    /// gradients of the second and third layers; 2 FLOPs per multiply-add.
    public func trainingFLOPs(inputSize: Int) -> Double {
        var side = inputSize, total = 0.0
        for (i, l) in layers.enumerated() {
            side -= l.kernel - 1
            let forward = Double(side * side * l.kernel * l.kernel * l.inChannels * l.outChannels)
            total += (i == 0 ? 2 : 3) * forward
        }
        return 2 * total
    }
}
