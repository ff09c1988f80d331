import DutyMail
import Foundation

/// The content digest of a schedule set: SHA-256 over each file's path relative to its schedule directory and its
/// bytes, in path order. Instances that share a ledger must run the same schedules; a follower whose digest
/// differs from the leader's says so in its status and the journal.
enum ScheduleDigest {
    static func of(files: [String], directories: [String]) -> String {
        var input: [UInt8] = []
        let entries = files.map { file -> (String, String) in
            let directory = directories.filter { file.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }.max { $0.count < $1.count }
            let relative = directory.map { String(file.dropFirst($0.count).drop { $0 == "/" }) } ?? file
            return (relative, file)
        }.sorted { $0.0 < $1.0 }
        for (relative, file) in entries {
            input += Array(relative.utf8) + [0]
            let bytes = FileManager.default.contents(atPath: file).map(Array.init) ?? []
            input += Array(String(bytes.count).utf8) + [0] + bytes
        }
        return SHA256.hex(input)
    }
}
