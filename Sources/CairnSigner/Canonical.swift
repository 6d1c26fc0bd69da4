// Pieces of the SigV4 canonical request. All work on UTF-8 bytes, because AWS defines
// the encoding on bytes and because Swift String comparison is not byte order.

enum Canonical {
    /// RFC 3986 unreserved characters: the only bytes SigV4 leaves unencoded.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Percent-encodes every byte except unreserved ones (and `/` when `keepSlash`), uppercase hex.
    static func encode(_ bytes: some Sequence<UInt8>, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; anything else (including a stray `%` or `+`) is kept literally.
    static func decode(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Splits a raw query into (encoded key, encoded value) pairs: decode, then re-encode,
    /// so that differently-escaped spellings of the same query sign identically.
    static func queryPairs(_ query: String?) -> [(key: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? parts[1] : ""
            return (encode(decode(parts[0])), encode(decode(value)))
        }
    }

    /// Sorted by key then value (byte order); a missing value is written as `key=`.
    static func query(_ pairs: [(key: String, value: String)]) -> String {
        pairs.sorted { lhs, rhs in
            lhs.key == rhs.key
                ? lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
                : lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
        }
        .map { "\($0.key)=\($0.value)" }
        .joined(separator: "&")
    }

    /// Removes `.`/`..` segments and empty segments (`//`), keeping a trailing slash.
    static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for part in parts {
            switch part {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(part)
            }
        }
        guard !segments.isEmpty else { return "/" }
        let endsInDirectory = path.hasSuffix("/") || parts.last == "." || parts.last == ".."
        return "/" + segments.joined(separator: "/") + (endsInDirectory ? "/" : "")
    }

    /// A header name as it appears in the canonical request.
    static func headerName(_ name: String) -> String {
        name.trimmingWhitespace().lowercased()
    }

    /// Header block and signed-header list. Names are lowercased; values are trimmed with
    /// runs of whitespace (including folded line breaks) collapsed to one space; repeated
    /// names are joined with "," in order; names are sorted.
    static func headers(_ headers: [(name: String, value: String)]) -> (block: String, signedNames: String) {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = headerName(header.name)
            values[name, default: []].append(header.value.collapsingWhitespace())
        }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let block = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }
}

private func isHTTPWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n"
}

extension String {
    fileprivate func collapsingWhitespace() -> String {
        unicodeScalars.split(whereSeparator: isHTTPWhitespace)
            .map { String(String.UnicodeScalarView($0)) }
            .joined(separator: " ")
    }

    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop(while: isHTTPWhitespace)
        let end = scalars.lastIndex { !isHTTPWhitespace($0) }
        return end.map { String(String.UnicodeScalarView(scalars[...$0])) } ?? ""
    }
}
