import Imaging

// The one place the family meets the lab's `SuperResolver` protocol (kept apart so that a change
// of the protocol touches this file only).
extension ExampleBasedSR: SuperResolver {
    public var name: String { method.displayName }

    /// An output pixel reads the patches over it (up to 3s − 1 pixels away), their features (s
    /// further) and, near a strip's end, the grid's margin of 4s; strips start on LR rows, so the
    /// grid stays aligned. 5s covers all of it (StripUpscale adds bicubic's own reach).
    public var contextRadius: Int? { 5 * scale }

    public func upscale(lowRes: Plane) -> Plane {
        upscale(lowRes: lowRes, progress: nil)
    }
}
