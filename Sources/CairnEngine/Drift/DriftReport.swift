import CairnJSON
import Foundation

/// One attribute that differs between the state and AWS.
public struct DriftedAttribute: Sendable, Hashable {
    public var path: String
    public var recorded: JSON?
    public var live: JSON?
    public var sensitive: Bool

    public init(path: String, recorded: JSON?, live: JSON?, sensitive: Bool = false) {
        self.path = path
        self.recorded = recorded
        self.live = live
        self.sensitive = sensitive
    }
}

/// How a resource drifted.
public enum DriftStatus: String, Sendable, Hashable {
    case changed, deleted, unmanaged
}

/// One drifted resource.
public struct DriftedResource: Sendable, Hashable {
    public var address: String
    public var type: String
    public var id: String
    public var status: DriftStatus
    public var attributes: [DriftedAttribute]

    public init(address: String, type: String, id: String, status: DriftStatus, attributes: [DriftedAttribute] = []) {
        self.address = address
        self.type = type
        self.id = id
        self.status = status
        self.attributes = attributes
    }
}

/// The result of one drift check.
public struct DriftReport: Sendable, Hashable {
    public var stack: String
    public var environment: String
    public var checkedAt: Date
    /// Every resource that drifted; empty when nothing did.
    public var resources: [DriftedResource]
    /// How many resources were checked.
    public var checked: Int
    /// The id of the run this report is recorded as in the stack's drift history (`cairn drift STACK --run ID` prints
    /// it again); nil when it is not recorded (a targeted check).
    public var run: Int64?

    public init(stack: String, environment: String, checkedAt: Date, resources: [DriftedResource], checked: Int, run: Int64? = nil) {
        self.stack = stack
        self.environment = environment
        self.checkedAt = checkedAt
        self.resources = resources
        self.checked = checked
        self.run = run
    }

    /// A report read back from its documented JSON form (`json`), as a drift run records it. Sensitive values were
    /// recorded as `(sensitive)` and stay so. Nil when `json` is not that form.
    public init?(json: JSON, run: Int64? = nil) {
        guard let stack = json["stack"]?.stringValue, let environment = json["environment"]?.stringValue,
            let checkedAt = json["checkedAt"]?.stringValue.flatMap(ISO8601DateFormatter().date(from:)),
            let checked = json["checked"]?.intValue, let entries = json["resources"]?.arrayValue
        else { return nil }
        var resources: [DriftedResource] = []
        for entry in entries {
            guard let address = entry["address"]?.stringValue, let type = entry["type"]?.stringValue, let id = entry["id"]?.stringValue,
                let status = entry["status"]?.stringValue.flatMap(DriftStatus.init(rawValue:))
            else { return nil }
            let attributes = (entry["attributes"]?.arrayValue ?? []).compactMap { attribute -> DriftedAttribute? in
                guard let path = attribute["path"]?.stringValue else { return nil }
                // The JSON form writes an absent value as null (JSON's own nil literal would read back as null).
                let recorded: JSON? = attribute["recorded"].flatMap { value -> JSON? in value.isNull ? .none : value }
                let live: JSON? = attribute["live"].flatMap { value -> JSON? in value.isNull ? .none : value }
                let sensitive = recorded == "(sensitive)" && live == "(sensitive)"
                return DriftedAttribute(path: path, recorded: recorded, live: live, sensitive: sensitive)
            }
            resources.append(DriftedResource(address: address, type: type, id: id, status: status, attributes: attributes))
        }
        self.init(stack: stack, environment: environment, checkedAt: checkedAt, resources: resources, checked: checked, run: run)
    }

    public var drifted: Bool { !resources.isEmpty }
    public func count(_ status: DriftStatus) -> Int { resources.reduce(0) { $0 + ($1.status == status ? 1 : 0) } }

    /// The documented JSON form: `stack`, `environment`, `checkedAt`, `drifted`, `resources`.
    public var json: JSON {
        let formatter = ISO8601DateFormatter()
        return [
            "stack": .string(stack), "environment": .string(environment), "checkedAt": .string(formatter.string(from: checkedAt)),
            "drifted": .bool(drifted), "checked": .int(checked),
            "counts": ["changed": .int(count(.changed)), "deleted": .int(count(.deleted)), "unmanaged": .int(count(.unmanaged))],
            "resources": .array(
                resources.map { resource in
                    [
                        "address": .string(resource.address), "type": .string(resource.type), "id": .string(resource.id),
                        "status": .string(resource.status.rawValue),
                        "attributes": .array(
                            resource.attributes.map { attribute in
                                [
                                    "path": .string(attribute.path),
                                    "recorded": attribute.sensitive ? "(sensitive)" : (attribute.recorded ?? .null),
                                    "live": attribute.sensitive ? "(sensitive)" : (attribute.live ?? .null),
                                ]
                            }),
                    ]
                }),
        ]
    }

    /// A Markdown table, for a CI job summary or a pull-request comment.
    public var markdown: String {
        var lines = ["### Cairn drift: `\(stack)` (\(environment))", ""]
        guard drifted else {
            lines.append("No drift: all \(checked) resources match what Cairn last applied.")
            return lines.joined(separator: "\n")
        }
        lines.append("\(count(.changed)) changed, \(count(.deleted)) deleted, \(count(.unmanaged)) unmanaged.")
        lines.append("")
        lines.append("| Resource | Status | Attribute | Recorded | Live |")
        lines.append("|---|---|---|---|---|")
        func cell(_ value: JSON?, _ sensitive: Bool) -> String {
            if sensitive { return "(sensitive)" }
            guard let value else { return "—" }
            let text = PlanRenderer.compact(value).replacingOccurrences(of: "|", with: "\\|")
            return "`\(text)`"
        }
        for resource in resources {
            if resource.attributes.isEmpty {
                lines.append("| `\(resource.address)` | \(resource.status.rawValue) | | | |")
            }
            for attribute in resource.attributes {
                lines.append(
                    "| `\(resource.address)` | \(resource.status.rawValue) | `\(attribute.path)` | \(cell(attribute.recorded, attribute.sensitive)) | \(cell(attribute.live, attribute.sensitive)) |"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Grouped by resource, for a terminal.
    public func render(style: Style) -> String {
        guard drifted else {
            return style.green("No drift.") + " All \(checked) resources of '\(stack)' (\(environment)) match what Cairn last applied."
        }
        var lines = [
            "Drift in '\(stack)' (\(environment)): \(count(.changed)) changed, \(count(.deleted)) deleted, \(count(.unmanaged)) unmanaged.", "",
        ]
        for resource in resources {
            switch resource.status {
            case .changed: lines.append(style.yellow("  ~ \(resource.address)") + style.dim("  (changed outside Cairn)"))
            case .deleted: lines.append(style.red("  - \(resource.address)") + style.dim("  (deleted outside Cairn)"))
            case .unmanaged: lines.append(style.magenta("  ? \(resource.address)") + style.dim("  (not managed by Cairn: \(resource.id))"))
            }
            for attribute in resource.attributes {
                let show: (JSON?) -> String = { attribute.sensitive ? "(sensitive)" : ($0.map(PlanRenderer.compact) ?? "(absent)") }
                let changed = attribute.sensitive && attribute.recorded != nil && attribute.live != nil
                lines.append(
                    "      \(attribute.path): "
                        + (changed ? PlanRenderer.sensitiveChange : "\(show(attribute.recorded)) → \(show(attribute.live))"))
            }
        }
        return lines.joined(separator: "\n")
    }
}
