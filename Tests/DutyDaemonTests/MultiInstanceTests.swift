import DutyCore
import DutyTestSupport
import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several dutyd instances on one PostgreSQL ledger (issue 17), against a real PostgreSQL the test starts and three
/// real dutyd processes, each in a network namespace of its own with a veth link to the database (so that a
/// partition is one `ip link set … down`). Faults: SIGKILL of the leader in the middle of a burst, SIGSTOP of the
/// leader for longer than its lease then SIGCONT, an immediate restart of PostgreSQL during a burst, and one
/// instance cut off the database and restored. Each reports reminders due, delivered, lost and duplicated (journal
/// and a shared mbox spool, counted per `DUTY_KEY` and `X-Dutyd-Key`) and the failover times, and requires 0 lost,
/// 0 duplicated, failover < 10 s. Every person also has a `sendmail:` channel to a relay (a program that accepts
/// each message into a queue directory): a relay cannot be asked, so there the guarantee is at least once; the
/// scenario counts the duplicates the relay accepted, requires none lost, and shows `formail -D` (procmail)
/// dropping every duplicate by its deterministic Message-ID.
///
/// The short version runs in `make test`; the long one (50 kills, 10 pauses, 5 restarts, 5 partitions) is
/// `make cluster-test` (`DUTYD_CLUSTER_LONG=1`). `DUTYD_CLUSTER_KILLS`, `…_PAUSES`, `…_RESTARTS`, `…_PARTITIONS`
/// override the counts; `DUTYD_CLUSTER_SEED` the random seed (printed).
@Suite(.serialized) struct MultiInstanceTests {
    static var canRun: Bool {
        PostgresServer.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") && JournalReader.isAvailable
    }

    static func count(_ name: String, short: Int, long: Int) -> Int {
        let env = ProcessInfo.processInfo.environment
        if let n = env["DUTYD_CLUSTER_\(name)"].flatMap(Int.init) { return n }
        return env["DUTYD_CLUSTER_LONG"] == "1" ? long : short
    }

    @Test(.enabled(if: canRun)) func killingTheLeaderMidBurst() async throws {
        try await Cluster.scenario("kill", rounds: Self.count("KILLS", short: 4, long: 50)) { cluster, round in
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForBurst()
            cluster.instances[leader]?.killHard()
            let failover = try await cluster.waitForNewLeader(after: leader)
            try cluster.launch(leader)
            return failover
        }
    }

    @Test(.enabled(if: canRun)) func pausingTheLeaderLongerThanItsLease() async throws {
        try await Cluster.scenario("pause", rounds: Self.count("PAUSES", short: 2, long: 10)) { cluster, round in
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForBurst()
            cluster.instances[leader]?.signal(SIGSTOP)
            let failover = try await cluster.waitForNewLeader(after: leader)
            // Longer than the lease (6 s) for sure: the old leader wakes up to a newer epoch.
            try await Task.sleep(for: .seconds(3))
            cluster.instances[leader]?.signal(SIGCONT)
            return failover
        }
    }

    @Test(.enabled(if: canRun)) func restartingPostgreSQLMidBurst() async throws {
        try await Cluster.scenario("db-restart", rounds: Self.count("RESTARTS", short: 1, long: 5)) { cluster, round in
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForBurst()
            let started = ContinuousClock.now
            try cluster.server.restart(mode: "immediate")
            cluster.restartedAt = started
            // Either the leader keeps its lease (renewed right after the restart) or another takes over.
            let next = try await cluster.waitForLeader(timeout: .seconds(30))
            return next == leader ? nil : ContinuousClock.now - started
        }
    }

    @Test(.enabled(if: canRun)) func cuttingAnInstanceOffTheDatabase() async throws {
        try await Cluster.scenario("partition", rounds: Self.count("PARTITIONS", short: 1, long: 5)) { cluster, round in
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForBurst()
            try cluster.setLink(leader, up: false)
            let failover = try await cluster.waitForNewLeader(after: leader)
            try await Task.sleep(for: .seconds(4))
            try cluster.setLink(leader, up: true)
            return failover
        }
    }
}

/// Three instances, their namespaces, the database and what the test saw.
final class Cluster: @unchecked Sendable {
    static let people = 60
    static let rate = 10.0
    static let logger = Logger(label: "dutyd.test.cluster")

    let directory: String
    let server: PostgresServer
    let namespaces: [String]
    let links: [String]
    let prefix: String
    let schedules: String
    let realStart = Date()
    let simulatedStart: Date
    var instances: [LiveDaemon?] = [nil, nil, nil]
    var restartedAt: ContinuousClock.Instant?
    /// Lease acquisitions seen by LISTEN: epoch, holder, when.
    let acquisitions = Mutex<[(epoch: Int64, holder: String, at: ContinuousClock.Instant)]>([])
    var rng: SeededRandom

