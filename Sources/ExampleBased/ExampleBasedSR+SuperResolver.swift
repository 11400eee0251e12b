import Imaging

// The one place the family meets the lab's `SuperResolver` protocol (kept apart so that a change
// of the protocol touches this file only).
extension ExampleBasedSR: SuperResolver {
    public var name: String { method.displayName }

    /// Whole images: the grid's border and the uncovered pixels depend on the image's size.
    public var contextRadius: Int? { nil }

    public func upscale(lowRes: Plane, scale: Int) -> Plane {
        upscale(lowRes: lowRes, scale: scale, progress: nil)
    }

    /// `progress` counts the patches.
    public func upscale(lowRes: Plane, scale: Int, progress: ProgressHook?) -> Plane {
        precondition(scale == self.scale, "\(name): \(modelPath ?? "the configuration") is for x\(self.scale), asked for x\(scale)")
        return upscale(lowRes: lowRes, progress: progress)
    }
}
