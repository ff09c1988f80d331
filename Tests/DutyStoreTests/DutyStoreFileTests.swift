import DutyCore
import Foundation
import GRDB
import Testing

@testable import DutyStore

/// What only a real file shows: WAL, crash recovery, concurrent readers, refusal of foreign or damaged files, and
/// the file as the `sqlite3` shell (an independent reader) sees it.
@Suite struct DutyStoreFileTests {
    @Test func fileIsWALWithOurApplicationID() throws {
        let fixture = try StoreFixture(.file)
        try fixture.store.planned([reminder(), reminder(recipient: "b")].on("mail"), at: t0)
        try fixture.store.claim(ledgerRow(reminder().key, "mail"), at: t0)
        let mode = try fixture.store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // The sqlite3 shell reads the same file while the pool is open.
        let output = try sqlite3(
            fixture.path,
            "PRAGMA application_id; SELECT state || '=' || COUNT(*) FROM delivery GROUP BY state ORDER BY state;")
        #expect(output == ["\(DutyStore.applicationID)", "delivering=1", "planned=1"])
    }

    @Test func crashLeavesDeliveringRowForReconciliation() throws {
        let fixture = try StoreFixture(.file)
        let r = reminder()
        try fixture.store.planned([r, reminder(recipient: "other")].on("journal"), at: t0)
        try fixture.store.claim(ledgerRow(r.key, "journal"), at: t0)
        // "Crash": copy the files as they are on disk while the pool is open (main file, WAL, shared memory),
        // without the checkpoint a clean close would do, and open the copy as a restarted daemon would.
        let crashed = fixture.directory.appendingPathComponent("crashed")
        try FileManager.default.createDirectory(at: crashed, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-shm"] {
            let source = fixture.path + suffix
            if FileManager.default.fileExists(atPath: source) {
                try FileManager.default.copyItem(
                    atPath: source, toPath: crashed.appendingPathComponent(DutyStore.fileName + suffix).path)
            }
        }
        #expect(FileManager.default.fileExists(atPath: fixture.path + "-wal"))
        let restarted = try DutyStore(directory: crashed)
        let pending = try restarted.pending(dueBy: t0 - 86400)  // nothing else is due yet
        #expect(pending.map(\.key) == [r.key])
        #expect(pending.first?.needsReconciliation == true)
        #expect(pending.first?.attempts == 1)
        // Reconciled as "not delivered": take it over and deliver.
        let taken = try #require(try restarted.claim(ledgerRow(r.key, "journal"), at: t0 + 5, takeOver: true))
        #expect(taken.attempts == 2)
        try restarted.markDelivered(ledgerRow(r.key, "journal"), at: t0 + 6)
        #expect(try restarted.pending(dueBy: t0 - 86400).isEmpty)
    }

    @Test func reopenKeepsEverything() throws {
        let fixture = try StoreFixture(.file)
        try fixture.store.planned([reminder()].on("mail"), at: t0, horizon: t0 + 3600)
        try fixture.store.acknowledge(occurrenceID: reminder().occurrenceID, by: "a", uid: 7, at: t0)
        let reopened = try DutyStore(path: fixture.path)
        #expect(try reopened.horizon() == t0 + 3600)
        #expect(try reopened.isAcknowledged(occurrenceID: reminder().occurrenceID))
        #expect(try reopened.counts()[.planned] == 1)
        #expect(try reopened.appliedMigrations() == ["v1 ledger", "v2 rankings and problems", "v3 due order index", "v4 delivery routes", "v5 occurrence changes", "v6 digest carriers"])
    }

