import ArgumentParser
import DutyAPI
import DutyCore
import Foundation

/// The options every change takes: a note kept with it.
struct ChangeNoteOption: ParsableArguments {
    @Option(help: "A note kept with the change (shown in show, the journal and the mails).")
    var note: String?
}

/// Prints the answer to a change.
func printChange(_ result: ChangeResult, client: ClientOptions, verb: String) throws {
    if client.json { return try client.printJSON(result) }
    var out = "\(verb) (change \(result.change.id))"
    if let o = result.occurrence {
        out += ": \(o.occurrenceId) \(o.status)"
        if let scheduled = o.scheduled { out += ", was \(shortTime(scheduled))" }
        out += ", now \(shortTime(o.at))"
    }
    out += "\n"
    if let skipped = result.skipped {
        out += skipped.isEmpty ? "nothing falls inside it\n" : "skips \(skipped.count) occurrence(s):\n"
        for s in skipped { out += "  \(shortTime(s.at))  \(s.title)  \(s.occurrenceId)\n" }
    }
    Terminal.standardOutput.write(out)
}

/// The occurrence's revision as the daemon shows it now: sent as `if_revision`, so that a change somebody else
/// made meanwhile makes this one fail (409) instead of silently overriding it.
func currentRevision(_ client: ClientOptions, _ occurrence: OccurrenceID) throws -> Int64? {
    try client.call(
        OccurrenceDetail.self, "GET", APICoding.prefix + "/occurrences/" + pathSegment(occurrence.description)
    ).revision
}

/// `dutyctl move OCCURRENCE --to TIME`.
struct MoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move", abstract: "Move one occurrence to another time (root or the admin group).",
        discussion: """
            The occurrence keeps its id. Its warnings are planned again from the new time: those already sent are \
            not repeated, those now in the past are not sent. Every recipient gets a change notice (【改期】). \
            TIME is ISO 8601; without an offset it is read in the duty's zone (2018-10-10T15:00). \
            `dutyctl restore` undoes it.
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var change: ChangeNoteOption

    @Argument(help: "The occurrence id <duty>@<unix seconds>.")
    var id: String

    @Option(help: "The new time (ISO 8601; local times in the duty's zone).")
    var to: String

    func run() throws {
        let occurrence = try OccurrenceID.checked(id)
        let revision = try currentRevision(client, occurrence)
        let body = try APICoding.encode(MoveRequest(to: to, note: change.note, ifRevision: revision))
        let result = try client.call(
            ChangeResult.self, "POST", APICoding.prefix + "/occurrences/" + pathSegment(occurrence.description) + "/move",
            body: body)
        try printChange(result, client: client, verb: "moved")
    }
}

/// `dutyctl cancel OCCURRENCE` and `dutyctl restore OCCURRENCE`.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel one occurrence (root or the admin group); restore undoes it.",
        discussion: "Nothing more is sent for it; its recipients get a cancellation notice (【取消】).")

    @OptionGroup var client: ClientOptions
    @OptionGroup var change: ChangeNoteOption

    @Argument(help: "The occurrence id <duty>@<unix seconds>.")
    var id: String

    func run() throws {
        let occurrence = try OccurrenceID.checked(id)
        let revision = try currentRevision(client, occurrence)
        let body = try APICoding.encode(ChangeRequest(note: change.note, ifRevision: revision))
        let result = try client.call(
            ChangeResult.self, "POST", APICoding.prefix + "/occurrences/" + pathSegment(occurrence.description) + "/cancel",
            body: body)
        try printChange(result, client: client, verb: "cancelled")
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Undo a cancel or a move of one occurrence (root or the admin group).")

    @OptionGroup var client: ClientOptions
    @OptionGroup var change: ChangeNoteOption

    @Argument(help: "The occurrence id <duty>@<unix seconds>.")
    var id: String

    func run() throws {
        let occurrence = try OccurrenceID.checked(id)
        let revision = try currentRevision(client, occurrence)
        let body = try APICoding.encode(ChangeRequest(note: change.note, ifRevision: revision))
        let result = try client.call(
            ChangeResult.self, "POST", APICoding.prefix + "/occurrences/" + pathSegment(occurrence.description) + "/restore",
            body: body)
        try printChange(result, client: client, verb: "restored")
    }
}

/// `dutyctl snooze OCCURRENCE SPAN`.
struct SnoozeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snooze", abstract: "Be reminded of an occurrence again after SPAN, once.",
        discussion: """
            The last reminder you got of the occurrence is repeated SPAN from now; if none came yet, the next one \
            is repeated SPAN after it. You may snooze your own reminders; root and the admin group may use --as.
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var change: ChangeNoteOption

    @Argument(help: "The occurrence id <duty>@<unix seconds>.")
    var id: String

    @Argument(help: "How much later: 2h, 30m, 1d (at most 30 days).")
    var span: String

    @Option(name: .customLong("as"), help: ArgumentHelp("Snooze for this person id.", valueName: "person"))
    var person: String?

    func validate() throws {
        do {
            _ = try TimeSpan(span)
        } catch {
            throw ValidationError("SPAN must be a time span like 2h, 30m or 1d, not '\(span)': \(error.message)")
        }
    }

    func run() throws {
        let occurrence = try OccurrenceID.checked(id)
        let body = try APICoding.encode(SnoozeRequest(span: span, person: person, note: change.note))
        let result = try client.call(
            ChangeResult.self, "POST", APICoding.prefix + "/occurrences/" + pathSegment(occurrence.description) + "/snooze",
            body: body)
        try printChange(result, client: client, verb: "snoozed \(span)")
    }
}

