import CairnEngine
import CairnJSON

/// An IAM policy document, typed: statements with effects, principals, actions, resources and conditions.
public struct PolicyDocument: Sendable {
    public var version: String
    public var statements: [PolicyStatement]

    public init(version: String = "2012-10-17", _ statements: [PolicyStatement]) {
        self.version = version
        self.statements = statements
    }

    /// A trust policy that lets `principals` assume a role (`sts:AssumeRole`, or
    /// `sts:AssumeRoleWithWebIdentity` for federated principals).
    public static func trust(_ principals: Principal..., conditions: [PolicyCondition] = []) -> PolicyDocument {
        let federated = principals.contains {
            if case .federated = $0 { return true }
            return false
        }
        return PolicyDocument([
            PolicyStatement(
                effect: .allow, principals: principals,
                actions: [federated ? "sts:AssumeRoleWithWebIdentity" : "sts:AssumeRole"],
                conditions: conditions)
        ])
    }

    /// The document as an attribute value, in IAM's normal form (see `PolicyNormalizer`).
    public var value: Value {
        .object(["Version": .string(version), "Statement": .array(statements.map(\.value))])
    }

    /// Checks what IAM would reject. `requiresResource` is true for identity policies, `requiresPrincipal`
    /// for trust and resource policies.
    public func validate(address: String, attribute: String, requiresResource: Bool, requiresPrincipal: Bool) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if !["2012-10-17", "2008-10-17"].contains(version) {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "\(attribute).Version", message: "'\(version)' is not an IAM policy version: use 2012-10-17."))
        }
        if statements.isEmpty {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: "the policy has no statements: add at least one."))
        }
        var sids = Set<String>()
        for (i, statement) in statements.enumerated() {
            let path = "\(attribute).Statement[\(i)]"
            if let sid = statement.sid {
                if !sid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                    issues.append(
                        ValidationIssue(address: address, attribute: "\(path).Sid", message: "'\(sid)' may contain only letters and digits."))
                }
                if !sids.insert(sid).inserted {
                    issues.append(
                        ValidationIssue(
                            address: address, attribute: "\(path).Sid", message: "'\(sid)' is used by two statements: Sids must be unique."))
                }
            }
            if statement.actions.isEmpty && statement.notActions.isEmpty {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "\(path).Action", message: "the statement has no actions: add some, like \"s3:GetObject\"."))
            }
            for action in statement.actions + statement.notActions where action != "*" {
                let parts = action.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty
                    || !parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
                    || !parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "*" || $0 == "?" })
                {
                    issues.append(
                        ValidationIssue(
                            address: address, attribute: "\(path).Action",
                            message: "'\(action)' is not an IAM action: write it as service:Action, like \"ecr:GetAuthorizationToken\"."))
                }
            }
            if requiresResource && statement.resources.isEmpty && statement.notResources.isEmpty {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "\(path).Resource", message: "the statement names no resource: add one (\"*\" for all)."))
            }
            if requiresPrincipal && statement.principals.isEmpty {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "\(path).Principal",
                        message: "the statement names no principal: add one, like .service(\"codebuild.amazonaws.com\")."))
            }
            if !requiresPrincipal && !statement.principals.isEmpty {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "\(path).Principal", message: "an identity policy cannot name principals: remove them."))
            }
        }
        return issues
    }
}

/// A resource's own policy (a KMS key policy, an SNS topic policy): a typed document, or JSON text (from a file or
/// another tool).
public enum ResourcePolicy: Sendable {
    /// A typed policy document; every statement names a principal.
    case document(PolicyDocument)
    /// A policy as JSON text; refused at validation unless it is a JSON object with statements.
    case json(String)

    /// The policy as an attribute value in IAM's normal form, or the text itself when it is not JSON (which
    /// validation refuses).
    public var value: Value {
        switch self {
        case .document(let document): return document.value
        case .json(let text): return PolicyNormalizer.parse(text).map { .json($0) } ?? .json(.string(text))
        }
    }

    /// What `service` would refuse: text that is not a JSON object with statements, or longer than `maxBytes`; a
    /// document's own problems (`PolicyDocument.validate`, principals required). `noun` names it: "key policy".
    func validate(
        address: String, attribute: String, noun: String, service: String, maxBytes: Int, requiresResource: Bool
    ) -> [ValidationIssue] {
        switch self {
        case .document(let document):
            return document.validate(address: address, attribute: attribute, requiresResource: requiresResource, requiresPrincipal: true)
        case .json(let text):
            let message: String
            if case .object(let members)? = try? JSON(parsing: text) {
                let statement = members["Statement"] ?? .null
                if statement.isNull || statement.arrayValue?.isEmpty == true {
                    message = "the \(noun) has no Statement: add at least one statement (an Effect, a Principal and an Action)."
                } else if text.utf8.count > maxBytes {
                    message = "the \(noun) has \(text.utf8.count) bytes; \(service) allows \(maxBytes)."
                } else {
                    return []
                }
            } else {
                message = "the \(noun) is not valid JSON (a policy document object): fix the text, or declare it as .document(PolicyDocument(...))."
            }
            return [ValidationIssue(address: address, attribute: attribute, message: message)]
        }
    }
}

