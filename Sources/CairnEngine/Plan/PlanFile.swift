import CairnJSON

/// Why a saved plan cannot be used.
public struct PlanFileError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension Plan {
    /// The plan as data: what `plan --format json` prints. Sensitive values are masked.
    public func json() -> JSON {
        // Never throws without a codec.
        (try? json(sealedWith: nil)) ?? .null
    }

    /// The plan as `--out` saves it: everything needed to apply it, with sensitive values (and look-up
    /// results) sealed with the state key, so that a plan file never holds a secret in clear.
    public func savedJSON(sealedWith codec: StateCodec) throws -> JSON {
        try json(sealedWith: codec)
    }

    private func json(sealedWith codec: StateCodec?) throws -> JSON {
        let includeSensitive = codec != nil
        let resources: [JSON] = try self.resources.map { change in
            var object: [String: JSON] = [
                "address": .string(change.address), "type": .string(change.type), "action": .string(change.action.rawValue),
                "changes": .array(
                    change.changes.map { attribute in
                        var item: [String: JSON] = ["path": .string(attribute.path)]
                        let mask = attribute.sensitive
                        item["old"] = mask && attribute.old != nil ? "(sensitive)" : (attribute.old ?? .null)
                        item["new"] =
                            mask && attribute.new != nil
                            ? "(sensitive)" : ((includeSensitive ? attribute.new : attribute.new.map(Self.showUnknown)) ?? .null)
                        if attribute.forcesReplacement { item["forcesReplacement"] = true }
                        if attribute.sensitive { item["sensitive"] = true }
                        return .object(item)
                    }),
                "dependencies": .array(change.dependencies.map { .string($0) }),
            ]
            if let id = change.id { object["id"] = .string(id) }
            if let reason = change.reason { object["reason"] = .string(reason) }
            if change.adopt { object["adopt"] = true }
            if change.importing { object["importing"] = true }
            if let movedFrom = change.movedFrom { object["movedFrom"] = .string(movedFrom) }
            if change.replaceRequested { object["replaceRequested"] = true }
            if change.createBeforeDestroy { object["createBeforeDestroy"] = true }
            if let codec {
                func seal(_ values: [String: JSON], _ paths: [String]) throws -> JSON {
                    try JSON(parsing: codec.encode(values, sensitivePaths: paths, address: change.address))
                }
                if let desired = change.desired { object["desired"] = try seal(desired, change.sensitivePaths) }
                if let prior = change.prior { object["prior"] = try seal(prior, change.sensitivePaths) }
                // A look-up's outputs may be secrets (an SSM SecureString): sealed whole.
                if let outputs = change.outputs { object["outputs"] = try seal(outputs, change.isLookup ? outputs.keys.sorted() : []) }
                object["sensitivePaths"] = .array(change.sensitivePaths.map { .string($0) })
                if change.isLookup { object["lookup"] = true }
            }
            return .object(object)
        }
        var outputs: [String: JSON] = [:]
        for (name, value) in self.outputs {
            outputs[name] =
                sensitiveOutputs.contains(name) && !includeSensitive ? "(sensitive)" : (includeSensitive ? value : Self.showUnknown(value))
        }
        if let codec {
            outputs = try JSON(parsing: codec.encode(outputs, sensitivePaths: sensitiveOutputs, address: "outputs")).objectValue ?? [:]
        }
        var object: [String: JSON] = [
            "formatVersion": .int(Self.formatVersion), "stack": .string(stack), "environment": .string(environment),
            "region": .string(region), "serial": .int(serial), "mode": .string(mode),
            "resources": .array(resources), "outputs": .object(outputs),
            "summary": [
                "create": .int(count(.create)), "update": .int(count(.update)), "replace": .int(count(.replace)),
                "delete": .int(count(.delete)), "move": .int(moveCount), "noop": .int(count(.noop)),
            ],
            "hasChanges": .bool(hasChanges),
        ]
        if !targets.isEmpty { object["targets"] = .array(targets.map { .string($0) }) }
        if !warnings.isEmpty { object["warnings"] = .array(warnings.map { .string($0) }) }
        object["lineage"] = lineage.map { .string($0) } ?? .null
        if includeSensitive { object["sensitiveOutputs"] = .array(sensitiveOutputs.map { .string($0) }) }
        return .object(object)
    }

