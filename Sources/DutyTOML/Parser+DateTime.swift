extension Parser {
    /// `1979-05-27`, optionally followed by a time (after `T`, `t` or a space) and an offset (`Z`, `z` or `±HH:MM`).
    /// The caller has seen four digits and a `-`.
    mutating func parseDateOrDateTime() throws(TOMLSyntaxError) -> TOMLValue {
        let start = offset
        let year = bytes[start..<(start + 4)].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        offset += 5
        let monthStart = offset
        let month = try parseTwoDigits("the two-digit month of the date")
        guard current == ASCII.minus else {
            throw error(.invalidDateTime, "expected '-' between the month and the day of the date, found \(describe())")
        }
        offset += 1
        let dayStart = offset
        let day = try parseTwoDigits("the two-digit day of the date")
        guard (1...12).contains(month) else {
            throw error(.invalidDateTime, "invalid date: there is no month \(month)", at: monthStart)
        }
        let days = Self.days(inMonth: month, year: year)
        guard (1...days).contains(day) else {
            let reason = month == 2 && day == 29 ? "\(year) is not a leap year" : "that month has \(days) days"
            let yearAndMonth = String(decoding: bytes[start..<monthStart + 2], as: UTF8.self)
            throw error(
                .invalidDateTime,
                "invalid date: there is no day \(day) in \(yearAndMonth) (\(reason))",
                at: dayStart)
        }
        let date = TOMLDate(year: year, month: month, day: day)

        // A space separates a time only when a time follows; otherwise the date ends there (`d = 1979-05-27 # ...`).
        switch current {
        case UInt8(ascii: "T"), UInt8(ascii: "t"):
            break
        case ASCII.space where [1, 2].allSatisfy({ peek($0).map(ASCII.isDigit) == true }) && peek(3) == ASCII.colon:
            break
        default:
            return .localDate(date)
        }
        offset += 1
        let time = try parseTime()
        switch current {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            offset += 1
            return .offsetDateTime(date, time, offsetMinutes: 0)
        case ASCII.plus, ASCII.minus:
            return .offsetDateTime(date, time, offsetMinutes: try parseOffset())
        default:
            return .localDateTime(date, time)
        }
    }

    /// `07:32:00` with optional fractional seconds; TOML 1.0 requires the seconds.
    mutating func parseTime() throws(TOMLSyntaxError) -> TOMLTime {
        let hourStart = offset
        let hour = try parseTwoDigits("the two-digit hour of the time")
        guard current == ASCII.colon else {
            throw error(.invalidDateTime, "expected ':' after the hour of the time, found \(describe())")
        }
        offset += 1
        let minuteStart = offset
        let minute = try parseTwoDigits("the two-digit minute of the time")
        guard current == ASCII.colon else {
            throw error(
                .invalidDateTime,
                "expected ':' and the seconds after the minute: TOML times have seconds (07:30:00), found \(describe())"
            )
        }
        offset += 1
        let secondStart = offset
        let second = try parseTwoDigits("the two-digit second of the time")
        var nanosecond = 0
        if current == ASCII.dot {
            offset += 1
            guard let first = current, ASCII.isDigit(first) else {
                throw error(
                    .invalidDateTime, "expected a digit after the decimal point of the seconds, found \(describe())")
            }
            var count = 0
            while let byte = current, ASCII.isDigit(byte) {
                if count < 9 { nanosecond = nanosecond * 10 + Int(byte - UInt8(ascii: "0")) }
                count += 1
                offset += 1
            }
            for _ in min(count, 9)..<9 { nanosecond *= 10 }
        }
        for (value, limit, position, name) in [
            (hour, 23, hourStart, "hour"), (minute, 59, minuteStart, "minute"), (second, 59, secondStart, "second"),
        ] where value > limit {
            throw error(.invalidDateTime, "invalid time: there is no \(name) \(value) (00 to \(limit))", at: position)
        }
        return TOMLTime(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
    }

    /// `+08:00` or `-07:30`, in minutes east of UTC.
    private mutating func parseOffset() throws(TOMLSyntaxError) -> Int {
        let start = offset
        let sign = current == ASCII.minus ? -1 : 1
        offset += 1
        let hours = try parseTwoDigits("the two-digit hours of the offset")
        guard current == ASCII.colon else {
            throw error(
                .invalidDateTime, "expected ':' between the hours and minutes of the offset, found \(describe())")
        }
        offset += 1
        let minutes = try parseTwoDigits("the two-digit minutes of the offset")
        guard hours <= 23 && minutes <= 59 else {
            throw error(.invalidDateTime, "invalid offset: it must lie within -23:59...+23:59", at: start)
        }
        return sign * (hours * 60 + minutes)
    }

    private mutating func parseTwoDigits(_ expected: String) throws(TOMLSyntaxError) -> Int {
        var value = 0
        for _ in 0..<2 {
            guard let byte = current, ASCII.isDigit(byte) else {
                throw error(.invalidDateTime, "expected \(expected), found \(describe(wholeWord: false))")
            }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            offset += 1
        }
        return value
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
