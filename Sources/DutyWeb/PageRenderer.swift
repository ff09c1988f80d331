import DutyAPI
import DutyCore
import Foundation
import Mustache

/// Renders the pages of the command office from `DutyAPI` values: Mustache templates embedded in the binary as
/// resources (`Templates/`), view models built here with every text already chosen and formatted, so templates
/// only place values. `{{...}}` escapes everything that comes from schedule files or the ledger; the only
/// unescaped values (`{{{...}}}`) are the stylesheet and the SVG charts that this module builds with `HTML.escape`.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let css: String

    public struct TemplateError: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "template \(name) does not parse" }
    }

    public init() throws {
        var library = MustacheLibrary()
        let templates: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("overview", PackageResources.overview_mustache),
            ("calendar", PackageResources.calendar_mustache), ("visits", PackageResources.visits_mustache),
            ("interviews", PackageResources.interviews_mustache), ("problems", PackageResources.problems_mustache),
            ("duty", PackageResources.duty_mustache), ("occurrence", PackageResources.occurrence_mustache),
            ("bulletin", PackageResources.bulletin_mustache), ("error", PackageResources.error_mustache),
            ("daytable", PackageResources.daytable_mustache),
        ]
        for (name, bytes) in templates {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                throw TemplateError(name: name)
            }
        }
        self.library = library
        css = String(decoding: PackageResources.style_css, as: UTF8.self)
    }

    /// Where a page is and how it was asked for: the language and whether links must carry `lang=`.
    public struct Request: Sendable {
        public var language: Language
        /// True when the language came from `?lang=`: links keep it.
        public var explicitLanguage: Bool
        /// The path of the page (for the language switch).
        public var path: String
        /// The query of the page without `lang` (for the language switch).
        public var query: [(String, String)]

        public init(language: Language, explicitLanguage: Bool, path: String, query: [(String, String)] = []) {
            self.language = language
            self.explicitLanguage = explicitLanguage
            self.path = path
            self.query = query
        }
    }

    struct NavItem {
        var href: String
        var label: String
        var current: Bool
    }

    /// The context every template sees: the chrome of the layout plus `page`.
    struct Context {
        var t: Strings
        var lang: String
        var title: String
        var css: String
        var nav: [NavItem]
        var now: String?
        var timeZone: String
        var switchHref: String
        var switchLang: String
        /// `?lang=en` / `&lang=en` when links must carry the language, else empty.
        var q: String
        var qa: String
        var printable: Bool
        var page: Any
    }

    func render(_ template: String, title: String, active: String?, info: PlanInfo?, request: Request, printable: Bool = false, page: Any)
        -> String
    {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let qa = request.explicitLanguage ? "&lang=\(request.language.rawValue)" : ""
        let items: [(String, String, String)] = [
            ("overview", "/", t.overview), ("calendar", "/calendar", t.calendar), ("visits", "/visits", t.visits),
            ("interviews", "/interviews", t.interviews), ("problems", "/problems", t.problems),
            ("bulletins", "/bulletins", t.bulletins),
        ]
        let other: Language = request.language == .zh ? .en : .zh
        let switchQuery = (request.query + [("lang", other.rawValue)]).map { "\(HTML.component($0.0))=\(HTML.component($0.1))" }
        let context = Context(
            t: t, lang: request.language.htmlTag, title: title, css: css,
            nav: items.map { NavItem(href: $0.1 + q, label: $0.2, current: $0.0 == active) },
            now: info.map { Format.minute($0.now) }, timeZone: info?.timeZone ?? "",
            switchHref: request.path + "?" + switchQuery.joined(separator: "&"), switchLang: other.htmlTag, q: q, qa: qa,
            printable: printable, page: page)
        return library.render(context, withTemplate: template) ?? ""
    }

    static func name(_ id: String, _ info: PlanInfo?) -> String { info?.names[id] ?? id }

    // MARK: - Overview

    struct EntryView {
        var href: String
        var title: String
        var clause: String?
        var date: String
        var time: String
        var status: String
        var statusClass: String
        var responsible: String
    }

    struct GroupView {
        var label: String
        var due: Int
        var acknowledged: Int
        var overdue: Int
        var late: Bool
        var href: String
    }

    struct DayView {
        var date: String
        var isToday: Bool
        var entries: [EntryView]
        var groups: [GroupView]
        var hasEntries: Bool
        var isEmpty: Bool

        init(date: String, isToday: Bool, entries: [EntryView], groups: [GroupView]) {
            self.date = date
            self.isToday = isToday
            self.entries = entries
            self.groups = groups
            hasEntries = !entries.isEmpty
            isEmpty = entries.isEmpty && groups.isEmpty
        }
    }

    static func entryView(_ e: AgendaEntry, _ t: Strings, q: String, date: String) -> EntryView {
        let (status, cls): (String, String)
        if e.overdue {
            (status, cls) = (t.overdueShort, "late")
        } else if e.acknowledged == true {
            (status, cls) = (t.acknowledged, "ok")
        } else if e.needsAcknowledgement {
            (status, cls) = (t.notAcknowledged, "open")
        } else {
            (status, cls) = (t.noAckNeeded, "info")
        }
        return EntryView(
            href: "/occurrences/\(HTML.component(e.occurrenceId))\(q)", title: e.title, clause: e.clause, date: date,
            time: e.time, status: status, statusClass: cls, responsible: e.responsible.joined(separator: "、"))
    }

    static func groupView(_ g: AgendaGroup, _ t: Strings, q: String, month: String) -> GroupView {
        GroupView(
            label: g.report == "visits" ? t.visits : g.report, due: g.counts.due, acknowledged: g.counts.acknowledged,
            overdue: g.counts.overdue, late: g.counts.overdue > 0,
            href: "/visits?month=\(month)" + (q.isEmpty ? "" : "&" + q.dropFirst()))
    }

    struct OverdueView {
        var href: String
        var title: String
        var occurrence: String
        var overdueSince: String
        var step: Int
        var escalatedTo: String
        var responsible: String
    }

    struct ChangeView {
        var at: String
        var action: String
        var who: String
        var details: String
        var href: String?
    }

    struct InterviewView {
        var period: String
        var township: String
        var level: String
        var kind: String
        var isEscalation: Bool
        var count: Int
        var position: Int
        var due: String
        var href: String
    }

    struct OverviewPage {
        var today: DayView
        var days: [DayView]
        var hasDays: Bool
        var overdue: [OverdueView]
        var overdueTotal: Int
        var overdueGroups: [GroupView]
        var changes: [ChangeView]
        var interviews: [InterviewView]
        var visits: VisitSummary?
        var hasOverdue: Bool
        var hasChanges: Bool
        var hasInterviews: Bool
    }

    struct VisitSummary {
        var month: String
        var href: String
        var due: Int
        var acknowledged: Int
        var overdue: Int
        var completion: String
    }

    static func changeView(_ c: AuditItem, _ t: Strings, _ info: PlanInfo?, q: String) -> ChangeView {
        let names: [String: (String, String)] = [
            "acknowledge": ("销号", "acknowledged"), "reload": ("重新加载计划", "reload"),
            "ranking.submit": ("提交排名", "ranking submitted"), "problem.add": ("登记问题", "problem recorded"),
            "problem.close": ("问题销号", "problem closed"), "bulletin.deliver": ("发送通报", "bulletin sent"),
        ]
        let label = names[c.action].map { t.overview == "总览" ? $0.0 : $0.1 } ?? c.action
        let details = c.details.sorted { $0.key < $1.key }.map { key, value in
            key == "person" ? "\(key): \(name(value, info))" : "\(key): \(value)"
        }
        let href = c.details["occurrence"].map { "/occurrences/\(HTML.component($0))\(q)" }
        return ChangeView(
            at: Format.minute(c.at), action: label, who: c.actorUid.map { "uid \($0)" } ?? "—",
            details: details.joined(separator: "; "), href: href)
    }

    static func interviewView(_ i: InterviewItem, _ t: Strings, q: String, levels: [String: String] = [:]) -> InterviewView {
        InterviewView(
            period: i.period, township: i.townshipName, level: i.level.map { levels[$0] ?? $0 } ?? "—",
            kind: i.kind == "escalation" ? t.escalationKind : t.interview, isEscalation: i.kind == "escalation",
            count: i.count, position: i.position, due: Format.minute(i.due),
            href: "/duties/\(HTML.component(i.duty))\(q)")
    }

    public func overview(
        info: PlanInfo, agenda: Agenda, overdue: OverdueReport, changes: AuditList, interviews: InterviewReport?,
        visits: VisitReport?, request: Request
    ) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let days = agenda.days.map { day in
            DayView(
                date: day.date, isToday: day.date == agenda.today,
                entries: day.entries.map { Self.entryView($0, t, q: q, date: day.date) },
                groups: day.groups.map { Self.groupView($0, t, q: q, month: String(day.date.prefix(7))) })
        }
        let today = days.first { $0.isToday } ?? DayView(date: agenda.today, isToday: true, entries: [], groups: [])
        let later = days.filter { !$0.isToday && (!$0.entries.isEmpty || !$0.groups.isEmpty) }
        let page = OverviewPage(
            today: today, days: later, hasDays: !later.isEmpty,
            overdue: overdue.items.map {
                OverdueView(
                    href: "/occurrences/\(HTML.component($0.occurrenceId))\(q)", title: $0.title, occurrence: Format.minute($0.occurrence),
                    overdueSince: Format.minute($0.overdueSince), step: $0.step,
                    escalatedTo: $0.escalatedTo.isEmpty ? t.notEscalated : $0.escalatedTo.joined(separator: " → "),
                    responsible: $0.responsible.joined(separator: "、"))
            },
            overdueTotal: overdue.total,
            overdueGroups: overdue.groups.filter { $0.counts.overdue > 0 }.map {
                Self.groupView($0, t, q: q, month: info.month)
            },
            changes: changes.items.map { Self.changeView($0, t, info, q: q) },
            interviews: (interviews?.decisions ?? []).suffix(8).reversed().map { Self.interviewView($0, t, q: q, levels: info.levels) },
            visits: visits.map {
                VisitSummary(
                    month: $0.month, href: "/visits?month=\($0.month)" + (q.isEmpty ? "" : "&" + q.dropFirst()), due: $0.total.due,
                    acknowledged: $0.total.acknowledged, overdue: $0.total.overdue, completion: Format.percent($0.total.completion))
            }, hasOverdue: !overdue.items.isEmpty, hasChanges: !changes.items.isEmpty,
            hasInterviews: !(interviews?.decisions ?? []).isEmpty)
        return render("overview", title: t.overview, active: "overview", info: info, request: request, page: page)
    }

    // MARK: - Calendar

    struct CellView {
        var day: Int
        var date: String
        var inMonth: Bool
        var isToday: Bool
        var workday: Bool
        var mark: String?
        var markClass: String
        var entries: [EntryView]
        var groups: [GroupView]
        var hasLate: Bool
    }

    struct WeekView {
        var cells: [CellView]
    }

    struct CalendarPage {
        var month: String
        var previous: String
        var next: String
        var weekdays: [String]
        var weeks: [WeekView]
    }

    /// `agenda` covers the whole weeks around `month` (Monday first).
    public func calendar(info: PlanInfo, month: String, agenda: Agenda, request: Request) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let qa = request.explicitLanguage ? "&lang=\(request.language.rawValue)" : ""
        var cells: [CellView] = []
        for day in agenda.days {
            let inMonth = day.date.hasPrefix(month)
            let weekend = day.weekday >= 6
            let workday = day.workday ?? !weekend
            var mark: String?
            var markClass = ""
            if weekend && workday {
                mark = t.makeupDay
                markClass = "makeup"
            } else if !weekend && !workday {
                mark = t.holiday
                markClass = "holiday"
            }
            let entries = day.entries.map { Self.entryView($0, t, q: q, date: day.date) }
            cells.append(
                CellView(
                    day: Int(day.date.suffix(2)) ?? 0, date: day.date, inMonth: inMonth, isToday: day.date == agenda.today,
                    workday: workday, mark: mark, markClass: markClass, entries: entries,
                    groups: day.groups.map { Self.groupView($0, t, q: q, month: month) },
                    hasLate: day.entries.contains { $0.overdue } || day.groups.contains { $0.counts.overdue > 0 }))
        }
        var weeks: [WeekView] = []
        var index = 0
        while index < cells.count {
            weeks.append(WeekView(cells: Array(cells[index..<min(index + 7, cells.count)])))
            index += 7
        }
        let page = CalendarPage(
            month: month, previous: "/calendar?month=\(Format.month(month, adding: -1))\(qa)",
            next: "/calendar?month=\(Format.month(month, adding: 1))\(qa)",
            weekdays: t.weekdays.split(separator: ",").map(String.init), weeks: weeks)
        return render("calendar", title: "\(t.calendar) \(month)", active: "calendar", info: info, request: request, page: page)
    }

    // MARK: - Visits

    struct VisitRow {
        var id: String
        var name: String
        var due: Int
        var acknowledged: Int
        var overdue: Int
        var pending: Int
        var late: Bool
        var completion: String
        var meter: String
        var href: String?
    }

    struct CadreRow {
        var name: String
        var unit: String
        var township: String
        var due: Int
        var acknowledged: Int
        var overdue: Int
        var occurrences: [Link]
    }

    struct Link {
        var href: String
        var label: String
    }

    struct TownshipOption {
        var id: String
        var name: String
        var selected: Bool
    }

    struct VisitsPage {
        var month: String
        var previous: String
        var next: String
        var chart: String
        var townships: [VisitRow]
        var units: [VisitRow]
        var total: VisitRow
        var cadres: [CadreRow]
        var hasCadres: Bool
        var options: [TownshipOption]
        var township: String?
        var townshipName: String?
        var csv: String
        var csvCadres: String
        var langParam: String?
    }

    static func row(_ g: VisitReport.Group, href: String?) -> VisitRow {
        VisitRow(
            id: g.id, name: g.name, due: g.counts.due, acknowledged: g.counts.acknowledged, overdue: g.counts.overdue,
            pending: g.counts.pending, late: g.counts.overdue > 0, completion: Format.percent(g.counts.completion), meter: Charts.meter(g.counts), href: href)
    }

    public func visits(info: PlanInfo, report: VisitReport, request: Request) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let qa = request.explicitLanguage ? "&lang=\(request.language.rawValue)" : ""
        let month = report.month
        // Without a township, the 50 cadres with most overdue visits; with one, every cadre of it with any.
        var late = report.cadres.filter { $0.counts.overdue > 0 }
        if report.township == nil {
            late = Array(late.sorted { ($0.counts.overdue, $1.name) > ($1.counts.overdue, $0.name) }.prefix(50))
        }
        let cadres = late.map { c in
            CadreRow(
                name: c.name, unit: c.unit, township: c.townshipName, due: c.counts.due, acknowledged: c.counts.acknowledged,
                overdue: c.counts.overdue,
                occurrences: c.overdueOccurrences.prefix(10).map {
                    Link(href: "/occurrences/\(HTML.component($0))\(q)", label: String($0.split(separator: "@").first ?? ""))
                })
        }
        let townshipName = report.township.flatMap { id in info.townships.first { $0.id == id }?.name }
        let page = VisitsPage(
            month: month, previous: "/visits?month=\(Format.month(month, adding: -1))\(qa)",
            next: "/visits?month=\(Format.month(month, adding: 1))\(qa)",
            chart: Charts.visitBars(report.townships, title: "\(t.chartTitle) \(month)"),
            townships: report.townships.map {
                Self.row($0, href: "/visits?month=\(month)&township=\(HTML.component($0.id))\(qa)#cadres")
            },
            units: report.units.map { Self.row($0, href: nil) },
            total: Self.row(.init(id: "", name: t.total, counts: report.total), href: nil),
            cadres: cadres, hasCadres: !cadres.isEmpty,
            options: info.townships.map { TownshipOption(id: $0.id, name: $0.name, selected: $0.id == report.township) },
            township: report.township, townshipName: townshipName,
            csv: "/v1/reports/visits?month=\(month)&format=csv",
            csvCadres: "/v1/reports/visits?month=\(month)&format=csv&group=cadre"
                + (report.township.map { "&township=\(HTML.component($0))" } ?? ""),
            langParam: request.explicitLanguage ? request.language.rawValue : nil)
        return render("visits", title: "\(t.visits) \(month)", active: "visits", info: info, request: request, page: page)
    }

    // MARK: - Interviews

    struct RankingView {
        var period: String
        var submittedAt: String
        var entries: [RankingEntryView]
    }

    struct RankingEntryView {
        var position: Int
        var township: String
        var score: String
        var bottom: Bool
    }

    struct CountRow {
        var township: String
        var levels: [LevelCount]
        var interviews: Int
        var escalations: Int
        var escalated: Bool
    }

    struct LevelCount {
        var count: Int
    }

    struct InterviewsPage {
        var rankings: [RankingView]
        var hasRankings: Bool
        var levels: [String]
        var levelNames: [String]
        var counts: [CountRow]
        var decisions: [InterviewView]
        var hasDecisions: Bool
    }

    public func interviews(info: PlanInfo, report: InterviewReport, rankings: RankingList, request: Request) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let bottomTownships = Set(report.decisions.map { "\($0.period)\u{0}\($0.township)" })
        let levels = Array(Set(report.decisions.compactMap(\.level))).sorted()
        let counts = info.townships.compactMap { township -> CountRow? in
            let decisions = report.decisions.filter { $0.township == township.id }
            guard !decisions.isEmpty else { return nil }
            return CountRow(
                township: township.name,
                levels: levels.map { level in LevelCount(count: report.counts[township.id]?[level] ?? 0) },
                interviews: decisions.filter { $0.kind == "interview" }.count,
                escalations: decisions.filter { $0.kind == "escalation" }.count,
                escalated: decisions.contains { $0.kind == "escalation" })
        }
        let page = InterviewsPage(
            rankings: rankings.rankings.reversed().map { period in
                RankingView(
                    period: period.period, submittedAt: Format.minute(period.submittedAt),
                    entries: period.entries.map {
                        RankingEntryView(
                            position: $0.position, township: $0.townshipName,
                            score: $0.score.map { String(format: "%.1f", $0) } ?? "—",
                            bottom: bottomTownships.contains("\(period.period)\u{0}\($0.township)"))
                    })
            },
            hasRankings: !rankings.rankings.isEmpty, levels: levels, levelNames: levels.map { info.levels[$0] ?? $0 }, counts: counts,
            decisions: report.decisions.reversed().map { Self.interviewView($0, t, q: q, levels: info.levels) },
            hasDecisions: !report.decisions.isEmpty)
        return render("interviews", title: t.interviews, active: "interviews", info: info, request: request, page: page)
    }

    // MARK: - Problems

    struct ProblemView {
        var id: Int64
        var township: String
        var text: String
        var deadline: String
        var late: Bool
        var responsible: String
        var createdAt: String
        var closedAt: String?
        var closedBy: String?
        var note: String?
        var href: String
    }

    struct ProblemsPage {
        var open: [ProblemView]
        var closed: [ProblemView]
        var hasOpen: Bool
        var hasClosed: Bool
        var options: [TownshipOption]
        var township: String?
        var langParam: String?
    }

    public func problems(info: PlanInfo, list: ProblemList, township: String?, request: Request) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let names = Dictionary(info.townships.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let views = list.problems.map { p in
            ProblemView(
                id: p.id, township: names[p.township] ?? p.township, text: p.text, deadline: Format.minute(p.deadline),
                late: p.open && p.deadline < info.now, responsible: p.responsible.map { Self.name($0, info) }.joined(separator: "、"),
                createdAt: Format.minute(p.createdAt), closedAt: p.closedAt.map(Format.minute),
                closedBy: p.closedBy ?? p.closedByUid.map { "uid \($0)" }, note: p.closeNote,
                href: "/duties/problem.\(p.id)\(q)")
        }
        let open = views.filter { $0.closedAt == nil }
        let closed = views.filter { $0.closedAt != nil }
        let page = ProblemsPage(
            open: open, closed: closed, hasOpen: !open.isEmpty, hasClosed: !closed.isEmpty,
            options: info.townships.map { TownshipOption(id: $0.id, name: $0.name, selected: $0.id == township) },
            township: township, langParam: request.explicitLanguage ? request.language.rawValue : nil)
        return render("problems", title: t.problems, active: "problems", info: info, request: request, page: page)
    }

    // MARK: - Duty and occurrence

    struct DutyPage {
        var id: String
        var title: String
        var description: String
        var clause: String?
        var recurrence: String
        var responsible: String
        var recipients: String
        var warnings: String
        var grace: String
        var escalation: String
        var priority: String
        var ack: String
        var file: String
        var localChoice: String?
        var next: [EntryView]
        var recent: [EntryView]
        var hasRecent: Bool
    }

    public func duty(info: PlanInfo, detail: DutyDetail, occurrences: [AgendaEntry], request: Request) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let d = detail.duty
        let nextIDs = Set(detail.next.map(\.occurrenceId))
        let entries = occurrences.map { Self.entryView($0, t, q: q, date: Format.date($0.occurrence)) }
        let page = DutyPage(
            id: d.id, title: d.title, description: detail.description, clause: d.clause, recurrence: d.recurrence,
            responsible: d.responsible.map { Self.name($0, info) }.joined(separator: "、"),
            recipients: d.recipients.map { Self.name($0, info) }.joined(separator: "、"),
            warnings: detail.warnings.isEmpty ? "—" : detail.warnings.joined(separator: ", "),
            grace: TimeSpanText.text(detail.graceSeconds),
            escalation: detail.escalation.isEmpty ? "—" : detail.escalation.map { Self.name($0, info) }.joined(separator: " → "),
            priority: d.priority, ack: d.ack ? t.yes : t.no, file: d.file, localChoice: d.localChoice,
            next: zip(occurrences.indices, occurrences).filter { nextIDs.contains($0.1.occurrenceId) }.map { entries[$0.0] },
            recent: zip(occurrences.indices, occurrences).filter { !nextIDs.contains($0.1.occurrenceId) }.reversed().map { entries[$0.0] },
            hasRecent: occurrences.contains { !nextIDs.contains($0.occurrenceId) })
        return render("duty", title: d.title, active: nil, info: info, request: request, page: page)
    }

    struct AckView {
        var person: String
        var uid: String
        var at: String
        var note: String?
    }

    struct DeliveryView {
        var kind: String
        var recipient: String
        var channel: String
        var state: String
        var attempts: Int
        var fireAt: String
        var error: String?
    }

    struct OccurrencePage {
        var id: String
        var title: String
        var dutyHref: String
        var clause: String?
        var occurrence: String
        var overdueAt: String?
        var status: String
        var statusClass: String
        var responsible: String
        var acks: [AckView]
        var hasAcks: Bool
        var deliveries: [DeliveryView]
        var hasDeliveries: Bool
        var changes: [ChangeView]
        var hasChanges: Bool
    }

    public func occurrence(info: PlanInfo, detail: OccurrenceDetail, changes: AuditList, request: Request) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let late = detail.needsAcknowledgement && !detail.acknowledged && (detail.overdueAt.map { $0 < info.now } ?? false)
        let (status, cls): (String, String) =
            !detail.needsAcknowledgement
            ? (t.noAckNeeded, "info")
            : detail.acknowledged ? (t.acknowledged, "ok") : late ? (t.overdueShort, "late") : (t.notAcknowledged, "open")
        let page = OccurrencePage(
            id: detail.occurrenceId, title: detail.title, dutyHref: "/duties/\(HTML.component(detail.duty))\(q)",
            clause: detail.clause, occurrence: Format.minute(detail.occurrence), overdueAt: detail.overdueAt.map(Format.minute),
            status: status, statusClass: cls, responsible: detail.responsible.map { Self.name($0, info) }.joined(separator: "、"),
            acks: detail.acknowledgements.map {
                AckView(person: Self.name($0.person, info), uid: $0.uid.map(String.init) ?? "—", at: Format.minute($0.at), note: $0.note)
            },
            hasAcks: !detail.acknowledgements.isEmpty,
            deliveries: detail.deliveries.map {
                DeliveryView(
                    kind: $0.kind, recipient: Self.name($0.recipient, info), channel: $0.channel, state: $0.state, attempts: $0.attempts,
                    fireAt: Format.minute($0.fireAt), error: $0.lastError)
            },
            hasDeliveries: !detail.deliveries.isEmpty,
            changes: changes.items.map { Self.changeView($0, t, info, q: q) }, hasChanges: !changes.items.isEmpty)
        return render("occurrence", title: detail.title, active: nil, info: info, request: request, page: page)
    }

    // MARK: - Bulletin

    struct BulletinLine {
        var date: String
        var title: String
        var clause: String?
        var done: Bool
        var mark: String
    }

    struct BulletinPage {
        var title: String
        var township: String
        var county: String
        var month: String
        var generatedAt: String
        var lines: [BulletinLine]
        var doneCount: Int
        var openCount: Int
        var problems: [ProblemView]
        var hasProblems: Bool
        var interviews: [InterviewView]
        var hasInterviews: Bool
        var visits: VisitRow?
        var pdf: String
        var indexMode: Bool
    }

    struct BulletinIndexPage {
        var options: [TownshipOption]
        var month: String
        var langParam: String?
        var indexMode: Bool
    }

    public func bulletinIndex(info: PlanInfo, request: Request) -> String {
        let t = Strings.of(request.language)
        let page = BulletinIndexPage(
            options: info.townships.map { TownshipOption(id: $0.id, name: $0.name, selected: false) },
            month: Format.month(info.month, adding: -1), langParam: request.explicitLanguage ? request.language.rawValue : nil,
            indexMode: true)
        return render("bulletin", title: t.bulletins, active: "bulletins", info: info, request: request, page: page)
    }

    public func bulletin(info: PlanInfo, report: BulletinReport, request: Request) -> String {
        let t = Strings.of(request.language)
        let q = request.explicitLanguage ? "?lang=\(request.language.rawValue)" : ""
        let lines = report.duties.sorted { $0.occurrence < $1.occurrence }.map {
            BulletinLine(
                date: Format.minute($0.occurrence), title: $0.title, clause: $0.clause, done: $0.acknowledged,
                mark: $0.acknowledged ? t.done : t.notDone)
        }
        let page = BulletinPage(
            title: report.title, township: report.townshipName, county: report.countyName, month: report.month,
            generatedAt: Format.minute(report.generatedAt), lines: lines, doneCount: lines.filter(\.done).count,
            openCount: lines.filter { !$0.done }.count,
            problems: report.problems.map { p in
                ProblemView(
                    id: p.id, township: report.townshipName, text: p.text, deadline: Format.minute(p.deadline),
                    late: p.open && p.deadline < info.now, responsible: p.responsible.map { Self.name($0, info) }.joined(separator: "、"),
                    createdAt: Format.minute(p.createdAt), closedAt: p.closedAt.map(Format.minute),
                    closedBy: p.closedBy ?? p.closedByUid.map { "uid \($0)" }, note: p.closeNote, href: "")
            },
            hasProblems: !report.problems.isEmpty,
            interviews: report.interviews.map { Self.interviewView($0, t, q: q, levels: info.levels) }, hasInterviews: !report.interviews.isEmpty,
            visits: report.visits.map { Self.row(.init(id: report.township, name: report.townshipName, counts: $0), href: nil) },
            pdf: "/bulletins/\(HTML.component(report.township))/\(report.month).pdf", indexMode: false)
        return render("bulletin", title: report.title, active: "bulletins", info: info, request: request, printable: true, page: page)
    }

    // MARK: - Errors

    struct ErrorPage {
        var status: Int
        var reason: String
    }

    /// The HTML page of an error status (the JSON body stays for `/v1`).
    public func error(status: Int, reason: String, request: Request) -> String {
        let t = Strings.of(request.language)
        return render(
            "error", title: status == 404 ? t.notFound : t.errorTitle, active: nil, info: nil, request: request,
            page: ErrorPage(status: status, reason: reason))
    }
}

/// Seconds as `3d`, `1d 12h`, `90m` for the pages.
enum TimeSpanText {
    static func text(_ seconds: Double) -> String {
        var rest = Int(seconds)
        var parts: [String] = []
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
        }
        return parts.isEmpty ? "0" : parts.joined(separator: " ")
    }
}