    /// A writer moves rows planned → delivering → delivered, one transaction per step, while readers on other
    /// threads check that every snapshot they see is consistent: the total never changes, delivered only grows.
    @Test func concurrentReadersWhileWriting() async throws {
        let fixture = try StoreFixture(.file)
        let store = fixture.store
        let total = 200
        let reminders = (0..<total).map { reminder(at: t0 + Double($0) * 60, recipient: "r\($0)") }
        try store.planned(reminders.on("mail"), at: t0)

        let violations = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for r in reminders {
                    try store.claim(ledgerRow(r.key, "mail"), at: t0)
                    try store.markDelivered(ledgerRow(r.key, "mail"), at: t0)
                }
                return 0
            }
            for _ in 0..<3 {
                group.addTask {
                    var bad = 0
                    var lastDelivered = 0
                    while lastDelivered < total {
                        let counts = try store.counts()
                        let sum = counts.values.reduce(0, +)
                        let delivered = counts[.delivered] ?? 0
                        if sum != total || delivered < lastDelivered || (counts[.delivering] ?? 0) > 1 { bad += 1 }
                        lastDelivered = delivered
                        await Task.yield()
                    }
                    return bad
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(violations == 0)
        #expect(try store.counts()[.delivered] == total)
    }

    // MARK: Refusing files that are not ours

    @Test func randomBytesAreNotADatabase() throws {
        let fixture = try StoreFixture(.memory)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: fixture.path))
        #expect(throws: StoreError.self) { try DutyStore(path: fixture.path) }
        do {
            _ = try DutyStore(path: fixture.path)
        } catch {
            #expect(error.code == .notADatabase, "\(error)")
        }
    }

    @Test func foreignSQLiteDatabaseIsRefused() throws {
        let fixture = try StoreFixture(.memory)
        _ = try sqlite3(fixture.path, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');")
        do {
            _ = try DutyStore(path: fixture.path)
            Issue.record("a foreign database must be refused")
        } catch {
            #expect(error.code == .foreignDatabase, "\(error)")
        }
        // The foreign file was not touched.
        #expect(try sqlite3(fixture.path, "SELECT name FROM sqlite_master WHERE type = 'table';") == ["contacts"])
    }

    @Test func otherApplicationIDIsRefused() throws {
        let fixture = try StoreFixture(.memory)
        _ = try sqlite3(fixture.path, "PRAGMA application_id = 1234; CREATE TABLE t (x);")
        do {
            _ = try DutyStore(path: fixture.path)
            Issue.record("a database with another application id must be refused")
        } catch {
            #expect(error.code == .foreignDatabase)
            #expect(error.description.contains("1234"))
        }
    }

    @Test func newerSchemaIsRefused() throws {
        let fixture = try StoreFixture(.file)
        try fixture.store.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')")
        }
        do {
            _ = try DutyStore(path: fixture.path)
            Issue.record("a ledger from a newer dutyd must be refused")
        } catch {
            #expect(error.code == .newerSchema)
        }
    }

    @Test func damagedPagesAreCorrupt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dutystore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(DutyStore.fileName).path
        do {
            let store = try DutyStore(path: path)
            let many = (0..<300).map { reminder(at: t0 + Double($0) * 60, recipient: "r\($0)") }
            try store.planned(many.on("mail"), at: t0)
        }
        _ = try sqlite3(path, "PRAGMA wal_checkpoint(TRUNCATE);")
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let pageSize = 4096
        #expect(data.count > 6 * pageSize)
        // Overwrite pages 3-5 (b-tree pages of the ledger) with a pattern; keep the header page intact.
        for index in (2 * pageSize)..<(5 * pageSize) { data[index] = 0xA5 }
        try data.write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        do {
            _ = try DutyStore(path: path)
            Issue.record("a damaged ledger must be refused")
        } catch {
            #expect(error.code == .corrupt, "\(error)")
        }
    }

    @Test func missingDirectoryCannotOpen() throws {
        do {
            _ = try DutyStore(path: "/nonexistent-\(UUID().uuidString)/dutyd.sqlite")
            Issue.record("opening in a missing directory must fail")
        } catch {
            #expect(error.code == .cannotOpen, "\(error)")
        }
    }

    @Test func readOnlyOpenDoesNotMigrate() throws {
        let fixture = try StoreFixture(.file)
        try fixture.store.planned([reminder()].on("mail"), at: t0)
        var configuration = DutyStore.Configuration()
        configuration.readOnly = true
        let reader = try DutyStore(path: fixture.path, configuration: configuration)
        #expect(try reader.counts()[.planned] == 1)
        let secret = reminder(recipient: "secret-recipient", title: "机密标题")
        do {
            try reader.planned([secret].on("mail"), at: t0)
            Issue.record("writing through a read-only store must fail")
        } catch {
            #expect(error.code == .readOnly, "\(error)")
            #expect(error.underlying != nil)
            // SQLite's error is wrapped, the statement's arguments are not in the text.
            #expect(!error.description.contains("secret-recipient"))
            #expect(!error.description.contains("机密标题"))
        }
    }
}

/// Runs the sqlite3 shell (an independent reader/writer) and returns its output lines.
func sqlite3(_ path: String, _ sql: String) throws -> [String] {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the sqlite3 shell is missing: apt-get install sqlite3"])
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-batch", path, sql]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "sqlite3 exited \(process.terminationStatus)"])
    }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// Two stores (two pools, as two processes would have) writing the same file at once: the busy timeout makes
/// them wait for each other instead of failing with SQLITE_BUSY.
@Suite struct DutyStoreSharedFileTests {
    @Test func twoWritersOnOneFileWaitForEachOther() async throws {
        let fixture = try StoreFixture(.file)
        let store = fixture.store
        let other = try DutyStore(path: fixture.path)
        let count = 150
        let a = (0..<count).map { reminder(at: t0 + Double($0) * 60, recipient: "a\($0)") }
        let b = (0..<count).map { reminder(at: t0 + Double($0) * 60, recipient: "b\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for r in a { try store.planned([r].on("mail"), at: t0) }
            }
            group.addTask {
                for r in b {
                    try other.planned([r].on("mail"), at: t0)
                    try other.logEvent(actorUID: 0, action: "plan", at: t0)
                }
            }
            try await group.waitForAll()
        }
        #expect(try fixture.store.counts()[.planned] == 2 * count)
        #expect(try fixture.store.events().count == count)
    }

    /// Figures for the report (printed; loose bounds only so a slow CI does not fail).
    @Test func throughputFigures() throws {
        let fixture = try StoreFixture(.file)
        let store = fixture.store
        let reminders = (0..<10_000).map { reminder(at: t0 + Double($0) * 60, recipient: "r\($0 % 50)") }
        let clock = ContinuousClock()
        let planning = try clock.measure { try store.planned(reminders.on("mail"), at: t0) }
        let cycles = try clock.measure {
            for r in reminders.prefix(1000) {
                try store.claim(ledgerRow(r.key, "mail"), at: t0)
                try store.markDelivered(ledgerRow(r.key, "mail"), at: t0)
            }
        }
        var due: [Delivery] = []
        let query = try clock.measure { due = try store.pending(dueBy: t0 + 86400 * 30, limit: 10_000) }
        print("DutyStore figures: plan 10000 rows in one transaction \(planning); 1000 claim+markDelivered \(cycles) (2000 WAL commits); pending over 10000 rows (\(due.count) due) \(query)")
        #expect(due.count == 9000)
        #expect(planning < .seconds(30))
    }
}
