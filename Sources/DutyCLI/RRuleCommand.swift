import ArgumentParser

/// Placeholder: replaced by the RRULE work (Core 1/7).
struct RRuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rrule")
    func run() throws { throw ValidationError("not yet implemented") }
}
