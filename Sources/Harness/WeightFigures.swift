import ConvNet
import Imaging
import Methods
import SparseCoding
import TensorFile

/// Pictures of what the methods learned: dictionary atoms and first-layer filters as image grids
/// (`srlab figure`).
public enum WeightFigure: String, CaseIterable, Sendable {
    /// The HR atoms of an sc dictionary.
    case atoms
    /// The first-layer filters of an SRCNN.
    case filters

    /// The kind of model file the figure is drawn from.
    public var modelKind: ModelKind {
        switch self {
        case .atoms: return .scDictionary
        case .filters: return .srcnn
        }
    }

    /// The first `count` atoms or filters of the model file at `path` (read by the registry's
    /// loader, which checks its kind; no scale is needed to look at it), each value `zoom` pixels.
    public func draw(model path: String, count: Int, zoom: Int) throws -> (image: Image8, count: Int) {
        let file = try ModelFile.inspect(path)
        guard file.kind == modelKind else {
            throw ModelFileError.wrongKind(path: path, kind: file.kind.name, expected: modelKind.name, byTensors: file.recognisedByTensors)
        }
        let tiles: [Tile]
        switch self {
        case .atoms: tiles = try CoupledDictionary(file: file.contents, path: path).highAtomTiles(count: count)
        case .filters: tiles = try SRCNN(file: file.contents, path: path).firstLayerTiles(count: count)
        }
        return (TileGrid.image(tiles, zoom: zoom), tiles.count)
    }
}
