import Foundation

/// One advance warning to send: when, for which occurrence, and which warning of the list.
public struct AdvanceWarningFiring: Sendable, Hashable {
    public var fireAt: Date
    public var occurrence: Date
    public var warning: AdvanceWarning
    /// Position of `warning` in the list given to `expandWarnings` (breaks ties).
    public var warningIndex: Int

    public init(fireAt: Date, occurrence: Date, warning: AdvanceWarning, warningIndex: Int) {
        self.fireAt = fireAt
        self.occurrence = occurrence
        self.warning = warning
        self.warningIndex = warningIndex
    }
}

/// The advance warnings of a sorted sequence of occurrences, in `fireAt` order.
///
/// `occurrences` must be sorted ascending (equal instants allowed). The result is ordered by
/// `(fireAt, occurrence, warningIndex)`. It is lazy: it pulls occurrences only as far as needed and works on
/// unbounded sequences.
///
/// How: a k-way merge with a watermark. Each pulled occurrence pushes its k warnings on a binary min-heap. The
/// warning instants of any later occurrence cannot be earlier than a lower bound computed from the next unpulled
/// occurrence (`o - amount` for m/h, the start of the shifted local day minus one day for d/w/workdays), so the
/// heap's minimum is emitted as soon as it is below that watermark. The streams are not monotone by themselves
/// (two weekend occurrences can warn on the same Friday in the opposite order of their wall times, DST folds),
/// which is why a plain k-way merge of per-warning streams would be wrong. Cost: O(log h) per firing where h is
/// the number of firings pending inside the largest warning span (not O(n log n) over the whole input), plus
/// O(k) per occurrence for the watermark.
public func expandWarnings<S: Sequence>(
    _ occurrences: S, warnings: [AdvanceWarning], timeZone: TimeZone, calendar: WorkdayCalendar = .everyDay
) -> AdvanceWarningFirings<S> where S.Element == Date {
    AdvanceWarningFirings(base: occurrences, warnings: warnings, timeZone: timeZone, calendar: calendar)
}

/// The lazy sequence returned by `expandWarnings`.
public struct AdvanceWarningFirings<Base: Sequence>: Sequence where Base.Element == Date {
    let base: Base
    let warnings: [AdvanceWarning]
    let timeZone: TimeZone
    let calendar: WorkdayCalendar

    public func makeIterator() -> Iterator {
        Iterator(base: base.makeIterator(), warnings: warnings, timeZone: timeZone, calendar: calendar)
    }

    public struct Iterator: IteratorProtocol {
        var base: Base.Iterator
        let warnings: [AdvanceWarning]
        let timeZone: TimeZone
        let calendar: WorkdayCalendar
        var heap: [AdvanceWarningFiring] = []
        var pending: Date?
        var started = false

        init(base: Base.Iterator, warnings: [AdvanceWarning], timeZone: TimeZone, calendar: WorkdayCalendar) {
            self.base = base
            self.warnings = warnings
            self.timeZone = timeZone
            self.calendar = calendar
        }

        public mutating func next() -> AdvanceWarningFiring? {
            if warnings.isEmpty { return nil }
            if !started {
                started = true
                pending = base.next()
            }
            while true {
                if let top = heap.first {
                    guard let next = pending else { return pop() }
                    if top.fireAt < watermark(next) { return pop() }
                }
                guard let occurrence = pending else { return nil }
                for (index, warning) in warnings.enumerated() {
                    let fireAt = warning.warningInstant(for: occurrence, in: timeZone, calendar: calendar)
                    push(AdvanceWarningFiring(
                        fireAt: fireAt, occurrence: occurrence, warning: warning, warningIndex: index))
                }
                pending = base.next()
            }
        }

        private func watermark(_ occurrence: Date) -> Date {
            var low = Date.distantFuture
            for warning in warnings {
                let bound = warning.lowerBound(forOccurrencesFrom: occurrence, in: timeZone, calendar: calendar)
                if bound < low { low = bound }
            }
            return low
        }

        private static func before(_ a: AdvanceWarningFiring, _ b: AdvanceWarningFiring) -> Bool {
            if a.fireAt != b.fireAt { return a.fireAt < b.fireAt }
            if a.occurrence != b.occurrence { return a.occurrence < b.occurrence }
            return a.warningIndex < b.warningIndex
        }

        private mutating func push(_ item: AdvanceWarningFiring) {
            heap.append(item)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard Self.before(heap[i], heap[parent]) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }

        private mutating func pop() -> AdvanceWarningFiring {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1
                    let r = l + 1
                    var m = i
                    if l < heap.count, Self.before(heap[l], heap[m]) { m = l }
                    if r < heap.count, Self.before(heap[r], heap[m]) { m = r }
                    if m == i { break }
                    heap.swapAt(i, m)
                    i = m
                }
            }
            return top
        }
    }
}
