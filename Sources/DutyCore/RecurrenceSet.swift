import Foundation

/// An RFC 5545 recurrence set: DTSTART, one or more RRULEs, RDATE and EXDATE (§3.8.5).
///
/// Semantics (see docs/rrule-deviations.md for where python-dateutil differs):
/// - the set is (DTSTART ∪ RRULE instances ∪ RDATE) − EXDATE, sorted, without duplicates;
/// - DTSTART is always the first occurrence and counts towards COUNT, also when it does not match the rule;
/// - BYSETPOS picks from the whole FREQ interval (a week from WKST, a month, ...), also the one holding DTSTART;
/// - BYHOUR, BYMINUTE and BYSECOND are ignored when DTSTART is a DATE (§3.3.10);
/// - invalid dates (30 February) and local times that do not exist (DST gap) are ignored and not counted;
/// - a repeated local time (DST overlap) resolves to its first instance;
/// - explicit date-times (DTSTART, RDATE, EXDATE) in a gap use the offset before the gap (§3.3.5).
public struct RecurrenceSet: Sendable {
    /// How a date-time value is anchored.
    public enum Zone: Sendable, Hashable {
        /// `...Z`
        case utc
        /// `TZID=...`
        case zoned(TimeZone)
        /// No zone: read in the set's `floatingTimeZone`.
        case floating
    }

    /// A DATE or DATE-TIME value as written (local wall time plus how it is anchored).
    public struct Moment: Sendable, Hashable, CustomStringConvertible {
        public var date: CivilDate
        public var secondOfDay: Int
        public var zone: Zone
        /// `VALUE=DATE`: an all-day value (time 00:00, floating).
        public var isDateOnly: Bool

        public init(date: CivilDate, hour: Int = 0, minute: Int = 0, second: Int = 0, zone: Zone = .floating) {
            self.date = date
            self.secondOfDay = hour * 3600 + minute * 60 + second
            self.zone = zone
            self.isDateOnly = false
        }

        /// An all-day (DATE) value.
        public static func day(_ date: CivilDate) -> Moment {
            var m = Moment(date: date)
            m.isDateOnly = true
            return m
        }

        /// iCalendar text of the value, without parameters: `20180917T090000`, `...Z`, `20180917`.
        public var description: String {
            if isDateOnly { return RecurrenceRule.compact(date) }
            let text = RecurrenceRule.compact(date) + "T" + RecurrenceRule.compactTime(secondOfDay)
            return zone == .utc ? text + "Z" : text
        }
    }

    public var start: Moment
    public var rules: [RecurrenceRule]
    public var inclusions: [Moment]
    public var exclusions: [Moment]
    /// The zone floating and all-day values are read in (default UTC).
    public var floatingTimeZone: TimeZone

    public init(
        start: Moment, rules: [RecurrenceRule] = [], inclusions: [Moment] = [], exclusions: [Moment] = [],
        floatingTimeZone: TimeZone = RecurrenceSet.utc
    ) {
        self.start = start
        self.rules = rules
        self.inclusions = inclusions
        self.exclusions = exclusions
        self.floatingTimeZone = floatingTimeZone
    }

    public static let utc = TimeZone(identifier: "UTC")!

    /// The zone recurrence instances are computed in: DTSTART's.
    public var timeZone: TimeZone {
        switch start.zone {
        case .utc: return RecurrenceSet.utc
        case .zoned(let tz): return tz
        case .floating: return floatingTimeZone
        }
    }

    /// Occurrences strictly after `after` (when given) up to and including `through` (when given), in order.
    /// Lazy: rules without COUNT/UNTIL go on until the year 9999.
    public func occurrences(after: Date? = nil, through: Date? = nil) -> some Sequence<Date> {
        Occurrences(set: self, after: after.map { Self.seconds($0, roundingUp: false) },
            through: through.map { Self.seconds($0, roundingUp: false) })
    }

    /// The first occurrence strictly after `date`.
    public func nextOccurrence(after date: Date) -> Date? {
        var it = occurrences(after: date).makeIterator()
        return it.next()
    }

    static func seconds(_ date: Date, roundingUp: Bool) -> Int {
        let t = date.timeIntervalSince1970
        return Int(roundingUp ? t.rounded(.up) : t.rounded(.down))
    }

    func instant(of moment: Moment, resolver: inout RRuleZoneResolver) -> Int {
        let local = moment.date.dayNumber * 86400 + moment.secondOfDay
        switch moment.zone {
        case .utc: return local
        case .zoned(let tz):
            if case .zoned(let own) = start.zone, own == tz { return resolver.explicitInstant(local: local) }
            var other = RRuleZoneResolver(zone: tz)
            return other.explicitInstant(local: local)
        case .floating:
            if case .floating = start.zone { return resolver.explicitInstant(local: local) }
            if moment.isDateOnly || start.isDateOnly { return resolver.explicitInstant(local: local) }
            var other = RRuleZoneResolver(zone: floatingTimeZone)
            return other.explicitInstant(local: local)
        }
    }
}

