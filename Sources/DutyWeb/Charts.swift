import DutyAPI

/// Inline SVG charts (no script, no external asset). Every text is escaped here, since the chart is put into the
/// page unescaped.
public enum Charts {
    /// One horizontal stacked bar per group: acknowledged (green), not yet due (grey), overdue (red), its length
    /// the visits due. Each bar carries `data-*` attributes with its numbers (the browser test compares them with
    /// the report).
    public static func visitBars(_ groups: [VisitReport.Group], title: String, id: String = "visit-chart") -> String {
        let rowHeight = 28
        let labelWidth = 150
        let barWidth = 420
        let width = labelWidth + barWidth + 170
        let height = rowHeight * max(groups.count, 1) + 12
        let largest = max(groups.map(\.counts.due).max() ?? 0, 1)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" id="\(id)" class="chart" role="img" aria-labelledby="\(id)-title" \
            viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)">\
            <title id="\(id)-title">\(HTML.escape(title))</title>
            """
        for (i, group) in groups.enumerated() {
            let c = group.counts
            let y = 6 + i * rowHeight
            func length(_ n: Int) -> Int { Int((Double(n) / Double(largest) * Double(barWidth)).rounded()) }
            let ack = length(c.acknowledged)
            let pending = length(c.pending)
            let overdue = length(c.overdue)
            let name = HTML.escape(group.name)
            svg += """
                <g class="bar" data-id="\(HTML.escape(group.id))" data-due="\(c.due)" data-acknowledged="\(c.acknowledged)" \
                data-overdue="\(c.overdue)" data-pending="\(c.pending)">\
                <text x="\(labelWidth - 8)" y="\(y + 17)" text-anchor="end" class="label">\(name)</text>\
                <rect x="\(labelWidth)" y="\(y + 3)" width="\(barWidth)" height="\(rowHeight - 8)" class="track"/>\
                <rect x="\(labelWidth)" y="\(y + 3)" width="\(ack)" height="\(rowHeight - 8)" class="ack"/>\
                <rect x="\(labelWidth + ack)" y="\(y + 3)" width="\(pending)" height="\(rowHeight - 8)" class="pending"/>\
                <rect x="\(labelWidth + ack + pending)" y="\(y + 3)" width="\(overdue)" height="\(rowHeight - 8)" class="late"/>\
                <text x="\(labelWidth + barWidth + 8)" y="\(y + 17)" class="value">\(c.acknowledged)/\(c.due) · \(c.overdue) ⚠</text>\
                </g>
                """
        }
        return svg + "</svg>"
    }

    /// A small completion bar (a `<meter>`-like SVG) for table cells.
    public static func meter(_ counts: VisitCounts) -> String {
        let width = 80
        guard counts.due > 0 else { return "" }
        let ack = Int(Double(counts.acknowledged) / Double(counts.due) * Double(width))
        let late = Int(Double(counts.overdue) / Double(counts.due) * Double(width))
        return """
            <svg class="meter" viewBox="0 0 \(width) 10" width="\(width)" height="10" aria-hidden="true">\
            <rect width="\(width)" height="10" class="track"/><rect width="\(ack)" height="10" class="ack"/>\
            <rect x="\(width - late)" width="\(late)" height="10" class="late"/></svg>
            """
    }
}
