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
    /// The same, reporting progress to `progress` as it goes (methods that take long implement it).
    func upscale(lowRes: Plane, scale: Int, progress: ProgressHook?) -> Plane
}

extension SuperResolver {
    public func upscale(lowRes: Plane, scale: Int, progress: ProgressHook?) -> Plane {
        upscale(lowRes: lowRes, scale: scale)
    }
}

/// The baseline every table starts with: MATLAB `imresize(LR, s, 'bicubic')`.
public struct BicubicResolver: SuperResolver {
    public init() {}
    public var name: String { "bicubic" }
    public func upscale(lowRes: Plane, scale: Int) -> Plane {
        Resize.bicubic(lowRes, scale: Double(scale))
    }
}
