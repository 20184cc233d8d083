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
        // Written digit by digit: pages print thousands of these.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        func put(_ value: Int32, width: Int) {
            var divisor: Int32 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = max(value, 0)
            if rest / divisor >= 10 { for byte in String(rest).utf8 { bytes.append(byte) }; return }
            while divisor > 0 { bytes.append(UInt8(48 + rest / divisor)); rest %= divisor; divisor /= 10 }
        }
        put(parts.tm_year + 1900, width: 4)
        if !compact { bytes.append(UInt8(ascii: "-")) }
        put(parts.tm_mon + 1, width: 2)
        if !compact { bytes.append(UInt8(ascii: "-")) }
        put(parts.tm_mday, width: 2)
        bytes.append(UInt8(ascii: "T"))
        put(parts.tm_hour, width: 2)
        if !compact { bytes.append(UInt8(ascii: ":")) }
        put(parts.tm_min, width: 2)
        if !compact { bytes.append(UInt8(ascii: ":")) }
        put(parts.tm_sec, width: 2)
        if !compact { bytes.append(UInt8(ascii: "Z")) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