    /// `(known after apply)` for unknown markers, for people and for JSON consumers.
    static func showUnknown(_ value: JSON) -> JSON {
        if Unknown.reference(in: value) != nil { return "(known after apply)" }
        switch value {
        case .array(let items): return .array(items.map(showUnknown))
        case .object(let members): return .object(members.mapValues(showUnknown))
        default: return value
        }
    }

    /// Reads a plan saved with `--out`, opening its sealed values with `codec`.
    public init(savedJSON text: String, codec: StateCodec) throws {
        let json: JSON
        do { json = try JSON(parsing: text) } catch {
            throw PlanFileError(message: "The plan file is not valid JSON (\(error)): make a new one with `cairn plan --out`.")
        }
        guard json["formatVersion"]?.intValue == Self.formatVersion else {
            throw PlanFileError(
                message:
                    "The plan file was written by another version of Cairn (format \(json["formatVersion"]?.description ?? "unknown")): make a new one with `cairn plan --out`."
            )
        }
        guard let stack = json["stack"]?.stringValue, let environment = json["environment"]?.stringValue,
            let region = json["region"]?.stringValue, let serial = json["serial"]?.intValue,
            let items = json["resources"]?.arrayValue
        else {
            throw PlanFileError(message: "The plan file is incomplete: make a new one with `cairn plan --out`.")
        }
        var resources: [ResourceChange] = []
        for item in items {
            guard let address = item["address"]?.stringValue, let type = item["type"]?.stringValue,
                let action = item["action"]?.stringValue.flatMap(Action.init(rawValue:))
            else {
                throw PlanFileError(message: "The plan file has a malformed resource entry: make a new plan.")
            }
            if [.create, .update, .replace].contains(action) && item["desired"]?.objectValue == nil {
                throw PlanFileError(
                    message:
                        "The plan file lacks what to apply to \(address) (was it printed with `--format json` rather than saved with `--out`?): make a new one with `cairn plan --out`."
                )
            }
            func open(_ key: String) throws -> [String: JSON]? {
                guard let value = item[key], value.objectValue != nil else { return nil }
                return try codec.decode(value.description, address: address).attributes
            }
            var change = ResourceChange(
                address: address, type: type, action: action, id: item["id"]?.stringValue,
                reason: item["reason"]?.stringValue,
                desired: try open("desired"), prior: try open("prior"),
                sensitivePaths: item["sensitivePaths"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                dependencies: item["dependencies"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            change.adopt = item["adopt"]?.boolValue ?? false
            change.importing = item["importing"]?.boolValue ?? false
            change.movedFrom = item["movedFrom"]?.stringValue
            change.replaceRequested = item["replaceRequested"]?.boolValue ?? false
            change.createBeforeDestroy = item["createBeforeDestroy"]?.boolValue ?? false
            change.outputs = try open("outputs")
            change.isLookup = item["lookup"]?.boolValue ?? false
            change.changes = (item["changes"]?.arrayValue ?? []).map { entry in
                func value(_ key: String) -> JSON? {
                    guard let found = entry[key], !found.isNull else { return nil }
                    return found
                }
                return AttributeChange(
                    path: entry["path"]?.stringValue ?? "", old: value("old"), new: value("new"),
                    forcesReplacement: entry["forcesReplacement"]?.boolValue ?? false,
                    sensitive: entry["sensitive"]?.boolValue ?? false)
            }
            resources.append(change)
        }
        self.init(
            stack: stack, environment: environment, region: region, lineage: json["lineage"]?.stringValue, serial: serial,
            mode: json["mode"]?.stringValue ?? "apply", resources: resources,
            outputs: try codec.decode((json["outputs"] ?? [:]).description, address: "outputs").attributes,
            sensitiveOutputs: json["sensitiveOutputs"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        targets = json["targets"]?.arrayValue?.compactMap(\.stringValue) ?? []
        warnings = json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// Refuses a saved plan made against another state than `current` (lineage and serial).
    public func checkFresh(lineage current: String?, serial currentSerial: Int) throws {
        if lineage != current {
            if lineage == nil {
                throw PlanFileError(
                    message: "The plan was made when the stack '\(stack)' had no state, but it has one now (it was applied since): make a new plan.")
            }
            throw PlanFileError(
                message: "The plan was made against another state of '\(stack)' (lineage \(lineage!), now \(current ?? "none")): make a new plan.")
        }
        if serial != currentSerial {
            throw PlanFileError(
                message:
                    "The plan is stale: it was made against state serial \(serial) of '\(stack)', which has changed to \(currentSerial) since: make a new plan."
            )
        }
    }
}
