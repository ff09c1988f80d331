/// A workday calendar: a weekly weekend rule plus dated exceptions (official holidays and make-up workdays, 调休).
///
/// A date is a workday when it is a make-up workday, or when it is neither a holiday nor a weekend day. Holidays
/// that fall on a weekend and make-up workdays that fall on a weekday are harmless (they change nothing).
///
/// ## Coverage
/// Dated exceptions are only known for the years in `coverage` (for the shipped `cn` calendar, the years of the
/// State Council notices the data was generated from). Outside it only the weekend rule applies, which is almost
/// certainly wrong for countries with movable holidays: callers use `covers(_:)` to warn. A calendar without any
/// dated entry and without an explicit coverage has `coverage == nil` and covers every date (a pure weekly rule).
///
/// ## Cost
/// The initialiser precomputes, for every day of the covered years, the running sum of the exceptions that change
/// the weekly rule (a `[Int32]`, about 1.5 KiB per year). With it, `rank(d)` (the number of workdays before `d`,
/// counted from 1970-01-01) is O(1): a closed form for the weekly rule plus one array read. Every query is either
/// O(1) (`isWorkday`) or a binary search over day numbers on that rank, O(log n) (`nextWorkday`, `workday(_:ofMonth:
/// year:)`, `adding(workdays:to:)`). No query scans days or years linearly.
///
/// Equality and hashing use the defining fields only (id, name, weekend, dates, coverage, source).
public struct WorkdayCalendar: Sendable, Hashable, CustomStringConvertible {
    public var id: String { storage.id }
    public var name: String { storage.name }
    public var weekend: Set<Weekday> { storage.weekend }
    /// Official days off (they may include weekend days inside a holiday block).
    public var holidays: Set<CivilDate> { storage.holidays }
    /// Days that are workdays although the weekend rule says otherwise (调休 make-up workdays).
    public var makeupWorkdays: Set<CivilDate> { storage.makeupWorkdays }
    /// The years (inclusive) for which the dated exceptions are authoritative; nil for a pure weekly rule.
    public var coverage: ClosedRange<Int>? { storage.coverage }
    /// Free text naming the data source (package and version), shown to users.
    public var source: String? { storage.source }

    private var table: Table { storage.table }

    /// One reference: a calendar is held by every duty that names it (55,166 visit duties name `cn`), and a copy
    /// costs a pointer, not the fields.
    private final class Storage: Sendable {
        let id: String
        let name: String
        let weekend: Set<Weekday>
        let holidays: Set<CivilDate>
        let makeupWorkdays: Set<CivilDate>
        let coverage: ClosedRange<Int>?
        let source: String?
        let table: Table

        init(
            id: String, name: String, weekend: Set<Weekday>, holidays: Set<CivilDate>, makeupWorkdays: Set<CivilDate>,
            coverage: ClosedRange<Int>?, source: String?, table: Table
        ) {
            self.id = id
            self.name = name
            self.weekend = weekend
            self.holidays = holidays
            self.makeupWorkdays = makeupWorkdays
            self.coverage = coverage
            self.source = source
            self.table = table
        }
    }

    private let storage: Storage

    /// The largest span of covered years (the precomputed table grows with it).
    public static let maximumCoveredYears = 1000

    /// - Parameters:
    ///   - coverage: the years the data is authoritative for. The effective coverage is the smallest range
    ///     holding this one and the years of every dated entry; nil and no dated entry means a pure weekly rule.
    /// - Throws: `WorkdayCalendarError` for an invalid date, a date that is both a holiday and a make-up workday,
    ///   a weekend of all seven days, or a coverage wider than `maximumCoveredYears`.
    public init(
        id: String,
        name: String,
        weekend: Set<Weekday> = [.saturday, .sunday],
        holidays: Set<CivilDate> = [],
        makeupWorkdays: Set<CivilDate> = [],
        coverage: ClosedRange<Int>? = nil,
        source: String? = nil
    ) throws(WorkdayCalendarError) {
        guard weekend.count < 7 else {
            throw WorkdayCalendarError(code: .noWorkdayInWeek, message: "the weekend covers all seven days")
        }
        for d in holidays.union(makeupWorkdays) where !d.isValid {
            throw WorkdayCalendarError(code: .invalidDate, message: "invalid date \(d)", date: d)
        }
        if let both = holidays.intersection(makeupWorkdays).min() {
            throw WorkdayCalendarError(
                code: .conflictingDate, message: "\(both) is both a holiday and a make-up workday", date: both)
        }
        var lo = coverage?.lowerBound
        var hi = coverage?.upperBound
        for d in holidays.union(makeupWorkdays) {
            lo = Swift.min(lo ?? d.year, d.year)
            hi = Swift.max(hi ?? d.year, d.year)
        }
        var effective: ClosedRange<Int>? = nil
        if let lo, let hi {
            guard hi - lo < WorkdayCalendar.maximumCoveredYears else {
                throw WorkdayCalendarError(
                    code: .coverageTooLarge,
                    message: "coverage \(lo)...\(hi) is wider than \(WorkdayCalendar.maximumCoveredYears) years")
            }
            effective = lo...hi
        }
        storage = Storage(
            id: id, name: name, weekend: weekend, holidays: holidays, makeupWorkdays: makeupWorkdays, coverage: effective,
            source: source, table: Table(weekend: weekend, holidays: holidays, makeup: makeupWorkdays, years: effective))
    }

