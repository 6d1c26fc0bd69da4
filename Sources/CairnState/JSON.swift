import Foundation

// Hand-rolled JSON for the two shapes the store writes on hot paths (a list of
// addresses per resource, a record per history row): Foundation's coders cost more
// than the SQLite work itself at 10,000 resources. Reading falls back to JSONDecoder.

enum RecordJSON {
    /// The `Codable` form of a record with dates as milliseconds since 1970.
    static func encode(_ record: ResourceRecord) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128 + record.attributes.utf8.count + record.outputs.utf8.count)
        out.append(contentsOf: #"{"address":"#.utf8)
        appendString(record.address, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        appendString(record.type, to: &out)
        out.append(contentsOf: #","physicalID":"#.utf8)
        appendString(record.physicalID, to: &out)
        out.append(contentsOf: #","attributes":"#.utf8)
        appendString(record.attributes, to: &out)
        out.append(contentsOf: #","outputs":"#.utf8)
        appendString(record.outputs, to: &out)
        out.append(contentsOf: #","dependencies":"#.utf8)
        appendArray(record.dependencies, to: &out)
        out.append(contentsOf: #","createdAt":"#.utf8)
        out.append(contentsOf: String(millis(record.createdAt)).utf8)
        out.append(contentsOf: #","updatedAt":"#.utf8)
        out.append(contentsOf: String(millis(record.updatedAt)).utf8)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ json: String) throws -> ResourceRecord {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(ResourceRecord.self, from: Data(json.utf8))
    }

    /// A JSON array of strings.
    static func encodeArray(_ strings: [String]) -> String {
        var out: [UInt8] = []
        appendArray(strings, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a JSON array of strings; nil when the text is anything else.
    static func decodeArray(_ json: String) -> [String]? {
        if json == "[]" { return [] }
        var parser = StringArrayParser(bytes: Array(json.utf8))
        if let fast = parser.parse() { return fast }
        return try? JSONDecoder().decode([String].self, from: Data(json.utf8))
    }

    private static func appendArray(_ strings: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, s) in strings.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(s, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array(#"\u00"#.utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xf)])
            default:
                out.append(byte)  // multi-byte UTF-8 passes through unchanged
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Parses exactly `[ "…", "…" ]` with standard escapes.
private struct StringArrayParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parse() -> [String]? {
        skipSpace()
        guard consume(UInt8(ascii: "[")) else { return nil }
        var result: [String] = []
        skipSpace()
        if consume(UInt8(ascii: "]")) { return finish(result) }
        while true {
            skipSpace()
            guard let s = parseString() else { return nil }
            result.append(s)
            skipSpace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return finish(result) }
            return nil
        }
    }

    private mutating func finish(_ result: [String]) -> [String]? {
        skipSpace()
        return i == bytes.count ? result : nil
    }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard i < bytes.count, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    private mutating func parseString() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var out: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = parseHex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")),
                            let low = parseHex4(), (0xDC00..<0xE000).contains(low)
                        else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    return nil
                }
            case 0..<0x20:
                return nil
            default:
                out.append(b)
            }
        }
        return nil
    }

    private mutating func parseHex4() -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            i += 1
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }
}
