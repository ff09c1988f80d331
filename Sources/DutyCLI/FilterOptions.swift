import ArgumentParser
import DutyCore
import Foundation

/// `--person`, `--role`, `--duty`: the one set of filter options of every command that selects duties (`agenda`,
/// `export`, `upcoming`, `overdue`), read into the daemon's own `RecipientFilter`. Commands that read the schedule
/// files check the ids with `RecipientFilter.validate(against:)` and refuse an unknown one exactly as the daemon
/// does (`dutyctl: no person 'x'`, exit status 1).
struct RecipientFilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only duties that reach this person, directly or through a role.", valueName: "person-id"))
    var person: String?

    @Option(help: ArgumentHelp("Only duties whose recipients or responsible include this role.", valueName: "role-id"))
    var role: String?

    @Option(help: ArgumentHelp("Only this duty.", valueName: "duty-id"))
    var duty: String?

    /// The filter, with the township of `TownshipOption` when a command has one.
    func filter(township: String? = nil) -> RecipientFilter {
        RecipientFilter(person: person, role: role, duty: duty, township: township)
    }

    /// The query parameters the daemon reads into the same filter.
    var parameters: [URLQueryItem] {
        var items: [URLQueryItem] = []
        if let person { items.append(.init(name: "person", value: person)) }
        if let role { items.append(.init(name: "role", value: role)) }
        if let duty { items.append(.init(name: "duty", value: duty)) }
        return items
    }
}

/// `--township`: a township by id or name, for the commands that select by township (`agenda`, `export`:
/// the duties of its role; `problem list`: its problems).
struct TownshipOption: ParsableArguments {
    @Option(help: ArgumentHelp("Only what concerns this township (id or name).", valueName: "township"))
    var township: String?
}

extension ScheduleSet {
    /// Refuses a filter naming an id these schedules do not know, like the daemon's 404: prints
    /// `dutyctl: no person 'x'` and exits 1.
    func check(_ filter: RecipientFilter) throws {
        do {
            try filter.validate(against: self)
        } catch {
            throw ExitStatus.report(error)
        }
    }

    /// `--timezone` if given (checked by `checkTimeZone`), else the plan's zone.
    func zone(_ option: String?) -> TimeZone {
        option.flatMap(TimeZone.init(identifier:)) ?? timeZone
    }
}

/// `--timezone`: nil (the plan's zone) or an IANA name.
func checkTimeZone(_ name: String?) throws {
    if let name, TimeZone(identifier: name) == nil { throw ValidationError("unknown time zone '\(name)'") }
}
