import DutyTOML
import Foundation
import Testing

/// DutyTOML against Python 3.11's tomllib (scripts/toml-oracle.py) on thousands of documents: for each, both must
/// find it valid with the same value tree, or both invalid. The documents are generated from a seed, printed so that
/// a run can be replayed (`DUTYD_DIFF_SEED=<seed>`), plus the fuzzer's seed corpus and the shipped schedules. Where
/// the two differ by design, the difference is one of the named `KnownDifference`s; anything else fails the test.
@Suite(.enabled(if: TOMLOracle.isAvailable, "needs python3 with tomllib (Python 3.11 or later)"))
struct TOMLDifferentialTests {
    /// Deliberate differences from tomllib. Each is demonstrated by a document in `demonstrations`, and the test
    /// checks that each still occurs, so the list cannot go stale.
    enum KnownDifference: String, CaseIterable {
        /// A leading byte order mark: DutyTOML skips it (editors on Windows write one); tomllib refuses the document.
        /// The rest of the document must still get the same verdict from both.
        case byteOrderMark
        /// An integer outside -2^63...2^63-1: the specification requires an error, DutyTOML gives one; tomllib keeps
        /// Python's unbounded int.
        case integerBeyond64Bits
        /// Year 0000: valid in RFC 3339 and so in TOML; Python's datetime starts at year 1, so tomllib refuses it.
        case yearZero
        /// Nesting deeper than `TOMLDocument.defaultMaxDepth`: an error for DutyTOML, by design; tomllib goes on until
        /// Python's recursion limit.
        case nestingLimit
        /// Two keys of one table that are canonically equivalent Unicode (`"é"` and `"e\u0301"`): Swift's `String`
        /// compares them equal, so DutyTOML reports a duplicate key; tomllib compares code points and keeps both.
        case canonicallyEquivalentKeys
    }

    static let demonstrations: [KnownDifference: String] = [
        .byteOrderMark: "\u{FEFF}a = 1\n[t]\nb = 'x'\n",
        .integerBeyond64Bits: "big = 9223372036854775808\n",
        .yearZero: "d = 0000-01-01\n",
        .nestingLimit: "a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n",
        .canonicallyEquivalentKeys: "\"\u{E9}\" = 1\n\"e\u{301}\" = 2\n",
    ]

    struct Sample {
        var origin: String
        var bytes: [UInt8]
    }

    @Test func agreesWithTomllib() throws {
        let seed =
            ProcessInfo.processInfo.environment["DUTYD_DIFF_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 1...UInt64(Int64.max))
        print("TOMLDifferentialTests seed=\(seed) (DUTYD_DIFF_SEED replays it)")
        var generator = DocumentGenerator(seed: seed)
        var samples: [Sample] = []
        for _ in 0..<3000 { samples.append(Sample(origin: "generated", bytes: Array(generator.document().utf8))) }
        for _ in 0..<1500 {
            samples.append(Sample(origin: "table-rules", bytes: Array(generator.tableStructureDocument().utf8)))
        }
        for _ in 0..<3000 {
            let text = generator.mutation(of: generator.document())
            samples.append(Sample(origin: "mutated", bytes: Array(text.utf8)))
        }
        for file in try Self.files(under: "Fuzz/Corpus/FuzzScheduleLoader", suffix: "") {
            // The fuzz target's input: the schedule file before the first NUL byte, a roster after it.
            let bytes = try [UInt8](Data(contentsOf: file))
            samples.append(Sample(origin: "fuzz-corpus", bytes: Array(bytes.prefix { $0 != 0 })))
        }
        for file in try Self.files(under: "Schedules", suffix: ".toml") {
            samples.append(Sample(origin: "schedules", bytes: try [UInt8](Data(contentsOf: file))))
        }
        for difference in KnownDifference.allCases {
            samples.append(Sample(origin: "demonstration", bytes: Array((Self.demonstrations[difference] ?? "").utf8)))
        }

        let verdicts = try TOMLOracle.verdicts(for: samples.map(\.bytes))
        var counts: [String: Int] = [:]
        var known: [KnownDifference: Int] = [:]
        var disagreements: [String] = []
        for (sample, theirs) in zip(samples, verdicts) {
            counts[sample.origin, default: 0] += 1
            counts[theirs.valid ? "tomllib-valid" : "tomllib-invalid", default: 0] += 1
            let ours = Self.parse(sample.bytes)
            if Self.agree(ours, theirs) {
                counts["agreements", default: 0] += 1
            } else if let difference = Self.classify(ours: ours, theirs: theirs, bytes: sample.bytes) {
                known[difference, default: 0] += 1
            } else {
                let document = String(decoding: sample.bytes, as: UTF8.self).debugDescription
                let verdict = theirs.valid ? theirs.canon ?? "" : "error: \(theirs.error ?? "")"
                disagreements.append(
                    "[\(sample.origin)] \(document)\n  DutyTOML: \(Self.describe(ours))\n  tomllib:  \(verdict)")
            }
        }
        print(
            "TOMLDifferentialTests: \(samples.count) documents, "
                + counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        print(
            "TOMLDifferentialTests known differences: "
                + KnownDifference.allCases.map { "\($0.rawValue)=\(known[$0] ?? 0)" }.joined(separator: " "))
        for disagreement in disagreements.prefix(20) { print(disagreement) }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements with tomllib (seed \(seed))")
        #expect(verdicts.count == samples.count)
        for difference in KnownDifference.allCases {
            #expect(
                known[difference] != nil,
                "the known difference \(difference) no longer occurs: remove it or fix its demonstration")
        }
        // Both kinds of verdict must be well represented, or the comparison proves little.
        #expect((counts["tomllib-valid"] ?? 0) > 3000 && (counts["tomllib-invalid"] ?? 0) > 2000)
    }

    typealias Outcome = Result<[String: TOMLValue], TOMLSyntaxError>

    /// `nil` when the bytes are not UTF-8, which the schedule loader refuses before parsing, as tomllib's caller must.
    static func parse(_ bytes: [UInt8]) -> Outcome? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return Result { () throws(TOMLSyntaxError) in try TOMLDocument.parse(text) }
    }