/// Allow or Deny.
public enum Effect: String, Sendable {
    case allow = "Allow"
    case deny = "Deny"
}

/// Who a trust or resource policy applies to.
public enum Principal: Sendable {
    /// An AWS service, e.g. `codebuild.amazonaws.com`.
    case service(String)
    /// An account id, a role or user ARN.
    case aws(Input<String>)
    /// An identity provider (an OIDC provider's ARN), for web identity.
    case federated(Input<String>)
    /// Everyone (`"*"`).
    case anyone

    var kind: String {
        switch self {
        case .service: return "Service"
        case .aws, .anyone: return "AWS"
        case .federated: return "Federated"
        }
    }

    var value: Value {
        switch self {
        case .service(let name): return .string(name)
        case .aws(let input), .federated(let input): return input.value
        case .anyone: return .string("*")
        }
    }
}

/// One condition: `StringEquals` / `token.actions.githubusercontent.com:aud` / `["sts.amazonaws.com"]`.
/// Values may name other resources' outputs (`aws:SourceAccount` from an account id).
public struct PolicyCondition: Sendable {
    public var test: String
    public var key: String
    public var values: [Input<String>]
    public init(_ test: String, _ key: String, _ values: [Input<String>]) {
        self.test = test
        self.key = key
        self.values = values
    }
}

/// One statement of a policy document.
public struct PolicyStatement: Sendable {
    public var sid: String?
    public var effect: Effect
    public var principals: [Principal]
    public var actions: [String]
    public var notActions: [String]
    public var resources: [Input<String>]
    public var notResources: [Input<String>]
    public var conditions: [PolicyCondition]

    public init(
        sid: String? = nil, effect: Effect = .allow, principals: [Principal] = [], actions: [String] = [],
        notActions: [String] = [], resources: [Input<String>] = [], notResources: [Input<String>] = [],
        conditions: [PolicyCondition] = []
    ) {
        self.sid = sid
        self.effect = effect
        self.principals = principals
        self.actions = actions
        self.notActions = notActions
        self.resources = resources
        self.notResources = notResources
        self.conditions = conditions
    }

    var value: Value {
        var members: [String: Value] = ["Effect": .string(effect.rawValue)]
        if let sid { members["Sid"] = .string(sid) }
        if !principals.isEmpty {
            if principals.count == 1, case .anyone = principals[0] {
                members["Principal"] = .string("*")
            } else {
                var byKind: [String: [Value]] = [:]
                for principal in principals { byKind[principal.kind, default: []].append(principal.value) }
                members["Principal"] = .object(byKind.mapValues(Self.scalarOrArray))
            }
        }
        if !actions.isEmpty { members["Action"] = Self.scalarOrArray(actions.map { .string($0) }) }
        if !notActions.isEmpty { members["NotAction"] = Self.scalarOrArray(notActions.map { .string($0) }) }
        if !resources.isEmpty { members["Resource"] = Self.scalarOrArray(resources.map(\.value)) }
        if !notResources.isEmpty { members["NotResource"] = Self.scalarOrArray(notResources.map(\.value)) }
        if !conditions.isEmpty {
            var tests: [String: [String: Value]] = [:]
            for condition in conditions {
                tests[condition.test, default: [:]][condition.key] = Self.scalarOrArray(condition.values.map(\.value))
            }
            members["Condition"] = .object(tests.mapValues { .object($0) })
        }
        return .object(members)
    }

    /// IAM's normal form writes a one-element list as its element.
    static func scalarOrArray(_ values: [Value]) -> Value {
        values.count == 1 ? values[0] : .array(values)
    }
}

/// Puts a policy document read from AWS into the same normal form that declarations produce, so that
/// key order, whitespace, URL-encoding and one-element lists never show as a difference.
public enum PolicyNormalizer {
    /// Parses `text` (possibly URL-encoded, as IAM returns it) and normalises it; nil if it is not JSON.
    public static func parse(_ text: String) -> JSON? {
        // Plain JSON first: a document that parses as it is was not URL-encoded, and decoding it would corrupt
        // any literal `%` in it. An encoded one never parses (it starts with `%7B`, or `%20`/`%0A` before that).
        if let json = try? JSON(parsing: text) { return normalize(json) }
        guard let decoded = text.removingPercentEncoding, let json = try? JSON(parsing: decoded) else { return nil }
        return normalize(json)
    }

