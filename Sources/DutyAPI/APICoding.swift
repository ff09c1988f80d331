import Foundation

/// The JSON conventions of the query socket, shared by server and client: snake_case keys, sorted, slashes and
/// UTF-8 kept as they are. Times are ISO 8601 strings with the duty's own offset (`2018-09-17T09:00:00+08:00`).
public enum APICoding {
    /// The path prefix of every endpoint.
    public static let prefix = "/v1"

    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        try encoder(pretty: pretty).encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder().decode(type, from: data)
    }
}

/// A coding key for any string, used to reject unknown fields.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Thrown while decoding a request body that carries a field the endpoint does not know.
public struct UnknownFieldError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var description: String { "unknown field '\(field)'" }
}

extension Decoder {
    /// Throws `UnknownFieldError` when the object has a key outside `known` (compared after key conversion).
    func rejectUnknownKeys(_ known: Set<String>) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw UnknownFieldError(field: key.stringValue)
        }
    }
}
