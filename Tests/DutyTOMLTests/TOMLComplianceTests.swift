import DutyTOML
import Foundation
import Testing

private var tomlTestDirectory: String? { ProcessInfo.processInfo.environment["DUTYD_TOML_TEST_DIR"] }

/// The toml-lang compliance suite (toml-test), read from the `tests/` directory of a copy named by
/// `DUTYD_TOML_TEST_DIR`; nothing of it is vendored. Every file listed in its `files-toml-1.0.0` must pass: a valid
/// document parses to the values of its `.json` twin, an invalid one (including one that is not UTF-8) is refused.
@Suite(.enabled(if: tomlTestDirectory != nil, "set DUTYD_TOML_TEST_DIR to a toml-test tests/ directory"))
struct TOMLComplianceTests {
    @Test func passesTheTOML100Suite() throws {
        let directory = try #require(tomlTestDirectory)
        let list = try String(contentsOfFile: directory + "/files-toml-1.0.0", encoding: .utf8)
        let files = list.split(separator: "\n").map(String.init).filter { $0.hasSuffix(".toml") }
        var passed = (valid: 0, invalid: 0)
        var failures: [String] = []
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
            let outcome = String(validating: bytes, as: UTF8.self).map { text in
                Result { () throws(TOMLSyntaxError) in try TOMLDocument.parse(text) }
            }
            if file.hasPrefix("valid/") {
                let json = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file.dropLast(4) + "json"))
                let expected = try Self.canonicalForm(
                    ofTagged: JSONSerialization.jsonObject(with: json, options: .fragmentsAllowed))
                switch outcome {
                case .success(let root)? where TOMLValue.table(root).canonicalForm == expected: passed.valid += 1
                case .success(let root)?:
                    failures.append("\(file): \(TOMLValue.table(root).canonicalForm), expected \(expected)")
                case .failure(let error)?: failures.append("\(file): refused: \(error)")
                case nil: failures.append("\(file): not UTF-8")
                }
            } else if case .success? = outcome {
                failures.append("\(file): accepted")
            } else {
                passed.invalid += 1
            }
        }
        let valid = files.filter { $0.hasPrefix("valid/") }.count
        print("toml-test 1.0.0: valid \(passed.valid)/\(valid), invalid \(passed.invalid)/\(files.count - valid)")
        for failure in failures.prefix(20) { print(failure) }
        #expect(failures.isEmpty)
        #expect(files.count > 600, "files-toml-1.0.0 lists only \(files.count) documents")
    }

    /// The canonical form (CanonicalForm.swift) of toml-test's tagged JSON: `{"type": "integer", "value": "42"}` for
    /// each scalar, arrays and objects for the rest.
    static func canonicalForm(ofTagged json: Any) throws -> String {
        if let object = json as? [String: Any] {
            if object.count == 2, let type = object["type"] as? String, let value = object["value"] as? String {
                return try scalar(type: type, value: value)
            }
            let keys = object.keys.sorted {
                $0.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.unicodeScalars.map(\.value))
            }
            return try "{"
                + keys.map { try TOMLValue.quote($0) + ":" + canonicalForm(ofTagged: object[$0] as Any) }.joined(
                    separator: ",") + "}"
        }
        if let array = json as? [Any] {
            return try "[" + array.map(canonicalForm(ofTagged:)).joined(separator: ",") + "]"
        }
        throw Unreadable(text: "\(json)")
    }

    struct Unreadable: Error {
        var text: String
    }

    static func scalar(type: String, value: String) throws -> String {
        switch type {
        case "string":
            return TOMLValue.quote(value)
        case "integer":
            guard let integer = Int64(value) else { throw Unreadable(text: value) }
            return "int:\(integer)"
        case "float":
            if value.hasSuffix("nan") { return "float:nan" }
            let number = value.hasSuffix("inf") ? (value.hasPrefix("-") ? -Double.infinity : .infinity) : Double(value)
            guard let number else { throw Unreadable(text: value) }
            return "float:" + String(number.bitPattern, radix: 16)
        case "bool":
            return "bool:\(value)"
        case "date-local":
            return "ld:\(value)"
        case "time-local":
            return "lt:\(try time(Substring(value)).form)"
        case "datetime-local", "datetime":
            let date = value.prefix(10)
            let (time, rest) = try time(value.dropFirst(11))
            guard type == "datetime" else { return "ldt:\(date)T\(time)" }
            return "odt:\(date)T\(time)@\(try offsetMinutes(rest))"
        default:
            throw Unreadable(text: type)
        }
    }

    /// `HH:MM:SS` and optional fractional seconds, in the canonical form's `HH:MM:SS.ffffff`, and what follows.
    static func time(_ text: Substring) throws -> (form: String, rest: Substring) {
        var rest = text.dropFirst(8)
        var fraction = ""
        if rest.first == "." {
            let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            fraction = String(digits.prefix(6))
            rest = rest.dropFirst(1 + digits.count)
        }
        return (text.prefix(8) + "." + fraction.padding(toLength: 6, withPad: "0", startingAt: 0), rest)
    }

    static func offsetMinutes(_ text: Substring) throws -> Int {
        if text == "Z" || text == "z" { return 0 }
        let parts = text.dropFirst().split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]) else {
            throw Unreadable(text: String(text))
        }
        return (text.first == "-" ? -1 : 1) * (hours * 60 + minutes)
    }
}