    /// Normalises a parsed document.
    public static func normalize(_ document: JSON) -> JSON {
        guard case .object(var members) = document else { return document }
        if let statement = members["Statement"] {
            let list: [JSON]
            if case .array(let items) = statement { list = items } else { list = [statement] }
            members["Statement"] = .array(list.map(normalizeStatement))
        }
        return .object(members)
    }

    /// Whether two normalised documents grant the same: the same statements in the same order, each one's actions in
    /// any order, with the `Version`, the `Id` and the `Sid`s aside (which services word differently in their default
    /// policies).
    public static func grantsAlike(_ a: JSON, _ b: JSON) -> Bool {
        func essence(_ document: JSON) -> [JSON] {
            (document["Statement"]?.arrayValue ?? []).map { statement in
                guard case .object(var members) = statement else { return statement }
                members["Sid"] = nil
                for key in ["Action", "NotAction"] {
                    if case .array(let actions)? = members[key] { members[key] = .array(actions.sorted { $0.description < $1.description }) }
                }
                return .object(members)
            }
        }
        return essence(a) == essence(b)
    }

    static func normalizeStatement(_ statement: JSON) -> JSON {
        guard case .object(var members) = statement else { return statement }
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            if let value = members[key] { members[key] = collapse(value) }
        }
        if let principal = members["Principal"], case .object(let kinds) = principal {
            members["Principal"] = .object(kinds.mapValues(collapse))
        }
        if let condition = members["Condition"], case .object(let tests) = condition {
            members["Condition"] = .object(
                tests.mapValues { test in
                    guard case .object(let keys) = test else { return test }
                    return .object(keys.mapValues { collapse(conditionValues($0)) })
                })
        }
        return .object(members)
    }

    /// IAM compares condition values as text: `true` and `"true"`, `3600` and `"3600"` mean the same, and
    /// declarations always write text.
    static func conditionValues(_ value: JSON) -> JSON {
        switch value {
        case .bool(let b): return .string(b ? "true" : "false")
        case .int(let i): return .string(String(i))
        case .double(let d): return .string(JSON.double(d).description)
        case .array(let items): return .array(items.map(conditionValues))
        default: return value
        }
    }

    static func collapse(_ value: JSON) -> JSON {
        if case .array(let items) = value, items.count == 1 { return items[0] }
        return value
    }
}

// MARK: cairn generate

extension PolicyDocument {
    /// Swift for a policy document read from AWS (IAM's normal form): `.trust(.service("…"))` for a plain trust policy,
    /// else `PolicyDocument([PolicyStatement(…), …])`, ARNs of other resources found as references. Nil when the document
    /// uses what `PolicyStatement` cannot say (an unknown element, a value that is not text).
    static func swift(_ document: JSON, in context: SwiftContext) -> String? {
        guard case .object(let members) = document, let statements = members["Statement"]?.arrayValue,
            Set(members.keys).isSubset(of: ["Version", "Statement"])
        else { return nil }
        let version = members["Version"]?.stringValue ?? "2012-10-17"
        if version == "2012-10-17", statements.count == 1, let trust = trustSwift(statements[0], in: context) { return trust }
        var parts: [String] = []
        for statement in statements {
            guard let part = statementSwift(statement, in: context) else { return nil }
            parts.append(part)
        }
        let list = SwiftCode.array(parts)
        return version == "2012-10-17" ? "PolicyDocument(\(list))" : "PolicyDocument(version: \(context.literal(version)), \(list))"
    }

    /// `.trust(principals…)` for a statement that `trust` writes: Allow, no Sid, `sts:AssumeRole` (or
    /// `sts:AssumeRoleWithWebIdentity` for federated principals) and principals, perhaps with conditions.
    private static func trustSwift(_ statement: JSON, in context: SwiftContext) -> String? {
        guard case .object(let members) = statement, members["Sid"] == nil, members["Effect"]?.stringValue == "Allow",
            Set(members.keys).isSubset(of: ["Effect", "Principal", "Action", "Condition"]),
            let action = members["Action"]?.stringValue, let principals = principalsSwift(members["Principal"], in: context), !principals.isEmpty
        else { return nil }
        let federated = principals.contains { $0.hasPrefix(".federated") }
        guard action == (federated ? "sts:AssumeRoleWithWebIdentity" : "sts:AssumeRole") else { return nil }
        var arguments = principals.map { SwiftArgument(nil, $0) }
        if let condition = members["Condition"] {
            guard let conditions = conditionsSwift(condition, in: context) else { return nil }
            arguments.append(SwiftArgument("conditions", conditions))
        }
        return SwiftCode.call(".trust", arguments)
    }

