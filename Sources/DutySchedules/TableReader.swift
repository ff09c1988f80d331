import DutyCore

/// Collects diagnostics during one load.
final class DiagnosticSink {
    var diagnostics: [ScheduleDiagnostic] = []

    func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(ScheduleDiagnostic(.error, message, at: location))
    }

    func warning(_ message: String, at location: SourceLocation) {
        diagnostics.append(ScheduleDiagnostic(.warning, message, at: location))
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Reads one TOML table key by key: typed accessors that report a wrong type at the value's position, and a
/// final check that reports every key nobody asked for (typo protection).
final class TableReader {
    let file: String
    let path: String
    let values: [String: Node]
    let locator: SourceLocator
    let sink: DiagnosticSink
    /// Appended to messages, e.g. " (roster row 12)" for template expansions.
    let context: String
    private var used: Set<String> = []

    init(file: String, path: String, values: [String: Node], locator: SourceLocator, sink: DiagnosticSink, context: String = "") {
        self.file = file
        self.path = path
        self.values = values
        self.locator = locator
        self.sink = sink
        self.context = context
    }

    var tableLocation: SourceLocation {
        let p = locator.table(path)?.header
        return SourceLocation(file: file, line: p?.line ?? 0, column: p?.column ?? 0)
    }

    func keyLocation(_ key: String) -> SourceLocation {
        guard let info = locator.key(key, in: path) else { return tableLocation }
        return SourceLocation(file: file, line: info.key.line, column: info.key.column)
    }

    func valueLocation(_ key: String) -> SourceLocation {
        guard let info = locator.key(key, in: path) else { return tableLocation }
        return SourceLocation(file: file, line: info.value.line, column: info.value.column)
    }

    /// The position of column `column` (1-based) inside the `index`-th string literal of the key's value.
    func stringLocation(_ key: String, index: Int = 0, column: Int = 1) -> SourceLocation {
        guard let info = locator.key(key, in: path), index < info.strings.count else { return valueLocation(key) }
        let start = info.strings[index]
        return SourceLocation(file: file, line: start.line, column: start.column + max(column, 1) - 1)
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    func raw(_ key: String) -> Node? {
        used.insert(key)
        return values[key]
    }

    private func typeError(_ key: String, expected: String, got: Node) {
        sink.error("'\(key)' must be \(expected), not \(got.kindName)\(context)", at: valueLocation(key))
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let node = raw(key) else {
            if required { sink.error("missing required key '\(key)'\(context)", at: tableLocation) }
            return nil
        }
        guard case .string(let s) = node else {
            typeError(key, expected: "a string", got: node)
            return nil
        }
        return s
    }

    /// A string or an array of strings.
    func strings(_ key: String) -> [String]? {
        guard let node = raw(key) else { return nil }
        switch node {
        case .string(let s): return [s]
        case .array(let items):
            var result: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    typeError(key, expected: "an array of strings", got: item)
                    return nil
                }
                result.append(s)
            }
            return result
        default:
            typeError(key, expected: "a string or an array of strings", got: node)
            return nil
        }
    }

    func int(_ key: String) -> Int? {
        guard let node = raw(key) else { return nil }
        guard case .int(let v) = node else {
            typeError(key, expected: "an integer", got: node)
            return nil
        }
        return v
    }

    func bool(_ key: String) -> Bool? {
        guard let node = raw(key) else { return nil }
        guard case .bool(let v) = node else {
            typeError(key, expected: "true or false", got: node)
            return nil
        }
        return v
    }

    func table(_ key: String) -> [String: Node]? {
        guard let node = raw(key) else { return nil }
        guard case .table(let t) = node else {
            typeError(key, expected: "a table", got: node)
            return nil
        }
        return t
    }

    func tables(_ key: String) -> [[String: Node]]? {
        guard let node = raw(key) else { return nil }
        guard case .array(let items) = node else {
            typeError(key, expected: "an array of tables", got: node)
            return nil
        }
        var result: [[String: Node]] = []
        for item in items {
            guard case .table(let t) = item else {
                typeError(key, expected: "an array of tables", got: item)
                return nil
            }
            result.append(t)
        }
        return result
    }

    func dates(_ key: String) -> [CivilDate]? {
        guard let node = raw(key) else { return nil }
        guard case .array(let items) = node else {
            typeError(key, expected: "an array of dates", got: node)
            return nil
        }
        var result: [CivilDate] = []
        for item in items {
            guard case .date(let d) = item else {
                typeError(key, expected: "an array of dates (YYYY-MM-DD, unquoted)", got: item)
                return nil
            }
            result.append(d)
        }
        return result
    }

    /// Reports every key that was never read, with the closest known key as a suggestion.
    func finish(known: [String]) {
        let knownSet = Set(known)
        for key in values.keys.sorted() where !used.contains(key) && !knownSet.contains(key) {
            var message = "unknown key '\(key)'"
            if let suggestion = TableReader.closest(to: key, in: known) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; expected one of: \(known.sorted().joined(separator: ", "))"
            }
            sink.error(message + context, at: keyLocation(key))
        }
    }

    static func closest(to key: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(key, candidate)
            if d <= max(2, key.count / 3), best.map({ d < $0.1 }) ?? true { best = (candidate, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