    init(seed: UInt64) throws {
        rng = SeededRandom(seed: seed)
        let tag = String(UInt32.random(in: 0...UInt32.max, using: &rng), radix: 36)
        prefix = "c" + tag
        directory = try TestSupport.temporaryDirectory()
        var namespaces: [String] = []
        var links: [String] = []
        for i in 0..<3 {
            let name = "dutyd-\(tag.prefix(5))-\(i)"
            let host = "dh\(tag.prefix(5))\(i)"
            let peer = "dn\(tag.prefix(5))\(i)"
            namespaces.append(name)
            links.append(host)
            try Self.sh(
                """
                ip netns add \(name) && ip link add \(host) type veth peer name \(peer) && ip link set \(peer) netns \(name) \
                && ip addr add 198.18.\(i).1/30 dev \(host) && ip link set \(host) up \
                && ip -n \(name) addr add 198.18.\(i).2/30 dev \(peer) && ip -n \(name) link set \(peer) up \
                && ip -n \(name) link set lo up
                """)
        }
        self.namespaces = namespaces
        self.links = links
        server = try PostgresServer(addresses: ["127.0.0.1", "198.18.0.1", "198.18.1.1", "198.18.2.1"])
        simulatedStart = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 + 50)
        let file = try FaultInjectionTests.writeBurst(
            in: directory, count: Self.people, calendar: "*-*-* *:*:00", idPrefix: prefix,
            channels: #"["mbox", "sendmail:u{n}@relay.dutyd.test"]"#)
        // The site's relay as the leader sees it: a message is accepted once this exits 0 (written whole, then
        // renamed into the queue, in order of acceptance).
        try FileManager.default.createDirectory(atPath: directory + "/relay", withIntermediateDirectories: true)
        try """
            #!/bin/sh
            f='\(directory)/relay/'$(date +%s%N).$$
            cat > "$f.tmp" && mv "$f.tmp" "$f.eml"

            """.write(toFile: directory + "/relay.sh", atomically: true, encoding: .utf8)
        _ = chmod(directory + "/relay.sh", 0o755)
        schedules = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory + "/spool", withIntermediateDirectories: true)
        for i in 0..<3 {
            try FileManager.default.createDirectory(atPath: directory + "/i\(i)/credentials", withIntermediateDirectories: true)
            try server.password.write(toFile: directory + "/i\(i)/credentials/dutyd-store-password", atomically: true, encoding: .utf8)
            // Every instance delivers into the same spool (a shared mailbox is a channel reconciliation can ask).
            try FileManager.default.createSymbolicLink(atPath: directory + "/i\(i)/spool", withDestinationPath: directory + "/spool")
        }
    }

    func destroy() {
        for case let instance? in instances {
            instance.signal(SIGCONT)
            instance.stop(timeout: 15)
        }
        server.destroy()
        for name in namespaces { _ = try? Self.sh("ip netns del \(name)") }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func simulatedNow() -> Date { simulatedStart.addingTimeInterval(Date().timeIntervalSince(realStart) * Self.rate) }

    func launch(_ i: Int) throws {
        let stamp = FaultInjectionTests.utcStamp(simulatedNow())
        instances[i] = try LiveDaemon(
            schedules: [schedules], workDirectory: directory + "/i\(i)",
            arguments: [
                "--private-spool", "--clock-start", stamp, "--clock-rate", String(Self.rate),
                "--store", server.url(host: "198.18.\(i).1"), "--message-id-domain", "cluster.dutyd.test",
                "--sendmail", directory + "/relay.sh",
            ],
            environment: ["CREDENTIALS_DIRECTORY": directory + "/i\(i)/credentials"], namespace: namespaces[i])
    }

    func setLink(_ i: Int, up: Bool) throws {
        try Self.sh("ip link set \(links[i]) \(up ? "up" : "down")")
    }

    /// Which instance a holder string names (`host:state directory`).
    func index(of holder: String) -> Int? {
        (0..<3).first { holder.hasSuffix("/i\($0)/state") }
    }

    // MARK: Waiting for events

    /// LISTEN on the lease's notifications, as the superuser over the socket, again after a restart.
    func watch() async {
        let channel = "dutyd_dutyd"
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: .init(
                        unixSocketPath: server.socketDirectory + "/.s.PGSQL.\(server.port)", username: "postgres",
                        password: nil, database: "dutyd"),
                    id: 1, logger: Self.logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        for try await note in notifications {
                            let parts = note.payload.split(separator: " ", maxSplits: 2).map(String.init)
                            guard parts.count == 3, parts[0] == "acquired", let epoch = Int64(parts[1]) else { continue }
                            let now = ContinuousClock.now
                            acquisitions.withLock { $0.append((epoch, parts[2], now)) }
                        }
                    }
                } catch {}
                try? await connection.close()
            } catch {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func currentLeader() -> Int? {
        acquisitions.withLock { $0.last.flatMap { index(of: $0.holder) } }
    }

    /// Waits until some instance leads (an acquisition was seen); its index.
    func waitForLeader(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let leader = currentLeader(), instances[leader]?.isRunning == true { return leader }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PostgresServer.Failure("no leader within \(timeout)")
    }

    /// Waits for an acquisition by another instance than `old`; the time since the fault (now minus the wait's
    /// start, which the caller makes right after the fault).
    func waitForNewLeader(after old: Int, timeout: Duration = .seconds(20)) async throws -> Duration {
        let start = ContinuousClock.now
        let seen = acquisitions.withLock { $0.count }
        while ContinuousClock.now - start < timeout {
            let found = acquisitions.withLock { a in a.dropFirst(seen).first { index(of: $0.holder) != old } }
            if let found { return found.at - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw PostgresServer.Failure("no other instance took over within \(timeout)")
    }

    /// Waits until a burst is under way: just after the next simulated minute (plus a random offset within the
    /// burst's first 200 ms of real time).
    func waitForBurst() async throws {
        let now = simulatedNow().timeIntervalSince1970
        let next = (now / 60).rounded(.down) * 60 + 60
        let real = (next - now) / Self.rate + Double.random(in: 0.02...0.2, using: &rng)
        try await Task.sleep(for: .milliseconds(Int(real * 1000)))
    }

    // MARK: Counting

    func epoch(_ key: String) -> Int? {
        guard let at = key.firstIndex(of: "@"), let slash = key[at...].firstIndex(of: "/") else { return nil }
        return Int(key[key.index(after: at)..<slash])
    }

    func journalCounts(ledger: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in try JournalReader.entries(["DUTY_LEDGER=\(ledger)", "DUTY_KIND=due"]) {
            counts[entry["DUTY_KEY"] ?? "?", default: 0] += 1
        }
        return counts
    }

    /// What the relay accepted, per `X-Dutyd-Key`, and what is left of it after `formail -D` (procmail's
    /// duplicate filter by Message-ID, as a mail server's delivery would run it) has seen the messages in order.
    func relayCounts(dedupe: Bool = true) throws -> (accepted: [String: Int], afterDedupe: [String: Int]) {
        let script = """
            import sys, os, email, json, collections, subprocess
            queue, cache = sys.argv[1], sys.argv[2]
            accepted, kept = collections.Counter(), collections.Counter()
            for name in sorted(n for n in os.listdir(queue) if n.endswith('.eml')):
                data = open(os.path.join(queue, name), 'rb').read()
                key = str(email.message_from_bytes(data).get('X-Dutyd-Key', '?')).strip()
                accepted[key] += 1
                # formail -D: exit 0 when the Message-ID is in the cache (a duplicate), 1 when new (remembered).
                if cache and subprocess.run(['formail', '-D', '1048576', cache], input=data).returncode != 0:
                    kept[key] += 1
            print(json.dumps([accepted, kept]))
            """
        let out = try TestSupport.python(script, [directory + "/relay", dedupe ? directory + "/relay.idcache" : ""])
        guard out.status == 0 else { throw PostgresServer.Failure("relay count: \(out.stderr)") }
        let both = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [[String: Int]]
        return (both[0], both[1])
    }

    @discardableResult
    static func sh(_ command: String) throws -> String {
        let out = try TestSupport.run("/bin/sh", ["-c", command])
        guard out.status == 0 else { throw PostgresServer.Failure("\(command): \(out.stderr)") }
        return out.stdout
    }

    /// Runs `rounds` of `fault` on a fresh cluster, then checks and reports: every reminder due from the first
    /// occurrence seen to the last one due is in the journal and in the mailboxes exactly once.
    static func scenario(
        _ name: String, rounds: Int, fault: (Cluster, Int) async throws -> Duration?
    ) async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["DUTYD_CLUSTER_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
        print("cluster \(name): \(rounds) round(s), DUTYD_CLUSTER_SEED=\(seed)")
        let cluster = try Cluster(seed: seed)
        defer { cluster.destroy() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cluster.watch() }
            defer { group.cancelAll() }
            for i in 0..<3 { try cluster.launch(i) }
            _ = try await cluster.waitForLeader(timeout: .seconds(60))
            var failovers: [Duration] = []
            for round in 0..<rounds {
                if let failover = try await fault(cluster, round) { failovers.append(failover) }
            }
            try await cluster.check(name, rounds: rounds, failovers: failovers)
        }
    }

    func check(_ name: String, rounds: Int, failovers: [Duration]) async throws {
        let ledger = try server.psql("SELECT value FROM dutyd.meta WHERE key = 'ledger_id'").trimmingCharacters(in: .whitespacesAndNewlines)
        let people = Self.people
        func complete(_ counts: [String: Int], _ due: Int) -> Bool { counts.keys.filter { epoch($0) == due }.count >= people }
        var lastDue = 0
        var journal: [String: Int] = [:]
        var mail: [String: Int] = [:]
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            lastDue = Int(simulatedNow().timeIntervalSince1970 - 30) / 60 * 60
            journal = try journalCounts(ledger: ledger)
            mail = try FaultInjectionTests.mailCounts(directory + "/spool")
            if let first = journal.keys.compactMap(epoch).min(), lastDue >= first + 60, complete(journal, lastDue),
                complete(mail, lastDue), complete(try relayCounts(dedupe: false).accepted, lastDue)
            {
                break
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        for case let instance? in instances { instance.stop(timeout: 20) }
        journal = try journalCounts(ledger: ledger)
        mail = try FaultInjectionTests.mailCounts(directory + "/spool")
        let epochs = Set(journal.keys.compactMap(epoch))
        let first = try #require(epochs.min(), "nothing journaled; log:\n\(instances.compactMap { $0?.log.suffix(2000) })")
        let expected = Set(
            stride(from: first, through: lastDue, by: 60).flatMap { e in (1...people).map { "\(prefix)-\($0)@\(e)/due/\(prefix)\($0)" } })
        let journaled = Set(journal.keys.filter { (epoch($0) ?? .max) <= lastDue })
        let mailed = Set(mail.keys.filter { (epoch($0) ?? .max) <= lastDue })
        let journalDuplicates = journal.filter { $0.value > 1 }
        let mailDuplicates = mail.filter { $0.value > 1 }
        let relay = try relayCounts()
        let relayed = Set(relay.accepted.keys.filter { (epoch($0) ?? .max) <= lastDue })
        let relayDuplicates = relay.accepted.filter { $0.value > 1 }
        let keptDuplicates = relay.afterDedupe.filter { $0.value > 1 }
        let seconds = failovers.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }.sorted()
        let p50 = seconds.isEmpty ? 0 : seconds[seconds.count / 2]
        let breaches = instances.compactMap { $0?.log.components(separatedBy: "longer than the window W").count }.reduce(0) { $0 + $1 - 1 }
        print(
            "cluster \(name): \(rounds) round(s); due \(expected.count) (\(expected.count / people) occurrences x \(people)); "
                + "journal: delivered \(journaled.intersection(expected).count), lost \(expected.subtracting(journaled).count), "
                + "duplicated \(journalDuplicates.count); mbox: delivered \(mailed.intersection(expected).count), "
                + "lost \(expected.subtracting(mailed).count), duplicated \(mailDuplicates.count); "
                + "relay: accepted \(relayed.intersection(expected).count), lost \(expected.subtracting(relayed).count), "
                + "duplicated \(relayDuplicates.count) (\(relayDuplicates.values.reduce(0) { $0 + $1 - 1 }) extra messages), "
                + "after formail -D \(keptDuplicates.count); "
                + "failovers \(seconds.count): p50 \(String(format: "%.2f", p50)) s, max \(String(format: "%.2f", seconds.last ?? 0)) s; "
                + "window breaches \(breaches)")
        #expect(expected.count >= people * 2)
        #expect(expected.subtracting(journaled).isEmpty, "journal lost: \(expected.subtracting(journaled).sorted().prefix(5))")
        #expect(journalDuplicates.isEmpty, "journal duplicated: \(journalDuplicates.keys.sorted().prefix(5))")
        #expect(expected.subtracting(mailed).isEmpty, "mail lost: \(expected.subtracting(mailed).sorted().prefix(5))")
        #expect(mailDuplicates.isEmpty, "mail duplicated: \(mailDuplicates.keys.sorted().prefix(5))")
        // The relay: at least once (duplicates are counted above, not failed), and the deterministic Message-ID
        // lets the mail server drop every one of them.
        #expect(expected.subtracting(relayed).isEmpty, "relay lost: \(expected.subtracting(relayed).sorted().prefix(5))")
        #expect(keptDuplicates.isEmpty, "a duplicate through the relay has another Message-ID: \(keptDuplicates.keys.sorted().prefix(5))")
        #expect(Set(relay.afterDedupe.keys) == Set(relay.accepted.keys))
        #expect((seconds.last ?? 0) < 10, "failover max \(seconds.last ?? 0) s")
    }
}
