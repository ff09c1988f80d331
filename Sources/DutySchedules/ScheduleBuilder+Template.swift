import DutyCore
import Foundation

extension ScheduleBuilder {
    // MARK: - Templates

    /// Reads the template's roster (cached) or reports why it cannot.
    mutating func roster(doc: ScheduleLoader.Document, reader r: TableReader) -> CSVTable? {
        guard let name = r.string("roster", required: true) else { return nil }
        let path = name.hasPrefix("/") ? name : (doc.directory as NSString).appendingPathComponent(name)
        if let cached = rosterCache[path] { return cached }
        func tooLarge(_ size: Int) {
            r.sink.error(
                "roster '\(name)' is too large (\(size) bytes, at most \(limits.maxRosterBytes)): raise the bound with "
                    + "--max-roster-size (dutyd, dutyctl), e.g. --max-roster-size \((size >> 20) + 1)M",
                at: r.stringLocation("roster"))
        }
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
            r.sink.error("cannot read roster '\(name)' (looked at \(path))", at: r.stringLocation("roster"))
            return nil
        }
        guard size <= limits.maxRosterBytes else {
            tooLarge(size)
            return nil
        }
        do {
            let table = try CSVTable.read(path: path, maxRows: limits.maxRosterRows, maxBytes: limits.maxRosterBytes)
            rosterCache[path] = table
            return table
        } catch let error as CSVTable.ParseError {
            r.sink.error("\(error)", at: SourceLocation(file: path, line: error.line, column: error.column))
        } catch CSVTable.ReadError.tooLarge(let size) {
            tooLarge(size)
        } catch {
            r.sink.error("cannot read roster '\(name)' (looked at \(path)): \(error)", at: r.stringLocation("roster"))
        }
        return nil
    }

    /// `[template.<part>]` compiled against the roster's header; nil (reported at the table) when a placeholder
    /// names no column.
    func compile(_ table: [String: Node], part: String, roster: CSVTable, doc: ScheduleLoader.Document, path: String)
        -> TemplateNode?
    {
        var missing = Set<String>()
        let template = TemplateNode(.table(table), columns: roster.columns, missing: &missing)
        guard missing.isEmpty else {
            let reader = TableReader(file: doc.file, path: path + "." + part, values: table, locator: doc.locator, sink: sink)
            sink.error(
                "unknown roster column \(missing.sorted().map { "'{\($0)}'" }.joined(separator: ", ")) in template \(part)",
                at: reader.tableLocation)
            return nil
        }
        return template
    }

    /// Pass 1: persons declared by a template, one per distinct id over the roster.
    mutating func buildTemplatePersons(doc: ScheduleLoader.Document, index: Int, table: [String: Node]) {
        let path = "template[\(index)]"
        guard case .table(let personTable)? = table["person"] else { return }
        let r = TableReader(file: doc.file, path: path, values: table, locator: doc.locator, sink: DiagnosticSink())
        guard let roster = roster(doc: doc, reader: r) else { return }
        guard let template = compile(personTable, part: "person", roster: roster, doc: doc, path: path) else { return }
        // Many rows name one person (a cadre paired with several households): only a new id's row is expanded.
        var idMissing = Set<String>()
        let idTemplate = personTable["id"].map { TemplateNode($0, columns: roster.columns, missing: &idMissing) }
        var declared = Set<String>()
        for rowIndex in 0..<roster.rowCount {
            let row = roster.row(rowIndex)
            if case .string(let id)? = idTemplate?.expand(row), declared.contains(id) { continue }
            let expanded = template.expand(row).tableValues
            let pr = TableReader(
                file: doc.file, path: path + ".person", values: expanded, locator: doc.locator,
                sink: sink, context: " (roster row \(rowIndex + 2))")
            guard case .string(let id)? = expanded["id"], !declared.contains(id) else { continue }
            declared.insert(id)
            buildPerson(pr)
        }
    }

    /// Pass 2: one duty per roster row.
    mutating func buildTemplateDuties(doc: ScheduleLoader.Document, index: Int, table: [String: Node], defaults: Defaults) {
        let path = "template[\(index)]"
        let r = TableReader(file: doc.file, path: path, values: table, locator: doc.locator, sink: sink)
        defer { r.finish(known: Self.templateKeys) }
        _ = readID(r, kind: "template")
        _ = r.raw("person")
        guard let dutyTable = r.table("duty") else {
            sink.error("a template needs a [template.duty] table", at: r.tableLocation)
            _ = r.raw("roster")
            return
        }
        guard let roster = roster(doc: doc, reader: r) else { return }
        // The template's duties gather each person's reminders of one instant into one mail unless it says
        // otherwise (a cadre paired with four households gets one "visit due" mail, not four).
        let digest = readDigest(r) ?? .instant
        guard let template = compile(dutyTable, part: "duty", roster: roster, doc: doc, path: path) else { return }
        // When only the keys that name and address a duty vary by row, every duty of the roster has the
        // template's timing: it is read (and checked) once, and the duties share it.
        var family: DutyFamily = dutyTable.keys.allSatisfy { key in
            Self.perRowDutyKeys.contains(key) || (template.tableEntry(key)?.isFixed ?? true)
        } ? .pending : .none
        let errorsBefore = sink.diagnostics.count
        duties.reserveCapacity(duties.count + roster.rowCount)
        for rowIndex in 0..<roster.rowCount {
            let dr = TableReader(
                file: doc.file, path: path + ".duty", values: template.expand(roster.row(rowIndex)).tableValues,
                locator: doc.locator, sink: sink, context: " (roster row \(rowIndex + 2))")
            let before = duties.count
            buildDuty(dr, defaults: defaults, family: &family)
            if duties.count > before { duties[duties.count - 1].digest = digest }
            // A mistake in the template repeats on every row: stop after a few rows' worth of errors.
            if sink.diagnostics.count - errorsBefore > 20 {
                sink.error("too many errors in template; stopping at roster row \(rowIndex + 2)", at: r.tableLocation)
                return
            }
        }
    }

    /// The `[template.duty]` keys that may vary by roster row while the duties still share their timing (see
    /// `DutyFamily`): what names a duty, says what it is about and addresses it.
    static let perRowDutyKeys: Set<String> = [
        "id", "title", "description", "clause", "responsible", "recipients", "escalate", "local_choice", "labels",
    ]

    // MARK: - Triggers

    /// Keys each trigger kind accepts besides `id`, `clause`, `on` and `local_choice`.
    static let triggerKeysByEvent: [TriggerEvent: [String]] = [
        .ranking: ["bottom", "ties", "due_within", "escalate_after", "escalation_to", "escalation_title", "level"],
        .problem: ["title", "warn", "grace", "escalate", "priority"],
        .bulletin: [],
    ]

    static let partyPlaceholders = ["{county.role}", "{county.org_role}", "{county.leader_role}", "{township.role}"]

    mutating func buildTrigger(_ r: TableReader) {
        guard let id = readID(r, kind: "trigger") else {
            r.finish(known: Self.triggerKeys)
            return
        }
        let clause = r.string("clause")
        _ = r.string("local_choice")
        guard let name = r.string("on", required: true) else {
            r.finish(known: Self.triggerKeys)
            return
        }
        guard let event = TriggerEvent(rawValue: name) else {
            sink.error(
                "unknown trigger event '\(name)': expected \(TriggerEvent.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))",
                at: r.stringLocation("on"))
            r.finish(known: Self.triggerKeys)
            return
        }
        defer { r.finish(known: ["id", "clause", "on", "local_choice"] + Self.triggerKeysByEvent[event, default: []]) }
        if event != .ranking, let earlier = triggers.first(where: { $0.event == event }) {
            sink.error(
                "a second '\(event.rawValue)' trigger: '\(earlier.id)' (\(earlier.location.file):\(earlier.location.line)) is the one",
                at: r.stringLocation("id"))
            return
        }
        switch event {
        case .ranking: buildRankingTrigger(r, id: id, clause: clause)
        case .problem: buildProblemTrigger(r, id: id, clause: clause)
        case .bulletin: triggers.append(TriggerRule(id: id, clause: clause, event: .bulletin, location: r.stringLocation("id")))
        }
    }

    /// A problem trigger: the duty of each open problem in the rectification ledger.
    mutating func buildProblemTrigger(_ r: TableReader, id: String, clause: String?) {
        let title = r.string("title") ?? "{text}"
        let warnings = r.strings("warn").map { parseWarnings($0, reader: r, key: "warn") } ?? []
        var grace: TimeInterval = 86_400
        if let span = readTimeSpan(r, key: "grace") { grace = span.timeInterval }
        var priority = DutyPriority.normal
        if let p = r.string("priority") {
            if let value = DutyPriority(rawValue: p) {
                priority = value
            } else {
                sink.error("invalid priority '\(p)': expected low, normal, high or alert", at: r.stringLocation("priority"))
            }
        }
        let escalation = r.strings("escalate") ?? []
        checkPlaceholders(escalation, reader: r, key: "escalate")
        triggers.append(
            TriggerRule(
                id: id, clause: clause, event: .problem,
                problem: ProblemDutyTemplate(title: title, warnings: warnings, grace: grace, escalation: escalation, priority: priority),
                location: r.stringLocation("id")))
    }

    /// Party lists that may hold per-township placeholders: unknown placeholders are errors, fixed ids are
    /// checked like every other party reference.
    mutating func checkPlaceholders(_ parties: [String], reader r: TableReader, key: String) {
        for (j, party) in parties.enumerated() {
            if party.hasPrefix("{") {
                if !Self.partyPlaceholders.contains(party) {
                    sink.error(
                        "unknown placeholder '\(party)' in '\(key)': expected a role id or one of \(Self.partyPlaceholders.joined(separator: ", "))",
                        at: r.stringLocation(key, index: j))
                }
            } else {
                partyReferences.append((party, r.stringLocation(key, index: j), key))
            }
        }
    }

    mutating func buildRankingTrigger(_ r: TableReader, id: String, clause: String?) {
        let bottom = r.int("bottom") ?? 3
        if bottom < 1 { sink.error("'bottom' must be at least 1", at: r.valueLocation("bottom")) }
        var ties = TriggerRule.Ties.include
        if let t = r.string("ties") {
            if let value = TriggerRule.Ties(rawValue: t) {
                ties = value
            } else {
                sink.error("invalid ties '\(t)': expected include or exclude", at: r.stringLocation("ties"))
            }
        }
        var dueWithin: TimeInterval = 7 * 86_400
        if let span = readTimeSpan(r, key: "due_within") { dueWithin = span.timeInterval }
        let escalateAfter = r.int("escalate_after") ?? 2
        if escalateAfter < 1 { sink.error("'escalate_after' must be at least 1", at: r.valueLocation("escalate_after")) }
        let escalationTo = r.strings("escalation_to") ?? []
        noteParties(escalationTo, reader: r, key: "escalation_to")
        let escalationTitle = r.string("escalation_title") ?? "{township}"
        var levels: [TriggerRule.Level] = []
        for (i, t) in (r.tables("level") ?? []).enumerated() {
            let lr = TableReader(file: r.file, path: r.path + ".level[\(i)]", values: t, locator: r.locator, sink: sink)
            defer { lr.finish(known: Self.levelKeys) }
            guard let levelID = lr.string("id", required: true), Self.isValidID(levelID) else { continue }
            let interviewer = lr.strings("interviewer") ?? []
            // "{county.role}", "{county.org_role}", "{county.leader_role}" and "{township.role}" are resolved per
            // township when the trigger fires.
            checkPlaceholders(interviewer, reader: lr, key: "interviewer")
            levels.append(
                TriggerRule.Level(
                    id: levelID, title: lr.string("title", required: true) ?? levelID, interviewer: interviewer,
                    interviewee: lr.string("interviewee") ?? ""))
        }
        if levels.isEmpty { sink.error("a ranking trigger needs at least one [[trigger.level]]", at: r.tableLocation) }
        triggers.append(
            TriggerRule(
                id: id, clause: clause, event: .ranking, bottom: bottom, ties: ties, dueWithin: dueWithin,
                escalateAfter: escalateAfter, escalationTo: escalationTo, escalationTitle: escalationTitle,
                levels: levels, location: r.stringLocation("id")))
    }
}

extension TemplateNode {
    /// The compiled value of a table's key.
    func tableEntry(_ key: String) -> TemplateNode? {
        switch self {
        case .table(let dict): return dict[key]
        case .fixed(.table(let dict)): return dict[key].map(TemplateNode.fixed)
        default: return nil
        }
    }
}

extension Node {
    var tableValues: [String: Node] {
        if case .table(let t) = self { return t }
        return [:]
    }
}
