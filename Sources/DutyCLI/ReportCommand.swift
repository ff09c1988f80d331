import ArgumentParser
import DutyAPI
import DutyCore
import Foundation

/// `dutyctl report`: the command office's progress reports (台账) from the daemon, as a table, JSON or CSV.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Show a progress report (台账) from the daemon.",
        subcommands: [VisitReportCommand.self, DutyReportCommand.self])
}

/// `dutyctl report visits --month 2018-10 [--township ID] [--csv [--group township|unit|cadre]]`.
struct VisitReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visits", abstract: "Household visits of a month per township (入户走访): due, done, overdue.",
        discussion: "--csv writes UTF-8 CSV with a byte order mark, as spreadsheet programs expect.")

    @OptionGroup var client: ClientOptions

    @Option(help: "The month, YYYY-MM (default: this month on the daemon's clock).")
    var month: String?

    @Option(help: "Only the cadres of this township (id) in --group cadre and --json.")
    var township: String?

    @Flag(help: "Write CSV instead of a table.")
    var csv = false

    @Option(help: "CSV rows: township, unit or cadre (default township).")
    var group: String = "township"

    func validate() throws {
        if let month, month.utf8.count != 7 || CivilDate(iso: month + "-01") == nil {
            throw ValidationError("--month must be YYYY-MM")
        }
        guard ["township", "unit", "cadre"].contains(group) else { throw ValidationError("--group must be township, unit or cadre") }
    }

    func run() throws {
        var items: [URLQueryItem] = []
        if let month { items.append(.init(name: "month", value: month)) }
        if let township { items.append(.init(name: "township", value: township)) }
        if csv {
            items += [.init(name: "format", value: "csv"), .init(name: "group", value: group)]
            let response = try client.send("GET", target(APICoding.prefix + "/reports/visits", items))
            FileHandle.standardOutput.write(response.body)
            return
        }
        let report = try client.call(VisitReport.self, "GET", target(APICoding.prefix + "/reports/visits", items))
        if client.json { return try client.printJSON(report) }
        var out = "入户走访 household visits \(report.month) (now \(shortTime(report.now)))\n"
        let header = ["township", "due", "done", "overdue", "pending", "done%"]
        var rows = report.townships.map {
            [$0.name, String($0.counts.due), String($0.counts.acknowledged), String($0.counts.overdue), String($0.counts.pending),
             String(Int(($0.counts.completion * 100).rounded()))]
        }
        let t = report.total
        rows.append(["合计 total", String(t.due), String(t.acknowledged), String(t.overdue), String(t.pending), String(Int((t.completion * 100).rounded()))])
        var table = TextTable(columns: header)
        rows.forEach { table.append($0) }
        out += table.rendered()
        Terminal.standardOutput.write(out)
    }
}

/// `dutyctl report duties --from 2018-10-01 --to 2018-10-31 [--csv]`.
struct DutyReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duties", abstract: "Every duty's occurrences in a window: done, overdue, open.")

    @OptionGroup var client: ClientOptions

    @Option(help: "First day (YYYY-MM-DD).")
    var from: String

    @Option(help: "Last day (YYYY-MM-DD, inclusive).")
    var to: String

    @Flag(help: "Write CSV instead of a table.")
    var csv = false

    func run() throws {
        var items: [URLQueryItem] = [.init(name: "from", value: from), .init(name: "to", value: to)]
        if csv {
            items.append(.init(name: "format", value: "csv"))
            FileHandle.standardOutput.write(try client.send("GET", target(APICoding.prefix + "/reports/duties", items)).body)
            return
        }
        let report = try client.call(DutyReport.self, "GET", target(APICoding.prefix + "/reports/duties", items))
        if client.json { return try client.printJSON(report) }
        let rows = report.rows.map {
            [$0.duty, String($0.occurrences), String($0.counts.acknowledged), String($0.counts.overdue), String($0.counts.pending), $0.title]
        }
        var table = TextTable(columns: ["duty", "due", "done", "overdue", "pending", "title"])
        rows.forEach { table.append($0) }
        Terminal.standardOutput.write(table.rendered())
    }
}
