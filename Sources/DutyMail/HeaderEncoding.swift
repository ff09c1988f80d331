/// RFC 5322 folding and RFC 2047 encoded-words for unstructured header fields (Subject, X-…) and display names.
///
/// Rules kept here (RFC 2047 §2, §5; RFC 5322 §2.1.1, §2.2.3):
/// - an encoded-word `=?UTF-8?B?…?=` is at most 75 characters;
/// - every line of a field that holds encoded-words is at most 76 characters, the first one counting `Name: `;
/// - each encoded-word carries whole characters: a UTF-8 sequence is never split between words (grapheme clusters
///   are kept together when they fit, Unicode scalars otherwise);
/// - text with non-ASCII, control characters, `=?` or words too long to fold is encoded; plain printable ASCII that
///   folds at spaces stays readable.
enum HeaderEncoding {
    static let maxLine = 76
    /// RFC 5322 §2.1.1: no line of a message may exceed 998 octets (without its CRLF).
    static let hardLine = 998
    static let maxWord = 75

    /// Replaces every C0 control (CR, LF, TAB, NUL …), DEL and C1 control and the Unicode line/paragraph separators
    /// by a space, collapses runs of whitespace and trims. What is left cannot end a header line.
    static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            let isControl = scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0)
                || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0x85
            if isControl || scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(scalar)
        }
        return String(out)
    }

    /// The field body for `name: text` (text is sanitised first), folded so that no line exceeds 76 characters.
    static func unstructured(name: String, text: String) -> String {
        let clean = sanitize(text)
        let firstBudget = maxLine - name.utf8.count - 2
        if let plain = foldPlain(clean, firstBudget: firstBudget) { return plain }
        return encodedWords(clean, firstBudget: firstBudget)
    }

    /// A field for machines (X-Dutyd-*): printable ASCII stays as it is, never encoded, folded at spaces; a word
    /// too long for the first line goes on a continuation line of its own (`"\n " + word`, RFC 5322 §2.2.3: the
    /// value unfolds to the word), and a word longer than a continuation line stays whole on it (lines may reach
    /// 998 octets; ids are far shorter). Anything else is encoded like `unstructured`, and so is a word that
    /// would not fit a line of 998 octets even on its own (RFC 5322 §2.1.1 allows no longer line: found by
    /// `FuzzMailComposer` with a 3,000-character warning label in the key).
    static func machine(name: String, text: String) -> String {
        let clean = sanitize(text)
        guard clean.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F || $0 == 0x20 }), !clean.utf8.containsEncodedWordOpener,
            !clean.split(separator: " ").contains(where: { $0.utf8.count > hardLine - 1 })
        else {
            return unstructured(name: name, text: clean)
        }
        let firstBudget = maxLine - name.utf8.count - 2
        if let plain = foldPlain(clean, firstBudget: firstBudget) { return plain }
        var lines: [String] = []
        var current = ""
        for word in clean.split(separator: " ") {
            if !current.isEmpty && current.utf8.count + 1 + word.utf8.count <= maxLine - 1 {
                current += " " + word
            } else {
                if !current.isEmpty { lines.append(current) }
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines.map { "\n " + $0 }.joined()
    }

    /// Printable ASCII without `=?`, folded at single spaces; nil when that is impossible.
    static func foldPlain(_ text: String, firstBudget: Int) -> String? {
        guard text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), !text.utf8.containsEncodedWordOpener else { return nil }
        if text.isEmpty { return "" }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        var lines: [String] = []
        var current = ""
        var budget = firstBudget
        for word in words {
            if current.isEmpty && lines.isEmpty {
                guard word.utf8.count <= budget else { return nil }
                current = String(word)
            } else if current.utf8.count + 1 + word.utf8.count <= budget {
                current += " " + word
            } else {
                // A continuation line starts with the folding space, so the word gets maxLine - 1 characters.
                lines.append(current)
                budget = maxLine - 1
                guard word.utf8.count <= budget else { return nil }
                current = String(word)
            }
        }
        lines.append(current)
        return lines.joined(separator: "\n ")
    }

    /// `=?UTF-8?B?…?=` words, the first fitting `firstBudget` characters, the others one per continuation line.
    static func encodedWords(_ text: String, firstBudget: Int) -> String {
        if text.isEmpty { return "" }
        var words: [String] = []
        var chunk: [UInt8] = []
        var budget = min(maxWord, firstBudget)
        func capacity(_ budget: Int) -> Int { max(3, (budget - 12) / 4 * 3) }
        func flush() {
            words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
            chunk.removeAll(keepingCapacity: true)
            budget = maxWord
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count <= capacity(budget) {
                chunk.append(contentsOf: bytes)
                continue
            }
            if !chunk.isEmpty { flush() }
            if bytes.count <= capacity(budget) {
                chunk.append(contentsOf: bytes)
                continue
            }
            // A grapheme cluster larger than one word (long emoji sequences): split between scalars.
            for scalar in String(character).unicodeScalars {
                let scalarBytes = Array(String(scalar).utf8)
                if chunk.count + scalarBytes.count > capacity(budget) { flush() }
                chunk.append(contentsOf: scalarBytes)
            }
        }
        if !chunk.isEmpty { flush() }
        return words.joined(separator: "\n ")
    }

    /// `Display Name <addr>` with the name as a phrase: plain atoms when they are safe, a quoted-string for other
    /// printable ASCII, encoded-words otherwise. The address goes on its own continuation line when it does not fit.
    static func mailbox(headerName: String, displayName: String, address: String) -> String {
        let clean = sanitize(displayName)
        let firstBudget = maxLine - headerName.utf8.count - 2
        var phrase: String
        if clean.isEmpty {
            return address
        } else if clean.utf8.allSatisfy({ isAtext($0) || $0 == 0x20 }) {
            phrase = foldPlain(clean, firstBudget: firstBudget) ?? encodedWords(clean, firstBudget: firstBudget)
        } else if clean.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && !clean.utf8.containsEncodedWordOpener
            && clean.utf8.count + 2 <= firstBudget
        {
            let escaped = clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            phrase = escaped.utf8.count + 2 <= firstBudget ? "\"\(escaped)\"" : encodedWords(clean, firstBudget: firstBudget)
        } else {
            phrase = encodedWords(clean, firstBudget: firstBudget)
        }
        let lastLine = phrase.split(separator: "\n").last.map(String.init) ?? phrase
        let lastLength = phrase.contains("\n") ? lastLine.utf8.count : lastLine.utf8.count + headerName.utf8.count + 2
        if lastLength + 3 + address.utf8.count <= maxLine {
            phrase += " <\(address)>"
        } else {
            phrase += "\n <\(address)>"
        }
        return phrase
    }

    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

extension String.UTF8View {
    /// Whether the bytes contain `=?`, which would make a plain header value read as an RFC 2047 encoded word. A
    /// byte scan: Foundation's `String.contains(_:)` bridges to `NSString` on Linux and was the hot spot of a
    /// libFuzzer timeout on a 4 KiB title (docs/reliability.md).
    var containsEncodedWordOpener: Bool {
        var previous: UInt8 = 0
        for byte in self {
            if previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?") { return true }
            previous = byte
        }
        return false
    }
}
