@testable import MLVCore
import Foundation
import XCTest

/// The timestamps mlv prints and names entries with, against `date -u`'s.
final class UTCTimestampTests: XCTestCase {
    func testFormsMatchTheCalendar() {
        // `date -u -d @1796029507` is 2026-11-30T09:05:07Z; 951868799 is a leap day's last second.
        let cases: [(TimeInterval, String, String)] = [
            (1_796_029_507, "2026-11-30T09:05:07Z", "20261130T090507"),
            (951_868_799.9, "2000-02-29T23:59:59Z", "20000229T235959"),
            (0, "1970-01-01T00:00:00Z", "19700101T000000"),
        ]
        for (seconds, full, compact) in cases {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(UTCTimestamp.string(date), full)
            XCTAssertEqual(UTCTimestamp.compact(date), compact)
        }
    }
}
