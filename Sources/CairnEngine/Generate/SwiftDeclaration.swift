import CairnJSON

/// One live resource a discovery found: the id its provider reads it by, and the name a `--name-prefix` matches.
public struct DiscoveredResource: Sendable, Hashable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// A resource type whose live resources `cairn generate` finds and writes back as Swift declarations. Each type says
/// how to list its resources and how a read of one (`Observed`) is declared; the generator does the rest (filters,
/// references, names, order, tags, secrets and the import mapping).
public protocol DiscoverableProvider: ResourceProvider {
    /// The Swift type that declares it, e.g. `ECRRepository`.
    var swiftType: String { get }
    /// What a variable of this type is called when its name adds nothing (`repository`); also the suffix that keeps two
    /// variables apart (`buildRepository`).
    var swiftNoun: String { get }
    /// Whether variable names always end with the noun (`buildRole`), rather than only to keep two apart.
    var swiftNounSuffixed: Bool { get }
    /// The outputs others reference, by output name, with the declaration's property for each
    /// (`["arn": "arn", "name": "repositoryName"]`).
    var swiftOutputs: [String: String] { get }
    /// Every resource of this type in the client's region (IAM's in the account), every page of the listing followed.
    func discover() async throws -> [DiscoveredResource]
    /// The arguments that declare `live`, after the logical name: every managed attribute that differs from the
    /// declaration's default, references through `context`, and anything the declaration cannot say reported there.
    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument]
    /// The live resource `id` as generate declares it, or nil when it is gone: `read` with `prior` (what the stack's state
    /// records for it, or nothing), unless the type can read less (an SSM SecureString's value, which the declaration
    /// takes from the environment, is not decrypted).
    func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed?
}

extension DiscoverableProvider {
    public var swiftNounSuffixed: Bool { false }
    public func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed? { try await read(id: id, prior: prior) }
}

/// A look-up a generated stack may reference (the default VPC and its subnets): declared only when something does.
public struct DiscoveredLookup {
    public var typeName: String
    public var swiftType: String
    /// The variable (and logical name), e.g. `vpc`.
    public var variable: String
    public var outputs: [String: JSON]
    /// Output name → property, as `DiscoverableProvider.swiftOutputs`.
    public var swiftOutputs: [String: String]
    /// The arguments after the logical name; may reference other look-ups through the context.
    public var arguments: (SwiftContext) -> [SwiftArgument]

    public init(
        typeName: String, swiftType: String, variable: String, outputs: [String: JSON], swiftOutputs: [String: String],
        arguments: @escaping (SwiftContext) -> [SwiftArgument] = { _ in [] }
    ) {
        self.typeName = typeName
        self.swiftType = swiftType
        self.variable = variable
        self.outputs = outputs
        self.swiftOutputs = swiftOutputs
        self.arguments = arguments
    }
}

/// A look-up type that offers what it finds to generated stacks.
public protocol DiscoverableLookups: LookupProvider {
    /// The look-ups of this region that generated declarations may reference.
    func discoverLookups() async throws -> [DiscoveredLookup]
}

/// Resources of a kind Cairn has no type for (IAM users), found by name so that `cairn generate` reports them as not
/// declared instead of leaving them out unsaid.
public protocol UndeclarableDiscovery: Sendable {
    /// The kind, as Terraform names it: `aws_iam_user`.
    var kind: String { get }
    /// Every resource of the kind in the client's region (or account), every page followed.
    func discover() async throws -> [DiscoveredResource]
    /// Why one is not declared, said after its kind and name.
    var reason: String { get }
}

extension UndeclarableDiscovery {
    public var reason: String { "Cairn has no resource type \(kind)" }
}

/// One argument of a generated call: `label: expression`, or the expression alone when `label` is nil.
public struct SwiftArgument: Sendable, Hashable {
    public var label: String?
    public var expression: String

    public init(_ label: String?, _ expression: String) {
        self.label = label
        self.expression = expression
    }

    /// `label: expression`.
    public var text: String { label.map { "\($0): \(expression)" } ?? expression }
}

/// Swift source text for literal values.
public enum SwiftCode {
    /// `"text"`, escaped; multi-line text is escaped onto one line (see `multilineConstant` for long text).
    public static func string(_ text: String) -> String {
        var out = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20 || c.value == 0x7F: out += "\\u{\(String(c.value, radix: 16))}"
            default: out.unicodeScalars.append(character)
            }
        }
        return out + "\""
    }

    /// `["a", "b"]`.
    public static func strings(_ items: [String]) -> String { array(items.map(string)) }

    /// `[a, b]` of expressions.
    public static func array(_ expressions: [String]) -> String { "[" + expressions.joined(separator: ", ") + "]" }

    /// `["key": value, …]` of expressions, keys sorted; `[:]` when empty.
    public static func dictionary(_ members: [String: String]) -> String {
        if members.isEmpty { return "[:]" }
        return "[" + members.keys.sorted().map { "\(string($0)): \(members[$0]!)" }.joined(separator: ", ") + "]"
    }

    /// A `JSON` literal (`["source": ["aws.codepipeline"], "n": 1]`), keys sorted.
    public static func json(_ value: JSON) -> String {
        switch value {
        case .null: return "nil"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return JSON.double(d).description
        case .string(let text): return string(text)
        case .array(let items): return array(items.map(json))
        case .object(let members):
            if members.isEmpty { return "[:]" }
            return "[" + members.keys.sorted().map { "\(string($0)): \(json(members[$0]!))" }.joined(separator: ", ") + "]"
        }
    }

    /// A call: `name(arguments)`.
    public static func call(_ name: String, _ arguments: [SwiftArgument]) -> String {
        "\(name)(" + arguments.map(\.text).joined(separator: ", ") + ")"
    }

    /// A file's private constant holding multi-line text (a buildspec), as a person writes it: `private let name = """ … """`,
    /// each line indented by four spaces. Backslashes, quotes that would close the literal, and control characters
    /// (a CR, which Swift would read as a line break, and the others, which it refuses raw) are escaped, so that the
    /// constant holds exactly `text`.
    public static func multilineConstant(_ name: String, _ text: String) -> String {
        var escaped = ""
        var quotes = 0
        for character in text.unicodeScalars {
            // A third quote in a row would close the literal.
            quotes = character == "\"" ? quotes + 1 : 0
            switch character {
            case "\\": escaped += "\\\\"
            case "\"" where quotes == 3:
                escaped += "\\\""
                quotes = 0
            case "\n", "\t": escaped.unicodeScalars.append(character)
            case "\r": escaped += "\\r"
            case let c where c.value < 0x20 || c.value == 0x7F: escaped += "\\u{\(String(c.value, radix: 16))}"
            default: escaped.unicodeScalars.append(character)
            }
        }
        let lines = escaped.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    \($0)" }
        return "private let \(name) = \"\"\"\n" + lines.joined(separator: "\n") + "\n    \"\"\"\n"
    }

    /// Swift's reserved words, which a variable name must not be.
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout", "internal", "let",
        "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var", "break",
        "case", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch",
        "where", "while", "as", "catch", "false", "is", "nil", "super", "self", "Self", "throw", "throws", "true", "try", "any", "some",
        "env", "tags", "await", "async",
    ]
}
