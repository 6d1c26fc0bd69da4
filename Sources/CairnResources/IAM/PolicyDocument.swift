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
public struct PolicyCondition: Sendable {
    public var test: String
    public var key: String
    /// The values, any of which matches (literals, or outputs of other resources).
    public var inputs: [Input<String>]
    /// The literal values (those from other resources' outputs left out).
    public var values: [String] { inputs.compactMap(\.literal) }

    public init(_ test: String, _ key: String, _ values: [String]) {
        self.init(test, key, inputs: values.map { Input($0) })
    }

    /// A condition on values that other resources' outputs give, such as a bucket policy's `AWS:SourceArn` naming a
    /// CloudFront distribution: `PolicyCondition("StringEquals", "AWS:SourceArn", inputs: [distribution.arn.input])`.
    public init(_ test: String, _ key: String, inputs: [Input<String>]) {
        self.test = test
        self.key = key
        self.inputs = inputs
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
                tests[condition.test, default: [:]][condition.key] = Self.scalarOrArray(condition.inputs.map(\.value))
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
