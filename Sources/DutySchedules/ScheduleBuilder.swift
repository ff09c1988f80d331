import DutyCore
import Foundation

/// Turns parsed documents into validated core values, reporting every problem to the sink.
struct ScheduleBuilder {
    static let rootKeys = ["defaults", "person", "role", "county", "township", "duty", "template", "trigger", "workdays"]
    static let defaultsKeys = ["timezone", "workdays", "holiday", "warn", "priority"]
    static let personKeys = ["id", "name", "account", "mail", "digest"]
    static let roleKeys = ["id", "name", "members"]
    static let countyKeys = ["id", "name", "role", "org_role", "leader_role"]
    static let townshipKeys = ["id", "name", "county", "existing_units", "added_units", "role"]
    static let dutyKeys = [
        "id", "title", "description", "clause", "responsible", "recipients", "calendar", "rrule", "start", "until",
        "count", "exdates", "rdates", "due", "nth_workday", "time", "timezone", "workdays", "holiday", "warn", "ack",
        "grace", "escalate", "priority", "local_choice", "labels",
    ]
    static let templateKeys = ["id", "roster", "person", "duty", "digest"]
    static let triggerKeys = [
        "id", "clause", "local_choice", "on", "bottom", "ties", "due_within", "escalate_after", "escalation_to",
        "escalation_title", "level", "title", "warn", "grace", "escalate", "priority",
    ]
    static let levelKeys = ["id", "title", "interviewer", "interviewee"]
    static let workdaysKeys = ["id", "name", "weekend", "source", "holidays", "makeup_workdays"]

    let sink: DiagnosticSink
    let limits: ScheduleLoader.Limits
    /// The zone of duties that neither they nor their file's `[defaults]` give one: the plan's zone (see
    /// `planTimeZone(_:)`), else the host's.
    var defaultTimeZone: TimeZone

    var persons: [Person] = []
    var roles: [Role] = []
    var counties: [County] = []
    var townships: [Township] = []
    var duties: [Duty] = []
    var triggers: [TriggerRule] = []
    var calendars: [String: WorkdayCalendar] = [:]
    var calendarOrder: [String] = []
    var seen: [String: [String: SourceLocation]] = [:]  // kind -> id -> first location
    var partyReferences: [(id: String, location: SourceLocation, what: String)] = []
    var zoneCache: [String: TimeZone] = [:]
    var specCache: [String: CalendarSpec] = [:]
    var rosterCache: [String: CSVTable] = [:]
    /// Values many duties have in common, kept once (see `shared(_:)`).
    var labelPool: Set<[String: String]> = []
    var partyListPool: Set<[String]> = []

    init(sink: DiagnosticSink, limits: ScheduleLoader.Limits, hostTimeZone: TimeZone = .current) {
        self.sink = sink
        self.limits = limits
        self.defaultTimeZone = hostTimeZone
        zoneCache[hostTimeZone.identifier] = hostTimeZone
    }

    func result() -> ScheduleSet? {
        ScheduleSet(
            persons: persons, roles: roles, counties: counties, townships: townships, duties: duties,
            triggers: triggers, calendars: calendarOrder.compactMap { calendars[$0] }, timeZone: defaultTimeZone)
    }

    /// The plan's zone: the `[defaults] timezone` of the first file in load order that sets a known one. Files that
    /// set another zone keep it for their own duties; an unknown name is reported where the file's defaults are read.
    func planTimeZone(_ documents: [ScheduleLoader.Document]) -> TimeZone? {
        for doc in documents {
            guard case .table(let defaults)? = doc.root["defaults"], case .string(let name)? = defaults["timezone"] else {
                continue
            }
            if let zone = zoneCache[name] ?? TimeZone(identifier: name) { return zone }
        }
        return nil
    }

    // MARK: - Passes

