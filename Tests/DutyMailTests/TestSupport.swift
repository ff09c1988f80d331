import DutyTestSupport
import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// Shared helpers for the DutyMail tests: subprocess oracles, temp directories, sample reminders.
enum TestSupport {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let readScript = repoRoot.appendingPathComponent("scripts/mail-read.py").path

    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a program to completion (stdin from `input`), collecting stdout and stderr.
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil)
        throws -> Output
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            try inPipe.fileHandleForWriting.write(contentsOf: input)
            try inPipe.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so a chatty child cannot block on a full stderr pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    static func shell(_ script: String, environment: [String: String]? = nil) throws -> Output {
        try run("/bin/sh", ["-c", script], environment: environment)
    }

    /// Messages as Python's `mailbox` + `email.policy.default` see them.
    struct Parsed: Decodable {
        var from_: String?
        var headers: [[String]]
        var subject: String?
        var message_id: String?
        var to: String?
        var from: String?
        var date: String?
        var body: String?
        var cte: String?
        var defects: [String]

        var headerNames: [String] { headers.map { $0[0] } }
    }

    static func python(_ mode: String, _ paths: [String]) throws -> [Parsed] {
        let output = try run("/usr/bin/python3", [readScript, mode] + paths)
        guard output.status == 0 else {
            Issue.record("mail-read.py failed: \(output.stderr)")
            return []
        }
        return try JSONDecoder().decode([Parsed].self, from: output.stdout)
    }

    static func pythonRaw(_ message: MailMessage) throws -> Parsed? {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/message.eml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(message.bytes))
        return try python("raw", [path]).first
    }

    /// Creates an executable script through an `O_CLOEXEC` descriptor (Foundation's writes are not close-on-exec,
    /// so a process spawned by a concurrent test would keep the file open for writing: ETXTBSY on exec).
    static func writeExecutable(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count, fchmod(fd, 0o755) == 0 else {
            throw POSIXError(.EIO)
        }
    }

    static func temporaryDirectory(_ label: String = "dutymail") throws -> String {
        var template = Array("/tmp/\(label).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw POSIXError(.EIO) }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func currentAccount() -> String {
        guard let pw = getpwuid(geteuid()) else { return "root" }
        return String(cString: pw.pointee.pw_name)
    }

    static let composer = try! MailComposer(hostName: "vm")

    static func reminder(
        title: String, description: String = "请按时完成。", dutyID: String = "dc-report", kind: ReminderKind = .due,
        recipient: Recipient? = nil, occurrence: Date = Date(timeIntervalSince1970: 1_796_086_800), offset: String = ""
    ) -> Reminder {
        let to = recipient ?? Recipient(id: "secretary", name: "王秘书", account: currentAccount(),
            channel: .mbox(account: currentAccount()))
        return Reminder(
            dutyID: dutyID, title: title, description: description, clause: "二(一)1", responsible: ["办公室", "财务处"],
            occurrence: occurrence, timeZoneIdentifier: "Asia/Shanghai", fireAt: occurrence, kind: kind,
            offsetLabel: offset, recipient: to)
    }

    /// Chinese titles of varying length, with ASCII, punctuation and an emoji mixed in.
    static let sampleTitles = [
        "提醒：明天上午九点与王经理开会讨论第三季度预算，地点：三楼会议室",
        "季度报告",
        "Quarterly report 季度报告 due",
        "党委会议纪要报送（第二季度）——请于本周五前提交至办公室并抄送纪检组，逾期将通报",
        "From the desk of the director 主任办公室",
        "=?UTF-8?B?5byA?= looks encoded",
        "Safety drill 🚒 消防演练 👩‍👩‍👧‍👦 家属区",
        "A plain ASCII subject that is long enough to need folding across more than one header line in the message",
    ]

    /// A random title from CJK, ASCII and punctuation; the seed is printed by the caller.
    static func randomTitle(using rng: inout some RandomNumberGenerator) -> String {
        let pools: [[Character]] = [
            Array("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"),
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            Array("，。：；（）、——！？“”《》 -/:()[]"),
        ]
        let length = Int.random(in: 1...60, using: &rng)
        var title = ""
        for _ in 0..<length {
            let roll = Int.random(in: 0..<10, using: &rng)
            let pool = roll < 7 ? pools[0] : (roll < 9 ? pools[1] : pools[2])
            title.append(pool.randomElement(using: &rng)!)
        }
        return HeaderEncoding.sanitize(title)
    }
}

/// A generator seeded from `DUTYMAIL_SEED` (or at random), the seed printed so a failing case can be replayed.
extension SeededRandom {
    static func fromEnvironment() -> (SeededRandom, UInt64) {
        let seed = ProcessInfo.processInfo.environment["DUTYMAIL_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...UInt64.max / 2)
        print("DutyMail test seed: \(seed) (replay with DUTYMAIL_SEED=\(seed))")
        return (SeededRandom(seed: seed), seed)
    }
}
