import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `2026-11-30T10:18:11Z`: times as mlv writes them (locks, entries, JSON), formatted directly
/// from the clock's seconds; a date formatter per call cost tens of microseconds, which a
/// history of 10,000 commits multiplied.
public enum UTCTimestamp {
    public static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
