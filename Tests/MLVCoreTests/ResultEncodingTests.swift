@testable import MLVCore
import XCTest

/// The `--json` field names are a stable interface: compared as whole text.
final class ResultEncodingTests: XCTestCase {
    func testTransferAndGateResultsEncodeWithTheirDocumentedNames() throws {
        var transfer = TransferResult(remote: "store")
        transfer.objects = 2
        transfer.seconds = 0.12345
        transfer.missing = [ObjectID.of(Array("a".utf8))]
        XCTAssertEqual(try JSONOutput.encode(transfer), """
        {
          "bytes" : 0,
          "chunks_reused" : 0,
          "chunks_sent" : 0,
          "missing" : [
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
          ],
          "objects" : 2,
          "packs" : 0,
          "remote" : "store",
          "requests" : 0,
          "seconds" : 0.123,
          "skipped" : 0,
          "skipped_bytes" : 0
        }
        """)
        let report = GateReport(revision: "main", baseline: nil, results: [
            GateResult(rule: "loss <= 1", metric: "loss", value: .infinity, baseline: nil, bound: 1, passed: false, skipped: false, reason: "inf is not <= 1"),
        ])
        XCTAssertEqual(try JSONOutput.encode(report), """
        {
          "baseline" : null,
          "gates" : [
            {
              "baseline" : null,
              "bound" : 1,
              "metric" : "loss",
              "passed" : false,
              "reason" : "inf is not <= 1",
              "rule" : "loss <= 1",
              "skipped" : false,
              "value" : "inf"
            }
          ],
          "passed" : false,
          "revision" : "main"
        }
        """)
    }
}
