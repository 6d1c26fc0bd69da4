import CairnJSON
import Foundation

/// A type a stack variable can have: text on the command line or in `CAIRN_VAR_name`, JSON in a
/// `--var-file`.
public protocol VariableType: Sendable {
    /// What a value looks like, for messages: "a whole number".
    static var kind: String { get }
    /// The value written on the command line or in the environment; nil when it is not one.
    init?(text: String)
    /// The value in a variable file; nil when it is not one.
    init?(json: JSON)
    var json: JSON { get }
    /// What a read of a variable that has no value returns while the stack is only being looked at
    /// (`cairn state list` needs no variables); never applied.
    static var placeholder: Self { get }
}

extension String: VariableType {
    public static var kind: String { "a string" }
    public init?(text: String) { self = text }
    public init?(json: JSON) {
        guard let value = json.stringValue else { return nil }
        self = value
    }
    public var json: JSON { .string(self) }
    public static var placeholder: String { "" }
}

extension Int: VariableType {
    public static var kind: String { "a whole number" }
    public init?(text: String) { self.init(text.trimmingCharacters(in: .whitespaces)) }
    public init?(json: JSON) {
        switch json {
        case .int(let value): self = value
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: self = Int(value)
        default: return nil
        }
    }
    public var json: JSON { .int(self) }
    public static var placeholder: Int { 0 }
}

extension Double: VariableType {
    public static var kind: String { "a number" }
    public init?(text: String) {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        self = value
    }
    public init?(json: JSON) {
        switch json {
        case .int(let value): self = Double(value)
        case .double(let value): self = value
        default: return nil
        }
    }
    public var json: JSON { .double(self) }
    public static var placeholder: Double { 0 }
}

extension Bool: VariableType {
    public static var kind: String { "true or false" }
    public init?(text: String) {
        switch text.trimmingCharacters(in: .whitespaces) {
        case "true": self = true
        case "false": self = false
        default: return nil
        }
    }
    public init?(json: JSON) {
        guard case .bool(let value) = json else { return nil }
        self = value
    }
    public var json: JSON { .bool(self) }
    public static var placeholder: Bool { false }
}

extension Array: VariableType where Element == String {
    public static var kind: String { "a list of strings, written as JSON: [\"a\", \"b\"]" }
    public init?(text: String) {
        guard let json = try? JSON(parsing: text) else { return nil }
        self.init(json: json)
    }
    public init?(json: JSON) {
        guard case .array(let items) = json else { return nil }
        let strings = items.compactMap(\.stringValue)
        guard strings.count == items.count else { return nil }
        self = strings
    }
    public var json: JSON { .array(map { .string($0) }) }
    public static var placeholder: [String] { [] }
}

/// An optional variable: `Variable<Int?>("images_kept")` is nil unless set, and never required.
extension Optional: VariableType where Wrapped: VariableType {
    public static var kind: String { Wrapped.kind }
    public init?(text: String) {
        guard let value = Wrapped(text: text) else { return nil }
        self = .some(value)
    }
    public init?(json: JSON) {
        if case .null = json {
            self = .none
            return
        }
        guard let value = Wrapped(json: json) else { return nil }
        self = .some(value)
    }
    public var json: JSON { self?.json ?? .null }
    public static var placeholder: Self { .none }
}

/// Marks `Optional` variable types, whose default is nil rather than "required".
private protocol OptionalVariableType {}
extension Optional: OptionalVariableType where Wrapped: VariableType {}

/// A value a stack takes from whoever runs it, typed: `--var name=value`, a `--var-file` (JSON),
/// or `CAIRN_VAR_name`, else its default; without a default it is required, unless its type is
/// optional (`Variable<Int?>`), when it is nil.
///
/// ```swift
/// let imagesKept = Variable<Int>("images_kept", default: 10, description: "Images the repository keeps")
/// let definition = StackDefinition(name: "my-infra", summary: "…", region: "eu-north-1", variables: [imagesKept]) { env, vars in
///     … vars[imagesKept] …
/// }
/// ```
///
/// A sensitive variable is read with `vars.value(_:)` (or `vars.input(_:)` for a resource
/// property): masked in plans and output, encrypted in the state, never echoed in an error.
public struct Variable<T: VariableType>: StackVariable {
    public let name: String
    public let defaultValue: T?
    public let sensitive: Bool
    public let description: String
    /// An environment variable the value may also come from (`DEV_APPROVAL_EMAIL`), for the names a
    /// team's scripts already export; `CAIRN_VAR_name` always works too, and wins over it.
    public let environment: String?
    /// What is wrong with a value, as the rest of a sentence ("must be OWNER/REPO"), or nil.
    public let validation: (@Sendable (T) -> String?)?