    static func agree(_ ours: Outcome?, _ theirs: TOMLOracle.Verdict) -> Bool {
        switch ours {
        case .success(let root)?: theirs.valid && theirs.canon == TOMLValue.table(root).canonicalForm
        case .failure?, nil: !theirs.valid
        }
    }

    static func classify(ours: Outcome?, theirs: TOMLOracle.Verdict, bytes: [UInt8]) -> KnownDifference? {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]), !theirs.valid, let rest = theirs.withoutBOM?.verdict,
            agree(ours, rest)
        {
            return .byteOrderMark
        }
        switch ours {
        case .failure(let error)? where error.code == .integerOutOfRange && theirs.valid:
            return .integerBeyond64Bits
        case .failure(let error)?
        where error.code == .nestingTooDeep && (theirs.valid || theirs.error == "RecursionError"):
            return .nestingLimit
        case .failure(let error)? where error.code == .duplicateKey && theirs.valid && theirs.equivalentKeys == true:
            return .canonicallyEquivalentKeys
        case .success(let root)?
        where !theirs.valid && (theirs.error ?? "").hasPrefix("Invalid date or datetime")
            && containsYearZero(.table(root)):
            return .yearZero
        default:
            return nil
        }
    }

    static func containsYearZero(_ value: TOMLValue) -> Bool {
        switch value {
        case .localDate(let date), .localDateTime(let date, _), .offsetDateTime(let date, _, _): date.year == 0
        case .array(let elements): elements.contains(where: containsYearZero)
        case .table(let table): table.values.contains(where: containsYearZero)
        default: false
        }
    }

    static func describe(_ outcome: Outcome?) -> String {
        switch outcome {
        case .success(let root)?: TOMLValue.table(root).canonicalForm
        case .failure(let error)?: "error: \(error)"
        case nil: "error: not UTF-8"
        }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Regular files below a directory of the package, sorted, whose names end in `suffix`.
    static func files(under directory: String, suffix: String) throws -> [URL] {
        let root = packageRoot.appendingPathComponent(directory)
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        let files = (enumerator?.allObjects as? [URL] ?? []).filter {
            $0.lastPathComponent.hasSuffix(suffix)
                && (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
        try #require(!files.isEmpty, "no files under \(root.path)")
        return files.sorted { $0.path < $1.path }
    }
}

/// scripts/toml-oracle.py, run once for a whole batch of documents.
enum TOMLOracle {
    struct Verdict: Decodable {
        var valid: Bool
        var canon: String?
        var error: String?
        var equivalentKeys: Bool?
        var withoutBOM: Nested?

        /// The verdict on the text after a byte order mark (a class, as a struct cannot contain itself).
        final class Nested: Decodable {
            let verdict: Verdict
            init(from decoder: any Decoder) throws { verdict = try Verdict(from: decoder) }
        }
    }

    static let script = TOMLDifferentialTests.packageRoot.appendingPathComponent("scripts/toml-oracle.py").path

    static var isAvailable: Bool {
        (try? run(["-c", "import tomllib"], input: Data())) != nil
    }

    /// tomllib's verdict on each document, in order.
    static func verdicts(for documents: [[UInt8]]) throws -> [Verdict] {
        // On a tmpfs where there is one: Foundation syncs each file it writes, which costs seconds on a disk.
        let root =
            FileManager.default.fileExists(atPath: "/dev/shm")
            ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let directory = root.appendingPathComponent("dutyd-toml-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (index, bytes) in documents.enumerated() {
            let path = directory.appendingPathComponent("\(index).toml").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let output = try run([script], input: Data((paths.joined(separator: "\n") + "\n").utf8))
        let decoder = JSONDecoder()
        return try output.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Verdict.self, from: Data($0)) }
    }

    /// Runs python3 with `arguments`, feeding `input`; throws unless it exits 0.
    static func run(_ arguments: [String], input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // Written from another thread, so that a full output pipe cannot deadlock against a full input pipe.
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return output
    }
}
