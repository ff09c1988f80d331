/// Zone abbreviations (`CET`, `CEST`, `CST`, `+04`) read from a compiled tzdata file (TZif, RFC 8536), the way
/// glibc shows them. Pure: the caller reads the file (e.g. `/usr/share/zoneinfo/Europe/Berlin`) and passes the bytes.
///
/// Foundation (ICU) has no tzdata abbreviations on Linux (it prints `GMT+1`), so anything that must match libc or
/// systemd output uses this. Offsets still come from `ZonedTime`.
public struct ZoneinfoAbbreviations: Sendable, Hashable {
    struct LocalType: Sendable, Hashable {
        var offset: Int
        var isDST: Bool
        var name: String
    }

    var transitions: [Int64] = []
    var transitionTypes: [Int] = []
    var types: [LocalType] = []
    /// From the POSIX TZ footer: standard and daylight names and offsets (east of UTC).
    var footer: [LocalType] = []

    /// glibc's `tzname[0]`, `tzname[1]`: the names of the last standard and daylight types transitioned to.
    public private(set) var localNames: (standard: String, daylight: String) = ("UTC", "UTC")

    /// glibc's `tzname` after it converted `timer` with `localtime`/`mktime` (`__tzfile_compute` rewrites it on
    /// every conversion): the name in effect and the next one of the other kind; after the last transition the
    /// POSIX footer's names (the standard name twice when the footer has no DST). An empty string stands for NULL.
    public func libcNames(afterConverting timer: Int64) -> (standard: String, daylight: String) {
        var names: [String?] = [nil, nil]
        if transitions.isEmpty || timer < transitions[0] {
            var i = 0
            while i < types.count && types[i].isDST {
                if names[1] == nil { names[1] = types[i].name }
                i += 1
            }
            if i == types.count { i = 0 }
            names[0] = types[i].name
            if names[1] == nil, let d = types[i...].first(where: { $0.isDST }) { names[1] = d.name }
            return (names[0] ?? "", names[1] ?? "")
        }
        var i: Int
        if timer >= transitions[transitions.count - 1] {
            if let std = footer.first {
                return (std.name, footer.count > 1 ? footer[1].name : std.name)
            }
            i = transitions.count
        } else {
            var lo = 0
            var hi = transitions.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if transitions[mid] <= timer { lo = mid + 1 } else { hi = mid }
            }
            i = lo
        }
        let current = types[transitionTypes[i - 1]]
        names[current.isDST ? 1 : 0] = current.name
        var j = i
        while j < transitions.count {
            let t = types[transitionTypes[j]]
            let k = t.isDST ? 1 : 0
            if names[k] == nil {
                names[k] = t.name
                if names[1 - k] != nil { break }
            }
            j += 1
        }
        if names[0] == nil { names[0] = names[1] }
        return (names[0] ?? "", names[1] ?? "")
    }

    /// glibc's `timezone == 0 && daylight == 0` (systemd-analyze then omits its `(in UTC):` lines).
    public private(set) var isUTC = true

    public static func == (a: ZoneinfoAbbreviations, b: ZoneinfoAbbreviations) -> Bool {
        a.transitions == b.transitions && a.transitionTypes == b.transitionTypes && a.types == b.types
            && a.footer == b.footer
    }
    public func hash(into h: inout Hasher) {
        h.combine(transitions)
        h.combine(types)
    }

    /// Parses TZif version 1-4 data; nil if it is not TZif.
    public init?(tzif bytes: [UInt8]) {
        guard bytes.count >= 44, bytes[0] == 0x54, bytes[1] == 0x5A, bytes[2] == 0x69, bytes[3] == 0x66 else {
            return nil
        }
        func be32(_ i: Int) -> Int64 {
            Int64(Int32(bitPattern: UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8
                | UInt32(bytes[i + 3])))
        }
        func be64(_ i: Int) -> Int64 {
            var v: UInt64 = 0
            for k in 0..<8 { v = v << 8 | UInt64(bytes[i + k]) }
            return Int64(bitPattern: v)
        }
        func counts(_ h: Int) -> (isut: Int, isstd: Int, leap: Int, time: Int, type: Int, char: Int)? {
            guard h + 44 <= bytes.count else { return nil }
            return (
                Int(be32(h + 20)), Int(be32(h + 24)), Int(be32(h + 28)), Int(be32(h + 32)), Int(be32(h + 36)),
                Int(be32(h + 40))
            )
        }
        guard var c = counts(0) else { return nil }
        var header = 0
        var timeSize = 4
        let version = bytes[4]
        if version >= 0x32 {
            // Skip the 32-bit block; use the 64-bit one.
            let v1 = 44 + c.time * 5 + c.type * 6 + c.char + c.leap * 8 + c.isstd + c.isut
            guard let c2 = counts(v1), bytes[v1] == 0x54 else { return nil }
            c = c2
            header = v1
            timeSize = 8
        }
        var p = header + 44
        let need = c.time * (timeSize + 1) + c.type * 6 + c.char + c.leap * (timeSize + 4) + c.isstd + c.isut
        guard p + need <= bytes.count else { return nil }
        for k in 0..<c.time { transitions.append(timeSize == 8 ? be64(p + 8 * k) : be32(p + 4 * k)) }
        p += c.time * timeSize
        for k in 0..<c.time { transitionTypes.append(Int(bytes[p + k])) }
        p += c.time
        let typeStart = p
        p += c.type * 6
        let chars = Array(bytes[p..<(p + c.char)])
        func name(at i: Int) -> String {
            guard i < chars.count else { return "" }
            let end = chars[i...].firstIndex(of: 0) ?? chars.count
            return String(decoding: chars[i..<end], as: UTF8.self)
        }
        for k in 0..<c.type {
            let q = typeStart + 6 * k
            types.append(LocalType(offset: Int(be32(q)), isDST: bytes[q + 4] != 0, name: name(at: Int(bytes[q + 5]))))
        }
        guard !types.isEmpty, transitionTypes.allSatisfy({ $0 < types.count }) else { return nil }
        p += c.char + c.leap * (timeSize + 4) + c.isstd + c.isut
        if timeSize == 8, p < bytes.count, bytes[p] == 0x0A,
            let end = bytes[(p + 1)...].firstIndex(of: 0x0A)
        {
            footer = Self.parsePOSIX(String(decoding: bytes[(p + 1)..<end], as: UTF8.self))
        }

        // tzname: walking back from the last transition, the first standard and daylight names.
        var std: String? = nil
        var dst: String? = nil
        for k in transitionTypes.indices.reversed() {
            let t = types[transitionTypes[k]]
            if t.isDST { if dst == nil { dst = t.name } } else if std == nil { std = t.name }
            if std != nil && dst != nil { break }
        }
        if std == nil { std = dst ?? types[0].name }
        localNames = (std!, dst ?? std!)
        // timezone/daylight: the offsets of the earliest standard and daylight types transitioned to.
        var stdOff = 0
        var dstOff = 0
        for k in transitionTypes {
            let t = types[k]
            if stdOff == 0 && !t.isDST { stdOff = t.offset }
            if dstOff == 0 && t.isDST { dstOff = t.offset }
            if stdOff != 0 && dstOff != 0 { break }
        }
        if transitionTypes.isEmpty { stdOff = types[0].offset }
        isUTC = stdOff == 0 && dstOff == 0
    }

    /// Names and offsets of a POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` or `<+04>-4`.
    static func parsePOSIX(_ s: String) -> [LocalType] {
        var u = Substring(s)
        func name() -> String? {
            if u.first == "<" {
                guard let e = u.firstIndex(of: ">") else { return nil }
                let n = String(u[u.index(after: u.startIndex)..<e])
                u = u[u.index(after: e)...]
                return n
            }
            let n = u.prefix(while: { $0.isLetter })
            u = u.dropFirst(n.count)
            return n.isEmpty ? nil : String(n)
        }
        func offset() -> Int? {
            var sign = 1
            if u.first == "+" || u.first == "-" {
                sign = u.first == "-" ? -1 : 1
                u = u.dropFirst()
            }
            let text = u.prefix(while: { $0.isNumber || $0 == ":" })
            guard !text.isEmpty else { return nil }
            u = u.dropFirst(text.count)
            let parts = text.split(separator: ":").map { Int($0) ?? 0 }
            let secs = (parts.first ?? 0) * 3600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0)
            return -sign * secs  // POSIX offsets are west of UTC
        }
        guard let stdName = name(), let stdOff = offset() else { return [] }
        var out = [LocalType(offset: stdOff, isDST: false, name: stdName)]
        if let dstName = name() {
            let dstOff = (u.first == "," || u.isEmpty) ? stdOff + 3600 : (offset() ?? stdOff + 3600)
            out.append(LocalType(offset: dstOff, isDST: true, name: dstName))
        }
        return out
    }

    /// The abbreviation in effect at `instant`; `offset` (from `ZonedTime`) chooses between the footer's names
    /// after the last transition.
    public func abbreviation(at instant: Int64, offset: Int) -> String {
        if let last = transitions.last, instant >= last, !footer.isEmpty {
            return (footer.first { $0.offset == offset } ?? footer[0]).name
        }
        // Last transition <= instant.
        var lo = 0
        var hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid] <= instant { lo = mid + 1 } else { hi = mid }
        }
        if lo == 0 {
            return (types.first { !$0.isDST } ?? types[0]).name
        }
        let t = types[transitionTypes[lo - 1]]
        if t.offset != offset, let match = types.last(where: { $0.offset == offset }) { return match.name }
        return t.name
    }
}