    /// - Parameters:
    ///   - environment: another environment variable that sets it, ranked just above the default.
    ///   - validation: checks a value as Terraform's `validation` blocks do: nil when it is fine,
    ///     else what is wrong ("must look like OWNER/REPO"); a value it refuses stops the command
    ///     before any API call, naming the variable.
    public init(
        _ name: String, default defaultValue: T? = nil, sensitive: Bool = false, description: String = "",
        environment: String? = nil, validation: (@Sendable (T) -> String?)? = nil
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.sensitive = sensitive
        self.description = description
        self.environment = environment
        self.validation = validation
    }

    public var declaration: VariableDeclaration {
        let fallback: JSON? = T.self is any OptionalVariableType.Type ? .null : nil
        let validation = self.validation
        return VariableDeclaration(
            name: name, kind: T.kind, defaultValue: defaultValue?.json ?? fallback, sensitive: sensitive, description: description,
            alias: environment, parseText: { T(text: $0)?.json }, parseJSON: { T(json: $0)?.json },
            check: { json in T(json: json).flatMap { value in validation?(value) } })
    }
}

/// Any `Variable`, whatever its type: what `StackDefinition(variables:)` takes.
public protocol StackVariable: Sendable {
    var declaration: VariableDeclaration { get }
}

/// A variable's name, type, default and sensitivity, without its Swift type.
public struct VariableDeclaration: Sendable {
    public let name: String
    /// What a value looks like, for messages: "a whole number".
    public let kind: String
    /// Nil for a required variable.
    public let defaultValue: JSON?
    public let sensitive: Bool
    public let description: String
    /// Another environment variable that sets it (see `Variable.environment`).
    public let alias: String?
    let parseText: @Sendable (String) -> JSON?
    let parseJSON: @Sendable (JSON) -> JSON?
    let check: @Sendable (JSON) -> String?

    /// The environment variable that sets it.
    public var environmentName: String { "CAIRN_VAR_\(name)" }
    /// The environment variables that set it, lowest rank first.
    var environmentNames: [String] { (alias.map { [$0] } ?? []) + [environmentName] }
    /// How to set it from the environment, for messages: `CAIRN_VAR_x` or `DEV_X (or CAIRN_VAR_x)`.
    public var environmentHint: String { alias.map { "\($0) (or \(environmentName))" } ?? environmentName }
}

/// Why a stack's variables cannot be set: one sentence naming the variable and what to do.
public struct VariableError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The values of a stack's variables for one run: given ones, else defaults.
public struct VariableValues: Sendable {
    /// The stack's variables, by name.
    public let declarations: [String: VariableDeclaration]
    /// Each variable's value, where it has one.
    public let values: [String: JSON]
    /// Where each value came from (`--var`, a file, `CAIRN_VAR_…`, the default).
    public let sources: [String: String]
    private let reads = ReadLog()

    /// Values for `declarations` from, lowest first: defaults, `CAIRN_VAR_name` in `environment`,
    /// the variable files in order, then `--var` assignments in order (as Terraform ranks them).
    /// Unknown names in files or `--var`, text that is not `NAME=VALUE`, a file that is not a JSON
    /// object, and values of the wrong type throw, naming the variable and the source. A required
    /// variable without a value is not an error here: `StackDefinition.instantiate` decides.
    public static func resolve(
        stack: String, declarations: [VariableDeclaration], assignments: [String] = [],
        files: [(path: String, contents: Data)] = [], environment: [String: String] = [:]
    ) throws -> VariableValues {
        var byName: [String: VariableDeclaration] = [:]
        for declaration in declarations {
            guard declaration.name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw VariableError(
                    "Stack '\(stack)' declares a variable named '\(declaration.name)': a variable name is letters, digits and underscores, starting with a letter or underscore."
                )
            }
            guard byName.updateValue(declaration, forKey: declaration.name) == nil else {
                throw VariableError("Stack '\(stack)' declares the variable '\(declaration.name)' twice: give each variable its own name.")
            }
        }
        func unknown(_ name: String, in source: String) -> VariableError {
            let known = byName.keys.sorted()
            let list = known.isEmpty ? "it declares none" : "its variables are \(known.joined(separator: ", "))"
            return VariableError(
                "\(source) sets '\(name)', which stack '\(stack)' does not declare (\(list)): fix the name, or declare it with Variable(\"\(name)\")."
            )
        }
        func wrongType(_ declaration: VariableDeclaration, in source: String, given: String) -> VariableError {
            let shown = declaration.sensitive ? "" : " (\(given))"
            return VariableError(
                "The variable '\(declaration.name)' must be \(declaration.kind), and \(source) gives something else\(shown): fix the value.")
        }

