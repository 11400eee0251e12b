/// A single-image super-resolution method as the evaluation protocol sees it: the low-resolution
/// Y channel in, on the [0, 1] scale and not rounded to 8 bits, the high-resolution Y out, `scale`
/// times larger in each direction, also on [0, 1] (the caller rounds it to 8 bits).
///
/// A resolver is built for one scale (a model is trained for one factor), so it carries it.
/// Every method plugs in here (the registry in Methods builds them), so `srlab eval`, `srlab
/// upscale` and the comparison harness treat them alike.
public protocol SuperResolver: Sendable {
    /// A short name for tables, e.g. "bicubic", "sc", "srcnn 9-5-5".
    var name: String { get }
    /// The model file the method was loaded from, named in errors (nil: no file).
    var modelPath: String? { get }
    /// The factor the output is larger by in each direction, fixed when the resolver is built.
    var scale: Int { get }
    func upscale(lowRes: Plane) -> Plane
    /// The same, reporting progress to `progress` as it goes (methods that take long implement it).
    func upscale(lowRes: Plane, progress: ProgressHook?) -> Plane
    /// High-resolution pixels of context each output pixel reads beyond the bicubic-upscaled
    /// input's own neighbourhood, so an image can be run in strips with that much overlap and give
    /// the whole image's result (`StripUpscale`); nil when an output pixel depends on the whole
    /// image (the default).
    var contextRadius: Int? { get }
}

extension SuperResolver {
    public var contextRadius: Int? { nil }
    public var modelPath: String? { nil }

    public func upscale(lowRes: Plane, progress: ProgressHook?) -> Plane {
        upscale(lowRes: lowRes)
    }

    /// Throws unless every value of `output` (this method's result) is finite. A model whose
    /// weights are finite but overflow in use would otherwise be rounded to black and white pixels
    /// and scored or saved as if it had worked.
    public func requireFinite(_ output: Plane, image: String? = nil) throws {
        let bad = output.values.reduce(into: 0) { count, v in if !v.isFinite { count += 1 } }
        guard bad == 0 else {
            throw SuperResolverError.nonFiniteOutput(method: name, model: modelPath, image: image,
                                                     count: bad, total: output.values.count)
        }
    }

    /// `upscale` followed by `requireFinite`.
    public func checkedUpscale(lowRes: Plane, image: String? = nil, progress: ProgressHook? = nil) throws -> Plane {
        let output = upscale(lowRes: lowRes, progress: progress)
        try requireFinite(output, image: image)
        return output
    }
}

public enum SuperResolverError: Error, CustomStringConvertible {
    case nonFiniteOutput(method: String, model: String?, image: String?, count: Int, total: Int)

    public var description: String {
        switch self {
        case .nonFiniteOutput(let method, let model, let image, let count, let total):
            let source = model.map { "\($0) (\(method))" } ?? method
            let input = image.map { " on \($0)" } ?? ""
            return "\(source): the output\(input) has \(count) of \(total) values NaN or infinite; the model's weights overflow or are corrupt, so the result is neither scored nor written"
        }
    }
}

/// The baseline every table starts with: MATLAB `imresize(LR, s, 'bicubic')`.
public struct BicubicResolver: SuperResolver {
    public let scale: Int
    public init(scale: Int) {
        precondition(scale >= 1, "bicubic upscaling needs a scale of at least 1")
        self.scale = scale
    }
    public var name: String { "bicubic" }
    public var contextRadius: Int? { 0 }
    public func upscale(lowRes: Plane) -> Plane {
        Resize.bicubic(lowRes, scale: Double(scale))
    }
}
