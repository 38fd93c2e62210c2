import Testing

@testable import LabelAuditCore

@Suite struct LatentMatrixTests {
    @Test func selectingRowsCopiesThemInOrder() {
        let m = LatentMatrix(rows: 3, dim: 2, values: [0, 1, 10, 11, 20, 21])
        let s = m.selecting(rows: [2, 0])
        #expect(s.values == [20, 21, 0, 1])
        #expect(m.row(1) == [10, 11])
        #expect(m[2, 1] == 21)
    }
}