/// `dutyctl add DUTY --at TIME`.
struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add an extra occurrence of a duty (root or the admin group).",
        discussion: """
            An extra meeting, say: it is reminded like the duty's own occurrences (warnings, due, overdue) and its \
            recipients get a notice (【加开】). Its id is <duty>@<unix seconds of TIME>.
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var change: ChangeNoteOption

    @Argument(help: "The duty id.")
    var duty: String

    @Option(help: "When (ISO 8601; local times in the duty's zone).")
    var at: String

    func run() throws {
        let body = try APICoding.encode(AddOccurrenceRequest(at: at, note: change.note))
        let result = try client.call(
            ChangeResult.self, "POST", APICoding.prefix + "/duties/" + pathSegment(duty) + "/occurrences", body: body)
        try printChange(result, client: client, verb: "added")
    }
}

/// The scope of `pause` and `resume`: a duty, `--role` or `--township`.
struct PauseScopeOptions: ParsableArguments {
    @Argument(help: "A duty id (or give --role or --township).")
    var duty: String?

    @Option(help: "Every duty whose recipients or responsible include this role.")
    var role: String?

    @Option(help: "Every duty of this township (id or name).")
    var township: String?

    func validate() throws {
        if [duty, role, township].compactMap({ $0 }).count != 1 {
            throw ValidationError("give exactly one of DUTY, --role, --township")
        }
    }
}

/// `dutyctl pause DUTY|--role R|--township T --until DATE`.
struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Pause a duty, a role's or a township's duties until a date (root or the admin group).",
        discussion: """
            Occurrences inside the pause are neither reminded nor escalated; each is journaled as skipped \
            (DUTY_KIND=skipped) at its time, and `dutyctl changes` lists them. --until is exclusive; a date alone \
            means the end of that day. Dates without an offset are read in the plan's zone. `dutyctl resume` ends \
            it early.
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var scope: PauseScopeOptions
    @OptionGroup var change: ChangeNoteOption

    @Option(help: "Start (default now).")
    var from: String?

    @Option(help: "End: a date (the end of that day) or a date-time.")
    var until: String

    func run() throws {
        let body = try APICoding.encode(
            PauseRequest(duty: scope.duty, role: scope.role, township: scope.township, from: from, until: until, note: change.note))
        let result = try client.call(ChangeResult.self, "POST", APICoding.prefix + "/pauses", body: body)
        try printChange(result, client: client, verb: "paused")
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "End the pauses of a duty, a role or a township now (root or the admin group).")

    @OptionGroup var client: ClientOptions
    @OptionGroup var scope: PauseScopeOptions
    @OptionGroup var change: ChangeNoteOption

    func run() throws {
        let body = try APICoding.encode(
            PauseRequest(duty: scope.duty, role: scope.role, township: scope.township, note: change.note))
        let result = try client.call(ChangeResult.self, "POST", APICoding.prefix + "/pauses/resume", body: body)
        try printChange(result, client: client, verb: "resumed")
    }
}

/// `dutyctl changes`: every change and every pause with what it skipped.
struct ChangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes", abstract: "List the changes to the plan and what the pauses skip.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Only this duty's changes.")
    var duty: String?

    func run() throws {
        var items: [URLQueryItem] = []
        if let duty { items.append(.init(name: "duty", value: duty)) }
        let list = try client.call(ChangeList.self, "GET", target(APICoding.prefix + "/changes", items))
        if client.json { return try client.printJSON(list) }
        var table = TextTable(columns: ["ID", "WHEN", "ACTION", "TARGET", "DETAIL", "BY", "NOTE"])
        for c in list.changes {
            table.append([
                String(c.id), shortTime(c.recordedAt), c.action, c.occurrenceId ?? c.scope ?? "-", ChangesCommand.detail(c),
                c.uid.map { "\(c.actor) (uid \($0))" } ?? c.actor, c.note ?? "",
            ])
        }
        Terminal.standardOutput.write(table.rendered())
        Terminal.standardOutput.write("\n\(list.changes.count) change(s).\n")
        for p in list.pauses {
            var line = "\npause \(p.change) of \(p.scope): \(shortTime(p.from)) to \(shortTime(p.until))"
            if let r = p.resumedBy { line += " (resumed by change \(r))" }
            if p.inForce { line += ", in force" }
            Terminal.standardOutput.write(line + "; skips \(p.skipped.count)\n")
            for s in p.skipped { Terminal.standardOutput.write("  \(shortTime(s.at))  \(s.title)  \(s.occurrenceId)\n") }
        }
    }

    static func detail(_ c: ChangeItem) -> String {
        var parts: [String] = []
        if let to = c.to { parts.append("to \(shortTime(to))") }
        if let from = c.from, let until = c.until { parts.append("\(shortTime(from)) – \(shortTime(until))") }
        if let span = c.span, let person = c.person { parts.append("\(span) for \(person)") }
        if let orphaned = c.orphaned { parts.append("NO EFFECT: \(orphaned)") }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }
}
