import CairnJSON

/// Points at one output (`arn`, `name`, `uri`, …) of a resource in the same stack.
public struct Reference: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address of the resource, e.g. `aws_iam_role.build`.
    public let address: String
    /// The output's name, e.g. `arn`.
    public let output: String

    public init(address: String, output: String) {
        self.address = address
        self.output = output
    }

    public var description: String { "\(address).\(output)" }
    public static func < (a: Reference, b: Reference) -> Bool { a.description < b.description }
}

/// A declared attribute value: concrete data, another resource's output, text built from both, or
/// a value to keep secret.
public indirect enum Value: Sendable, Hashable {
    case json(JSON)
    case reference(Reference)
    /// Strings and references joined into one string (`"\(bucket.arn)/*"`).
    case concat([Value])
    case array([Value])
    case object([String: Value])
    /// Never shown in plans, logs or errors; encrypted in the state.
    case sensitive(Value)

    public static let null = Value.json(.null)

    /// A secret whose source (an environment variable) is not set: the stack is refused before any
    /// API call, naming the attribute and the variable.
    public static func missingSecret(_ source: String) -> Value {
        .sensitive(.json(.object([missingSecretKey: .string(source)])))
    }

    static let missingSecretKey = "$missingSecret"

    /// The sources of every missing secret inside, with their paths.
    public func missingSecrets(path: String = "") -> [(path: String, source: String)] {
        switch self {
        case .json(.object(let members)):
            if members.count == 1, let source = members[Self.missingSecretKey]?.stringValue { return [(path, source)] }
            return []
        case .json, .reference: return []
        case .concat(let parts): return parts.flatMap { $0.missingSecrets(path: path) }
        case .array(let items): return items.enumerated().flatMap { $1.missingSecrets(path: "\(path)[\($0)]") }
        case .object(let members):
            return members.sorted { $0.key < $1.key }.flatMap { $1.missingSecrets(path: path.isEmpty ? $0 : "\(path).\($0)") }
        case .sensitive(let inner): return inner.missingSecrets(path: path)
        }
    }

    /// Every reference inside, each one a dependency edge.
    public var references: Set<Reference> {
        switch self {
        case .json: return []
        case .reference(let reference): return [reference]
        case .concat(let parts), .array(let parts): return parts.reduce(into: []) { $0.formUnion($1.references) }
        case .object(let members): return members.values.reduce(into: []) { $0.formUnion($1.references) }
        case .sensitive(let inner): return inner.references
        }
    }

    /// The concrete value, with `Unknown` markers where an output is not known yet (`lookup` returns
    /// nil), and the paths of the sensitive parts added to `sensitivePaths`.
    public func resolve(path: String = "", sensitivePaths: inout Set<String>, lookup: (Reference) -> JSON?) -> JSON {
        switch self {
        case .json(let json):
            return json
        case .reference(let reference):
            return lookup(reference) ?? Unknown.marker(reference)
        case .concat(let parts):
            return Unknown.join(parts.map { $0.resolve(path: path, sensitivePaths: &sensitivePaths, lookup: lookup) })
        case .array(let items):
            return .array(items.enumerated().map { $1.resolve(path: "\(path)[\($0)]", sensitivePaths: &sensitivePaths, lookup: lookup) })
        case .object(let members):
            var out: [String: JSON] = [:]
            for (key, member) in members {
                out[key] = member.resolve(path: path.isEmpty ? key : "\(path).\(key)", sensitivePaths: &sensitivePaths, lookup: lookup)
            }
            return .object(out)
        case .sensitive(let inner):
            sensitivePaths.insert(path)
            return inner.resolve(path: path, sensitivePaths: &sensitivePaths, lookup: lookup)
        }
    }
}

/// How a value that is not known until apply (another resource's output) is carried in plan data:
/// `{"$unknown": "aws_iam_role.build#arn"}`, and text built from one as
/// `{"$unknown": "aws_iam_role.build#arn", "$concat": ["arn-parts", {"$unknown": …}, "/*"]}`.
public enum Unknown {
    public static let key = "$unknown"
    static let concatKey = "$concat"

    /// Parts joined into one string, or a concat marker while some part is unknown.
    static func join(_ parts: [JSON]) -> JSON {
        if let first = parts.lazy.compactMap(reference(in:)).first {
            return .object([key: .string("\(first.address)#\(first.output)"), concatKey: .array(parts)])
        }
        var text = ""
        for value in parts {
            switch value {
            case .string(let s): text += s
            case .int(let i): text += String(i)
            case .double(let d): text += String(d)
            case .bool(let b): text += String(b)
            default: text += value.description
            }
        }
        return .string(text)
    }

    public static func marker(_ reference: Reference) -> JSON {
        .object([key: .string("\(reference.address)#\(reference.output)")])
    }

    /// The reference a marker stands for, or nil when `value` is not a marker.
    public static func reference(in value: JSON) -> Reference? {
        guard case .object(let members) = value, members.count == 1 || (members.count == 2 && members[concatKey] != nil),
            let text = members[key]?.stringValue,
            let hash = text.lastIndex(of: "#")
        else { return nil }
        return Reference(address: String(text[..<hash]), output: String(text[text.index(after: hash)...]))
    }

    /// Whether `value` contains a marker anywhere.
    public static func contains(_ value: JSON) -> Bool {
        if reference(in: value) != nil { return true }
        switch value {
        case .array(let items): return items.contains(where: contains)
        case .object(let members): return members.values.contains(where: contains)
        default: return false
        }
    }

    /// Replaces every marker whose output is now known.
    public static func substitute(_ value: JSON, lookup: (Reference) -> JSON?) -> JSON {
        if case .object(let members) = value, let parts = members[concatKey]?.arrayValue, reference(in: value) != nil {
            return join(parts.map { substitute($0, lookup: lookup) })
        }
        if let reference = reference(in: value) { return lookup(reference) ?? value }
        switch value {
        case .array(let items): return .array(items.map { substitute($0, lookup: lookup) })
        case .object(let members): return .object(members.mapValues { substitute($0, lookup: lookup) })
        default: return value
        }
    }
}
