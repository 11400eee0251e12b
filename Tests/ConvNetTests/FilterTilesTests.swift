import Foundation
import Imaging
import TensorFile
import Testing
@testable import ConvNet

@Suite struct FilterTilesTests {
    /// Filter o of the figure is conv1.weight[o, 0, :, :] of the file (OIHW), row by row. The
    /// figure used to index the in-memory HWIO weights as if they were OIHW, which drew every
    /// tile from 81 values spread over all 64 filters: noise.
    @Test func theFirstLayerTilesAreTheFileFilters() throws {
        let model = SRCNNModelTests.smallModel()
        let oihw = try #require(model.safeTensors().tensors["conv1.weight"])
        let (n1, f) = (model.architecture.n1, model.architecture.f1)
        #expect(oihw.shape == [n1, 1, f, f])
        let tiles = model.firstLayerTiles(count: 64)
        #expect(tiles.count == n1 && tiles.allSatisfy { $0.size == f })
        for (o, tile) in tiles.enumerated() {
            let expected = (0..<(f * f)).map { Double(Float(oihw.values[o * f * f + $0])) }
            #expect(tile.values == expected, "filter \(o)")
        }
        #expect(model.firstLayerTiles(count: 3).count == 3)
    }
}
