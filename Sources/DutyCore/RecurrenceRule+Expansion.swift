/// Expands a rule against a start on the naive local time line ("wall clock" seconds: day number * 86400 +
/// second of day). Yields candidate instances in increasing order, all at or after the start. Invalid dates never
/// appear (only real calendar days are enumerated). COUNT, UNTIL and time-zone resolution are the caller's job
/// because non-existent local times must be dropped *before* counting (RFC 5545 §3.3.10).
///
/// The period walk follows RFC 5545's expand/limit table: one period per FREQ step (a year, month, week
/// starting at WKST, day, or a sub-daily step), BYxxx parts filter the days of the period, BYHOUR/BYMINUTE/BYSECOND
/// expand times, then BYSETPOS picks from the period's sorted set. Every period is whole, the first one too: its
/// candidates before the start count for BYSETPOS but are not emitted. Parts missing from the rule are taken from
/// the start, as RFC 5545 and dateutil do.
struct RecurrenceRuleExpander: IteratorProtocol {
    private let frequency: RecurrenceRule.Frequency
    private let interval: Int
    private let start: Int
    private let startDay: Int
    private let startCivil: CivilDate
    private static let lastDay = CivilDate(year: maxYear, month: 12, day: 31).dayNumber
    private var keptBuffer: [Int] = []
    private let weekStart: Int  // 0 = Monday
    private let months: [Bool]?  // index 1...12
    private let weekNumbers: [Int]
    private let yearDays: [Int]
    private let monthDaysPositive: [Bool]?  // index 1...31
    private let monthDaysNegative: [Bool]  // index 1...31 for -1...-31
    private let hasMonthDays: Bool
    private let weekdays: [Bool]?  // index 0 = Monday
    private let nthWeekdays: [(weekday: Int, n: Int)]
    private let hours: [Int]?
    private let minutes: [Int]?
    private let seconds: [Int]?
    private let setPositions: [Int]
    /// Fixed times of day for DAILY and coarser frequencies (sorted).
    private let timeSet: [Int]
    private let stepSeconds: Int

    private var periodIndex = 0
    /// Stop once a period starts after this local time (set when the caller only needs a window).
    var stopAfterLocal: Int? = nil
    private var subDailyDay: Int
    private var pending: [Int] = []
    private var pendingIndex = 0
    private var finished = false

    /// The last year expanded, like dateutil's `MAXYEAR`.
    static let maxYear = 9999

    init(rule: RecurrenceRule, startDate: CivilDate, startSecondOfDay: Int) {
        frequency = rule.frequency
        interval = max(1, rule.interval)
        startDay = startDate.dayNumber
        startCivil = startDate
        start = startDay * 86400 + startSecondOfDay
        weekStart = rule.weekStart.mondayBasedIndex
        subDailyDay = startDay

        var byMonth = rule.byMonth
        var byMonthDay = rule.byMonthDay
        var byDay = rule.byDay
        if rule.byWeekNumber.isEmpty && rule.byYearDay.isEmpty && byMonthDay.isEmpty && byDay.isEmpty {
            switch rule.frequency {
            case .yearly:
                if byMonth.isEmpty { byMonth = [startDate.month] }
                byMonthDay = [startDate.day]
            case .monthly: byMonthDay = [startDate.day]
            case .weekly: byDay = [.init(startDate.weekday)]
            default: break
            }
        }
        if byMonth.isEmpty {
            months = nil
        } else {
            var m = [Bool](repeating: false, count: 13)
            for v in byMonth where (1...12).contains(v) { m[v] = true }
            months = m
        }
        weekNumbers = rule.byWeekNumber
        yearDays = rule.byYearDay
        var pos = [Bool](repeating: false, count: 32)
        var neg = [Bool](repeating: false, count: 32)
        for v in byMonthDay where v != 0 && abs(v) <= 31 {
            if v > 0 { pos[v] = true } else { neg[-v] = true }
        }
        hasMonthDays = !byMonthDay.isEmpty
        monthDaysPositive = hasMonthDays ? pos : nil
        monthDaysNegative = neg
        let plain = byDay.filter { $0.ordinal == nil || !(rule.frequency == .monthly || rule.frequency == .yearly) }
        if plain.isEmpty {
            weekdays = nil
        } else {
            var w = [Bool](repeating: false, count: 7)
            for d in plain { w[d.weekday.mondayBasedIndex] = true }
            weekdays = w
        }
        if rule.frequency == .monthly || rule.frequency == .yearly {
            nthWeekdays = byDay.compactMap { d in d.ordinal.map { (d.weekday.mondayBasedIndex, $0) } }
        } else {
            nthWeekdays = []
        }

        let sh = startSecondOfDay / 3600
        let sm = startSecondOfDay / 60 % 60
        let ss = startSecondOfDay % 60
        func set(_ values: [Int]) -> [Int] { Array(Set(values)).sorted() }
        hours = !rule.byHour.isEmpty ? set(rule.byHour) : (rule.frequency > .hourly ? [sh] : nil)
        minutes = !rule.byMinute.isEmpty ? set(rule.byMinute) : (rule.frequency > .minutely ? [sm] : nil)
        seconds = !rule.bySecond.isEmpty ? set(rule.bySecond) : (rule.frequency > .secondly ? [ss] : nil)
        setPositions = rule.bySetPosition

        var times: [Int] = []
        if rule.frequency >= .daily {
            for h in hours! { for m in minutes! { for s in seconds! where s < 60 { times.append(h * 3600 + m * 60 + s) } } }
            times.sort()
        }
        timeSet = times
        switch rule.frequency {
        case .hourly: stepSeconds = 3600 * interval
        case .minutely: stepSeconds = 60 * interval
        case .secondly: stepSeconds = interval
        default: stepSeconds = 0
        }
        if rule.frequency < .daily && !Self.subDailyReachable(
            start: startSecondOfDay, step: stepSeconds, hours: hours, minutes: minutes, seconds: seconds,
            frequency: rule.frequency)
        {
            finished = true
        }
    }

