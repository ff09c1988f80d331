import DutyCore
import Foundation

// Fuzz target: ranking files (text or JSON). Must never crash; a file that parses ranks every known township
// exactly once, with competition positions (1, 2, 2, 4).

private let townships = ["东川", "西岭", "南湖", "北山"].enumerated().map { i, name in
    Township(id: "t\(i + 1)", name: name, county: "测试县", existingUnits: [], addedUnits: [], role: nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRanking(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count <= 64 * 1024 else { return -1 }
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    guard let ranking = try? RankingParser.parse(text, period: "2018-09", townships: townships) else { return 0 }
    let ranked = ranking.entries.map(\.township)
    guard ranked.count == townships.count, Set(ranked).count == ranked.count else {
        fatalError("ranking does not rank each township once: \(text.debugDescription) -> \(ranking.entries)")
    }
    // Competition ranking: the first is 1, each next one is its index + 1 or ties with the one before.
    for (i, entry) in ranking.entries.enumerated() {
        let tied = i > 0 && entry.position == ranking.entries[i - 1].position
        guard entry.position == i + 1 || tied else {
            fatalError("positions are not a competition ranking: \(text.debugDescription) -> \(ranking.entries)")
        }
        if tied, let a = ranking.entries[i - 1].score, let b = entry.score, a != b {
            fatalError("tied positions with different scores: \(text.debugDescription) -> \(ranking.entries)")
        }
    }
    return 0
}
