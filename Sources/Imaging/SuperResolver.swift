/// A single-image super-resolution method as the evaluation protocol sees it: the low-resolution
/// Y channel in, on the [0, 1] scale and not rounded to 8 bits, the high-resolution Y out, `scale`
/// times larger in each direction, also on [0, 1] (the caller rounds it to 8 bits).
///
/// Bicubic, sparse coding and SRCNN all plug in here, so `srlab eval`, `srlab upscale` and the
/// comparison harness treat them alike.
public protocol SuperResolver: Sendable {
    /// A short name for tables, e.g. "bicubic", "sc", "srcnn 9-5-5".
    var name: String { get }
    func upscale(lowRes: Plane, scale: Int) -> Plane
    /// High-resolution pixels of context each output pixel reads beyond the bicubic-upscaled
    /// input's own neighbourhood, so an image can be run in strips with that much overlap and give
    /// the whole image's result (`StripUpscale`); nil when an output pixel depends on the whole
    /// image (the default).
    var contextRadius: Int? { get }
}

extension SuperResolver {
    public var contextRadius: Int? { nil }
}

/// The baseline every table starts with: MATLAB `imresize(LR, s, 'bicubic')`.
public struct BicubicResolver: SuperResolver {
    public init() {}
    public var name: String { "bicubic" }
    public var contextRadius: Int? { 0 }
    public func upscale(lowRes: Plane, scale: Int) -> Plane {
        Resize.bicubic(lowRes, scale: Double(scale))
    }
}