    /// Every day is a workday (the default when a duty names no calendar).
    public static let everyDay: WorkdayCalendar = try! WorkdayCalendar(id: "all", name: "every day", weekend: [])

    public static func == (lhs: WorkdayCalendar, rhs: WorkdayCalendar) -> Bool {
        lhs.storage === rhs.storage || lhs.id == rhs.id && lhs.name == rhs.name && lhs.weekend == rhs.weekend && lhs.holidays == rhs.holidays
            && lhs.makeupWorkdays == rhs.makeupWorkdays && lhs.coverage == rhs.coverage && lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(name)
        hasher.combine(weekend)
        hasher.combine(holidays)
        hasher.combine(makeupWorkdays)
        hasher.combine(coverage?.lowerBound)
        hasher.combine(coverage?.upperBound)
        hasher.combine(source)
    }

    public var description: String {
        let cov = coverage.map { "\($0.lowerBound)-\($0.upperBound)" } ?? "weekly rule"
        return "\(id) (\(name); \(cov))"
    }

    // MARK: - Coverage

    /// True when the dated data is authoritative for `date` (always true for a pure weekly rule).
    public func covers(_ date: CivilDate) -> Bool {
        guard let coverage else { return true }
        return coverage.contains(date.year)
    }

    /// The first and last covered dates, or nil for a pure weekly rule.
    public var coveredDates: ClosedRange<CivilDate>? {
        guard let coverage else { return nil }
        return CivilDate(year: coverage.lowerBound, month: 1, day: 1)...CivilDate(
            year: coverage.upperBound, month: 12, day: 31)
    }

    // MARK: - Queries

    public func isWorkday(_ date: CivilDate) -> Bool {
        table.isWorkday(date.dayNumber)
    }

    /// The first workday on or after `date`.
    public func nextWorkday(onOrAfter date: CivilDate) -> CivilDate {
        CivilDate(dayNumber: table.workday(index: table.rank(date.dayNumber)))
    }

    /// The last workday on or before `date`.
    public func previousWorkday(onOrBefore date: CivilDate) -> CivilDate {
        CivilDate(dayNumber: table.workday(index: table.rank(date.dayNumber + 1) - 1))
    }

    /// The number of workdays in the half-open range `[from, to)` (negative when `to < from`).
    public func workdays(from: CivilDate, to: CivilDate) -> Int {
        table.rank(to.dayNumber) - table.rank(from.dayNumber)
    }

    /// The `n`-th workday of a month: `n >= 1` counts from the start (1 = first), `n <= -1` from the end
    /// (-1 = last). Nil when `n == 0`, the month is invalid, or the month has fewer than `|n|` workdays.
    public func workday(_ n: Int, ofMonth month: Int, year: Int) -> CivilDate? {
        guard n != 0, (1...12).contains(month) else { return nil }
        let first = CivilDate(year: year, month: month, day: 1).dayNumber
        let end = first + CivilDate.daysInMonth(year: year, month: month)
        let r0 = table.rank(first)
        let r1 = table.rank(end)
        guard abs(n) <= r1 - r0 else { return nil }
        let index = n > 0 ? r0 + n - 1 : r1 + n
        return CivilDate(dayNumber: table.workday(index: index))
    }

    /// The last workday of a month (nil only for an invalid month or a month without workdays).
    public func lastWorkday(ofMonth month: Int, year: Int) -> CivilDate? {
        workday(-1, ofMonth: month, year: year)
    }

    /// The date `n` workdays after `date` (`n > 0`), or `|n|` workdays before it (`n < 0`), not counting `date`
    /// itself; `date` need not be a workday (like remind's `+N` counting back over omitted days). `n == 0`
    /// returns `date` unchanged. For a workday `d`, `adding(workdays: -n, to: adding(workdays: n, to: d)) == d`.
    public func adding(workdays n: Int, to date: CivilDate) -> CivilDate {
        if n == 0 { return date }
        let d = date.dayNumber
        let index = n > 0 ? table.rank(d + 1) + n - 1 : table.rank(d) + n
        return CivilDate(dayNumber: table.workday(index: index))
    }
}

