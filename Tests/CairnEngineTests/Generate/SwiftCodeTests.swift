import Testing

@testable import CairnEngine

/// The literals `cairn generate` writes hold exactly the live values: checked by reading each back by Swift's rules
/// for string literals (The Swift Programming Language, "String Literals"; a raw control character other than a tab is
/// refused by the compiler, a raw CR in a multi-line literal is a line break).
@Suite struct SwiftCodeTests {
    static let awkward = [
        "plain", "a\r\nb\rc", "bell\u{7}and\u{1b}escape\u{7f}", "\"\"\"", "\"\"\"\"\"\"\"", "quote at the end\"", "\"\"",
        #"back\slash\"#, #"\(notInterpolated)"#, "tab\there", "line\n\n  indented\n", "\n", "", "trailing\\\nnext", "nul\u{0}",
        "\u{2028}unicode é 🚀",
    ]

    @Test(arguments: awkward) func aStringLiteralReadsBackAsTheValue(_ value: String) throws {
        let literal = SwiftCode.string(value)
        #expect(try Self.readString(literal) == value, "\(literal)")
    }

    @Test(arguments: awkward) func aMultilineConstantReadsBackAsTheValue(_ value: String) throws {
        let source = SwiftCode.multilineConstant("buildspec", value)
        let prefix = "private let buildspec = "
        try #require(source.hasPrefix(prefix))
        #expect(try Self.readMultiline(String(source.dropFirst(prefix.count)).trimmingSuffix("\n")) == value, "\(source)")
    }

    // MARK: Swift's rules, read back

    struct NotSwift: Error, CustomStringConvertible { let description: String }

    /// The value of a one-line literal `"…"`.
    static func readString(_ literal: String) throws -> String {
        let scalars = Array(literal.unicodeScalars)
        guard scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" else { throw NotSwift(description: "not quoted") }
        return try unescape(Array(scalars[1..<(scalars.count - 1)]), multiline: false)
    }

    /// The value of a multi-line literal: `"""`, a line break, lines indented as the closing `"""` is, a line break,
    /// the closing `"""`.
    static func readMultiline(_ literal: String) throws -> String {
        // Swift reads CR LF and a lone CR as line breaks.
        let normalized = literal.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = normalized.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 2, lines.first == "\"\"\"", let closing = lines.last, closing.hasSuffix("\"\"\"") else {
            throw NotSwift(description: "not a multi-line literal")
        }
        let indentation = String(closing.dropLast(3))
        guard indentation.allSatisfy({ $0 == " " }) else { throw NotSwift(description: "text before the closing delimiter") }
        lines = Array(lines.dropFirst().dropLast())
        var body: [String] = []
        for line in lines {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                body.append("")
            } else {
                guard line.hasPrefix(indentation) else { throw NotSwift(description: "insufficient indentation: \(line)") }
                body.append(String(line.dropFirst(indentation.count)))
            }
        }
        return try unescape(Array(body.joined(separator: "\n").unicodeScalars), multiline: true)
    }

    private static func unescape(_ scalars: [Unicode.Scalar], multiline: Bool) throws -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        var quotes = 0
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            if c == "\\" {
                quotes = 0
                guard i < scalars.count else { throw NotSwift(description: "a lone backslash at the end") }
                let next = scalars[i]
                i += 1
                switch next {
                case "\\": out.append("\\")
                case "\"": out.append("\"")
                case "'": out.append("'")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "0": out.append("\0")
                case "\n" where multiline: break  // a line continuation
                case "u":
                    guard i < scalars.count, scalars[i] == "{", let end = scalars[i...].firstIndex(of: "}") else {
                        throw NotSwift(description: "a malformed \\u{…}")
                    }
                    let hex = String(String.UnicodeScalarView(scalars[(i + 1)..<end]))
                    guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                        throw NotSwift(description: "\\u{\(hex)}")
                    }
                    out.append(scalar)
                    i = end + 1
                case "(": throw NotSwift(description: "an interpolation")
                default: throw NotSwift(description: "an invalid escape \\\(next)")
                }
                continue
            }
            if c == "\"" {
                quotes += 1
                if !multiline || quotes == 3 { throw NotSwift(description: "a quote that ends the literal") }
            } else {
                quotes = 0
            }
            if c.value < 0x20 && c != "\t" && !(multiline && c == "\n") || c.value == 0x7F {
                throw NotSwift(description: "a raw control character U+\(String(c.value, radix: 16))")
            }
            out.append(c)
        }
        return String(out)
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
