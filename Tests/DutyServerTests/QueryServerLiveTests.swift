import Foundation
import Testing

/// The real daemon over a real socket, with curl and dutyctl as clients.
@Suite(.serialized) struct QueryServerLiveTests {
    /// Acceptance: the next fortnight's duties as JSON over curl, the same as a dutyctl table, and the same as the
    /// offline agenda computed from the files.
    @Test func upcomingFortnightOverCurlMatchesDutyctlAndTheAgenda() throws {
        let schedules = DaemonHarness.packageRoot + "/Schedules"
        let daemon = try DaemonHarness(schedules: [schedules], clockStart: "2018-09-13T08:00:00+08:00")
        defer { daemon.stop() }

        let answer = try daemon.curl("GET", "/v1/upcoming?days=14&limit=1000")
        #expect(answer.status == 200, "\(answer.body)")
        let items = try #require(answer.json?["items"] as? [[String: Any]])
        #expect(!items.isEmpty)
        let fromCurl = items.compactMap { $0["occurrence_id"] as? String }
        #expect(items.allSatisfy { ($0["kind"] as? String) == "due" })

        let table = try daemon.dutyctl(["upcoming", "--days", "14", "--limit", "1000"])
        #expect(table.status == 0, "\(table.stderr)")
        let fromTable = table.stdout.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: " ").last.map(String.init).flatMap { $0.contains("@") ? $0 : nil }
        }
        #expect(fromTable == fromCurl)

        // The offline agenda over whole days: its due entries inside the daemon's window are the same occurrences.
        let agenda = try DaemonHarness.run(
            DaemonHarness.productsDirectory + "/dutyctl",
            ["agenda", "--schedules", schedules, "--from", "2018-09-13", "--to", "2018-09-28", "--no-warnings", "--json"])
        #expect(agenda.status == 0, "\(agenda.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(agenda.stdout.utf8)) as? [[String: Any]])
        let start = ISO8601DateFormatter().date(from: "2018-09-13T08:00:00+08:00")!
        let end = start.addingTimeInterval(14 * 86_400)
        let fromAgenda = entries.compactMap { e -> String? in
            guard let duty = e["duty"] as? String, let text = e["occurrence"] as? String,
                let at = ISO8601DateFormatter().date(from: text), at > start, at <= end
            else { return nil }
            return "\(duty)@\(Int(at.timeIntervalSince1970))"
        }
        #expect(Set(fromAgenda) == Set(fromCurl))
        #expect(fromAgenda.count == fromCurl.count)
    }

    /// Reading is open to the socket's group; reloading needs root or the admin group; a person acknowledges only
    /// their own duties; every change is recorded with the peer's uid.
    @Test func permissionsFollowPeerCredentials() throws {
        let daemon = try DaemonHarness(extraArguments: ["--socket-group", "nogroup"])
        defer { daemon.stop() }

        let reload = try daemon.curl("POST", "/v1/reload", as: "nobody")
        #expect(reload.status == 403)
        #expect((reload.json?["reason"] as? String)?.contains("root or the admin group") == true)
        #expect(try daemon.curl("POST", "/v1/reload").status == 200)
        #expect(try daemon.curl("GET", "/v1/upcoming?days=2", as: "nobody").status == 200)

        // `daemon` is not in nogroup: the socket's mode keeps it out altogether.
        let outsider = try daemon.curl("GET", "/v1/status", as: "daemon")
        #expect(outsider.status == 0)
        #expect(outsider.curlExit == 7)
        let outsiderCtl = try daemon.dutyctl(["status"], as: "daemon")
        #expect(outsiderCtl.status == 69)

        // 2018-09-13 09:00 +08:00 = 1536800400.
        let own = try daemon.curl("POST", "/v1/occurrences/a-daily@1536800400/ack", as: "nobody", body: #"{"note":"done"}"#)
        #expect(own.status == 200, "\(own.body)")
        #expect(own.json?["person"] as? String == "nobody-desk")
        #expect(own.json?["recorded"] as? Bool == true)
        let again = try daemon.curl("POST", "/v1/occurrences/a-daily@1536800400/ack", as: "nobody")
        #expect(again.status == 200)
        #expect(again.json?["recorded"] as? Bool == false)
        let others = try daemon.curl("POST", "/v1/occurrences/b-daily@1536804000/ack", as: "nobody")
        #expect(others.status == 403)
        let forOther = try daemon.curl("POST", "/v1/occurrences/a-daily@1536800400/ack", as: "nobody", body: #"{"person":"daemon-desk"}"#)
        #expect(forOther.status == 403)
        let ctl = try daemon.dutyctl(["ack", "b-daily@1536804000"], as: "nobody")
        #expect(ctl.status == 77)
        let byRoot = try daemon.dutyctl(["ack", "b-daily@1536804000", "--as", "daemon-desk", "--note", "for them"])
        #expect(byRoot.status == 0, "\(byRoot.stderr)")
        let notAnOccurrence = try daemon.curl("POST", "/v1/occurrences/a-daily@1536800401/ack")
        #expect(notAnOccurrence.status == 404)

        let events = try daemon.query("SELECT actor_uid, action, json_extract(details, '$.occurrence') FROM event_log ORDER BY id")
        #expect(events == [
            ["0", "reload", "None"],
            ["65534", "acknowledge", "a-daily@1536800400"],
            ["0", "acknowledge", "b-daily@1536804000"],
        ])
        let acks = try daemon.query("SELECT occurrence_id, who, peer_uid, note FROM acknowledgement ORDER BY id")
        #expect(acks == [["a-daily@1536800400", "nobody-desk", "65534", "done"], ["b-daily@1536804000", "daemon-desk", "0", "for them"]])
    }

    @Test func adminGroupMayReload() throws {
        let daemon = try DaemonHarness(extraArguments: ["--socket-group", "nogroup", "--admin-group", "nogroup"])
        defer { daemon.stop() }
        let reload = try daemon.curl("POST", "/v1/reload", as: "nobody")
        #expect(reload.status == 200, "\(reload.body)")
        #expect(reload.json?["duties"] as? Int == 3)
    }

    /// Socket activation: systemd-socket-activate binds the socket, passes it as fd 3 named `query`, and starts
    /// dutyd at the first connection. (The client here is a raw socket in this process: a curl child of the test
    /// was, in this one setting, never reaped by Foundation's `Process`.)
    @Test func socketActivation() throws {
        let daemon = try DaemonHarness(activate: true)
        defer { daemon.stop() }
        let raw = try HostileClientTests.exchange(daemon.socket, "GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", timeout: 30)
        #expect(raw.hasPrefix("HTTP/1.1 200"), "\(raw.prefix(200)) \(daemon.stderr)")
        let body = raw.components(separatedBy: "\r\n\r\n").dropFirst().joined()
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(json?["socket_activated"] as? Bool == true)
        #expect(json?["socket"] as? String == daemon.socket)
        #expect(json?["duties"] as? Int == 3)
        #expect(!FileManager.default.fileExists(atPath: daemon.directory + "/unused.sock"))
    }

    @Test func dutyctlReportsAMissingDaemonWith69AndListFallsBack() throws {
        let dir = NSTemporaryDirectory() + "dutyd-none-\(UUID().uuidString)"
        try DaemonHarness.writeTestSchedules(to: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ctl = DaemonHarness.productsDirectory + "/dutyctl"
        for command in [["status"], ["upcoming"], ["overdue"], ["reload"], ["show", "a-daily"], ["ack", "a-daily@1"]] {
            let output = try DaemonHarness.run(ctl, command + ["--socket", dir + "/none.sock"])
            #expect(output.status == 69, "\(command)")
            #expect(output.stderr.contains("dutyd is not running"))
        }
        // list: the offline fallback reads the installed directories; with --schedules it reads those directly.
        let list = try DaemonHarness.run(ctl, ["list", "--schedules", dir, "--json"])
        #expect(list.status == 0)
        let duties = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(duties?.compactMap { $0["id"] as? String } == ["minute-tick", "a-daily", "b-daily"])
    }

    @Test func listFromTheDaemonEqualsListFromTheFiles() throws {
        let daemon = try DaemonHarness()
        defer { daemon.stop() }
        let online = try daemon.dutyctl(["list", "--json"])
        let offline = try daemon.dutyctl(["list", "--json", "--schedules", daemon.directory + "/schedules"])
        #expect(online.status == 0)
        #expect(online.stderr.isEmpty)
        #expect(online.stdout == offline.stdout)
    }
}

