import ArgumentParser
import DutyAPI
import DutyCore
import Foundation

/// `dutyctl ranking`: submit a period's township ranking, or check a ranking file offline.
struct RankingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ranking", abstract: "Submit or check a ranking of the townships (the schedules' ranking trigger).",
        subcommands: [RankingSubmitCommand.self, RankingCheckCommand.self])
}

struct RankingSubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Record PERIOD's ranking (root or the admin group); prints the interviews and escalations it causes.",
        discussion: """
            FILE is CSV with a header 'township,score' (higher is better) or 'township,rank' (1 is best), or JSON \
            {"entries": [{"township": "汤丹镇", "score": 81.5}, ...]}; townships by id or name, every one exactly \
            once. Submitting a period again replaces its ranking; nothing is counted twice. Use - for standard input.
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The period, e.g. 2018-10.")
    var period: String

    @Argument(help: "The ranking file (CSV or JSON), or - for standard input.")
    var file: String

    func run() throws {
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
        guard let data else {
            Terminal.standardError.write("dutyctl: cannot read \(file)\n")
            throw ExitStatus.failure.exitCode
        }
        let result = try client.call(RankingResult.self, "POST", APICoding.prefix + "/rankings/" + pathSegment(period), body: data)
        if client.json { return try client.printJSON(result) }
        Terminal.standardOutput.write(InterviewsCommand.table(result.decisions))
        Terminal.standardOutput.write("\n\(result.decisions.count) decision(s) for \(result.period).\n")
    }
}

struct RankingCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check a ranking file against the schedules' townships, offline.")

    @OptionGroup var schedules: ScheduleOptions

    @Argument(help: "The ranking file (CSV or JSON).")
    var file: String

    func run() throws {
        let set = try schedules.load(quietWarnings: true)
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            Terminal.standardError.write("dutyctl: cannot read \(file) as UTF-8\n")
            throw ExitStatus.failure.exitCode
        }
        do {
            let ranking = try RankingParser.parse(text, period: "check", townships: set.townships)
            for entry in ranking.entries {
                Terminal.standardOutput.write("\(entry.position)\t\(set.township(id: entry.township)?.name ?? entry.township)\n")
            }
        } catch {
            for e in error.errors { Terminal.standardError.write("\(file):\(e.description)\n") }
            throw ExitStatus.failure.exitCode
        }
    }
}

/// `dutyctl interviews`: every interview and escalation so far, and the counts per township and level.
struct InterviewsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interviews", abstract: "Show interviews (约谈) and escalations (组织处理) with their counts.")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let report = try client.call(InterviewReport.self, "GET", APICoding.prefix + "/interviews")
        if client.json { return try client.printJSON(report) }
        Terminal.standardOutput.write(Self.table(report.decisions))
        var counts = TextTable(columns: ["TOWNSHIP", "LEVEL", "INTERVIEWS"])
        let names = Dictionary(report.decisions.map { ($0.township, $0.townshipName) }, uniquingKeysWith: { a, _ in a })
        for township in report.counts.keys.sorted() {
            for (level, count) in report.counts[township]!.sorted(by: { $0.key < $1.key }) {
                counts.append([names[township] ?? township, level, String(count)])
            }
        }
        Terminal.standardOutput.write("\n" + counts.rendered())
    }

    static func table(_ decisions: [InterviewItem]) -> String {
        var table = TextTable(columns: ["PERIOD", "TOWNSHIP", "POS", "KIND", "LEVEL", "COUNT", "DUE", "DUTY"])
        for d in decisions {
            table.append([d.period, d.townshipName, String(d.position), d.kind, d.level ?? "-", String(d.count), shortTime(d.due), d.duty])
        }
        return table.rendered()
    }
}

/// `dutyctl problem`: the rectification ledger (问题整改台账, 销号管理).
struct ProblemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "problem", abstract: "List, record and close problems of the rectification ledger.",
        subcommands: [ProblemListCommand.self, ProblemAddCommand.self, ProblemCloseCommand.self],
        defaultSubcommand: ProblemListCommand.self)
}

struct ProblemListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List problems, open and closed.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var township: TownshipOption

    func run() throws {
        let path = target(
            APICoding.prefix + "/problems", township.township.map { [URLQueryItem(name: "township", value: $0)] } ?? [])
        let list = try client.call(ProblemList.self, "GET", path)
        if client.json { return try client.printJSON(list) }
        var table = TextTable(columns: ["ID", "TOWNSHIP", "STATE", "DEADLINE", "PROBLEM"])
        for p in list.problems {
            table.append([String(p.id), p.township, p.open ? "open" : "closed", shortTime(p.deadline), p.text])
        }
        Terminal.standardOutput.write(table.rendered())
    }
}

struct ProblemAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Record a problem; it is reminded until closed (root or the admin group).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "Township id or name.")
    var township: String

    @Argument(help: "The problem, one line.")
    var text: String

    @Option(help: "Deadline: ISO 8601 or YYYY-MM-DD.")
    var deadline: String

    @Option(help: "Responsible role or person id (repeatable; default: the township).")
    var responsible: [String] = []

    func run() throws {
        let body = try APICoding.encode(NewProblemRequest(township: township, text: text, deadline: deadline, responsible: responsible))
        let item = try client.call(ProblemItem.self, "POST", APICoding.prefix + "/problems", body: body)
        if client.json { return try client.printJSON(item) }
        Terminal.standardOutput.write("problem #\(item.id) recorded for \(item.township), due \(shortTime(item.deadline))\n")
    }
}

struct ProblemCloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Close a problem (销号).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The problem id.")
    var id: Int64

    @Option(help: "A note kept with the closing.")
    var note: String?

    func run() throws {
        let body = try APICoding.encode(CloseProblemRequest(note: note))
        let answer = try client.call(CloseProblemResponse.self, "POST", APICoding.prefix + "/problems/\(id)/close", body: body)
        if client.json { return try client.printJSON(answer) }
        Terminal.standardOutput.write(answer.closed ? "problem #\(id) closed\n" : "problem #\(id) was closed already\n")
    }
}

/// `dutyctl bulletin TOWNSHIP MONTH`: the township's monthly bulletin (一月一通报).
struct BulletinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulletin",
        abstract: "Compose a township's monthly bulletin and deliver it (journal and mail) to the township and county.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "Township id or name.")
    var township: String

    @Argument(help: "Month, YYYY-MM.")
    var month: String

    @Flag(help: "Only print it; deliver nothing (allowed to every reader).")
    var noDeliver = false

    func run() throws {
        let body = try APICoding.encode(BulletinRequest(township: township, month: month, deliver: !noDeliver))
        let answer = try client.call(BulletinResponse.self, "POST", APICoding.prefix + "/bulletins", body: body)
        if client.json { return try client.printJSON(answer) }
        Terminal.standardOutput.write(answer.text)
        if answer.delivered { Terminal.standardOutput.write("(delivered to the township and its county)\n") }
    }
}
