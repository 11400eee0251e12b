/// A square of values to draw: a filter's taps or a dictionary atom, row-major.
public struct Tile: Sendable, Equatable {
    public var size: Int
    public var values: [Double]

    public init(size: Int, values: [Double]) {
        precondition(values.count == size * size, "a \(size)×\(size) tile needs \(size * size) values")
        self.size = size
        self.values = values
    }
}

/// Tiles drawn as one gray image: a square-ish grid, each tile stretched to its own min…max and
/// each value `zoom` pixels wide, white gaps of 2 pixels between and around them.
public enum TileGrid {
    public static func image(_ tiles: [Tile], zoom: Int) -> Image8 {
        let columns = Int(Double(tiles.count).squareRoot().rounded(.up)), rows = (tiles.count + columns - 1) / columns
        let side = (tiles.first?.size ?? 1) * zoom, gap = 2
        let width = columns * (side + gap) + gap, height = rows * (side + gap) + gap
        var bytes = [UInt8](repeating: 255, count: width * height)
        for (t, tile) in tiles.enumerated() {
            let lo = tile.values.min() ?? 0, hi = tile.values.max() ?? 1
            let x0 = gap + (t % columns) * (side + gap), y0 = gap + (t / columns) * (side + gap)
            for y in 0..<side { for x in 0..<side {
                let v = tile.values[(y / zoom) * tile.size + x / zoom]
                bytes[(y0 + y) * width + x0 + x] = UInt8(max(0, min(255, (hi > lo ? (v - lo) / (hi - lo) : 0.5) * 255)))
            } }
        }
        return Image8(width: width, height: height, channels: 1, bytes: bytes)
    }
}
