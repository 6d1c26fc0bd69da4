// cairn-bench-seed-state: writes the state database of a stack directly, as if `cairn apply` had
// created every declared resource, so that `cairn plan --refresh=false` is all no-op. Used by
// bench/run for the engine-alone benchmark (10,000 resources take far too long to apply).
//
//   cairn-bench-seed-state --state-dir DIR [--stack bench-synthetic] [--env n10000] [--batch 1000]
//
// Attributes are the declarations resolved with Value.resolve, in dependency order, against outputs
// made up the way AWS makes them (ARNs from names, account 123456789012, the stack's region); the
// records are encoded with the state's codec and committed with StateStore in batches.
import CairnEngine
import CairnGraph
import CairnJSON
import CairnState
import Foundation
import Stacks

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("cairn-bench-seed-state: \(message)\n".utf8))
    exit(1)
}

var options: [String: String] = ["--stack": "bench-synthetic", "--env": "n10000", "--batch": "1000"]
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard ["--state-dir", "--stack", "--env", "--batch", "--account"].contains(flag), let value = arguments.next() else {
        fail("usage: cairn-bench-seed-state --state-dir DIR [--stack NAME] [--env ENV] [--batch N] [--account ID]")
    }
    options[flag] = value
}
guard let stateDirPath = options["--state-dir"] else { fail("--state-dir is required") }
guard let definition = registeredStacks.first(where: { $0.name == options["--stack"] }) else { fail("no stack named \(options["--stack"]!)") }
let batchSize = max(1, Int(options["--batch"] ?? "") ?? 1000)
let account = options["--account"] ?? "123456789012"
let stack = definition.instantiate(StackEnvironment(options["--env"]!))
let region = stack.region ?? "eu-north-1"
let stateDir = URL(fileURLWithPath: stateDirPath)

/// The outputs AWS gives a resource of `type` named `name` (what the providers record).
func outputs(type: String, name: String) -> [String: JSON] {
    switch type {
    case "aws_ecr_repository":
        return [
            "arn": .string("arn:aws:ecr:\(region):\(account):repository/\(name)"), "name": .string(name),
            "uri": .string("\(account).dkr.ecr.\(region).amazonaws.com/\(name)"), "registryId": .string(account),
        ]
    case "aws_s3_bucket":
        return ["arn": .string("arn:aws:s3:::\(name)"), "name": .string(name), "regionalDomainName": .string("\(name).s3.\(region).amazonaws.com")]
    case "aws_ecs_cluster":
        return ["arn": .string("arn:aws:ecs:\(region):\(account):cluster/\(name)"), "name": .string(name)]
    case "aws_iam_role":
        return ["arn": .string("arn:aws:iam::\(account):role/\(name)"), "name": .string(name), "uniqueId": .string("AROA\(name.utf8.count)BENCH")]
    case "aws_cloudwatch_event_rule":
        return ["arn": .string("arn:aws:events:\(region):\(account):rule/\(name)"), "name": .string(name)]
    default:
        return ["name": .string(name)]
    }
}

let started = Date()
let graph = StackValidator.dependencyGraph(stack)
let order: [String]
do { order = try graph.topologicalOrder() } catch { fail("the stack has a dependency cycle: \(error)") }
let declared = Dictionary(uniqueKeysWithValues: stack.resources.map { ($0.address, $0) })
let codec: StateCodec
let store: StateStore
do {
    codec = try StateCodec.load(environment: ProcessInfo.processInfo.environment, stateDir: stateDir, create: true)
    guard let opened = try StateStore.open(stateDir: stateDir, stack: stack.name, environment: stack.environment.name, create: true) else {
        fail("cannot create the state in \(stateDirPath)")
    }
    store = opened
} catch { fail("\(error)") }
defer { store.close() }
if (try? store.resourceCount()) ?? 0 > 0 { fail("the state of \(stack.name) (\(stack.environment.name)) in \(stateDirPath) already holds resources") }

let ownership = Ownership(stack: stack.name, environment: stack.environment.name, state: store.lineage)
var known: [String: [String: JSON]] = [:]
var batch: [Change] = []
var written = 0
do {
    for address in order {
        let resource = declared[address]!
        var sensitive = Set<String>()
        var attributes: [String: JSON] = [:]
        for (key, value) in resource.attributes {
            attributes[key] = value.resolve(path: key, sensitivePaths: &sensitive) { known[$0.address]?[$0.output] }
        }
        // As an apply records them: every taggable resource carries the state's ownership tags.
        if let tags = attributes["tags"] { attributes["tags"] = ownership.tagging(tags) }
        if Unknown.contains(.object(attributes)) { fail("\(address): an attribute refers to an output this tool does not make up") }
        let name = attributes["name"]?.stringValue ?? resource.logicalName
        let resourceOutputs = outputs(type: resource.typeName, name: name)
        known[address] = resourceOutputs
        let record = ResourceRecord(
            address: address, type: resource.typeName, physicalID: name,
            attributes: try codec.encode(attributes, sensitivePaths: sensitive.sorted(), address: address),
            outputs: JSON.object(resourceOutputs).description, dependencies: resource.dependencies.sorted())
        batch.append(.create(record))
        if batch.count >= batchSize {
            try store.commit(batch, command: "apply")
            written += batch.count
            batch.removeAll(keepingCapacity: true)
        }
    }
    if !batch.isEmpty {
        try store.commit(batch, command: "apply")
        written += batch.count
    }
    var stackOutputs: [String: JSON] = [:]
    var sensitiveOutputs = Set<String>()
    for (name, value) in stack.outputs {
        stackOutputs[name] = value.resolve(path: name, sensitivePaths: &sensitiveOutputs) { known[$0.address]?[$0.output] }
    }
    try store.setOutputs(json: codec.encode(stackOutputs, sensitivePaths: sensitiveOutputs.sorted(), address: "outputs"))
} catch { fail("\(error)") }
print(
    "wrote \(written) resources of \(stack.name) (\(stack.environment.name)) to \(store.url.path) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
)
