import ArgumentParser

/// Placeholder: replaced by the calendar-expression work (Core 1/7).
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calendar")
    func run() throws { throw ValidationError("not yet implemented") }
}
