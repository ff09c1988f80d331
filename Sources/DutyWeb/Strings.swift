/// Every text of the pages, in Chinese and English. Templates read them as `{{t.key}}`.
public struct Strings: Sendable {
    public var appName: String
    public var skip: String
    public var navLabel: String
    public var overview: String
    public var calendar: String
    public var visits: String
    public var interviews: String
    public var problems: String
    public var bulletins: String
    public var otherLanguage: String
    public var now: String
    public var timeZone: String
    public var today: String
    public var next14: String
    public var overdue: String
    public var overdueShort: String
    public var latestChanges: String
    public var latestInterviews: String
    public var nothing: String
    public var date: String
    public var time: String
    public var duty: String
    public var clause: String
    public var responsible: String
    public var status: String
    public var due: String
    public var dueCount: String
    public var acknowledged: String
    public var notAcknowledged: String
    public var pending: String
    public var noAckNeeded: String
    public var occurrence: String
    public var overdueSince: String
    public var escalation: String
    public var escalationStep: String
    public var notEscalated: String
    public var action: String
    public var who: String
    public var details: String
    public var householdVisits: String
    public var visitsOverdueNote: String
    public var seeVisits: String
    public var month: String
    public var previousMonth: String
    public var nextMonth: String
    public var show: String
    public var weekdays: String
    public var holiday: String
    public var makeupDay: String
    public var township: String
    public var unit: String
    public var cadre: String
    public var completion: String
    public var total: String
    public var byTownship: String
    public var byUnit: String
    public var chartTitle: String
    public var cadresOverdue: String
    public var chooseTownship: String
    public var allTownships: String
    public var overdueVisits: String
    public var downloadCSV: String
    public var rankings: String
    public var period: String
    public var position: String
    public var score: String
    public var interviewsAtLevel: String
    public var decisions: String
    public var level: String
    public var kind: String
    public var count: String
    public var issued: String
    public var deadline: String
    public var interview: String
    public var escalationKind: String
    public var openProblems: String
    public var closedProblems: String
    public var problem: String
    public var recorded: String
    public var closedAt: String
    public var closedBy: String
    public var note: String
    public var overdueProblem: String
    public var filter: String
    public var description: String
    public var recurrence: String
    public var warnings: String
    public var grace: String
    public var escalationChain: String
    public var file: String
    public var nextOccurrences: String
    public var recentOccurrences: String
    public var reminders: String
    public var recipient: String
    public var channel: String
    public var attempts: String
    public var fireAt: String
    public var state: String
    public var acknowledgements: String
    public var changes: String
    public var bulletinFor: String
    public var dutiesDone: String
    public var problemsSection: String
    public var interviewsSection: String
    public var visitsSection: String
    public var done: String
    public var notDone: String
    public var print: String
    public var pdf: String
    public var generatedAt: String
    public var county: String
    public var notFound: String
    public var errorTitle: String
    public var back: String
    public var duties: String
    public var yes: String
    public var no: String
    public var priority: String
    public var needsAck: String
    public var actions: String
    public var bulletinIndexHelp: String
    public var visitsOf: String
    public var interviewCount: String
    public var escalationCount: String
    public var none: String

    public static let zh = Strings(
        appName: "脱贫攻坚指挥部任务看板",
        skip: "跳到正文",
        navLabel: "主菜单",
        overview: "总览",
        calendar: "日历",
        visits: "入户走访",
        interviews: "约谈与组织处理",
        problems: "问题整改台账",
        bulletins: "一月一通报",
        otherLanguage: "English",
        now: "当前时间",
        timeZone: "时区",
        today: "今日",
        next14: "未来14天",
        overdue: "逾期未销号",
        overdueShort: "逾期",
        latestChanges: "最近变更",
        latestInterviews: "最近约谈",
        nothing: "无",
        date: "日期",
        time: "时间",
        duty: "任务",
        clause: "条款",
        responsible: "责任单位",
        status: "状态",
        due: "应完成",
        dueCount: "应走访",
        acknowledged: "已销号",
        notAcknowledged: "未销号",
        pending: "未到期",
        noAckNeeded: "无需销号",
        occurrence: "应完成时间",
        overdueSince: "逾期起",
        escalation: "升级",
        escalationStep: "已升级至",
        notEscalated: "尚未升级",
        action: "操作",
        who: "操作人",
        details: "内容",
        householdVisits: "户入户走访",
        visitsOverdueNote: "入户走访逾期",
        seeVisits: "见入户走访页",
        month: "月份",
        previousMonth: "上月",
        nextMonth: "下月",
        show: "查看",
        weekdays: "一,二,三,四,五,六,日",
        holiday: "休",
        makeupDay: "班",
        township: "乡镇",
        unit: "帮扶单位",
        cadre: "帮扶干部",
        completion: "完成率",
        total: "合计",
        byTownship: "各乡镇入户走访完成情况",
        byUnit: "各帮扶单位",
        chartTitle: "各乡镇入户走访完成情况（绿：已走访，灰：未到期，红：逾期）",
        cadresOverdue: "有逾期走访的帮扶干部",
        chooseTownship: "选择乡镇",
        allTownships: "全部乡镇",
        overdueVisits: "逾期走访",
        downloadCSV: "下载 CSV",
        rankings: "排名",
        period: "期次",
        position: "名次",
        score: "得分",
        interviewsAtLevel: "各层级约谈次数",
        decisions: "约谈与组织处理记录",
        level: "层级",
        kind: "类别",
        count: "次数",
        issued: "下达",
        deadline: "时限",
        interview: "约谈",
        escalationKind: "组织处理",
        openProblems: "未销号问题",
        closedProblems: "已销号问题",
        problem: "问题",
        recorded: "登记",
        closedAt: "销号时间",
        closedBy: "销号人",
        note: "备注",
        overdueProblem: "已逾期",
        filter: "筛选",
        description: "说明",
        recurrence: "周期",
        warnings: "提前提醒",
        grace: "宽限",
        escalationChain: "逾期升级链",
        file: "定义位置",
        nextOccurrences: "后续安排",
        recentOccurrences: "近期完成情况",
        reminders: "已发提醒",
        recipient: "接收人",
        channel: "渠道",
        attempts: "次数",
        fireAt: "发送时间",
        state: "状态",
        acknowledgements: "销号记录",
        changes: "变更记录",
        bulletinFor: "通报",
        dutiesDone: "任务完成情况",
        problemsSection: "问题整改台账",
        interviewsSection: "约谈情况",
        visitsSection: "入户走访",
        done: "已完成",
        notDone: "未完成",
        print: "打印",
        pdf: "PDF 版",
        generatedAt: "生成时间",
        county: "县区",
        notFound: "页面不存在",
        errorTitle: "出错了",
        back: "返回总览",
        duties: "任务",
        yes: "是",
        no: "否",
        priority: "优先级",
        needsAck: "需销号",
        actions: "操作类别",
        bulletinIndexHelp: "选择乡镇与月份，打开可打印的一月一通报（A4）。",
        visitsOf: "入户走访",
        interviewCount: "约谈次数",
        escalationCount: "组织处理",
        none: "—")

