import DutyCore
import Foundation

extension ScheduleBuilder {
    // MARK: - Templates

    /// Reads the template's roster (cached) or reports why it cannot.
    mutating func roster(doc: ScheduleLoader.Document, reader r: TableReader) -> [[String: String]]? {
        guard let name = r.string("roster", required: true) else { return nil }
        let path = name.hasPrefix("/") ? name : (doc.directory as NSString).appendingPathComponent(name)
        if let cached = rosterCache[path] { return cached }
        guard let data = FileManager.default.contents(atPath: path) else {
            r.sink.error("cannot read roster '\(name)' (looked at \(path))", at: r.stringLocation("roster"))
            return nil
        }
        guard data.count <= limits.maxRosterBytes else {
            r.sink.error("roster '\(name)' is too large (\(data.count) bytes, at most \(limits.maxRosterBytes))", at: r.stringLocation("roster"))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            r.sink.error("roster '\(name)' is not valid UTF-8", at: r.stringLocation("roster"))
            return nil
        }
        do {
            let rows = try CSVTable(text: text, maxRows: limits.maxRosterRows).records
            rosterCache[path] = rows
            return rows
        } catch {
            r.sink.error("\(error)", at: SourceLocation(file: path, line: error.line, column: error.column))
            return nil
        }
    }

    /// Pass 1: persons declared by a template, one per distinct id over the roster.
    mutating func buildTemplatePersons(doc: ScheduleLoader.Document, index: Int, table: [String: Node]) {
        let path = "template[\(index)]"
        guard case .table(let personTable)? = table["person"] else { return }
        let r = TableReader(file: doc.file, path: path, values: table, locator: doc.locator, sink: DiagnosticSink())
        guard let rows = roster(doc: doc, reader: r) else { return }
        var declared = Set<String>()
        for (rowIndex, row) in rows.enumerated() {
            var missing = Set<String>()
            let expanded = Node.table(personTable).substituting(row, missing: &missing)
            let context = " (roster row \(rowIndex + 2))"
            let pr = TableReader(
                file: doc.file, path: path + ".person", values: expanded.tableValues, locator: doc.locator,
                sink: sink, context: context)
            if !missing.isEmpty {
                sink.error("unknown roster column \(missing.sorted().map { "'{\($0)}'" }.joined(separator: ", ")) in template person", at: pr.tableLocation)
                return
            }
            guard case .string(let id)? = expanded.tableValues["id"], !declared.contains(id) else { continue }
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
        guard let rows = roster(doc: doc, reader: r) else { return }
        let errorsBefore = sink.diagnostics.count
        for (rowIndex, row) in rows.enumerated() {
            var missing = Set<String>()
            let expanded = Node.table(dutyTable).substituting(row, missing: &missing)
            let dr = TableReader(
                file: doc.file, path: path + ".duty", values: expanded.tableValues, locator: doc.locator, sink: sink,
                context: " (roster row \(rowIndex + 2))")
            if !missing.isEmpty {
                sink.error("unknown roster column \(missing.sorted().map { "'{\($0)}'" }.joined(separator: ", ")) in template duty", at: dr.tableLocation)
                return
            }
            buildDuty(dr, defaults: defaults)
            // A mistake in the template repeats on every row: stop after a few rows' worth of errors.
            if sink.diagnostics.count - errorsBefore > 20 {
                sink.error("too many errors in template; stopping at roster row \(rowIndex + 2)", at: r.tableLocation)
                return
            }
        }
    }

    // MARK: - Triggers

    mutating func buildTrigger(_ r: TableReader) {
        defer { r.finish(known: Self.triggerKeys) }
        guard let id = readID(r, kind: "trigger") else { return }
        let event = r.string("on", required: true) ?? "ranking"
        if event != "ranking" {
            sink.error("unknown trigger event '\(event)': expected \"ranking\"", at: r.stringLocation("on"))
        }
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
        _ = r.string("local_choice")
        let escalationTitle = r.string("escalation_title") ?? "组织处理：{township}"
        var levels: [TriggerRule.Level] = []
        for (i, t) in (r.tables("level") ?? []).enumerated() {
            let lr = TableReader(file: r.file, path: r.path + ".level[\(i)]", values: t, locator: r.locator, sink: sink)
            defer { lr.finish(known: Self.levelKeys) }
            guard let levelID = lr.string("id", required: true), Self.isValidID(levelID) else { continue }
            let interviewer = lr.strings("interviewer") ?? []
            // "{county.role}", "{county.org_role}", "{county.leader_role}" and "{township.role}" are resolved per
            // township when the trigger fires.
            let placeholders = ["{county.role}", "{county.org_role}", "{county.leader_role}", "{township.role}"]
            for (j, party) in interviewer.enumerated() where party.hasPrefix("{") && !placeholders.contains(party) {
                sink.error(
                    "unknown placeholder '\(party)' in 'interviewer': expected a role id or one of \(placeholders.joined(separator: ", "))",
                    at: lr.stringLocation("interviewer", index: j))
            }
            let fixed = interviewer.enumerated().filter { !$0.element.hasPrefix("{") }
            for (j, party) in fixed { partyReferences.append((party, lr.stringLocation("interviewer", index: j), "interviewer")) }
            levels.append(
                TriggerRule.Level(
                    id: levelID, title: lr.string("title", required: true) ?? levelID, interviewer: interviewer,
                    interviewee: lr.string("interviewee") ?? ""))
        }
        if levels.isEmpty { sink.error("a trigger needs at least one [[trigger.level]]", at: r.tableLocation) }
        triggers.append(
            TriggerRule(
                id: id, clause: r.string("clause"), event: event, bottom: bottom, ties: ties, dueWithin: dueWithin,
                escalateAfter: escalateAfter, escalationTo: escalationTo, escalationTitle: escalationTitle,
                levels: levels, location: r.stringLocation("id")))
    }
}

extension Node {
    var tableValues: [String: Node] {
        if case .table(let t) = self { return t }
        return [:]
    }
}
