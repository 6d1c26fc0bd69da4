import CairnEngine
import CairnJSON

/// A typed output of a declared resource (`role.arn`), usable as an input of another resource.
/// Each use is a dependency edge.
public struct Output<T: Sendable>: Sendable {
    public let reference: Reference
    public init(_ reference: Reference) { self.reference = reference }
}

/// A property value: a literal, another resource's output, or text interpolating outputs
/// (`"\(bucket.arn)/*"`).
public struct Input<T: Sendable>: Sendable {
    public let value: Value
    public init(value: Value) { self.value = value }

    public static func output(_ output: Output<T>) -> Input { Input(value: .reference(output.reference)) }
    /// Marks the value sensitive: masked everywhere, encrypted in the state.
    public static func sensitive(_ input: Input) -> Input { Input(value: .sensitive(input.value)) }
}

extension Input: ExpressibleByUnicodeScalarLiteral, ExpressibleByExtendedGraphemeClusterLiteral, ExpressibleByStringLiteral,
    ExpressibleByStringInterpolation
where T == String {
    public init(stringLiteral value: String) { self.value = .json(.string(value)) }
    public init(_ text: String) { self.value = .json(.string(text)) }
    public init(stringInterpolation: Interpolation) {
        let parts = stringInterpolation.parts
        if parts.count == 1, case .json = parts[0] { value = parts[0] } else { value = .concat(parts) }
    }

    /// String interpolation that accepts outputs: `"arn:aws:s3:::\(bucket.name)/*"`.
    public struct Interpolation: StringInterpolationProtocol {
        var parts: [Value] = []
        public init(literalCapacity: Int, interpolationCount: Int) {}
        public mutating func appendLiteral(_ literal: String) { if !literal.isEmpty { parts.append(.json(.string(literal))) } }
        public mutating func appendInterpolation(_ output: Output<String>) { parts.append(.reference(output.reference)) }
        public mutating func appendInterpolation(_ input: Input<String>) { parts.append(input.value) }
        public mutating func appendInterpolation<V: CustomStringConvertible>(_ value: V) { parts.append(.json(.string(value.description))) }
    }
}

extension Input: ExpressibleByIntegerLiteral where T == Int {
    public init(integerLiteral value: Int) { self.value = .json(.int(value)) }
}

extension Input where T == String {
    /// The literal text, or nil when the value comes from another resource.
    public var literal: String? {
        if case .json(.string(let s)) = value { return s }
        return nil
    }
}

extension Output where T == String {
    /// As an input (for APIs taking `Input<String>`).
    public var input: Input<String> { .output(self) }
}

/// AWS resource tags, kept sorted so that equal sets compare equal.
public typealias Tags = [String: String]

extension Dictionary where Key == String, Value == String {
    /// As an attribute value.
    var json: JSON { .object(mapValues { .string($0) }) }
}

/// Builds attribute maps concisely.
extension CairnEngine.Value {
    static func string(_ s: String) -> CairnEngine.Value { .json(.string(s)) }
    static func bool(_ b: Bool) -> CairnEngine.Value { .json(.bool(b)) }
    static func int(_ i: Int) -> CairnEngine.Value { .json(.int(i)) }
    static func optional(_ s: String?) -> CairnEngine.Value { s.map { .json(.string($0)) } ?? .null }
}

extension VariableValues {
    /// A variable's value as a resource property; a sensitive variable's stays masked in plans and
    /// output and encrypted in the state.
    public func input<T>(_ variable: Variable<T>) -> Input<T> { Input(value: value(variable)) }
}