    mutating func build(_ documents: [ScheduleLoader.Document]) {
        // Pass 1: everything duties refer to.
        for doc in documents {
            let root = TableReader(file: doc.file, path: "", values: doc.root, locator: doc.locator, sink: sink)
            for (i, t) in (root.tables("workdays") ?? []).enumerated() {
                buildCalendar(TableReader(file: doc.file, path: "workdays[\(i)]", values: t, locator: doc.locator, sink: sink))
            }
            for (i, t) in (root.tables("person") ?? []).enumerated() {
                buildPerson(TableReader(file: doc.file, path: "person[\(i)]", values: t, locator: doc.locator, sink: sink))
            }
            for (i, t) in (root.tables("role") ?? []).enumerated() {
                buildRole(TableReader(file: doc.file, path: "role[\(i)]", values: t, locator: doc.locator, sink: sink))
            }
            for (i, t) in (root.tables("county") ?? []).enumerated() {
                buildCounty(TableReader(file: doc.file, path: "county[\(i)]", values: t, locator: doc.locator, sink: sink))
            }
            for (i, t) in (root.tables("township") ?? []).enumerated() {
                buildTownship(
                    TableReader(file: doc.file, path: "township[\(i)]", values: t, locator: doc.locator, sink: sink))
            }
            for (i, t) in (root.tables("template") ?? []).enumerated() {
                buildTemplatePersons(doc: doc, index: i, table: t)
            }
        }
        for (county, location) in pendingCountyChecks where !counties.contains(where: { $0.id == county }) {
            sink.error("unknown county '\(county)'", at: location)
        }
        // Pass 2: duties and triggers, now that calendars and parties are known.
        if let zone = planTimeZone(documents) { defaultTimeZone = zone }
        for doc in documents {
            let root = TableReader(file: doc.file, path: "", values: doc.root, locator: doc.locator, sink: sink)
            let defaults = readDefaults(doc: doc, root: root)
            for (i, t) in (root.tables("duty") ?? []).enumerated() {
                let reader = TableReader(file: doc.file, path: "duty[\(i)]", values: t, locator: doc.locator, sink: sink)
                buildDuty(reader, defaults: defaults)
            }
            for (i, t) in (root.tables("template") ?? []).enumerated() {
                buildTemplateDuties(doc: doc, index: i, table: t, defaults: defaults)
            }
            for (i, t) in (root.tables("trigger") ?? []).enumerated() {
                buildTrigger(TableReader(file: doc.file, path: "trigger[\(i)]", values: t, locator: doc.locator, sink: sink))
            }
            // Reading the remaining root keys marks them used; then unknown top-level tables are reported.
            for key in ["defaults", "person", "role", "county", "township", "duty", "template", "trigger", "workdays"] {
                _ = root.raw(key)
            }
            root.finish(known: Self.rootKeys)
        }
        checkReferences()
    }

