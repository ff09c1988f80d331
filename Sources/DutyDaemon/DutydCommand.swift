import ArgumentParser
import DutyCore

/// The `dutyd` daemon's command line.
public struct DutydCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dutyd",
        abstract: "Run the dutyd scheduling and reminder daemon in the foreground.",
        version: DutyCore.version
    )

    public init() {}

    public func run() async throws {
        throw ValidationError("not yet implemented")
    }
}
