import CairnEngine
import CairnJSON
import CairnState
import Foundation
import Testing

/// A Terraform state with `resources` (type, name, attributes; `mode`, `module`, `index_key` and `provider` optional).
private func tfstate(_ resources: [JSON], version: Int = 4) -> Data {
    Data(
        JSON.object([
            "version": .int(version), "terraform_version": "1.11.4", "serial": 3, "lineage": "abc", "outputs": [:], "resources": .array(resources),
        ]).description.utf8)
}

private let awsProvider = "provider[\"registry.terraform.io/hashicorp/aws\"]"

private func resource(_ type: String, _ name: String, _ attributes: [String: JSON], mode: String = "managed", extra: [String: JSON] = [:]) -> JSON {
    var object: [String: JSON] = [
        "mode": .string(mode), "type": .string(type), "name": .string(name), "provider": .string(awsProvider),
        "instances": [["schema_version": 0, "attributes": .object(attributes)]],
    ]
    object.merge(extra) { $1 }
    return .object(object)
}

/// The test's matching table: Terraform's `aws_fake_thing` is Cairn's `fake_thing`, named by `name`; `aws_fake_thing_setting`
/// is folded into it; `aws_fake_key` is Cairn's `fake_key`, whose id AWS chooses.
private let table = TerraformTypeTable(
    mappings: [
        .init("aws_fake_thing", cairn: FakeResource.typeName, identity: ["name": "name"]),
        .init("aws_fake_key", cairn: "fake_key", identity: [:], readID: "key_id"),
    ],
    folded: [.init("aws_fake_thing_setting", into: "aws_fake_thing", by: "thing", parentAttribute: "name", as: "kind")])

/// A fake type whose physical id AWS chooses (as a KMS key's): no identity to match by.
private struct FakeKeyProvider: ResourceProvider {
    let base: FakeProvider
    var typeName: String { "fake_key" }
    var replaceOnChange: Set<String> { [] }
    func physicalID(for attributes: [String: JSON]) -> String? { nil }
    func read(id: String, prior: [String: JSON]) async throws -> Observed? { try await base.read(id: id, prior: prior) }
    func create(_ attributes: [String: JSON]) async throws -> Applied { try await base.create(attributes) }
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        try await base.update(id: id, from: old, to: new)
    }
    func delete(id: String, attributes: [String: JSON]) async throws { try await base.delete(id: id, attributes: attributes) }
}

private struct FakeKey: ResourceDeclaration {
    static let typeName = "fake_key"
    let logicalName: String
    /// What the fake cloud holds under the key's id, declared alike so that a plan finds nothing to change.
    var keyID: String
    var options = ResourceOptions()
    var attributes: [String: Value] {
        ["name": .json(.string(keyID)), "kind": .json("basic"), "size": .json(1), "tags": .json(["team": "ci"]), "forceDestroy": .json(false)]
    }
    func validate() -> [ValidationIssue] { [] }
}