    private static func statementSwift(_ statement: JSON, in context: SwiftContext) -> String? {
        guard case .object(let members) = statement,
            Set(members.keys).isSubset(of: ["Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource", "Condition"])
        else { return nil }
        var arguments: [SwiftArgument] = []
        if let sid = members["Sid"] {
            guard let text = sid.stringValue else { return nil }
            arguments.append(SwiftArgument("sid", context.literal(text)))
        }
        switch members["Effect"]?.stringValue {
        case "Allow": break
        case "Deny": arguments.append(SwiftArgument("effect", ".deny"))
        default: return nil
        }
        if let principal = members["Principal"] {
            guard let principals = principalsSwift(principal, in: context) else { return nil }
            arguments.append(SwiftArgument("principals", SwiftCode.array(principals)))
        }
        for (key, label) in [("Action", "actions"), ("NotAction", "notActions")] {
            guard let value = members[key] else { continue }
            guard let items = texts(value) else { return nil }
            arguments.append(SwiftArgument(label, SwiftCode.strings(items)))
        }
        for (key, label) in [("Resource", "resources"), ("NotResource", "notResources")] {
            guard let value = members[key] else { continue }
            guard let items = texts(value) else { return nil }
            arguments.append(SwiftArgument(label, context.inputs(items)))
        }
        if let condition = members["Condition"] {
            guard let conditions = conditionsSwift(condition, in: context) else { return nil }
            arguments.append(SwiftArgument("conditions", conditions))
        }
        return SwiftCode.call("PolicyStatement", arguments)
    }

    /// `[.service("…"), .aws(…), …]` in the order `PolicyStatement.value` groups them back.
    private static func principalsSwift(_ principal: JSON?, in context: SwiftContext) -> [String]? {
        guard let principal else { return nil }
        if principal.stringValue == "*" { return [".anyone"] }
        guard case .object(let kinds) = principal, Set(kinds.keys).isSubset(of: ["Service", "AWS", "Federated"]) else { return nil }
        var out: [String] = []
        for kind in ["Service", "AWS", "Federated"] {
            guard let value = kinds[kind] else { continue }
            guard let items = texts(value) else { return nil }
            for item in items {
                switch kind {
                case "Service": out.append(".service(\(context.literal(item)))")
                case "AWS": out.append(".aws(\(context.input(item)))")
                default: out.append(".federated(\(context.input(item)))")
                }
            }
        }
        return out
    }

    private static func conditionsSwift(_ condition: JSON, in context: SwiftContext) -> String? {
        guard case .object(let tests) = condition else { return nil }
        var out: [String] = []
        for test in tests.keys.sorted() {
            guard case .object(let keys)? = tests[test] else { return nil }
            for key in keys.keys.sorted() {
                guard let values = texts(keys[key]!) else { return nil }
                out.append("PolicyCondition(\(context.literal(test)), \(context.literal(key)), \(context.inputs(values)))")
            }
        }
        return SwiftCode.array(out)
    }

    /// What in `document` `swift(_:in:)` cannot write, in a few words (`its Id`, `NotPrincipal`), for the message that
    /// says so.
    static func unsayable(_ document: JSON) -> String {
        guard case .object(let members) = document, let statements = members["Statement"]?.arrayValue else { return "it is not a policy document" }
        var found = Set(members.keys).subtracting(["Version", "Statement"]).map { "its \($0)" }
        for statement in statements {
            guard case .object(let fields) = statement else { continue }
            found += Set(fields.keys).subtracting(["Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource", "Condition"])
            if case .object(let kinds)? = fields["Principal"] {
                found += Set(kinds.keys).subtracting(["Service", "AWS", "Federated"]).map { "a \($0) principal" }
            }
        }
        let unique = Array(Set(found)).sorted()
        return unique.isEmpty ? "a value of a form it does not write" : unique.joined(separator: ", ")
    }

    /// A string, or a list of strings, as a list.
    static func texts(_ value: JSON) -> [String]? {
        if let text = value.stringValue { return [text] }
        guard let items = value.arrayValue else { return nil }
        let strings = items.compactMap(\.stringValue)
        return strings.count == items.count ? strings : nil
    }
}
