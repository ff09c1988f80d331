import ArgumentParser
import DutyCore
import DutyTestSupport
import Foundation
import Testing

@testable import DutyCLI

/// Swift Testing has an `ExitStatus` of its own (exit tests).
typealias ExitStatus = DutyCLI.ExitStatus

/// dutyctl's one exit-status mapping, and the one list of statuses that `--help`, the README and dutyctl(1) print.
@Suite struct ExitStatusTests {
    struct Mapping: Sendable, CustomTestStringConvertible {
        var id: String
        var error: any Error & Sendable
        var status: ExitStatus
        var testDescription: String { id }
    }

    static let mappings: [Mapping] = [
        .init(id: "daemon-unreachable", error: DaemonClient.ClientError.unavailable("dutyd is not running"), status: .unavailable),
        .init(id: "bad-answer", error: DaemonClient.ClientError.protocolError("bad status line"), status: .failure),
        .init(id: "http-403", error: DaemonRefusal(status: 403, reason: "uid 1000 is not in the socket's group"), status: .permissionDenied),
        .init(id: "http-404", error: DaemonRefusal(status: 404, reason: "no person 'x'"), status: .failure),
        .init(id: "http-400", error: DaemonRefusal(status: 400, reason: "days must be"), status: .failure),
        .init(id: "http-503", error: DaemonRefusal(status: 503, reason: "stopping"), status: .failure),
        .init(id: "usage", error: ValidationError("--from must be a date"), status: .usage),
        .init(id: "exit-code-77", error: ExitCode(77), status: .permissionDenied),
        .init(id: "exit-code-unknown", error: ExitCode(3), status: .failure),
        .init(id: "unknown-person", error: RecipientFilterError(.person, "x"), status: .failure),
        .init(id: "bad-occurrence-id", error: OccurrenceIDError(input: "d@x", code: .expectedSeconds, columns: 3..<4, message: "m"), status: .failure),
    ]

    @Test(arguments: mappings)
    func mapsTheError(_ m: Mapping) {
        #expect(ExitStatus(for: m.error) == m.status)
        #expect(ExitStatus(for: m.error).exitCode == ExitCode(m.status.rawValue))
    }

    @Test func statusesAreTheDocumentedOnes() {
        #expect(ExitStatus.allCases.map(\.rawValue) == [0, 1, 64, 69, 77])
        #expect(ExitStatus.usage.rawValue == ExitCode.validationFailure.rawValue)
    }

    /// `dutyctl --help` prints the list.
    @Test func helpTextListsEveryStatus() {
        let discussion = Dutyctl.configuration.discussion
        #expect(discussion.contains(ExitStatus.helpText))
        for status in ExitStatus.allCases { #expect(ExitStatus.helpText.contains("\(status.rawValue) \(status.meaning)")) }
    }

    /// The README and dutyctl(1) say the same words.
    @Test func readmeAndManPageSayTheSame() throws {
        let readme = try String(contentsOfFile: TestSupport.packageRoot + "/README.md", encoding: .utf8)
        let man = try String(contentsOfFile: TestSupport.packageRoot + "/man/dutyctl.1", encoding: .utf8)
        for status in ExitStatus.allCases {
            #expect(readme.contains("`\(status.rawValue)` \(status.meaning)"), "README: \(status)")
            #expect(man.contains(".It \(status.rawValue)\n\(status.meaning)\n"), "dutyctl.1: \(status)")
        }
    }

    /// The binary: an unreachable daemon is 69, a malformed occurrence id 1 (refused before connecting).
    @Test func binaryStatuses() throws {
        let missing = "/nonexistent/dutyd-\(UUID().uuidString).sock"
        let status = try TestSupport.dutyctl(["status", "--socket", missing])
        #expect(status.status == 69, "\(status.stderr)")
        #expect(status.stderr.hasPrefix("dutyctl: dutyd is not running"))
        let ack = try TestSupport.dutyctl(["ack", "meeting@2018-09-17", "--socket", missing])
        #expect(ack.status == 1, "\(ack.stderr)")
        #expect(ack.stderr.hasPrefix("dutyctl: occurrence id:1:13: error: expected only the digits of whole unix seconds after '@'"), "\(ack.stderr)")
    }
}
