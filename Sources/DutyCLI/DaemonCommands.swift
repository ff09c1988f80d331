import ArgumentParser
import DutyAPI
import DutyCore
import Foundation

/// `dutyctl status`: what the daemon runs, when the next reminder fires, the last reload, the ledger.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the daemon's status.")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let status = try client.call(StatusReport.self, "GET", APICoding.prefix + "/status")
        if client.json { return try client.printJSON(status) }
        var out = "dutyd \(status.version), up \(TimeSpan(rounding: status.uptimeSeconds).abbreviated), clock \(status.clock), now \(shortTime(status.now))\n"
        out += "socket:    \(status.socket)\(status.socketActivated ? " (socket-activated)" : "")\n"
        out += "schedules: \(status.schedules.directories.joined(separator: ", ")) (\(status.schedules.files.count) files)\n"
        out += "duties:    \(status.duties)\n"
        if let next = status.nextDue {
            out += "next:      \(shortTime(next.at)) \(next.title ?? "")\n"
        } else {
            out += "next:      nothing due\n"
        }
        out += "reload:    \(status.lastReload.ok ? "ok" : "FAILED, previous schedules kept") (\(status.lastReload.count) loads)\n"
        for error in status.lastReload.errors { out += "           \(error)\n" }
        out += "ledger:    " + status.ledger.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        if let instance = status.instance {
            out += "database:  \(instance.database)\n"
            if instance.role != "sole" {
                out += "role:      \(instance.role) (instance \(instance.id)), lease epoch \(instance.epoch)\n"
                out += "leader:    \(instance.leader ?? "none (the lease is free)")\n"
                if instance.schedulesDiffer {
                    out += "WARNING:   this instance's schedules differ from the leader's (digest \(instance.scheduleDigest?.prefix(12) ?? "?") here, \(instance.leaderScheduleDigest?.prefix(12) ?? "?") on the leader)\n"
                }
                if instance.windowBreaches > 0 {
                    out += "lease:     \(instance.windowBreaches) side effect(s) exceeded the window W after their final check (longest \(instance.longestWindowSeconds) s)\n"
                }
            }
        }
        Terminal.standardOutput.write(out)
    }
}

/// The window and page options shared by `upcoming` and `overdue`, with the recipient filter options of every
/// command that selects duties.
struct OccurrenceFilterOptions: ParsableArguments {
    @OptionGroup var recipients: RecipientFilterOptions

    @Option(help: "Window start: ISO 8601 instant, or a date YYYY-MM-DD in the plan's zone.")
    var from: String?

    @Option(help: "Window end: ISO 8601 instant, or a date YYYY-MM-DD in the plan's zone (inclusive).")
    var to: String?

    @Option(help: "At most this many entries per page (1-1000).")
    var limit: Int?

    func parameters(days: Int?) -> [URLQueryItem] {
        var items = recipients.parameters
        if let from { items.append(.init(name: "from", value: from)) }
        if let to { items.append(.init(name: "to", value: to)) }
        if let days { items.append(.init(name: "days", value: String(days))) }
        if let limit { items.append(.init(name: "limit", value: String(limit))) }
        return items
    }
}

func target(_ path: String, _ items: [URLQueryItem]) -> String {
    guard !items.isEmpty else { return path }
    var components = URLComponents()
    components.queryItems = items
    return path + "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
}

