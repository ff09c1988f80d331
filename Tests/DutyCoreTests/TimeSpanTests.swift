import DutyTestSupport
import Foundation
import Testing

@testable import DutyCore

/// The one duration reader: every form a caller took before (`1.5d`, `90m`, `400d`, `0`, `1w`, `1d12h`), the
/// canonical form, refusals with their columns (Vectors/timespan.json), and the two-unit span of status lines.
@Suite struct TimeSpanTests {
    struct Valid: Decodable, Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var seconds: Int64
        var canonical: String
        var testDescription: String { id }
    }

    struct Invalid: Decodable, Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var code: String
        var column: Int
        var testDescription: String { id }
    }

    struct Abbreviated: Decodable, Sendable {
        var seconds: Int64
        var text: String
    }

    struct Vectors: Decodable {
        var valid: [Valid]
        var invalid: [Invalid]
        var abbreviated: [Abbreviated]
    }

    static let vectors: Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/timespan.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    @Test(arguments: vectors.valid)
    func readsValidVector(_ v: Valid) throws {
        let span = try TimeSpan(v.input)
        #expect(span.seconds == v.seconds, "\(v.id)")
        #expect(span.description == v.canonical, "\(v.id)")
        #expect(try TimeSpan(span.description) == span, "canonical form re-reads equal: \(v.id)")
    }

    @Test(arguments: vectors.invalid)
    func refusesInvalidVectorWithColumn(_ v: Invalid) {
        do {
            let span = try TimeSpan(v.input)
            Issue.record("accepted \(v.input.debugDescription) as \(span)")
        } catch {
            #expect(error.code.rawValue == v.code, "\(v.id): \(error)")
            #expect(error.column == v.column, "\(v.id): \(error)")
            #expect(error.input == v.input)
            #expect(!error.columns.isEmpty)
        }
    }

    @Test func abbreviatedShowsTheTwoLargestUnits() {
        for v in Self.vectors.abbreviated {
            #expect(TimeSpan(seconds: v.seconds).abbreviated == v.text, "\(v.seconds)")
        }
    }

    /// Measured times round to the nearest second; the past shows as zero.
    @Test(arguments: [(-5.0, 0 as Int64), (0.4, 0), (59.5, 60), (183_600.49, 183_600), (.nan, 0), (-.infinity, 0)])
    func roundingAMeasuredInterval(_ interval: Double, _ seconds: Int64) {
        #expect(TimeSpan(rounding: interval).seconds == seconds)
    }

    /// Every advance warning in minutes, hours, days or weeks reads as a span of its nominal length: the two
    /// readers agree on the unit words.
    @Test func unitWordsAgreeWithAdvanceWarnings() throws {
        let texts = ["3d", "2h", "30m", "1w", " 5 d ", "10 days", "90min", "1 hour", "2 weeks", "366d", "007h", "1 minute", "3 hours"]
        for text in texts {
            let warning = try AdvanceWarning(text)
            let unit: TimeSpan.Unit = switch warning.unit {
            case .minutes: .minute
            case .hours: .hour
            case .days: .day
            case .weeks: .week
            case .workdays: throw CancellationError()
            }
            #expect(try TimeSpan(text).seconds == Int64(warning.amount) * unit.rawValue, "\(text)")
            #expect(try TimeSpan(warning.description).seconds == Int64(warning.amount) * unit.rawValue, "\(warning)")
        }
    }

    /// Canonical forms round-trip for arbitrary spans, and compound inputs sum their parts.
    @Test(arguments: 0..<50)
    func canonicalFormRoundTrips(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        let span = TimeSpan(seconds: Int64(rng.next() % UInt64(TimeSpan.maximum.seconds + 1)))
        #expect(try TimeSpan(span.description) == span, "seed \(seed): \(span)")
        let d = Int64(rng.next() % 100), h = Int64(rng.next() % 100), m = Int64(rng.next() % 100), s = Int64(rng.next() % 100)
        let text = "\(h)h \(d)d\(s)s \(m)m"
        #expect(try TimeSpan(text).seconds == d * 86_400 + h * 3600 + m * 60 + s, "seed \(seed): \(text)")
    }

    @Test func codableAsTheCanonicalString() throws {
        let data = try JSONEncoder().encode([TimeSpan(seconds: 129_600)])
        #expect(String(decoding: data, as: UTF8.self) == #"["1d12h"]"#)
        #expect(try JSONDecoder().decode([TimeSpan].self, from: Data(#"["1.5d"]"#.utf8)) == [TimeSpan(seconds: 129_600)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TimeSpan].self, from: Data(#"["1.5"]"#.utf8)) }
    }

    @Test func errorRendersACaretUnderTheColumns() {
        do {
            _ = try TimeSpan("1d 3 dayz")
            Issue.record("accepted")
        } catch {
            #expect(error.code == .unknownUnit)
            #expect(error.columns == 6..<10)
            #expect(error.description == "timespan:1:6: error: unknown unit 'dayz': expected s, m, h, d or w\n | 1d 3 dayz\n |      ^~~~")
        }
    }
}