    // MARK: - Identifiers

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, id.utf8.count <= 128 else { return false }
        func ok(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
        }
        return ok(first) && id.unicodeScalars.allSatisfy { ok($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func isValidAccount(_ account: String) -> Bool {
        let scalars = Array(account.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 32 else { return false }
        guard (first >= "a" && first <= "z") || first == "_" else { return false }
        return scalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-" }
    }

    /// Reads the `id` key, checks its syntax and uniqueness within `kind`; nil when unusable.
    mutating func readID(_ reader: TableReader, kind: String) -> String? {
        guard let id = reader.string("id", required: true) else { return nil }
        guard Self.isValidID(id) else {
            sink.error(
                "invalid \(kind) id '\(id)': expected letters, digits, '.', '_' or '-', starting with a letter or digit\(reader.context)",
                at: reader.stringLocation("id"))
            return nil
        }
        let location = reader.stringLocation("id")
        if let first = seen[kind]?[id] {
            sink.error("duplicate \(kind) id '\(id)' (first declared at \(first))\(reader.context)", at: location)
            return nil
        }
        seen[kind, default: [:]][id] = location
        return id
    }

    mutating func zone(_ identifier: String, reader: TableReader, key: String) -> TimeZone? {
        if let cached = zoneCache[identifier] { return cached }
        guard let zone = TimeZone(identifier: identifier) else {
            sink.error("unknown time zone '\(identifier)': expected an IANA name like Europe/Berlin", at: reader.stringLocation(key))
            return nil
        }
        zoneCache[identifier] = zone
        return zone
    }

    mutating func noteParties(_ ids: [String], reader: TableReader, key: String) {
        for (i, id) in ids.enumerated() {
            partyReferences.append((id, reader.stringLocation(key, index: i), key))
        }
    }

    func checkReferences() {
        let parties = Set(persons.map(\.id)).union(roles.map(\.id))
        for ref in partyReferences where !parties.contains(ref.id) {
            var message = "unknown role or person '\(ref.id)' in '\(ref.what)'"
            if let suggestion = TableReader.closest(to: ref.id, in: Array(parties)) {
                message += "; did you mean '\(suggestion)'?"
            }
            sink.error(message, at: ref.location)
        }
    }

    // MARK: - Calendars, people, places

    mutating func buildCalendar(_ r: TableReader) {
        defer { r.finish(known: Self.workdaysKeys) }
        guard let id = readID(r, kind: "workday calendar") else { return }
        let name = r.string("name") ?? id
        var weekend: Set<Weekday> = [.saturday, .sunday]
        if let names = r.strings("weekend") {
            weekend = []
            for (i, n) in names.enumerated() {
                guard let day = Weekday.allCases.first(where: { $0.shortName.lowercased() == n.lowercased().prefix(3) })
                else {
                    sink.error("unknown weekday '\(n)': expected Mon, Tue, Wed, Thu, Fri, Sat or Sun", at: r.stringLocation("weekend", index: i))
                    continue
                }
                weekend.insert(day)
            }
        }
        let source = r.string("source")
        let holidays = r.dates("holidays") ?? []
        let makeup = r.dates("makeup_workdays") ?? []
        do {
            let calendar = try WorkdayCalendar(
                id: id, name: name, weekend: weekend, holidays: Set(holidays), makeupWorkdays: Set(makeup),
                source: source)
            calendars[id] = calendar
            calendarOrder.append(id)
        } catch {
            sink.error("invalid workday calendar: \(error)", at: r.tableLocation)
        }
    }

    mutating func buildPerson(_ r: TableReader, templateContext: Bool = false) {
        defer { r.finish(known: Self.personKeys) }
        guard let id = readID(r, kind: "person") else { return }
        if let person = readPerson(r, id: id) { persons.append(person) }
    }

    func readPerson(_ r: TableReader, id: String) -> Person? {
        let name = r.string("name") ?? id
        let account = r.string("account")
        if let account, !Self.isValidAccount(account) {
            sink.error(
                "invalid account '\(account)': expected a local user name ([a-z_][a-z0-9_-]*, at most 32 characters)\(r.context)",
                at: r.stringLocation("account"))
            return nil
        }
        // `mail`: one channel or a list of them ("mbox", "maildir:/path", "sendmail:address"), or "none" for
        // the journal only. Default: the account's mbox.
        let mail = r.strings("mail") ?? ["mbox"]
        var channels: [Recipient.Channel] = []
        if mail == ["none"] {
            return Person(id: id, name: name, account: account, channels: [], location: r.stringLocation("id"))
        }
        if mail.isEmpty {
            sink.error("'mail' lists no channel: write \"none\" for the journal only\(r.context)", at: r.valueLocation("mail"))
            return nil
        }
        for (index, entry) in mail.enumerated() {
            let channel: Recipient.Channel
            if entry == "mbox" {
                guard let account else {
                    sink.error("'mail = \"mbox\"' needs an 'account'\(r.context)", at: r.tableLocation)
                    return nil
                }
                channel = .mbox(account: account)
            } else if entry.hasPrefix("maildir:") {
                let path = String(entry.dropFirst("maildir:".count))
                guard path.hasPrefix("/"), !path.contains("\0") else {
                    sink.error("maildir path must be absolute\(r.context)", at: r.stringLocation("mail", index: index, column: 9))
                    return nil
                }
                channel = .maildir(path: path)
            } else if entry.hasPrefix("sendmail:") {
                let address = String(entry.dropFirst("sendmail:".count))
                guard Self.isValidAddress(address) else {
                    sink.error(
                        "invalid sendmail address '\(address)': expected user or user@host without spaces or control characters\(r.context)",
                        at: r.stringLocation("mail", index: index, column: 10))
                    return nil
                }
                channel = .sendmail(address: address)
            } else {
                let hint = entry == "none" ? ": \"none\" stands alone (the journal only)" : ""
                sink.error(
                    "invalid mail '\(entry)': expected \"mbox\", \"maildir:/path\", \"sendmail:address\" or \"none\"\(hint)\(r.context)",
                    at: r.stringLocation("mail", index: index))
                return nil
            }
            if channels.contains(channel) {
                sink.error("'mail' lists '\(entry)' twice\(r.context)", at: r.stringLocation("mail", index: index))
                return nil
            }
            channels.append(channel)
        }
        return Person(
            id: id, name: name, account: account, channels: channels, location: r.stringLocation("id"),
            digest: readDigest(r))
    }

    /// `digest = "instant" | "daily HH:MM" | "off"` of a person or a template; nil when absent or invalid (reported).
    func readDigest(_ r: TableReader) -> DigestPolicy? {
        guard let text = r.string("digest") else { return nil }
        guard let digest = DigestPolicy(text) else {
            sink.error(
                "invalid digest '\(text)': expected \"instant\", \"daily HH:MM\" (e.g. \"daily 08:00\") or \"off\"\(r.context)",
                at: r.stringLocation("digest"))
            return nil
        }
        return digest
    }

    static func isValidAddress(_ address: String) -> Bool {
        guard !address.isEmpty, address.utf8.count <= 254, !address.hasPrefix("-") else { return false }
        return address.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    mutating func buildRole(_ r: TableReader) {
        defer { r.finish(known: Self.roleKeys) }
        guard let id = readID(r, kind: "role") else { return }
        let members = r.strings("members") ?? []
        noteParties(members, reader: r, key: "members")
        roles.append(Role(id: id, name: r.string("name") ?? id, members: members, location: r.stringLocation("id")))
    }

    mutating func buildCounty(_ r: TableReader) {
        defer { r.finish(known: Self.countyKeys) }
        guard let id = readID(r, kind: "county") else { return }
        let role = r.string("role")
        if let role { noteParties([role], reader: r, key: "role") }
        let orgRole = r.string("org_role")
        if let orgRole { noteParties([orgRole], reader: r, key: "org_role") }
        let leaderRole = r.string("leader_role")
        if let leaderRole { noteParties([leaderRole], reader: r, key: "leader_role") }
        counties.append(County(id: id, name: r.string("name") ?? id, role: role, orgRole: orgRole, leaderRole: leaderRole))
    }

    mutating func buildTownship(_ r: TableReader) {
        defer { r.finish(known: Self.townshipKeys) }
        guard let id = readID(r, kind: "township") else { return }
        let county = r.string("county", required: true) ?? ""
        let role = r.string("role")
        if let role { noteParties([role], reader: r, key: "role") }
        townships.append(
            Township(
                id: id, name: r.string("name") ?? id, county: county, existingUnits: r.strings("existing_units") ?? [],
                addedUnits: r.strings("added_units") ?? [], role: role))
        let countyLocation = r.stringLocation("county")
        // Counties may be declared in any file: checked once all are read.
        pendingCountyChecks.append((county, countyLocation))
    }

    var pendingCountyChecks: [(String, SourceLocation)] = []

    // MARK: - Defaults

    struct Defaults {
        /// The zone's name; nil: the plan's zone (`defaultTimeZone`).
        var timeZone: String?
        var workdays: String?
        var holiday: HolidayPolicy = .keep
        var warn: [String] = []
        var warnReader: TableReader?
        var priority: DutyPriority = .normal
    }

    mutating func readDefaults(doc: ScheduleLoader.Document, root: TableReader) -> Defaults {
        var d = Defaults()
        guard case .table(let t)? = doc.root["defaults"] else { return d }
        let r = TableReader(file: doc.file, path: "defaults", values: t, locator: doc.locator, sink: sink)
        defer { r.finish(known: Self.defaultsKeys) }
        if let tz = r.string("timezone"), zone(tz, reader: r, key: "timezone") != nil { d.timeZone = tz }
        if let w = r.string("workdays") {
            if calendars[w] == nil {
                sink.error("unknown workday calendar '\(w)'", at: r.stringLocation("workdays"))
            } else {
                d.workdays = w
            }
        }
        if let h = r.string("holiday") {
            if let policy = HolidayPolicy(rawValue: h) {
                d.holiday = policy
            } else {
                sink.error("invalid holiday policy '\(h)': expected keep, skip, previous or next", at: r.stringLocation("holiday"))
            }
        }
        if let w = r.strings("warn") {
            d.warn = w
            d.warnReader = r
        }
        if let p = r.string("priority") {
            if let priority = DutyPriority(rawValue: p) {
                d.priority = priority
            } else {
                sink.error("invalid priority '\(p)': expected low, normal, high or alert", at: r.stringLocation("priority"))
            }
        }
        return d
    }
}