        var values: [String: JSON] = [:]
        var sources: [String: String] = [:]
        for declaration in declarations {
            if let value = declaration.defaultValue { (values[declaration.name], sources[declaration.name]) = (value, "its default") }
            for variable in declaration.environmentNames {
                guard let text = environment[variable] else { continue }
                guard let value = declaration.parseText(text) else { throw wrongType(declaration, in: variable, given: "'\(text)'") }
                (values[declaration.name], sources[declaration.name]) = (value, variable)
            }
        }
        for file in files {
            let json: JSON
            do { json = try JSON(parsing: Array(file.contents)) } catch {
                throw VariableError(
                    "The variable file \(file.path) is not JSON (\(error)): write one object of variable names and values, e.g. {\"images_kept\": 20}."
                )
            }
            guard case .object(let members) = json else {
                throw VariableError(
                    "The variable file \(file.path) holds JSON that is not an object: write one object of variable names and values, e.g. {\"images_kept\": 20}."
                )
            }
            for (name, given) in members.sorted(by: { $0.key < $1.key }) {
                guard let declaration = byName[name] else { throw unknown(name, in: "The variable file \(file.path)") }
                guard let value = declaration.parseJSON(given) else {
                    throw wrongType(declaration, in: "the variable file \(file.path)", given: given.description)
                }
                (values[name], sources[name]) = (value, file.path)
            }
        }
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw VariableError("--var '\(assignment)' is not NAME=VALUE: write it like --var images_kept=20.")
            }
            let name = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            guard let declaration = byName[name] else { throw unknown(name, in: "--var") }
            guard let value = declaration.parseText(text) else { throw wrongType(declaration, in: "--var", given: "'\(text)'") }
            (values[name], sources[name]) = (value, "--var")
        }
        for name in values.keys.sorted() {
            guard let problem = byName[name]!.check(values[name]!) else { continue }
            let shown = byName[name]!.sensitive ? "" : " (\(values[name]!.stringValue.map { "'\($0)'" } ?? values[name]!.description))"
            throw VariableError("The variable '\(name)' from \(sources[name]!)\(shown) \(problem): fix the value.")
        }
        return VariableValues(declarations: byName, values: values, sources: sources)
    }

    /// A variable's value. Reading a variable the stack did not declare, a sensitive one (use
    /// `value(_:)`), or a required one without a value makes `StackDefinition.instantiate` fail,
    /// naming it; the read itself returns a placeholder so the stack's code can run on.
    public subscript<T>(_ variable: Variable<T>) -> T {
        if variable.sensitive {
            reads.problem(
                variable.name,
                "The variable '\(variable.name)' is sensitive: read it with vars.value(\(variable.name)) or vars.input(\(variable.name)), which keep it masked in plans and encrypted in the state."
            )
            return T.placeholder
        }
        return read(variable)
    }

    /// A variable's value as a declared attribute value; a sensitive variable's is masked in plans
    /// and output and encrypted in the state.
    public func value<T>(_ variable: Variable<T>) -> Value {
        let json = read(variable).json
        return variable.sensitive ? .sensitive(.json(json)) : .json(json)
    }

    private func read<T>(_ variable: Variable<T>) -> T {
        guard declarations[variable.name] != nil else {
            reads.problem(
                variable.name, "The stack reads the variable '\(variable.name)' but does not declare it: add it to StackDefinition(variables:).")
            return variable.defaultValue ?? T.placeholder
        }
        // A required variable without a value: `instantiate` names it (or, for commands that only
        // look at the state, lets the placeholder stand).
        guard let json = values[variable.name] else { return T.placeholder }
        return T(json: json) ?? T.placeholder
    }

    /// Required variables without a value.
    public var missing: [String] { declarations.values.filter { $0.defaultValue == nil && values[$0.name] == nil }.map(\.name).sorted() }

    /// The problems reads found, in the order they happened.
    var readProblems: [String] { reads.problems }
}

/// What reads of variables found wrong, collected while a stack's code runs (reads cannot throw).
private final class ReadLog: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var seen: Set<String> = []
    private var found: [String] = []

    func problem(_ name: String, _ message: String) {
        lock.withLock { if seen.insert(name).inserted { found.append(message) } }
    }

    var problems: [String] { lock.withLock { found } }
}