extension QueryServerLiveTests {
    /// A second daemon on the same socket path neither steals the socket nor stops: it runs without one.
    @Test func secondDaemonDoesNotStealALiveSocket() throws {
        let first = try DaemonHarness()
        defer { first.stop() }
        let second = try DaemonHarness(extraArguments: ["--socket", first.socket], waitForSocket: false)
        defer { second.stop() }
        let deadline = Date().addingTimeInterval(15)
        while !second.stderr.contains("query socket unavailable") && Date() < deadline { usleep(50_000) }
        #expect(second.process.isRunning)
        #expect(second.stderr.contains("another process listens on it"))
        let status = try HostileClientTests.exchange(first.socket, "GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(status.contains("\"schedules\":{\"directories\":[\"\(first.directory)/schedules\"]"))
    }
}

extension QueryServerLiveTests {
    /// Pages of 7 put together are the single page of 1000, and every page reports the same total, with and
    /// without filters (the unfiltered total comes from per-kind counts, the filtered one from a scan).
    @Test(arguments: ["kind=all", "kind=due,warning", "kind=all&role=dongchuan-committee", "kind=warning&duty=dongchuan-biweekly-meeting"])
    func pagingIsConsistent(_ filter: String) throws {
        let daemon = try DaemonHarness(schedules: [DaemonHarness.packageRoot + "/Schedules"], clockStart: "2018-09-13T08:00:00+08:00")
        defer { daemon.stop() }
        let from = "from=2018-09-13T08:00:00%2B08:00&days=30&" + filter
        let whole = try daemon.curl("GET", "/v1/upcoming?\(from)&limit=1000")
        let all = try #require(whole.json?["items"] as? [[String: Any]]).compactMap { "\($0["occurrence_id"]!)/\($0["kind"]!)/\($0["offset"] ?? "")" }
        #expect(whole.json?["total"] as? Int == all.count)
        #expect(!all.isEmpty)
        var paged: [String] = []
        var offset: Int? = 0
        while let current = offset {
            let page = try daemon.curl("GET", "/v1/upcoming?\(from)&limit=7&offset=\(current)")
            #expect(page.json?["total"] as? Int == all.count)
            paged += try #require(page.json?["items"] as? [[String: Any]]).compactMap { "\($0["occurrence_id"]!)/\($0["kind"]!)/\($0["offset"] ?? "")" }
            offset = page.json?["next_offset"] as? Int
        }
        #expect(paged == all)
    }
}
