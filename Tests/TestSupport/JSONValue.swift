import Foundation

/// A parsed JSON document that is `Sendable` (unlike `[String: Any]`), for asserting on the aws CLI's output
/// under Swift 6 strict concurrency.
///
/// Subscripts never trap: a missing key, an index out of range or a subscript on the wrong kind of value gives
/// `.null`, so lookups chain: `json["Buckets"][0]["Name"].string`. Use `object`/`array` to tell "absent" from null.
/// String, number, boolean, array and dictionary literals make comparisons short:
/// `#expect(json["Account"] == "123456789012")`.
public enum JSONValue: Sendable, Hashable, CustomStringConvertible {
    /// `null` (also what a missing key or index gives).
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// Every JSON number (integers up to 2^53 are exact).
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object (member order is not kept).
    case object([String: JSONValue])

    /// Parses UTF-8 JSON text (any top-level value). Empty or whitespace-only input gives `.null`.
    public init(parsing data: Data) throws {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            self = .null
            return
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TestSupportError("invalid JSON (\(error)): \(String(decoding: data.prefix(2_000), as: UTF8.self))")
        }
        self = try JSONValue(foundationObject: object)
    }

    /// Parses JSON text. Empty or whitespace-only input gives `.null`.
    public init(parsing text: String) throws {
        try self.init(parsing: Data(text.utf8))
    }

    /// Converts the output of `JSONSerialization.jsonObject`.
    public init(foundationObject object: Any) throws {
        switch object {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumber too (type "c"; JSON never yields an Int8).
            if String(cString: number.objCType) == "c" {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case let array as [Any]:
            self = .array(try array.map { try JSONValue(foundationObject: $0) })
        case let dictionary as [String: Any]:
            self = .object(try dictionary.mapValues { try JSONValue(foundationObject: $0) })
        default:
            throw TestSupportError("not a JSON value: \(type(of: object))")
        }
    }

    /// The member `key` of an object; `.null` if absent or if this is not an object.
    public subscript(key: String) -> JSONValue {
        if case .object(let members) = self { return members[key] ?? .null }
        return .null
    }

    /// The element at `index` of an array; `.null` if out of range or if this is not an array.
    public subscript(index: Int) -> JSONValue {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return .null
    }

    /// Whether this is `null` (or a missing member).
    public var isNull: Bool { self == .null }
    /// The string, if this is a string.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }
    /// The number, if this is a number.
    public var double: Double? {
        if case .number(let value) = self { return value }
        return nil
    }
    /// The number, if this is a number with an integral value that fits in `Int`.
    public var int: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.2e18 else { return nil }
        return Int(value)
    }
    /// The boolean, if this is a boolean.
    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
    /// The elements, if this is an array.
    public var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
    /// The members, if this is an object.
    public var object: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The value as `JSONSerialization` objects (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `NSNull`),
    /// for code that wants them (not `Sendable`: use it locally).
    public var foundationObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return NSNumber(value: value)
        case .number(let value): return NSNumber(value: value)
        case .string(let value): return value
        case .array(let value): return value.map(\.foundationObject)
        case .object(let value): return value.mapValues(\.foundationObject)
        }
    }

    /// Compact JSON text with sorted keys.
    public var description: String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: foundationObject, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return "<JSON that cannot be serialised (a non-finite number?)>" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes the value into a `Decodable` type (via JSON text).
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        let data = try JSONSerialization.data(withJSONObject: foundationObject, options: [.fragmentsAllowed])
        return try decoder.decode(type, from: data)
    }
}

/// Literals, so that expectations read `json["Name"] == "x"`, `json["Count"] == 2`, `json == ["a": [1, 2]]`.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// Creates the value of a literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// Creates the value of a literal.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// Creates the value of a literal.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// Creates the value of a literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// Creates the value of a literal.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Creates the value of a literal.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    /// Creates the value of a literal.
    public init(nilLiteral: ()) { self = .null }
}
