import CairnJSON

/// One problem with a declaration, found before any API call.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// The resource's address, or the stack's name for stack-level problems.
    public var address: String
    /// The attribute at fault (a path such as `inlinePolicies.ecr.Statement[0].Action`), if any.
    public var attribute: String?
    /// What is wrong and what to do, as a sentence.
    public var message: String

    public init(address: String, attribute: String? = nil, message: String) {
        self.address = address
        self.attribute = attribute
        self.message = message
    }

    public var description: String {
        if let attribute { return "\(address): \(attribute): \(message)" }
        return "\(address): \(message)"
    }
}

/// What the engine may do with a resource beyond its attributes, as in Terraform's `lifecycle`.
public struct ResourceOptions: Sendable, Hashable {
    /// Extra dependencies beyond those implied by references.
    public var dependsOn: [String]
    /// Refuse any plan that would delete or replace this resource.
    public var preventDestroy: Bool
    /// Attributes whose drift is expected and not reported (e.g. a service's desired count).
    public var ignoreDrift: [String]

    public init(dependsOn: [String] = [], preventDestroy: Bool = false, ignoreDrift: [String] = []) {
        self.dependsOn = dependsOn
        self.preventDestroy = preventDestroy
        self.ignoreDrift = ignoreDrift
    }
}

/// A resource as the code declares it. Concrete resource types (in CairnResources) implement it
/// with typed properties and turn them into attributes here.
public protocol ResourceDeclaration: Sendable {
    /// The resource type, e.g. `aws_s3_bucket`, as its provider registers it.
    static var typeName: String { get }
    /// The name that, with the type, addresses the resource in the stack (`aws_s3_bucket.artifacts`).
    var logicalName: String { get }
    var options: ResourceOptions { get }
    /// Every managed attribute, AWS's defaults filled in, so that a live read compares like for like.
    var attributes: [String: Value] { get }
    /// Naming rules and other checks that need no API call.
    func validate() -> [ValidationIssue]
}

extension ResourceDeclaration {
    /// `type.logicalName`.
    public var address: String { "\(Self.typeName).\(logicalName)" }
    public var typeName: String { Self.typeName }

    /// A reference to one of this resource's outputs.
    public func output(_ name: String) -> Reference { Reference(address: address, output: name) }

    /// The addresses this resource depends on: what its attributes reference, and `dependsOn`.
    public var dependencies: Set<String> {
        var result = Set(options.dependsOn)
        for value in attributes.values { result.formUnion(value.references.map(\.address)) }
        result.remove(address)
        return result
    }

    public func validate() -> [ValidationIssue] { [] }
}
