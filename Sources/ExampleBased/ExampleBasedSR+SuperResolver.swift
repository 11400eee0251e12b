import Imaging

// The one place the family meets the lab's `SuperResolver` protocol (kept apart so that a change
// of the protocol touches this file only).
extension ExampleBasedSR: SuperResolver {
    public var name: String { method.displayName }

    /// Whole images: the grid's border and the uncovered pixels depend on the image's size.
    public var contextRadius: Int? { nil }

    public func upscale(lowRes: Plane) -> Plane {
        upscale(lowRes: lowRes, progress: nil)
    }
}