/// `dutyctl upcoming`: what falls due in the next days, from the daemon.
struct UpcomingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upcoming", abstract: "Show upcoming due dates (and warnings) from the daemon.",
        discussion: "Without --from/--to, the window starts now (the daemon's clock) and spans --days days.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var filter: OccurrenceFilterOptions

    @Option(help: "Days from now (1-366; default 14 unless --to is given).")
    var days: Int?

    @Option(help: "Kinds to show, comma-separated: due, warning, overdue, escalation, or all (default due).")
    var kind: String?

    @Flag(help: "Fetch every page, not only the first.")
    var all = false

    func validate() throws {
        if days != nil && filter.to != nil { throw ValidationError("give --days or --to, not both") }
    }

    func run() throws {
        var items = filter.parameters(days: days)
        if let kind { items.append(.init(name: "kind", value: kind)) }
        var page = try client.call(UpcomingPage.self, "GET", target(APICoding.prefix + "/upcoming", items))
        var entries = page.items
        while all, let next = page.nextOffset {
            page = try client.call(UpcomingPage.self, "GET", target(APICoding.prefix + "/upcoming", items + [.init(name: "offset", value: String(next))]))
            entries += page.items
        }
        if client.json {
            if all { page.items = entries; page.offset = 0; page.nextOffset = nil }
            return try client.printJSON(page)
        }
        var table = TextTable(columns: ["WHEN", "KIND", "CLAUSE", "TITLE", "OCCURRENCE"])
        for e in entries {
            table.append([shortTime(e.fireAt), e.offset.map { "\(e.kind) \($0)" } ?? e.kind, e.clause ?? "-", e.title, e.occurrenceId])
        }
        Terminal.standardOutput.write(table.rendered())
        var footer = "\n\(entries.count) of \(page.total) entries from \(shortTime(page.from)) to \(shortTime(page.to)) UTC."
        if !all, page.nextOffset != nil { footer += " More with --all or --limit." }
        Terminal.standardOutput.write(footer + "\n")
    }
}

/// `dutyctl overdue`: occurrences past their grace period that nobody acknowledged.
struct OverdueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overdue", abstract: "Show unacknowledged occurrences past their grace period.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var filter: OccurrenceFilterOptions

    @Option(help: "Look back this many days (default 30).")
    var days: Int?

    func run() throws {
        let list = try client.call(OverdueList.self, "GET", target(APICoding.prefix + "/overdue", filter.parameters(days: days)))
        if client.json { return try client.printJSON(list) }
        var table = TextTable(columns: ["DUE", "OVERDUE SINCE", "CLAUSE", "TITLE", "OCCURRENCE"])
        for e in list.items {
            table.append([shortTime(e.occurrence), shortTime(e.fireAt), e.clause ?? "-", e.title, e.occurrenceId])
        }
        Terminal.standardOutput.write(table.rendered())
        Terminal.standardOutput.write("\n\(list.count) overdue.\n")
    }
}

/// `dutyctl show ID`: a duty (by id) or an occurrence (`duty@seconds`).
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a duty, or an occurrence with its acknowledgements and deliveries.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "A duty id, or an occurrence id <duty>@<unix seconds>.")
    var id: String

    func run() throws {
        if id.contains("@") {
            let occurrence = try OccurrenceID.checked(id)
            let o = try client.call(
                OccurrenceDetail.self, "GET", APICoding.prefix + "/occurrences/" + pathSegment(occurrence.description))
            if client.json { return try client.printJSON(o) }
            var out = "\(o.occurrenceId)\n  \(o.title)\(o.clause.map { " [\($0)]" } ?? "")\n"
            out += "  due:          \(shortTime(o.occurrence))\n"
            if let status = o.status, status != "scheduled" {
                var line = "  status:       \(status)"
                if let scheduled = o.scheduled { line += " (scheduled \(shortTime(scheduled)))" }
                if let pause = o.pausedBy { line += " (pause \(pause))" }
                out += line + "\n"
            }
            if let overdue = o.overdueAt { out += "  overdue at:   \(shortTime(overdue))\n" }
            out += "  responsible:  \(o.responsible.joined(separator: ", "))\n"
            out += "  acknowledged: \(o.needsAcknowledgement ? (o.acknowledged ? "yes" : "no") : "not required")\n"
            for a in o.acknowledgements {
                out += "    \(shortTime(a.at)) \(a.person)\(a.uid.map { " (uid \($0))" } ?? "")\(a.note.map { ": \($0)" } ?? "")\n"
            }
            if let changes = o.changes, !changes.isEmpty {
                out += "  changes:\n"
                for c in changes {
                    out += "    \(shortTime(c.recordedAt)) #\(c.id) \(c.action) \(ChangesCommand.detail(c)) by \(c.actor)"
                    out += c.uid.map { " (uid \($0))" } ?? ""
                    out += c.note.map { ": \($0)" } ?? ""
                    out += "\n"
                }
            }
            Terminal.standardOutput.write(out)
            if !o.deliveries.isEmpty {
                var table = TextTable(columns: ["FIRE", "KIND", "RECIPIENT", "CHANNEL", "STATE", "TRIES"])
                for d in o.deliveries { table.append([shortTime(d.fireAt), d.kind, d.recipient, d.channel, d.state, String(d.attempts)]) }
                Terminal.standardOutput.write("\n" + table.rendered())
            }
            return
        }
        let d = try client.call(DutyDetail.self, "GET", APICoding.prefix + "/duties/" + pathSegment(id))
        if client.json { return try client.printJSON(d) }
        var out = "\(d.duty.id)\n  \(d.duty.title)\(d.duty.clause.map { " [\($0)]" } ?? "")\n"
        out += "  recurrence:   \(d.duty.recurrence) (\(d.timeZone))\n"
        out += "  responsible:  \(d.duty.responsible.joined(separator: ", "))\n"
        out += "  recipients:   \(d.duty.recipients.joined(separator: ", "))\n"
        if !d.warnings.isEmpty { out += "  warnings:     \(d.warnings.joined(separator: ", "))\n" }
        out += "  acknowledge:  \(d.duty.ack ? "yes, grace \(TimeSpan(rounding: d.graceSeconds).abbreviated)" : "no")\n"
        if !d.escalation.isEmpty { out += "  escalation:   \(d.escalation.joined(separator: " → "))\n" }
        out += "  declared in:  \(d.duty.file)\n"
        if let choice = d.duty.localChoice { out += "  local choice: \(choice)\n" }
        out += "  next:\n"
        for n in d.next { out += "    \(shortTime(n.at))  \(n.occurrenceId)\n" }
        Terminal.standardOutput.write(out)
    }
}

