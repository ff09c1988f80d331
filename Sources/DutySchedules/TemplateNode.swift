/// A `[template]` value with its `{column}` placeholders resolved against a roster's header once: expanding it
/// for a row is concatenation, and the parts without placeholders are shared by every row's value.
indirect enum TemplateNode {
    /// No placeholder anywhere inside: the same value for every row.
    case fixed(Node)
    case string([Segment])
    case array([TemplateNode])
    case table([String: TemplateNode])

    enum Segment {
        case text(String)
        case column(Int)
    }

    /// Compiles `node` against the roster's columns; names of placeholders the roster has no column for are added
    /// to `missing` (and stay literal text).
    init(_ node: Node, columns: [String: Int], missing: inout Set<String>) {
        switch node {
        case .string(let s):
            guard s.utf8.contains(UInt8(ascii: "{")) else {
                self = .fixed(node)
                return
            }
            let segments = Self.segments(s, columns: columns, missing: &missing)
            if segments.allSatisfy({ if case .text = $0 { true } else { false } }) {
                self = .fixed(node)
            } else {
                self = .string(segments)
            }
        case .array(let items):
            let compiled = items.map { TemplateNode($0, columns: columns, missing: &missing) }
            self = compiled.allSatisfy(\.isFixed) ? .fixed(node) : .array(compiled)
        case .table(let dict):
            let compiled = dict.mapValues { TemplateNode($0, columns: columns, missing: &missing) }
            self = compiled.values.allSatisfy(\.isFixed) ? .fixed(node) : .table(compiled)
        default:
            self = .fixed(node)
        }
    }

    var isFixed: Bool {
        if case .fixed = self { return true }
        return false
    }

    /// The value for one roster row (its cells in header order).
    func expand(_ row: ArraySlice<String>) -> Node {
        switch self {
        case .fixed(let node): return node
        case .string(let segments):
            var out = ""
            for segment in segments {
                switch segment {
                case .text(let t): out += t
                case .column(let i): out += row[row.startIndex + i]
                }
            }
            return .string(out)
        case .array(let items): return .array(items.map { $0.expand(row) })
        case .table(let dict): return .table(dict.mapValues { $0.expand(row) })
        }
    }

    /// `{name}` is a placeholder from a `{` to the next `}`; a `{` without a `}` after it is text.
    static func segments(_ text: String, columns: [String: Int], missing: inout Set<String>) -> [Segment] {
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                literal += rest[open...]
                rest = rest[rest.endIndex...]
                break
            }
            let name = String(rest[rest.index(after: open)..<close])
            if let column = columns[name] {
                if !literal.isEmpty { segments.append(.text(literal)) }
                literal = ""
                segments.append(.column(column))
            } else {
                missing.insert(name)
                literal += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { segments.append(.text(literal)) }
        return segments
    }
}