@Suite struct TerraformStateParsingTests {
    @Test func addressesAreTerraformsOwn() throws {
        let data = tfstate([
            resource("aws_fake_thing", "plain", ["name": "a"]),
            resource("aws_vpc", "default", ["id": "vpc-1"], mode: "data"),
            resource("aws_fake_thing", "in_module", ["name": "b"], extra: ["module": "module.ci"]),
            .object([
                "mode": "managed", "type": "aws_fake_thing", "name": "counted", "provider": .string(awsProvider),
                "instances": [["index_key": 0, "attributes": ["name": "c0"]], ["index_key": 1, "attributes": ["name": "c1"]]],
            ]),
            .object([
                "mode": "managed", "type": "random_id", "name": "suffix", "provider": "provider[\"registry.terraform.io/hashicorp/random\"]",
                "instances": [["index_key": "blue", "attributes": ["hex": "ab"]]],
            ]),
        ])
        let state = try TerraformState(parsing: data, path: "terraform.tfstate")
        #expect(
            state.instances.map(\.address) == [
                "aws_fake_thing.plain", "data.aws_vpc.default", "module.ci.aws_fake_thing.in_module", "aws_fake_thing.counted[0]",
                "aws_fake_thing.counted[1]", "random_id.suffix[\"blue\"]",
            ])
        #expect(state.instances.map(\.isAWS) == [true, true, true, true, true, false])
        #expect(state.instances[1].isData)
        #expect(state.terraformVersion == "1.11.4")
    }

    @Test func anythingElseIsRefusedInOneSentence() {
        func refusal(_ data: Data) -> String {
            do {
                _ = try TerraformState(parsing: data, path: "old.tfstate")
                return "parsed"
            } catch { return error.description }
        }
        #expect(
            refusal(tfstate([], version: 3))
                == "old.tfstate is a Terraform state of format version 3, and Cairn reads version 4 (what Terraform 0.12 and later write): run `terraform apply -refresh-only` with a current Terraform to rewrite it, then import again."
        )
        #expect(refusal(tfstate([], version: 5)).contains("of format version 5, and Cairn reads version 4"))
        let notAState =
            "old.tfstate is not a Terraform state (a JSON object with \"version\" and \"resources\"): pass the terraform.tfstate file, or what `terraform state pull` prints."
        #expect(refusal(Data("resource \"aws_s3_bucket\" \"b\" {}".utf8)) == notAState, "HCL, not a state")
        #expect(refusal(Data("{\"format_version\": \"1.0\", \"values\": {}}".utf8)) == notAState, "`terraform show -json`, not a state")
        #expect(refusal(Data("{\"version\": 4}".utf8)) == notAState)
        #expect(refusal(Data("[4]".utf8)) == notAState)
    }

    @Test func theMapIsAJSONObjectOfAddresses() throws {
        let map = try TerraformAddressMap(
            parsing: Data(#"{"aws_kms_key.main": "aws_kms_key.artifacts", "aws_s3_bucket.old": null}"#.utf8), path: "map.json")
        #expect(map.entries["aws_kms_key.main"] == .some("aws_kms_key.artifacts"))
        #expect(map.entries["aws_s3_bucket.old"] == .some(nil))
        #expect(throws: TerraformImportError.self) { try TerraformAddressMap(parsing: Data("[]".utf8), path: "map.json") }
        do {
            _ = try TerraformAddressMap(parsing: Data(#"{"aws_s3_bucket.b": 3}"#.utf8), path: "map.json")
            Issue.record("a number was taken for an address")
        } catch {
            #expect(
                error.description
                    == "map.json maps aws_s3_bucket.b to 3, which is not an address: give a Cairn address as a string, or null to leave it out.")
        }
    }
}

@Suite struct TerraformImportTests {
    let cloud = FakeCloud()

    func workspace() -> Workspace {
        Workspace(
            stateDir: temporaryDirectory(),
            providers: ProviderRegistry([
                FakeProvider(typeName: FakeResource.typeName, cloud: cloud), FakeKeyProvider(base: FakeProvider(typeName: "fake_key", cloud: cloud)),
            ]),
            environment: ["CAIRN_STATE_KEY": "test passphrase"])
    }

    /// What Terraform made: in the fake cloud, and in a state file.
    func made(_ things: [(type: String, name: String, attributes: [String: JSON])], extra: [JSON] = []) throws -> TerraformState {
        for thing in things {
            let id = thing.attributes["key_id"]?.stringValue ?? thing.attributes["name"]?.stringValue ?? thing.name
            cloud.put(id, ["name": .string(id), "kind": "basic", "size": 1, "tags": ["team": "ci"]])
        }
        return try TerraformState(parsing: tfstate(things.map { resource($0.type, $0.name, $0.attributes) } + extra), path: "terraform.tfstate")
    }

    func thing(_ logicalName: String, name: String? = nil) -> FakeResource {
        var thing = FakeResource(logicalName, name: name)
        thing.tags = ["team": "ci"]
        return thing
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func everyMatchIsReadTaggedAndRecordedInOneCommitAndTheNextPlanHasNoChanges() async throws {
        let workspace = workspace()
        let state = try made(
            [
                ("aws_fake_thing", "app", ["name": "app-repo"]), ("aws_fake_thing", "logs", ["name": "logs-bucket"]),
                ("aws_fake_key", "main", ["key_id": "key-1234"]),
            ],
            extra: [
                resource("aws_fake_thing_setting", "logs", ["thing": "logs-bucket"]),
                resource("aws_iam_user", "deployer", ["name": "deployer"]),
                resource("aws_vpc", "default", ["id": "vpc-1"], mode: "data"),
                .object([
                    "mode": "managed", "type": "random_id", "name": "suffix", "provider": "provider[\"registry.terraform.io/hashicorp/random\"]",
                    "instances": [["attributes": ["hex": "ab"]]],
                ]),
                resource("aws_fake_thing", "orphan", ["name": "someone-elses"]),
            ])
        // Cairn's addresses differ from Terraform's: names decide. The key has no name: the only one on each side.
        let stack = makeStack([
            thing("repository", name: "app-repo"), thing("bucket", name: "logs-bucket"), FakeKey(logicalName: "artifacts", keyID: "key-1234"),
            thing("extra"),
        ])
        let report = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1")

        #expect(report.imported.map(\.address) == ["fake_key.artifacts", "fake_thing.bucket", "fake_thing.repository"])
        #expect(report.imported.map(\.terraformAddress) == ["aws_fake_key.main", "aws_fake_thing.logs", "aws_fake_thing.app"])
        #expect(report.imported.map(\.matchedBy) == ["as the only fake_key", "by name", "by name"])
        #expect(report.imported.allSatisfy { $0.tagged })
        #expect(
            report.covered == [
                .init(terraformAddress: "aws_fake_thing_setting.logs", parent: "fake_thing.bucket", attribute: "kind", parentImported: true)
            ])
        #expect(
            report.skipped == [
                .init(terraformAddress: "aws_iam_user.deployer", reason: "Cairn has no type for aws_iam_user"),
                .init(terraformAddress: "data.aws_vpc.default", reason: "a data source: Cairn evaluates its look-ups at every plan"),
                .init(terraformAddress: "random_id.suffix", reason: "not an AWS resource (provider[\"registry.terraform.io/hashicorp/random\"])"),
                .init(
                    terraformAddress: "aws_fake_thing.orphan",
                    reason: "no declared fake_thing has its name someone-elses: declare it, or pair it with one in --map FILE"),
            ])
        #expect(report.notInTerraform == ["fake_thing.extra"])

        let history = try await workspace.stateHistory(stack)
        #expect(history.count == 3 && Set(history.map(\.serial)) == [1] && report.serial == 1, "one commit: \(history)")
        #expect(history.allSatisfy { $0.command == "import --from-terraform terraform.tfstate" && $0.action == .import })
        let lineage = try #require(try await workspace.store(for: stack, create: false)?.lineage)
        #expect(cloud.attributes("app-repo")?["tags"]?["cairn:state"] == .string(lineage), "this state's ownership tags, in AWS")
        #expect(cloud.attributes("key-1234")?["tags"]?["cairn:stack"] == "test")
        #expect(cloud.attributes("someone-elses")?["tags"]?["cairn:state"] == nil, "what was not imported is left alone")

        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(
            plan.resources.filter { $0.action != .noop }.map(\.address) == ["fake_thing.extra"], "only the declaration Terraform lacks is created")

        // Again: nothing to do, nothing written.
        let again = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1")
        #expect(again.imported.allSatisfy { $0.alreadyRecorded } && again.serial == nil)
        #expect(try await workspace.stateHistory(stack).count == 3)
        #expect(again.rendered(stack: stack, file: "terraform.tfstate", style: Style(enabled: false)).contains("0 imported, 3 already in the state"))
    }

    @Test func theReportSaysWhatHappenedAndWhatToDoNext() async throws {
        let workspace = workspace()
        let state = try made(
            [("aws_fake_thing", "app", ["name": "app-repo"])], extra: [resource("aws_fake_thing_setting", "app", ["thing": "app-repo"])])
        let stack = makeStack([thing("app", name: "app-repo")])
        let report = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1")
        let text = report.rendered(stack: stack, file: "terraform.tfstate", style: Style(enabled: false))
        #expect(text.contains("Imported from terraform.tfstate into test (default):\n  fake_thing.app  ← aws_fake_thing.app  app-repo  (by name)"))
        #expect(text.contains("aws_fake_thing_setting.app  covered by fake_thing.app (kind)"))
        #expect(text.contains("1 imported (1 given this state's ownership tags), 0 already in the state, 1 covered by their parent, 0 skipped"))
        #expect(text.hasSuffix("  terraform state rm aws_fake_thing.app aws_fake_thing_setting.app"))
    }

    @Test func theMapPairsWhatNamesDoNotAndLeavesOutWhatItSays() async throws {
        let workspace = workspace()
        let state = try made([("aws_fake_thing", "old", ["name": "old-name"]), ("aws_fake_thing", "unwanted", ["name": "unwanted"])])
        let map = TerraformAddressMap(["aws_fake_thing.old": "fake_thing.renamed", "aws_fake_thing.unwanted": nil])
        // A declaration naming another resource would have the next plan replace it, losing what it holds: refused.
        let renaming = makeStack([thing("renamed", name: "new-name")])
        #expect(
            await failure { _ = try await workspace.importFromTerraform(renaming, state: state, map: map, table: table, region: "us-east-1") }
                == "the map puts Terraform's aws_fake_thing.old (old-name) at fake_thing.renamed, which declares new-name, so the next plan would replace it and what it holds would be lost; nothing was imported: map it to the declaration that names old-name, or declare that name at fake_thing.renamed."
        )
        #expect(try await workspace.store(for: renaming, create: false) == nil)
        let stack = makeStack([thing("renamed", name: "old-name")])
        let report = try await workspace.importFromTerraform(stack, state: state, map: map, table: table, region: "us-east-1")
        #expect(
            report.imported.map { "\($0.terraformAddress) → \($0.address) \($0.id) \($0.matchedBy)" } == [
                "aws_fake_thing.old → fake_thing.renamed old-name by the map"
            ])
        #expect(report.skipped == [.init(terraformAddress: "aws_fake_thing.unwanted", reason: "left out by the map")])
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    /// Terraform addresses go into the printed `terraform state rm` as one shell word each: an instance key's quotes
    /// and brackets quoted.
    @Test func theTerraformStateRmLineQuotesInstanceKeys() async throws {
        let workspace = workspace()
        cloud.put("app-repo", ["name": "app-repo", "kind": "basic", "size": 1, "tags": ["team": "ci"]])
        var keyed = resource("aws_fake_thing", "x", [:]).objectValue ?? [:]
        keyed["instances"] = [["schema_version": 0, "index_key": "build", "attributes": ["name": "app-repo"]]]
        let state = try TerraformState(parsing: tfstate([.object(keyed)]), path: "terraform.tfstate")
        let stack = makeStack([thing("app", name: "app-repo")])
        let report = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1")
        let text = report.rendered(stack: stack, file: "terraform.tfstate", style: Style(enabled: false))
        #expect(text.hasSuffix(#"  terraform state rm 'aws_fake_thing.x["build"]'"#), "\(text)")
    }

    @Test func badMapsStopBeforeAnythingIsReadOrWritten() async throws {
        let workspace = workspace()
        let state = try made([
            ("aws_fake_thing", "app", ["name": "app"]), ("aws_fake_thing", "app2", ["name": "app2"]), ("aws_fake_key", "main", ["key_id": "key-1"]),
        ])
        let stack = makeStack([thing("app"), thing("other"), FakeKey(logicalName: "key", keyID: "key-1")])
        func refusal(_ entries: [String: String?]) async -> String {
            await failure {
                _ = try await workspace.importFromTerraform(stack, state: state, map: TerraformAddressMap(entries), table: table, region: "us-east-1")
            }
        }
        #expect(
            await refusal(["aws_fake_thing.app": "fake_thing.ap"])
                == "the map puts aws_fake_thing.app at fake_thing.ap, which test does not declare (did you mean fake_thing.app?): use an address that `cairn graph test` shows."
        )
        #expect(
            await refusal(["aws_fake_thing.apq": "fake_thing.app"])
                == "the map names aws_fake_thing.apq, which terraform.tfstate does not hold as an AWS resource (did you mean aws_fake_thing.app?): use an address that `terraform state list` prints."
        )
        #expect(
            await refusal(["aws_fake_key.main": "fake_thing.app"])
                == "the map puts aws_fake_key.main, which Cairn manages as fake_key, at fake_thing.app, a fake_thing: put it at a declared fake_key.")
        #expect(
            await refusal(["aws_fake_thing.app": "fake_thing.other", "aws_fake_key.main": nil, "aws_fake_thing.app2": "fake_thing.other"])
                == "the map puts both aws_fake_thing.app and aws_fake_thing.app2 at fake_thing.other: map each declared resource once.")
        #expect(cloud.callLog.isEmpty, "nothing read: \(cloud.callLog)")
        #expect(try await workspace.store(for: stack, create: false) == nil, "no state written")
    }

    @Test func aStateWithoutAWSResourcesOrMatchesIsRefused() async throws {
        let workspace = workspace()
        let stack = makeStack([thing("app")])
        let onlyData = try TerraformState(parsing: tfstate([resource("aws_vpc", "default", ["id": "vpc-1"], mode: "data")]), path: "t.tfstate")
        #expect(
            await failure { _ = try await workspace.importFromTerraform(stack, state: onlyData, table: table, region: "us-east-1") }
                == "t.tfstate holds no AWS resources (1 resource instance of other providers or data sources): there is nothing for Cairn to import.")
        let unrelated = try made([("aws_fake_thing", "x", ["name": "unrelated"])])
        #expect(
            await failure { _ = try await workspace.importFromTerraform(stack, state: unrelated, table: table, region: "us-east-1") }
                .hasPrefix("no resource in terraform.tfstate matches a declaration of test by type and name, so nothing was imported"))
        #expect(try await workspace.store(for: stack, create: false) == nil)
    }

    @Test func whatAWSNoLongerHasOrATagThatFailsWritesNothing() async throws {
        let workspace = workspace()
        let state = try made([("aws_fake_thing", "app", ["name": "app"]), ("aws_fake_thing", "gone", ["name": "gone"])])
        let stack = makeStack([thing("app"), thing("gone")])
        cloud.remove("gone")
        #expect(
            await failure { _ = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1") }
                == "fake_thing.gone: Terraform's aws_fake_thing.gone (gone) does not exist in AWS in us-east-1, so nothing was imported: refresh Terraform's state (`terraform apply -refresh-only`) or leave it out with --map, then import again."
        )
        #expect(try await workspace.store(for: stack, create: false) == nil)
        #expect(!cloud.callLog.contains { $0.hasPrefix("update") }, "nothing tagged")

        cloud.put("gone", ["name": "gone", "kind": "basic", "size": 1, "tags": [:]])
        cloud.failing = ["gone"]
        #expect(
            await failure { _ = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1") }
                == "fake_thing.gone: putting this state's ownership tags on gone failed, so nothing was recorded: update of gone refused. Import again once that is fixed. app already carry this state's ownership tags, which the next import (or plan) takes as this state's."
        )
        let recordedNow = try await workspace.recordedResources(stack)
        let historyNow = try await workspace.stateHistory(stack)
        #expect(recordedNow.isEmpty && historyNow.isEmpty)
    }

    @Test func ambiguityAnotherOwnerOrAnotherRecordStopsIt() async throws {
        let workspace = workspace()
        let twice = try TerraformState(
            parsing: tfstate([resource("aws_fake_thing", "a", ["name": "app"]), resource("aws_fake_thing", "b", ["name": "app"])]), path: "t.tfstate")
        cloud.put("app", ["name": "app", "kind": "basic", "size": 1, "tags": ["team": "ci"]])
        let stack = makeStack([thing("app")])
        #expect(
            await failure { _ = try await workspace.importFromTerraform(stack, state: twice, table: table, region: "us-east-1") }
                == "fake_thing.app: aws_fake_thing.a and aws_fake_thing.b are all named app in the Terraform state: say which one with --map FILE ({\"aws_fake_thing.a\": \"fake_thing.app\"})."
        )

        let state = try made([("aws_fake_thing", "app", ["name": "app"])])
        cloud.put(
            "app", ["name": "app", "kind": "basic", "size": 1, "tags": ["cairn:stack": "other", "cairn:env": "default", "cairn:state": "f00d"]])
        #expect(
            await failure { _ = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1") }
                .contains(
                    "app (Terraform's aws_fake_thing.app) belongs to stack 'other' (environment 'default', state f00d), so nothing was imported"))
        #expect(try await workspace.store(for: stack, create: false) == nil, "no state written")

        // Recorded already, as another resource.
        cloud.put("app", ["name": "app", "kind": "basic", "size": 1, "tags": [:]])
        cloud.put("elsewhere", ["name": "elsewhere", "kind": "basic", "size": 1, "tags": [:]])
        try await workspace.importResource(stack, address: "fake_thing.app", id: "elsewhere", region: "us-east-1")
        #expect(
            await failure { _ = try await workspace.importFromTerraform(stack, state: state, table: table, region: "us-east-1") }
                == "fake_thing.app: it is already in the state as elsewhere, not Terraform's aws_fake_thing.app (app), so nothing was imported: forget it first (`cairn state rm test fake_thing.app`), or leave aws_fake_thing.app out with --map."
        )
        #expect(try await workspace.stateHistory(stack).count == 1)
    }
}
