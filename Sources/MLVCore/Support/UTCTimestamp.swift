import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `2026-11-30T10:18:11Z`: times as mlv writes them (locks, entries, JSON), formatted directly
/// from the clock's seconds; a date formatter per call cost tens of microseconds, which a
/// history of 10,000 commits multiplied.
public enum UTCTimestamp {
    public static func string(_ date: Date) -> String { format(date, compact: false) }

    /// `20261130T101811`: the form that starts experiment entry ids, so they sort by time.
    public static func compact(_ date: Date) -> String { format(date, compact: true) }

    static func format(_ date: Date, compact: Bool) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = "\(parts.tm_year + 1900)", month = two(parts.tm_mon + 1), day = two(parts.tm_mday)
        let hour = two(parts.tm_hour), minute = two(parts.tm_min), second = two(parts.tm_sec)
        if compact { return year + month + day + "T" + hour + minute + second }
        return "\(year)-\(month)-\(day)T\(hour):\(minute):\(second)Z"
    }
}