/// Why a workday calendar could not be built.
public struct WorkdayCalendarError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case invalidDate, conflictingDate, noWorkdayInWeek, coverageTooLarge
    }
    public var code: Code
    public var message: String
    public var date: CivilDate?

    public init(code: Code, message: String, date: CivilDate? = nil) {
        self.code = code
        self.message = message
        self.date = date
    }

    public var description: String { "workday calendar: \(message)" }
}

// MARK: - Precomputed table

extension WorkdayCalendar {
    /// Immutable precomputed data shared by copies of a calendar.
    fileprivate final class Table: Sendable {
        /// Workdays per full week under the weekend rule (1...7).
        let perWeek: Int
        /// `partial[r]`: weekly-rule workdays among day numbers `0..<r` (r in 0...7); day 0 is a Thursday.
        let partial: [Int]
        /// `isWeeklyWorkday[i]` for Monday-based weekday index `i`.
        let isWeeklyWorkday: [Bool]
        /// Day number of 1 January of the first covered year.
        let firstDay: Int
        /// `correction[i]`: sum over covered days `firstDay ..< firstDay + i` of +1 (make-up workday on a weekend
        /// day) and -1 (holiday on a weekday). `correction.count == coveredDays + 1`; `[0]` when uncovered.
        let correction: [Int32]
        /// The largest |correction| value: bounds how far `rank` strays from the weekly rule.
        let maxDeviation: Int

        init(weekend: Set<Weekday>, holidays: Set<CivilDate>, makeup: Set<CivilDate>, years: ClosedRange<Int>?) {
            let weekly = (0..<7).map { !weekend.contains(Weekday(mondayBasedIndex: $0)) }
            isWeeklyWorkday = weekly
            perWeek = weekly.filter { $0 }.count
            var p = [0]
            for j in 0..<7 { p.append(p[j] + (weekly[(j + 3) % 7] ? 1 : 0)) }
            partial = p
            guard let years else {
                firstDay = 0
                correction = [0]
                maxDeviation = 0
                return
            }
            let first = CivilDate(year: years.lowerBound, month: 1, day: 1).dayNumber
            let end = CivilDate(year: years.upperBound + 1, month: 1, day: 1).dayNumber
            var delta = [Int32](repeating: 0, count: end - first)
            for d in holidays {
                let n = d.dayNumber
                if weekly[d.weekday.mondayBasedIndex] { delta[n - first] = -1 }
            }
            for d in makeup {
                let n = d.dayNumber
                if !weekly[d.weekday.mondayBasedIndex] { delta[n - first] = 1 }
            }
            var c = [Int32](repeating: 0, count: delta.count + 1)
            var dev: Int32 = 0
            for i in 0..<delta.count {
                c[i + 1] = c[i] + delta[i]
                dev = Swift.max(dev, abs(c[i + 1]))
            }
            firstDay = first
            correction = c
            maxDeviation = Int(dev)
        }

        /// Weekly-rule workdays among day numbers `0..<d` (negative for `d < 0`).
        @inline(__always) func weeklyRank(_ d: Int) -> Int {
            let q = d >= 0 ? d / 7 : -((-d + 6) / 7)
            return q * perWeek + partial[d - 7 * q]
        }

        /// Workdays among day numbers `0..<d` (negative for `d < 0`); non-decreasing, +1 exactly on workdays.
        @inline(__always) func rank(_ d: Int) -> Int {
            let i = d - firstDay
            let c: Int32
            if i <= 0 {
                c = 0
            } else if i >= correction.count {
                c = correction[correction.count - 1]
            } else {
                c = correction[i]
            }
            return weeklyRank(d) + Int(c)
        }

        @inline(__always) func isWorkday(_ d: Int) -> Bool { rank(d + 1) != rank(d) }

        /// The day number of the workday with the given index (the workday `x` with `rank(x) == index`).
        func workday(index k: Int) -> Int {
            // rank(x) ≈ x * perWeek / 7 within maxDeviation + perWeek: bracket, then binary search for the smallest
            // x with rank(x + 1) > k.
            let q = k >= 0 ? k / perWeek : -((-k + perWeek - 1) / perWeek)
            let slack = 7 * ((maxDeviation + perWeek - 1) / perWeek + 2)
            var lo = 7 * q - slack
            var hi = 7 * q + slack
            while rank(lo + 1) > k { lo -= slack }
            while rank(hi + 1) <= k { hi += slack }
            // invariant: rank(lo + 1) <= k < rank(hi + 1)
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2
                if rank(mid + 1) > k { hi = mid } else { lo = mid }
            }
            return hi
        }
    }
}
