import Foundation
import Testing

@testable import DutyJournal

/// Units/dutyd.catalog compiled by the real `journalctl --update-catalog` into a temporary root (the host's
/// catalog database is not touched), then listed in English and, with a zh_CN locale built by `localedef` into a
/// temporary LOCPATH, in Chinese.
@Suite struct CatalogTests {
    let catalog = packageRoot.appendingPathComponent("Units/dutyd.catalog")

    func compiledRoot() throws -> URL {
        let root = try temporaryDirectory()
        let directory = root.appendingPathComponent("usr/lib/systemd/catalog")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: catalog, to: directory.appendingPathComponent("dutyd.catalog"))
        let result = try run("/usr/bin/journalctl", ["--root=\(root.path)", "--update-catalog"])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("var/lib/systemd/catalog/database").path))
        return root
    }

    /// `journalctl --list-catalog` lines: `<id> dutyd: <subject>`.
    func subjects(root: URL, environment: [String: String] = [:]) throws -> [String: String] {
        let result = try run(
            "/usr/bin/journalctl", ["--root=\(root.path)", "--list-catalog"] + DutyMessageID.all,
            environment: environment)
        #expect(result.status == 0)
        var subjects: [String: String] = [:]
        for line in String(decoding: result.output, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3 else { continue }
            #expect(parts[1] == "dutyd:", "Defined-By of \(parts[0])")
            subjects[String(parts[0])] = String(parts[2])
        }
        return subjects
    }

    @Test func everyMessageIDHasAnEnglishEntry() throws {
        let root = try compiledRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let english = try subjects(root: root, environment: ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"])
        #expect(Set(english.keys) == Set(DutyMessageID.all))
        #expect(english[DutyMessageID.due] == "Due now: @DUTY_TITLE@ (@DUTY_OCCURRENCE@)")
        for (id, subject) in english {
            #expect(subject.unicodeScalars.allSatisfy { $0.isASCII }, "English subject of \(id) is ASCII")
        }
    }

    @Test func everyMessageIDHasAChineseEntry() throws {
        let root = try compiledRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let locales = root.appendingPathComponent("locale")
        try FileManager.default.createDirectory(at: locales, withIntermediateDirectories: true)
        let built = try run("/usr/bin/localedef", ["-i", "zh_CN", "-f", "UTF-8", locales.appendingPathComponent("zh_CN.UTF-8").path])
        try #require(built.status == 0, "localedef zh_CN.UTF-8 (package locales) failed")
        let chinese = try subjects(
            root: root, environment: ["LOCPATH": locales.path, "LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8"])
        #expect(Set(chinese.keys) == Set(DutyMessageID.all))
        #expect(chinese[DutyMessageID.due] == "到期：@DUTY_TITLE@（@DUTY_OCCURRENCE@）")
        for (id, subject) in chinese {
            #expect(subject.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF }, "zh_CN subject of \(id)")
        }
    }

    /// The catalog's format rules (delivery.md §1.5): lines ≤ 76 columns of prose, each id once per language,
    /// headers known to journald, no tabs.
    @Test func catalogFileIsWellFormed() throws {
        let text = try String(contentsOf: catalog, encoding: .utf8)
        var seen: Set<String> = []
        var inHeader = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(!line.contains("\t"))
            if line.hasPrefix("-- ") {
                let key = String(line.dropFirst(3))
                #expect(!seen.contains(key), "duplicate \(key)")
                seen.insert(key)
                inHeader = true
                continue
            }
            if line.isEmpty { inHeader = false; continue }
            if inHeader {
                #expect(["Subject:", "Defined-By:", "Documentation:", "Support:"].contains { line.hasPrefix($0) }, "\(line)")
            } else if !line.hasPrefix("#") {
                #expect(line.count <= 76, "long line: \(line)")
            }
        }
        let expected = Set(DutyMessageID.all.flatMap { [$0, "\($0) zh_CN"] })
        #expect(seen == expected)
    }
}
