/// The language of a page: Chinese by default, English when the query says `lang=en` or, without `lang`, when the
/// client's `Accept-Language` prefers English to Chinese.
public enum Language: String, Sendable, Hashable, CaseIterable {
    case zh
    case en

    /// `lang` (the query parameter) wins; then the first of `zh`/`en` in `Accept-Language` by quality; else Chinese.
    public static func negotiate(query: String?, acceptLanguage: String?) -> Language {
        if let query, let language = Language(rawValue: query.lowercased()) { return language }
        guard let header = acceptLanguage else { return .zh }
        var best: (Language, Double)?
        for part in header.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = fields.first else { continue }
            var quality = 1.0
            for field in fields.dropFirst() where field.hasPrefix("q=") { quality = Double(field.dropFirst(2)) ?? 0 }
            let language: Language? = tag.hasPrefix("zh") ? .zh : (tag.hasPrefix("en") ? .en : nil)
            guard let language, quality > 0 else { continue }
            if best == nil || quality > best!.1 { best = (language, quality) }
        }
        return best?.0 ?? .zh
    }

    /// The value of `<html lang>`.
    public var htmlTag: String { self == .zh ? "zh-CN" : "en" }
}