/// `dutyctl ack ID`: acknowledge (销号) an occurrence.
struct AckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack", abstract: "Acknowledge an occurrence (销号); repeating it changes nothing.",
        discussion: "You may acknowledge the duties that reach your own account; root and the admin group may use --as.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The occurrence id <duty>@<unix seconds> (see upcoming, overdue, the reminder mail).")
    var id: String

    @Option(help: "A note kept with the acknowledgement.")
    var note: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("Acknowledge for this person id.", valueName: "person"))
    var person: String?

    func run() throws {
        let occurrence = try OccurrenceID.checked(id)
        let body = try APICoding.encode(AcknowledgeRequest(note: note, person: person))
        let answer = try client.call(
            AcknowledgeResponse.self, "POST", APICoding.prefix + "/occurrences/" + pathSegment(occurrence.description) + "/ack",
            body: body)
        if client.json { return try client.printJSON(answer) }
        Terminal.standardOutput.write(
            answer.recorded
                ? "acknowledged \(answer.occurrenceId) as \(answer.person)\n"
                : "\(answer.occurrenceId) was already acknowledged by \(answer.person)\n")
    }
}

/// `dutyctl reload`: load the schedules again (like SIGHUP), and report the result.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Reload the schedules; a broken schedule keeps the previous ones.")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let result = try client.call(ReloadResult.self, "POST", APICoding.prefix + "/reload")
        if client.json { return try client.printJSON(result) }
        for warning in result.warnings { Terminal.standardError.write("dutyctl: warning: \(warning)\n") }
        if result.ok {
            Terminal.standardOutput.write("reloaded: \(result.duties) duties\n")
        } else {
            for error in result.errors { Terminal.standardError.write(error + "\n") }
            Terminal.standardError.write("dutyctl: reload failed (\(result.errors.count) errors); \(result.duties) duties still in effect\n")
            throw ExitStatus.failure.exitCode
        }
    }
}

extension OccurrenceID {
    /// An occurrence id given on the command line, read by the daemon's own reader: a malformed one is reported
    /// with its column (`dutyctl: occurrence id:1:5: error: ...`) and exits 1, as the daemon's 400 would.
    static func checked(_ text: String) throws -> OccurrenceID {
        do {
            return try OccurrenceID(parsing: text)
        } catch {
            throw ExitStatus.report(error)
        }
    }
}
