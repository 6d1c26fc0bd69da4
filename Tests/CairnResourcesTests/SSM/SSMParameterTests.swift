import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct SSMParameterTests {
    static let secret = "s3cr3t-Pa55word"

    static func password(_ name: String, value: String = secret, options: ResourceOptions = ResourceOptions()) -> SSMParameter {
        SSMParameter(
            "password", name: Input(name), type: .secureString, value: Secret.environment("DB_PASSWORD", in: ["DB_PASSWORD": value]),
            description: "the database password", tags: ["team": "data"], options: options)
    }

    // MARK: Declaration (no API call)

    @Test func attributesFillTheDefaultsAndMarkTheSecret() {
        let (secure, sensitive) = ProviderTesting.resolved(Self.password("/app/dev/db/password"))
        #expect(sensitive == ["value"])
        #expect(
            secure == [
                "name": "/app/dev/db/password", "type": "SecureString", "value": .string(Self.secret), "keyId": "alias/aws/ssm",
                "description": "the database password", "tier": "Standard", "allowedPattern": .null, "dataType": "text",
                "tags": ["team": "data"],
            ])

        // A String's value is plain, and it has no key; a SecureString's value from another resource is sensitive too.
        let host = SSMParameter("host", name: "/app/dev/db/host", type: .string, value: "db.internal", allowedPattern: "^[a-z.]+$")
        let (plain, none) = ProviderTesting.resolved(host)
        #expect(none.isEmpty)
        #expect(plain["value"] == "db.internal" && plain["keyId"] == .null && plain["allowedPattern"] == "^[a-z.]+$")
        let referenced = SSMParameter(
            "token", name: "/app/token", type: .secureString, value: Input(value: .reference(Reference(address: "x.y", output: "z"))),
            keyId: "alias/app")
        #expect(referenced.attributes["value"] == .sensitive(.reference(Reference(address: "x.y", output: "z"))))
        #expect(referenced.attributes["keyId"] == .json("alias/app"))
        #expect(referenced.validate().isEmpty)
    }

    @Test func validationNamesTheAttributeAndNeverTheValue() {
        func attributes(_ parameter: SSMParameter) -> [String?] { parameter.validate().map(\.attribute) }
        func named(_ name: String) -> SSMParameter { SSMParameter("p", name: Input(name), type: .string, value: "v") }
        for good in ["/app/dev/db/host", "plain_name.v1", "/a", "/x-y/z_9.8", "/myaws/ssmthing"] {
            #expect(named(good).validate().isEmpty, "\(good)")
        }
        for bad in ["", "app/dev/host", "/aws/service/x", "/AWS/x", "awsconfig", "SSM-thing", "/ssm/x", "/a//b", "/a/", "has space", "/a/é"] {
            #expect(attributes(named(bad)) == ["name"], "\(bad)")
        }
        #expect(named("/aws/x").validate().first?.message.contains("AWS's own public parameters") == true)
        #expect(named("app/x").validate().first?.message.contains("write '/app/x'") == true)
        #expect(attributes(named("/" + Array(repeating: "l", count: 16).joined(separator: "/"))) == ["name"])
        #expect(attributes(named("/" + String(repeating: "n", count: SSMParameter.maxNameLength + 1))) == ["name"])

        // A SecureString's value is never a literal in the code.
        let literal = SSMParameter("p", name: "/app/password", type: .secureString, value: "hunter2")
        #expect(attributes(literal) == ["value"])
        #expect(literal.validate().first?.message.contains("Secret.environment") == true)

        // The allowed pattern is checked at plan time, and the message never quotes the value.
        let mismatch = SSMParameter(
            "p", name: "/app/port", type: .secureString, value: Secret.environment("PORT", in: ["PORT": "80a"]), allowedPattern: #"^\d+$"#)
        let issue = mismatch.validate().first
        #expect(issue?.attribute == "value" && issue?.address == "aws_ssm_parameter.p")
        #expect(issue?.message.contains("does not match allowedPattern ^\\d+$") == true)
        #expect(issue.map { !"\($0)".contains("80a") } == true)
        #expect(SSMParameter("p", name: "/app/port", type: .string, value: "8080", allowedPattern: #"^\d+$"#).validate().isEmpty)
        #expect(attributes(SSMParameter("p", name: "/app/port", type: .string, value: "1", allowedPattern: "(")) == ["allowedPattern"])

        // Sizes: 4 KB in the Standard tier, 8 KB in the others.
        let big = String(repeating: "x", count: 5000)
        #expect(attributes(SSMParameter("p", name: "/big", type: .string, value: Input(big))) == ["value"])
        #expect(SSMParameter("p", name: "/big", type: .string, value: Input(big), tier: .advanced).validate().isEmpty)
        #expect(
            attributes(SSMParameter("p", name: "/big", type: .string, value: Input(String(repeating: "x", count: 8193)), tier: .intelligentTiering))
                == ["value"])
        #expect(attributes(SSMParameter("p", name: "/empty", type: .string, value: "")) == ["value"])
        #expect(attributes(SSMParameter("p", name: "/ref", type: .string, value: "{{ssm:/other}}")) == ["value"])

        // The key only for a SecureString; the AMI data type only for a String; the description's length; tags.
        #expect(attributes(SSMParameter("p", name: "/k", type: .string, value: "v", keyId: "alias/x")) == ["keyId"])
        #expect(
            attributes(SSMParameter("p", name: "/k", type: .secureString, value: Secret.environment("K", in: ["K": "v"]), keyId: "bad key")) == [
                "keyId"
            ])
        #expect(attributes(SSMParameter("p", name: "/ami", type: .stringList, value: "a,b", dataType: .ec2Image)) == ["dataType"])
        #expect(
            attributes(SSMParameter("p", name: "/d", type: .string, value: "v", description: String(repeating: "d", count: 1025))) == ["description"])
        #expect(attributes(SSMParameter("p", name: "/t", type: .string, value: "v", tags: ["aws:x": "y"])) == ["tags.aws:x"])
    }

    /// An unset or empty environment variable stops the plan before any API call, naming the resource, the attribute
    /// and the variable.
    @Test func aMissingSecretStopsThePlanBeforeAnyCall() async throws {
        let calls = Locked(0)
        let transport = ScriptedTransport(reading: { _, _ in
            calls.withLock { $0 += 1 }
            return (500, "{}")
        })
        let client = AWSClient.scripted(transport, clock: SteppingClock())
        let workspace = Workspace(
            stateDir: FileManager.default.temporaryDirectory.appendingPathComponent("cairn-ssm-\(UUID().uuidString)"),
            providers: awsProviders(client: client), environment: ["CAIRN_STATE_KEY": "k"])
        for environment in [[:], ["DB_PASSWORD": ""]] {
            let parameter = SSMParameter(
                "password", name: "/app/db/password", type: .secureString, value: Secret.environment("DB_PASSWORD", in: environment))
            let stack = Stack(name: "ssm", region: "us-east-1", environment: StackEnvironment(), resources: [parameter])
            do {
                _ = try await workspace.plan(stack, region: "us-east-1")
                Issue.record("a plan without the secret was made")
            } catch let error as StackValidationError {
                #expect(
                    error.issues.map(\.description) == [
                        "aws_ssm_parameter.password: value: is a secret read from the environment variable DB_PASSWORD, which is not set: set it (secrets never live in the code)."
                    ])
            }
        }
        #expect(calls.withLock { $0 } == 0)
    }

    // MARK: Provider, on a scripted AWS (no server)

    /// What each call sends: the tags only with a create, `Overwrite` only with an update, a decryption only where the
    /// state seals the value, tagging with `ResourceType: Parameter`.
    @Test func providerCallsAsParameterStoreDocuments() async throws {
        let sent = Locked<[(String, JSON)]>([])
        let transport = ScriptedTransport(reading: { operation, body in
            sent.withLock { $0.append((operation, (try? JSON(parsing: [UInt8](body))) ?? .null)) }
            switch operation {
            case "GetParameter":
                return (
                    200,
                    #"{"Parameter": {"Name": "/app/pw", "Type": "SecureString", "Value": "live", "ARN": "arn:aws:ssm:us-east-1:1:parameter/app/pw", "DataType": "text"}}"#
                )
            case "DescribeParameters":
                return (
                    200,
                    #"{"Parameters": [{"Name": "/app/pw", "Type": "SecureString", "KeyId": "arn:aws:kms:us-east-1:1:alias/app", "Tier": "Advanced"}]}"#
                )
            case "ListTagsForResource": return (200, #"{"TagList": [{"Key": "team", "Value": "data"}]}"#)
            default: return (200, "{}")
            }
        })
        let provider = SSMParameterProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
        func take() -> [(String, JSON)] {
            sent.withLock { calls in
                defer { calls = [] }
                return calls
            }
        }

        var parameter = Self.password("/app/pw")
        parameter.keyId = "alias/app"
        parameter.tier = .intelligentTiering
        let declared = ProviderTesting.attributes(of: parameter)
        let created = try await provider.create(declared)
        #expect(created == Applied(id: "/app/pw", outputs: ["arn": "arn:aws:ssm:us-east-1:1:parameter/app/pw", "name": "/app/pw"]))
        let create = take()
        #expect(create.map(\.0) == ["PutParameter", "GetParameter"])
        #expect(
            create[0].1 == [
                "Name": "/app/pw", "Type": "SecureString", "Value": .string(Self.secret), "KeyId": "alias/app",
                "Description": "the database password",
                "Tier": "Intelligent-Tiering", "AllowedPattern": "", "DataType": "text", "Tags": [["Key": "team", "Value": "data"]],
            ])
        #expect(create[1].1["WithDecryption"] == false, "the ARN is read without decrypting")

        // The read decrypts for a SecureString; AWS's key ARN and its picked tier read as declared.
        let read = try #require(try await provider.read(id: "/app/pw", prior: declared))
        #expect(read.attributes["keyId"] == "alias/app" && read.attributes["tier"] == "Intelligent-Tiering")
        #expect(read.attributes["value"] == "live" && read.attributes["description"] == "" && read.attributes["allowedPattern"] == .null)
        let reads = take()
        #expect(reads.map(\.0) == ["GetParameter", "DescribeParameters", "ListTagsForResource"])
        #expect(reads[0].1["WithDecryption"] == true)
        #expect(reads[1].1["ParameterFilters"] == [["Key": "Name", "Option": "Equals", "Values": ["/app/pw"]]])
        #expect(reads[2].1 == ["ResourceType": "Parameter", "ResourceId": "/app/pw"])
        // A parameter the state holds as a String is not decrypted (its value would be kept in plain text).
        _ = try await provider.read(id: "/app/pw", prior: ["type": "String"])
        #expect(take().first?.1["WithDecryption"] == false)

        // An update: a new version with everything but the tags, which go apart.
        var next = parameter
        next.description = ""
        next.tags = ["team": "platform", "cost": "db"]
        _ = try await provider.update(id: "/app/pw", from: declared, to: ProviderTesting.attributes(of: next))
        let update = take()
        #expect(update.map(\.0) == ["PutParameter", "AddTagsToResource", "GetParameter"])
        #expect(update[0].1["Overwrite"] == true && update[0].1["Tags"] == nil && update[0].1["Description"] == "")
        #expect(
            update[1].1 == [
                "ResourceType": "Parameter", "ResourceId": "/app/pw",
                "Tags": [["Key": "cost", "Value": "db"], ["Key": "team", "Value": "platform"]],
            ])
        // Tags alone: no new version.
        var retagged = next
        retagged.tags = ["cost": "db"]
        _ = try await provider.update(id: "/app/pw", from: ProviderTesting.attributes(of: next), to: ProviderTesting.attributes(of: retagged))
        let untag = take()
        #expect(untag.map(\.0) == ["RemoveTagsFromResource", "GetParameter"])
        #expect(untag[0].1 == ["ResourceType": "Parameter", "ResourceId": "/app/pw", "TagKeys": ["team"]])
    }

    @Test func replacementFollowsWhatAWSChangesInPlace() {
        let provider = SSMParameterProvider(client: AWSClient.scripted(ScriptedTransport { _ in "{}" }, clock: SteppingClock()))
        #expect(provider.replaceOnChange == ["name", "type", "dataType"])
        #expect(!provider.forcesReplacement("tier", from: "Standard", to: "Advanced"))
        #expect(!provider.forcesReplacement("tier", from: "Standard", to: "Intelligent-Tiering"))
        #expect(provider.forcesReplacement("tier", from: "Advanced", to: "Standard"))
        #expect(!provider.forcesReplacement("tier", from: "Intelligent-Tiering", to: "Standard"), "AWS may hold it at Standard already")
        #expect(!provider.forcesReplacement("description", from: "a", to: "Standard"))
        #expect(provider.adoptionProof == .ownershipTags)
    }

    @Test func keysNamedAnotherWayReadAsDeclared() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        #expect(SSMParameterProvider.observedKey(arn, declared: "1234abcd-12ab-34cd-56ef-1234567890ab") == "1234abcd-12ab-34cd-56ef-1234567890ab")
        #expect(SSMParameterProvider.observedKey("1234abcd-12ab-34cd-56ef-1234567890ab", declared: .string(arn)) == .string(arn))
        #expect(SSMParameterProvider.observedKey("arn:aws:kms:us-east-1:123456789012:alias/aws/ssm", declared: "alias/aws/ssm") == "alias/aws/ssm")
        #expect(SSMParameterProvider.observedKey("alias/other", declared: "alias/aws/ssm") == "alias/other")
        #expect(SSMParameterProvider.observedKey(nil, declared: nil) == "alias/aws/ssm")
        #expect(SSMParameterProvider.observedTier("Advanced", declared: "Standard") == "Advanced")
    }

    // MARK: Against moto

    static func describe(_ moto: MotoServer, _ name: String) async throws -> JSONValue {
        try await moto.awsJSON(["ssm", "describe-parameters", "--parameter-filters", "Key=Name,Option=Equals,Values=\(name)"])["Parameters"][0]
    }

    static func value(_ moto: MotoServer, _ name: String) async throws -> JSONValue {
        try await moto.awsJSON(["ssm", "get-parameter", "--name", name, "--with-decryption"])["Parameter"]
    }

    static func tags(_ moto: MotoServer, _ name: String) async throws -> [String: String] {
        ProviderTesting.tags(
            try await moto.awsJSON(["ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", name])["TagList"])
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = SSMParameterProvider(client: client)
        let path = "/cairn-test/\(ProviderTesting.uniqueName("db"))"

        // A String and a SecureString, checked with the aws CLI.
        var host = SSMParameter(
            "host", name: Input("\(path)/host"), type: .string, value: "db.internal", description: "the host", tags: ["team": "data"])
        let password = Self.password("\(path)/password")
        #expect(host.validate().isEmpty && password.validate().isEmpty)
        let hostDeclared = ProviderTesting.attributes(of: host)
        let passwordDeclared = ProviderTesting.attributes(of: password)
        #expect(provider.physicalID(for: passwordDeclared) == "\(path)/password")
        let createdHost = try await provider.create(hostDeclared)
        let created = try await provider.create(passwordDeclared)
        #expect(
            created.outputs == [
                "arn": .string("arn:aws:ssm:us-east-1:\(moto.account):parameter\(path)/password"), "name": .string("\(path)/password"),
            ])
        #expect(createdHost.id == "\(path)/host")

        let secure = try await Self.value(moto, "\(path)/password")
        #expect(secure["Type"].string == "SecureString" && secure["Value"].string == Self.secret)
        let secureMetadata = try await Self.describe(moto, "\(path)/password")
        #expect(secureMetadata["KeyId"].string == "alias/aws/ssm" && secureMetadata["Description"].string == "the database password")
        #expect(secureMetadata["Tier"].string == "Standard")
        #expect(try await Self.value(moto, "\(path)/host")["Value"].string == "db.internal")
        #expect(try await Self.describe(moto, "\(path)/host")["Type"].string == "String")
        #expect(try await Self.tags(moto, "\(path)/password") == ["team": "data"])

        // No false drift, with or without prior attributes (an import); destroy's read is the tags alone.
        #expect(try await provider.read(id: "\(path)/password", prior: passwordDeclared)?.attributes == passwordDeclared)
        #expect(try await provider.read(id: "\(path)/password", prior: [:])?.attributes == passwordDeclared)
        #expect(try await provider.read(id: "\(path)/host", prior: hostDeclared)?.attributes == hostDeclared)
        #expect(try await provider.read(id: "\(path)/host", prior: hostDeclared)?.outputs == createdHost.outputs)
        #expect(try await provider.ownershipRead(id: "\(path)/host", prior: [:])?.attributes["tags"] == ["team": "data"])

        // In place: description, value, pattern, tags (a new version each time but for the tags).
        host.description = "the primary host"
        host.value = "db2.internal"
        host.allowedPattern = #"^[a-z0-9.]+$"#
        host.tags = ["team": "platform"]
        let hostNext = ProviderTesting.attributes(of: host)
        _ = try await provider.update(id: "\(path)/host", from: hostDeclared, to: hostNext)
        let updated = try await Self.value(moto, "\(path)/host")
        #expect(updated["Value"].string == "db2.internal" && updated["Version"].int == 2)
        let updatedMetadata = try await Self.describe(moto, "\(path)/host")
        #expect(updatedMetadata["Description"].string == "the primary host" && updatedMetadata["AllowedPattern"].string == #"^[a-z0-9.]+$"#)
        #expect(try await Self.tags(moto, "\(path)/host") == ["team": "platform"])
        #expect(try await provider.read(id: "\(path)/host", prior: hostNext)?.attributes == hostNext)

        // Changed outside Cairn: the description and the secret, each read as it is now.
        try await moto.aws(["ssm", "put-parameter", "--name", "\(path)/password", "--value", "rotated", "--overwrite", "--description", "by hand"])
            .requireSuccess()
        let drifted = try #require(try await provider.read(id: "\(path)/password", prior: passwordDeclared))
        #expect(drifted.attributes["value"] == "rotated" && drifted.attributes["description"] == "by hand")
        #expect(drifted.attributes["type"] == "SecureString" && drifted.attributes["keyId"] == "alias/aws/ssm")
        // Back, and the pattern removed: an empty one clears it.
        _ = try await provider.update(id: "\(path)/password", from: drifted.attributes, to: passwordDeclared)
        #expect(try await Self.value(moto, "\(path)/password")["Value"].string == Self.secret)
        host.allowedPattern = nil
        _ = try await provider.update(id: "\(path)/host", from: hostNext, to: ProviderTesting.attributes(of: host))
        #expect(try await Self.describe(moto, "\(path)/host")["AllowedPattern"] == .null)

        for name in ["\(path)/host", "\(path)/password"] {
            try await provider.delete(id: name, attributes: [:])
            #expect(try await provider.read(id: name, prior: [:]) == nil)
            #expect(try await provider.ownershipRead(id: name, prior: [:]) == nil)
            try await provider.delete(id: name, attributes: [:])  // deleting what is gone is not an error
        }
        let gone = try await moto.aws(["ssm", "get-parameter", "--name", "\(path)/host"])
        #expect(gone.status != 0 && gone.stderr.contains("ParameterNotFound"))
    }

    /// The whole lifecycle through the engine: the secret never reaches a plan, a drift report or the state's bytes; a
    /// value overwritten by hand is found as changed (without either value) and undone, or kept with `ignoreDrift`.
    @Test(.integration) func theSecretStaysSealedThroughPlanApplyDriftAndDestroy() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-ssm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: stateDir) }
        let workspace = Workspace(stateDir: stateDir, providers: awsProviders(client: client), environment: ["CAIRN_STATE_KEY": "ssm tests"])
        let path = "/cairn-test/\(ProviderTesting.uniqueName("app"))"
        let host = SSMParameter("host", name: Input("\(path)/host"), type: .string, value: "db.internal")
        func stack(_ password: SSMParameter) -> Stack {
            Stack(name: "ssm-lifecycle", region: "us-east-1", environment: StackEnvironment(), resources: [host, password])
        }
        let renderer = PlanRenderer(style: Style(enabled: false))
        var shown: [String] = []
        func apply(_ stack: Stack) async throws -> Plan {
            let plan = try await workspace.plan(stack, region: "us-east-1")
            shown += [renderer.render(plan), plan.json().description]
            let report = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
            #expect(report.ok, "\(report.failureSummary)")
            return plan
        }
        var password = Self.password("\(path)/password")

        let created = try await apply(stack(password))
        #expect(created.count(.create) == 2)
        #expect(shown[0].contains("+ value = (sensitive)"))
        #expect(try await Self.value(moto, "\(path)/password")["Value"].string == Self.secret)
        #expect(try await workspace.plan(stack(password), region: "us-east-1").hasChanges == false)

        // Overwritten by hand: drift says the value changed, and shows neither value.
        try await moto.aws(["ssm", "put-parameter", "--name", "\(path)/password", "--value", "rotated-by-hand", "--overwrite"]).requireSuccess()
        let drift = try await workspace.drift(stack(password))
        #expect(drift.resources.map(\.address) == ["aws_ssm_parameter.password"])
        #expect(drift.resources.first?.attributes.map(\.path) == ["value"])
        let report = drift.render(style: Style(enabled: false))
        #expect(report.contains("value: (sensitive value changed)"))
        shown += [report, drift.json.description, drift.markdown]
        let undo = try await workspace.plan(stack(password), region: "us-east-1")
        let rendered = renderer.render(undo)
        #expect(rendered.contains("~ value: (sensitive value changed)"))
        shown += [rendered, undo.json().description]
        _ = try await workspace.apply(undo, stack: stack(password), command: "apply") { _ in }
        #expect(try await Self.value(moto, "\(path)/password")["Value"].string == Self.secret)

        // A value rotated outside Cairn is kept with ignoreDrift; the description still counts.
        password = Self.password("\(path)/password", options: ResourceOptions(ignoreDrift: ["value"]))
        try await moto.aws(["ssm", "put-parameter", "--name", "\(path)/password", "--value", "rotated-by-hand", "--overwrite"]).requireSuccess()
        #expect(try await workspace.drift(stack(password)).drifted == false)
        #expect(try await workspace.plan(stack(password), region: "us-east-1").hasChanges == false)
        try await moto.aws(["ssm", "put-parameter", "--name", "\(path)/password", "--value", "rotated-by-hand", "--overwrite", "--description", "x"])
            .requireSuccess()
        #expect(try await workspace.drift(stack(password)).resources.first?.attributes.map(\.path) == ["description"])
        _ = try await apply(stack(password))
        let kept = try await Self.value(moto, "\(path)/password")
        #expect(kept["Value"].string == "rotated-by-hand", "the rotated value stays")
        #expect(try await Self.describe(moto, "\(path)/password")["Description"].string == "the database password")

        // Destroy removes both.
        let destroy = try await workspace.plan(stack(password), region: "us-east-1", destroy: true)
        shown.append(renderer.render(destroy))
        #expect(try await workspace.apply(destroy, stack: stack(password), command: "destroy") { _ in }.ok)
        for name in ["\(path)/host", "\(path)/password"] {
            #expect(try await moto.aws(["ssm", "get-parameter", "--name", name]).status != 0)
        }

        // Neither secret anywhere: not in what was shown, not in any byte under the state directory.
        for text in shown {
            #expect(!text.contains(Self.secret) && !text.contains("rotated-by-hand"))
        }
        let files = FileManager.default.enumerator(at: stateDir, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        #expect(!files.isEmpty)
        for file in files {
            let bytes = (try? Data(contentsOf: file)) ?? Data()
            for secret in [Self.secret, "rotated-by-hand"] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in \(file.lastPathComponent)")
            }
        }
    }
}