    /// Whether any step of a sub-daily rule can ever pass BYHOUR/BYMINUTE/BYSECOND (else the rule is empty and
    /// the walk would never end; dateutil raises "empty set" for these).
    private static func subDailyReachable(
        start: Int, step: Int, hours: [Int]?, minutes: [Int]?, seconds: [Int]?, frequency: RecurrenceRule.Frequency
    ) -> Bool {
        let g = gcd(step, 86400)
        var t = start
        for _ in 0..<(86400 / g) {
            let h = t / 3600
            let m = t / 60 % 60
            let s = t % 60
            let okHour = hours.map { $0.contains(h) } ?? true
            let okMinute = frequency == .hourly || (minutes.map { $0.contains(m) } ?? true)
            let okSecond = frequency != .secondly || (seconds.map { $0.contains(s) } ?? true)
            if okHour && okMinute && okSecond { return true }
            t = (t + step) % 86400
        }
        return false
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    mutating func next() -> Int? {
        while pendingIndex >= pending.count {
            if finished { return nil }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            fillNextPeriod()
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    // MARK: - Periods

    private func pastStop(_ firstDay: Int) -> Bool {
        guard let stopAfterLocal else { return false }
        return firstDay * 86400 > stopAfterLocal
    }

    private mutating func fillNextPeriod() {
        let k = periodIndex
        periodIndex += 1
        let s = startCivil
        switch frequency {
        case .yearly:
            let y = s.year + k * interval
            guard y <= Self.maxYear else { finished = true; return }
            let first = CivilDate(year: y, month: 1, day: 1).dayNumber
            guard !pastStop(first) else { finished = true; return }
            let length = CivilDate.isLeapYear(y) ? 366 : 365
            emitDays(first..<(first + length), periodYear: y, periodMonth: nil)
        case .monthly:
            let index = (s.year * 12 + s.month - 1) + k * interval
            let y = index / 12
            let m = index % 12 + 1
            guard y <= Self.maxYear else { finished = true; return }
            let first = CivilDate(year: y, month: m, day: 1).dayNumber
            guard !pastStop(first) else { finished = true; return }
            emitDays(first..<(first + CivilDate.daysInMonth(year: y, month: m)), periodYear: y, periodMonth: m)
        case .weekly:
            // The whole week from WKST, also the first one: BYSETPOS counts the days of the week before DTSTART
            // too (RFC 5545 §3.3.10: the set "starts at the beginning of the interval defined by the FREQ rule
            // part"); `emitDays` drops what lies before DTSTART.
            let offset = (Self.weekdayIndex(startDay) - weekStart + 7) % 7
            let first = startDay - offset + k * 7 * interval
            let end = first + 7
            guard first <= Self.lastDay, !pastStop(first) else { finished = true; return }
            let y = weekNumbers.isEmpty ? 0 : CivilDate(dayNumber: first).year
            emitDays(first..<end, periodYear: y, periodMonth: nil)
        case .daily:
            let d = startDay + k * interval
            guard d <= Self.lastDay, !pastStop(d) else { finished = true; return }
            let y = weekNumbers.isEmpty ? 0 : CivilDate(dayNumber: d).year
            emitDays(d..<(d + 1), periodYear: y, periodMonth: nil)
        case .hourly, .minutely, .secondly:
            fillSubDaily()
        }
    }

    private static func weekdayIndex(_ day: Int) -> Int { ((day % 7) + 7 + 3) % 7 }

    /// Filters the days of one period and emits day x time (or the BYSETPOS picks).
    private mutating func emitDays(_ days: Range<Int>, periodYear: Int, periodMonth: Int?) {
        var kept = keptBuffer
        keptBuffer = []  // keep `kept` uniquely referenced
        kept.removeAll(keepingCapacity: true)
        defer { keptBuffer = kept }
        for d in days where dayMatches(d, periodYear: periodYear) { kept.append(d) }
        guard !kept.isEmpty, !timeSet.isEmpty else { return }
        if setPositions.isEmpty {
            for d in kept {
                for t in timeSet {
                    let v = d * 86400 + t
                    if v >= start { pending.append(v) }
                }
            }
        } else {
            var picks: [Int] = []
            let n = timeSet.count
            for pos in setPositions {
                let (dayPos, timePos) = pos < 0 ? Self.floorDivMod(pos, n) : Self.floorDivMod(pos - 1, n)
                let index = dayPos < 0 ? kept.count + dayPos : dayPos
                guard index >= 0, index < kept.count else { continue }
                let v = kept[index] * 86400 + timeSet[timePos]
                if !picks.contains(v) { picks.append(v) }
            }
            picks.sort()
            for v in picks where v >= start { pending.append(v) }
        }
    }

    private static func floorDivMod(_ a: Int, _ b: Int) -> (Int, Int) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    private func dayMatches(_ dayNumber: Int, periodYear: Int) -> Bool {
        if months == nil && weekdays == nil && nthWeekdays.isEmpty && !hasMonthDays && yearDays.isEmpty
            && weekNumbers.isEmpty
        {
            return true
        }
        let wd = Self.weekdayIndex(dayNumber)
        if let weekdays, nthWeekdays.isEmpty, !weekdays[wd] { return false }
        if months == nil && !hasMonthDays && yearDays.isEmpty && weekNumbers.isEmpty && nthWeekdays.isEmpty {
            return weekdays?[wd] ?? true
        }
        let date = CivilDate(dayNumber: dayNumber)
        if let months, !months[date.month] { return false }
        if !weekNumbers.isEmpty && !weekNumberMatches(dayNumber, weekday: wd, periodYear: periodYear) { return false }
        if weekdays != nil || !nthWeekdays.isEmpty {
            var ok = weekdays?[wd] ?? false
            if !ok && !nthWeekdays.isEmpty { ok = nthMatches(date, dayNumber: dayNumber, weekday: wd) }
            if !ok { return false }
        }
        if let monthDaysPositive {
            let dim = CivilDate.daysInMonth(year: date.year, month: date.month)
            if !monthDaysPositive[date.day] && !monthDaysNegative[dim - date.day + 1] { return false }
        }
        if !yearDays.isEmpty {
            let firstOfYear = CivilDate(year: date.year, month: 1, day: 1).dayNumber
            let yd = dayNumber - firstOfYear + 1
            let length = CivilDate.isLeapYear(date.year) ? 366 : 365
            if !yearDays.contains(yd) && !yearDays.contains(yd - length - 1) { return false }
        }
        return true
    }

    /// `1MO`, `-1FR`: position of the weekday within the month (MONTHLY, or YEARLY with BYMONTH) or the year.
    private func nthMatches(_ date: CivilDate, dayNumber: Int, weekday: Int) -> Bool {
        let forward: Int
        let backward: Int
        if frequency == .monthly || months != nil {
            let dim = CivilDate.daysInMonth(year: date.year, month: date.month)
            forward = (date.day - 1) / 7 + 1
            backward = -((dim - date.day) / 7 + 1)
        } else {
            let firstOfYear = CivilDate(year: date.year, month: 1, day: 1).dayNumber
            let yd = dayNumber - firstOfYear
            let length = CivilDate.isLeapYear(date.year) ? 366 : 365
            forward = yd / 7 + 1
            backward = -((length - 1 - yd) / 7 + 1)
        }
        for (w, n) in nthWeekdays where w == weekday && (n == forward || n == backward) { return true }
        return false
    }

    /// Week numbers with weeks starting on WKST; week 1 is the first week with at least 4 days in the year.
    private func weekNumberMatches(_ dayNumber: Int, weekday: Int, periodYear: Int) -> Bool {
        let (weekYear, week) = weekOfYear(dayNumber, weekday: weekday)
        if weekYear == periodYear {
            let total = weeksIn(periodYear)
            return weekNumbers.contains(week) || weekNumbers.contains(week - total - 1)
        } else if weekYear < periodYear {
            // Days at the start of the year that belong to the last week of the previous year.
            return weekNumbers.contains(week) || weekNumbers.contains(-1)
        } else {
            // Days at the end of the year that belong to week 1 of the next year.
            return weekNumbers.contains(1)
        }
    }

    /// Day number of the first day of week 1 of `year`.
    private func week1Start(_ year: Int) -> Int {
        let jan1 = CivilDate(year: year, month: 1, day: 1).dayNumber
        let offset = (Self.weekdayIndex(jan1) - weekStart + 7) % 7  // days since the week start
        let weekFirst = jan1 - offset
        return offset <= 3 ? weekFirst : weekFirst + 7
    }

    private func weeksIn(_ year: Int) -> Int { (week1Start(year + 1) - week1Start(year)) / 7 }

    private func weekOfYear(_ dayNumber: Int, weekday: Int) -> (Int, Int) {
        let year = CivilDate(dayNumber: dayNumber).year
        var y = year
        if dayNumber < week1Start(year) {
            y = year - 1
        } else if dayNumber >= week1Start(year + 1) {
            y = year + 1
        }
        return (y, (dayNumber - week1Start(y)) / 7 + 1)
    }

    // MARK: - Sub-daily

    /// HOURLY / MINUTELY / SECONDLY: walks day by day; on a matching day every step of the day is a period.
    private mutating func fillSubDaily() {
        let day = subDailyDay
        guard day <= Self.lastDay, !pastStop(day) else { finished = true; return }
        let date = CivilDate(dayNumber: day)
        let dayStart = day * 86400
        let dayEnd = dayStart + 86400
        if dayMatches(day, periodYear: date.year) {
            var k = dayStart <= start ? 0 : (dayStart - start + stepSeconds - 1) / stepSeconds
            var t = start + k * stepSeconds
            while t < dayEnd {
                emitStep(t, dayStart: dayStart)
                k += 1
                t = start + k * stepSeconds
            }
        }
        // Next day that has a step.
        let nextK = (dayEnd - start + stepSeconds - 1) / stepSeconds
        let nextT = start + nextK * stepSeconds
        subDailyDay = nextT / 86400
    }

    private mutating func emitStep(_ t: Int, dayStart: Int) {
        let sod = t - dayStart
        let h = sod / 3600
        let m = sod / 60 % 60
        let s = sod % 60
        if let hours, !hours.contains(h) { return }
        var times: [Int]
        switch frequency {
        case .hourly:
            times = []
            for mm in minutes ?? [m] { for ss in seconds ?? [s] where ss < 60 { times.append(h * 3600 + mm * 60 + ss) } }
            if minutes != nil || seconds != nil { times.sort() }
        case .minutely:
            if let minutes, !minutes.contains(m) { return }
            times = []
            for ss in seconds ?? [s] where ss < 60 { times.append(h * 3600 + m * 60 + ss) }
        default:
            if let minutes, !minutes.contains(m) { return }
            if let seconds, !seconds.contains(s) { return }
            times = [sod]
        }
        if setPositions.isEmpty {
            for x in times where dayStart + x >= start { pending.append(dayStart + x) }
        } else {
            var picks: [Int] = []
            for pos in setPositions {
                let index = pos < 0 ? times.count + pos : pos - 1
                guard index >= 0, index < times.count else { continue }
                let v = dayStart + times[index]
                if !picks.contains(v) { picks.append(v) }
            }
            picks.sort()
            for v in picks where v >= start { pending.append(v) }
        }
    }
}
