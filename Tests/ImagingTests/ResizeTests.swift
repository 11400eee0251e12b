import Testing
@testable import Imaging

/// Expected values here are derived by hand from the algorithm's definition, not by running it.
@Suite struct ResizeTests {
    /// A plane whose rows are all `row`, so the vertical pass is a no-op on values.
    func rows(_ row: [Double], height: Int) -> Plane {
        Plane(width: row.count, height: height, values: Array((0..<height).map { _ in row }.joined()))
    }

    @Test func keysKernelValues() {
        #expect(Resize.cubic(0) == 1)
        #expect(Resize.cubic(1) == 0)
        #expect(Resize.cubic(2) == 0)
        #expect(Resize.cubic(0.5) == 0.5625)   // 1.5/8 − 2.5/4 + 1
        #expect(Resize.cubic(-1.5) == -0.0625) // −0.5·3.375 + 2.5·2.25 − 6 + 2
    }

    @Test func outputSizeFollowsMatlabCeil() {
        let p = Plane(width: 7, height: 11, repeating: 0.3)
        let small = Resize.bicubic(p, scale: 1.0 / 3)
        #expect(small.width == 3 && small.height == 4)
        let big = Resize.bicubic(p, scale: 4)
        #expect(big.width == 28 && big.height == 44)
    }

    @Test(arguments: [2, 3, 4])
    func constantStaysConstant(scale: Int) {
        let p = Plane(width: 9, height: 13, repeating: 0.42)
        for out in [Resize.bicubic(p, scale: Double(scale)), Resize.bicubic(p, scale: 1 / Double(scale))] {
            #expect(out.values.allSatisfy { abs($0 - 0.42) < 1e-12 })
        }
    }

    /// Keys' kernel reproduces linear functions, so away from the mirrored border an enlarged ramp
    /// is the ramp sampled at MATLAB's centres u = x/s + ½(1 − 1/s) (1-based).
    @Test(arguments: [2, 3, 4])
    func enlargedRampSitsOnMatlabCentres(scale: Int) {
        let s = Double(scale)
        let ramp = rows((0..<12).map(Double.init), height: 3)
        let out = Resize.bicubic(ramp, scale: s)
        for x in (3 * scale)..<(9 * scale) {
            let u = Double(x + 1) / s + 0.5 * (1 - 1 / s)
            #expect(abs(out[x, 1] - (u - 1)) < 1e-12)
        }
    }

    /// Shrinking with the antialiased (stretched) kernel also keeps a ramp a ramp in the interior.
    @Test(arguments: [2, 3, 4])
    func shrunkRampSitsOnMatlabCentres(scale: Int) {
        let s = 1 / Double(scale)
        let ramp = rows((0..<(12 * scale)).map(Double.init), height: 2)
        let out = Resize.bicubic(ramp, scale: s)
        #expect(out.width == 12)
        for x in 3..<9 {
            let u = Double(x + 1) / s + 0.5 * (1 - 1 / s)
            #expect(abs(out[x, 0] - (u - 1)) < 1e-9)
        }
    }

    /// First output of ×2 on [0 8 16 24]: u = 0.75, taps at 1-based −1…2 with weights
    /// k(1.75), k(0.75), k(0.25), k(1.25) = −0.0234375, 0.2265625, 0.8671875, −0.0703125; MATLAB
    /// mirrors index −1 to 2 and 0 to 1, so the value is 1.09375·0 − 0.09375·8 = −0.75.
    @Test func mirroredEdgeByHand() {
        let out = Resize.bicubic(rows([0, 8, 16, 24], height: 2), scale: 2)
        #expect(abs(out[0, 0] - (-0.75)) < 1e-12)
        // The last output mirrors the other way: by symmetry 24 + 0.75.
        #expect(abs(out[7, 0] - 24.75) < 1e-12)
    }

    /// ×1/2 of a 1-D impulse at 1-based index 5 of 12: the antialiased kernel is k(x/2)/2 with
    /// width 8; output 3 has centre u = 5.5, so the impulse sits at distance 0.5 → k(0.25)/2 over
    /// the sum of the window's weights, which is 1 in the interior.
    @Test func antialiasedImpulseByHand() {
        var row = [Double](repeating: 0, count: 12)
        row[4] = 1
        let out = Resize.bicubic(rows(row, height: 4), scale: 0.5)
        #expect(abs(out[2, 0] - 0.8671875 / 2) < 1e-12)
        // Output 2: u = 3.5, distance 1.5 → k(0.75)/2; its mirrored taps only see zeros.
        #expect(abs(out[1, 0] - 0.2265625 / 2) < 1e-12)
    }

    @Test func mirrorIndexMatchesMatlabAux() {
        // aux = [1 2 3 4 4 3 2 1] for n = 4; 0-based results.
        let expected = [(-1, 1), (0, 0), (1, 0), (4, 3), (5, 3), (6, 2), (9, 0), (-4, 3)]
        for (i, e) in expected { #expect(Contributions.mirror(i, length: 4) == e) }
    }
}
