import DutyTestSupport
import Foundation
import Testing

@testable import DutyAPI

@Suite struct UpcomingPageJSONTests {
    static let awkward = ["", "a\"b", "back\\slash", "line\nbreak\r\t", "\u{01}\u{1F}", "东川区“三讲三评”", "😀 /slash/", "\u{7F}"]

    /// The hand-written JSON parses to the same document as JSONEncoder's and decodes to the same page.
    @Test(arguments: 0..<100)
    func handWrittenJSONMatchesTheEncoder(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        func text() -> String { Self.awkward[Int(rng.next() % UInt64(Self.awkward.count))] + String(rng.next() % 1000) }
        func maybe() -> String? { rng.bool() ? text() : nil }
        let items = (0..<Int(rng.next() % 6)).map { _ in
            OccurrenceEntry(
                occurrenceId: text(), duty: text(), title: text(), clause: maybe(), kind: text(), offset: maybe(),
                fireAt: text(), occurrence: text(), priority: text(),
                responsible: (0..<Int(rng.next() % 3)).map { _ in text() }, recipients: (0..<Int(rng.next() % 3)).map { _ in text() },
                acknowledged: rng.bool() ? rng.bool() : nil)
        }
        let page = UpcomingPage(
            from: text(), to: text(), total: Int(rng.next() % 100_000), offset: Int(rng.next() % 100), limit: 1 + Int(rng.next() % 1000),
            nextOffset: rng.bool() ? Int(rng.next() % 1000) : nil, items: items)
        let fast = Data(page.jsonBytes())
        let reference = try APICoding.encode(page)
        let a = try JSONSerialization.jsonObject(with: fast) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: reference) as? NSDictionary
        #expect(a != nil)
        #expect(a == b, "seed \(seed)")
        #expect(try APICoding.decode(UpcomingPage.self, from: fast) == page, "seed \(seed)")
    }
}