extension RecurrenceSet {
    struct Occurrences: Sequence {
        let set: RecurrenceSet
        let after: Int?
        let through: Int?

        func makeIterator() -> Iterator { Iterator(set: set, after: after, through: through) }
    }

    /// Merges the rule iterators with DTSTART and the RDATEs, drops duplicates and EXDATEs.
    struct Iterator: IteratorProtocol {
        private var rules: [RuleIterator]
        private var heads: [Int?]
        private let extras: [Int]
        private var extraIndex = 0
        private let excluded: Set<Int>
        private var last: Int? = nil
        private let after: Int?
        private let through: Int?
        private var done = false

        init(set: RecurrenceSet, after: Int?, through: Int?) {
            var resolver = RRuleZoneResolver(zone: set.timeZone)
            let startInstant = set.instant(of: set.start, resolver: &resolver)
            rules = set.rules.map {
                RuleIterator(
                    rule: $0, start: set.start, startInstant: startInstant, zone: set.timeZone,
                    // Local times are at most ~1 day ahead of UTC: nothing after this can be <= through.
                    stopAfterLocal: through.map { $0 + 2 * 86400 })
            }
            heads = []
            var ex = [startInstant]
            for m in set.inclusions { ex.append(set.instant(of: m, resolver: &resolver)) }
            extras = ex.sorted()
            excluded = Set(set.exclusions.map { set.instant(of: $0, resolver: &resolver) })
            self.after = after
            self.through = through
            heads = rules.indices.map { rules[$0].next() }
        }

        mutating func next() -> Date? {
            while !done {
                var best: Int? = nil
                var bestRule = -1
                for i in heads.indices {
                    if let h = heads[i], best == nil || h < best! {
                        best = h
                        bestRule = i
                    }
                }
                if extraIndex < extras.count, best == nil || extras[extraIndex] <= best! {
                    best = extras[extraIndex]
                    bestRule = -1
                    extraIndex += 1
                } else if bestRule >= 0 {
                    heads[bestRule] = rules[bestRule].next()
                }
                guard let value = best else {
                    done = true
                    return nil
                }
                if let through, value > through {
                    done = true
                    return nil
                }
                if value == last { continue }
                last = value
                if excluded.contains(value) { continue }
                if let after, value <= after { continue }
                return Date(timeIntervalSince1970: Double(value))
            }
            return nil
        }
    }

    /// One RRULE: expansion on local time, time-zone resolution (gaps dropped), UNTIL and COUNT.
    struct RuleIterator {
        private var expander: RecurrenceRuleExpander
        private var resolver: RRuleZoneResolver
        private let untilLocal: Int?
        private let untilInstant: Int?
        private let count: Int?
        private let startInstant: Int
        private var used = 0
        private var first = true
        private var done = false

        init(rule: RecurrenceRule, start: Moment, startInstant: Int, zone: TimeZone, stopAfterLocal: Int? = nil) {
            var rule = rule
            if start.isDateOnly {
                // RFC 5545 §3.3.10: BYSECOND, BYMINUTE and BYHOUR "MUST be ignored" with a DATE DTSTART.
                rule.bySecond = []
                rule.byMinute = []
                rule.byHour = []
            }
            expander = RecurrenceRuleExpander(rule: rule, startDate: start.date, startSecondOfDay: start.secondOfDay)
            expander.stopAfterLocal = stopAfterLocal
            resolver = RRuleZoneResolver(zone: zone)
            switch rule.until {
            case .date(let d):
                untilLocal = d.dayNumber * 86400
                untilInstant = nil
            case .local(let d, let s):
                untilLocal = d.dayNumber * 86400 + s
                untilInstant = nil
            case .utc(let d, let s):
                untilLocal = nil
                untilInstant = d.dayNumber * 86400 + s
            case nil:
                untilLocal = nil
                untilInstant = nil
            }
            count = rule.count
            self.startInstant = startInstant
        }

        mutating func next() -> Int? {
            guard !done else { return nil }
            while let local = expander.next() {
                if let untilLocal, local > untilLocal { break }
                guard let t = resolver.instant(local: local) else { continue }  // DST gap: not an instance
                if let untilInstant, t > untilInstant { break }
                if let count {
                    if first && t != startInstant { used += 1 }  // DTSTART counts as the first occurrence
                    first = false
                    used += 1
                    if used > count { break }
                }
                return t
            }
            done = true
            return nil
        }
    }
}