    public static let en = Strings(
        appName: "dutyd — command office",
        skip: "Skip to content",
        navLabel: "Main menu",
        overview: "Overview",
        calendar: "Calendar",
        visits: "Household visits",
        interviews: "Interviews and escalations",
        problems: "Rectification ledger",
        bulletins: "Monthly bulletins",
        otherLanguage: "中文",
        now: "Now",
        timeZone: "Time zone",
        today: "Today",
        next14: "Next 14 days",
        overdue: "Overdue, not acknowledged",
        overdueShort: "overdue",
        latestChanges: "Latest changes",
        latestInterviews: "Latest interviews",
        nothing: "None",
        date: "Date",
        time: "Time",
        duty: "Duty",
        clause: "Clause",
        responsible: "Responsible",
        status: "Status",
        due: "due",
        dueCount: "Due",
        acknowledged: "Acknowledged",
        notAcknowledged: "Not acknowledged",
        pending: "Not yet due",
        noAckNeeded: "No acknowledgement needed",
        occurrence: "Due at",
        overdueSince: "Overdue since",
        escalation: "Escalation",
        escalationStep: "Escalated to",
        notEscalated: "not escalated yet",
        action: "Action",
        who: "By",
        details: "Details",
        householdVisits: "household visits",
        visitsOverdueNote: "household visits overdue",
        seeVisits: "see the visits page",
        month: "Month",
        previousMonth: "Previous month",
        nextMonth: "Next month",
        show: "Show",
        weekdays: "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
        holiday: "off",
        makeupDay: "work",
        township: "Township",
        unit: "Unit",
        cadre: "Cadre",
        completion: "Completion",
        total: "Total",
        byTownship: "Visits per township",
        byUnit: "Visits per unit",
        chartTitle: "Visits per township (green: done, grey: not yet due, red: overdue)",
        cadresOverdue: "Cadres with overdue visits",
        chooseTownship: "Choose a township",
        allTownships: "All townships",
        overdueVisits: "Overdue visits",
        downloadCSV: "Download CSV",
        rankings: "Rankings",
        period: "Period",
        position: "Position",
        score: "Score",
        interviewsAtLevel: "Interviews per level",
        decisions: "Interviews and escalations",
        level: "Level",
        kind: "Kind",
        count: "Count",
        issued: "Issued",
        deadline: "Deadline",
        interview: "Interview",
        escalationKind: "Escalation (组织处理)",
        openProblems: "Open items",
        closedProblems: "Closed items",
        problem: "Problem",
        recorded: "Recorded",
        closedAt: "Closed at",
        closedBy: "Closed by",
        note: "Note",
        overdueProblem: "Past deadline",
        filter: "Filter",
        description: "Description",
        recurrence: "Recurrence",
        warnings: "Advance warnings",
        grace: "Grace",
        escalationChain: "Escalation chain",
        file: "Defined at",
        nextOccurrences: "Next occurrences",
        recentOccurrences: "Recent occurrences",
        reminders: "Reminders sent",
        recipient: "Recipient",
        channel: "Channel",
        attempts: "Attempts",
        fireAt: "Sent at",
        state: "State",
        acknowledgements: "Acknowledgements",
        changes: "Changes",
        bulletinFor: "Bulletin",
        dutiesDone: "Duties",
        problemsSection: "Rectification ledger",
        interviewsSection: "Interviews",
        visitsSection: "Household visits",
        done: "done",
        notDone: "not done",
        print: "Print",
        pdf: "PDF",
        generatedAt: "Generated",
        county: "County",
        notFound: "Page not found",
        errorTitle: "Error",
        back: "Back to the overview",
        duties: "Duties",
        yes: "yes",
        no: "no",
        priority: "Priority",
        needsAck: "Needs acknowledgement",
        actions: "Action",
        bulletinIndexHelp: "Choose a township and a month to open the printable bulletin (A4).",
        visitsOf: "Visits",
        interviewCount: "Interviews",
        escalationCount: "Escalations",
        none: "—")

    public static func of(_ language: Language) -> Strings { language == .zh ? zh : en }
}
