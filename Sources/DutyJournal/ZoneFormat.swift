import Foundation
import Synchronization

/// Formats instants in a reminder's time zone for journal fields: ISO 8601 with a numeric offset, and the short
/// human form `2018-09-17 09:00 CST` whose abbreviation comes from the tz database (Foundation on Linux only
/// knows `GMT+8`).
enum ZoneFormat {
    /// `2018-09-17T09:00:00+08:00`; the offset is always numeric (never `Z`).
    static func iso8601(_ date: Date, in zone: TimeZone) -> String {
        let c = components(date, zone)
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))"
            + offset(zone.secondsFromGMT(for: date), colon: true)
    }

    /// `2018-09-17 09:00 CST`. `identifier` names the zone file to read the abbreviation from (Foundation on
    /// Linux renames some zones, e.g. `UTC` to `GMT`); default: the zone's identifier.
    static func short(_ date: Date, in zone: TimeZone, identifier: String? = nil) -> String {
        let c = components(date, zone)
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)) "
            + abbreviation(date, in: zone, identifier: identifier)
    }

    /// The tz database abbreviation in effect at `date` (`CST`, `CEST`, `EDT`, `+08`), or the numeric offset
    /// (`+0800`) when the zone file cannot be read.
    static func abbreviation(_ date: Date, in zone: TimeZone, identifier: String? = nil) -> String {
        let utcOffset = zone.secondsFromGMT(for: date)
        if let file = TZif.load(identifier: identifier ?? zone.identifier),
            let name = file.abbreviation(
                at: Int64(date.timeIntervalSince1970.rounded(.down)), utcOffset: utcOffset,
                isDST: zone.isDaylightSavingTime(for: date))
        {
            return name
        }
        return offset(utcOffset, colon: false)
    }

    private struct Fields {
        var year, month, day, hour, minute, second: Int
    }

    private static func components(_ date: Date, _ zone: TimeZone) -> Fields {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return Fields(
            year: c.year ?? 0, month: c.month ?? 0, day: c.day ?? 0, hour: c.hour ?? 0, minute: c.minute ?? 0,
            second: c.second ?? 0)
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(abs(value))
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func offset(_ seconds: Int, colon: Bool) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        return sign + pad(minutes / 60) + (colon ? ":" : "") + pad(minutes % 60)
    }
}

/// The parts of a TZif file (RFC 8536) needed for abbreviations: transitions and local time types.
struct TZif {
    struct LocalType {
        var utcOffset: Int
        var isDST: Bool
        var abbreviation: String
    }

    var transitions: [Int64]
    var typeIndices: [Int]
    var types: [LocalType]

    /// Reads `$TZDIR/<identifier>` (default `/usr/share/zoneinfo`); nil for a missing or malformed file. A file
    /// is read once per process, as the C library reads `TZ`'s (a burst of 55,166 journal entries read it 55,166
    /// times: 6 % of the burst's samples).
    static func load(identifier: String) -> TZif? {
        guard !identifier.isEmpty, !identifier.hasPrefix("/"), !identifier.contains("..") else { return nil }
        if let hit = cache.withLock({ $0[identifier] }) { return hit }
        let directory = ProcessInfo.processInfo.environment["TZDIR"] ?? "/usr/share/zoneinfo"
        let file = FileManager.default.contents(atPath: directory + "/" + identifier).flatMap { TZif(bytes: Array($0)) }
        cache.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[identifier] = .some(file)
        }
        return file
    }

    /// Files read so far by identifier (nil inside: no such file); at most 64 zones.
    private static let cache = Mutex<[String: TZif?]>([:])

    init?(bytes: [UInt8]) {
        guard bytes.count >= 44, bytes[0..<4].elementsEqual("TZif".utf8) else { return nil }
        let version = bytes[4]
        func be(_ offset: Int, _ width: Int) -> Int64? {
            guard offset >= 0, offset + width <= bytes.count else { return nil }
            var value: UInt64 = 0
            for byte in bytes[offset..<(offset + width)] { value = value << 8 | UInt64(byte) }
            // sign-extend
            let shift = UInt64(64 - 8 * width)
            return Int64(bitPattern: value << shift) >> Int64(shift)
        }
        func counts(at header: Int) -> (isut: Int, isstd: Int, leap: Int, time: Int, type: Int, char: Int)? {
            guard let a = be(header + 20, 4), let b = be(header + 24, 4), let c = be(header + 28, 4),
                let d = be(header + 32, 4), let e = be(header + 36, 4), let f = be(header + 40, 4)
            else { return nil }
            return (Int(a), Int(b), Int(c), Int(d), Int(e), Int(f))
        }
        var header = 0
        guard var n = counts(at: 0) else { return nil }
        var timeSize = 4
        if version >= UInt8(ascii: "2") {
            // Skip the version 1 block; the second header has 64-bit transition times.
            let v1 = n.time * 4 + n.time + n.type * 6 + n.char + n.leap * 8 + n.isstd + n.isut
            header = 44 + v1
            guard let second = counts(at: header) else { return nil }
            n = second
            timeSize = 8
        }
        var cursor = header + 44
        var transitions: [Int64] = []
        for _ in 0..<n.time {
            guard let t = be(cursor, timeSize) else { return nil }
            transitions.append(t)
            cursor += timeSize
        }
        var indices: [Int] = []
        for _ in 0..<n.time {
            guard cursor < bytes.count else { return nil }
            indices.append(Int(bytes[cursor]))
            cursor += 1
        }
        var raw: [(Int, Bool, Int)] = []
        for _ in 0..<n.type {
            guard let utoff = be(cursor, 4), cursor + 5 < bytes.count else { return nil }
            raw.append((Int(utoff), bytes[cursor + 4] != 0, Int(bytes[cursor + 5])))
            cursor += 6
        }
        guard cursor + n.char <= bytes.count, n.type > 0 else { return nil }
        let chars = Array(bytes[cursor..<(cursor + n.char)])
        var types: [LocalType] = []
        for (utoff, isDST, index) in raw {
            guard index < chars.count else { return nil }
            let end = chars[index...].firstIndex(of: 0) ?? chars.count
            types.append(LocalType(utcOffset: utoff, isDST: isDST, abbreviation: String(decoding: chars[index..<end], as: UTF8.self)))
        }
        guard indices.allSatisfy({ $0 < types.count }) else { return nil }
        self.transitions = transitions
        self.typeIndices = indices
        self.types = types
    }

    /// The abbreviation of the type in effect at `time` when it agrees with Foundation's offset and DST flag;
    /// otherwise (times past the last transition, covered by the footer rule) the most recent type that does.
    func abbreviation(at time: Int64, utcOffset: Int, isDST: Bool) -> String? {
        if let current = transitions.lastIndex(where: { $0 <= time }) {
            let type = types[typeIndices[current]]
            if type.utcOffset == utcOffset && type.isDST == isDST { return type.abbreviation }
        } else {
            if let first = types.first, first.utcOffset == utcOffset, first.isDST == isDST { return first.abbreviation }
        }
        // Walk back from the end of the transition list: the newest matching name wins.
        for index in typeIndices.reversed() {
            let type = types[index]
            if type.utcOffset == utcOffset && type.isDST == isDST { return type.abbreviation }
        }
        return types.first { $0.utcOffset == utcOffset && $0.isDST == isDST }?.abbreviation
    }
}
