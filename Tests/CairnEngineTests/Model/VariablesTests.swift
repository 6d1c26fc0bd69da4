import CairnEngine
import CairnJSON
import Foundation
import Testing

/// Stack variables: typed values from `--var`, variable files and `CAIRN_VAR_name`, in Terraform's
/// order, each bad input refused naming the variable, before any API call.
@Suite struct VariablesTests {
    static let imagesKept = Variable<Int>("images_kept", default: 10)
    static let owner = Variable<String>("owner")
    static let isPublic = Variable<Bool>("public", default: false)
    static let ratio = Variable<Double?>("ratio")
    static let subnets = Variable<[String]>("subnets", default: [])
    static let password = Variable<String>("db_password", sensitive: true)

    static let declarations = ([imagesKept, owner, isPublic, ratio, subnets, password] as [any StackVariable]).map(\.declaration)

    func resolve(_ assignments: [String] = [], files: [(String, String)] = [], environment: [String: String] = [:]) throws -> VariableValues {
        try VariableValues.resolve(
            stack: "web", declarations: Self.declarations, assignments: assignments,
            files: files.map { (path: $0.0, contents: Data($0.1.utf8)) }, environment: environment)
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    @Test func defaultsThenEnvironmentThenFilesThenFlagsInOrder() throws {
        let defaults = try resolve()
        #expect(defaults[Self.imagesKept] == 10)
        #expect(defaults[Self.ratio] == nil, "an optional variable is nil unless set")
        #expect(defaults.missing == ["db_password", "owner"])
        #expect(defaults.sources["images_kept"] == "its default")

        let fromEnvironment = try resolve(environment: ["CAIRN_VAR_images_kept": "20", "CAIRN_VAR_owner": "ops"])
        #expect(fromEnvironment[Self.imagesKept] == 20)
        #expect(fromEnvironment.sources["images_kept"] == "CAIRN_VAR_images_kept")

        let values = try resolve(
            ["images_kept=40", "public=true"],
            files: [
                ("a.json", #"{"images_kept": 30, "owner": "team-a", "subnets": ["s-1", "s-2"]}"#),
                ("b.json", #"{"owner": "team-b", "ratio": 0.5}"#),
            ],
            environment: ["CAIRN_VAR_images_kept": "20", "CAIRN_VAR_owner": "ops"])
        #expect(values[Self.imagesKept] == 40)
        #expect(values.sources["images_kept"] == "--var")
        #expect(values[Self.owner] == "team-b", "a later file wins")
        #expect(values.sources["owner"] == "b.json")
        #expect(values[Self.isPublic] == true)
        #expect(values[Self.ratio] == 0.5)
        #expect(values[Self.subnets] == ["s-1", "s-2"])
        #expect(try resolve(["subnets=[\"s-9\"]", "owner=a=b"])[Self.owner] == "a=b", "only the first = splits")
    }

    @Test func aVariableCanAlsoComeFromTheNameATeamsScriptsExport() throws {
        let email = Variable<String>("approval_email", environment: "APPROVAL_EMAIL")
        func values(_ environment: [String: String], _ assignments: [String] = []) throws -> VariableValues {
            try VariableValues.resolve(stack: "web", declarations: [email.declaration], assignments: assignments, environment: environment)
        }
        #expect(try values(["APPROVAL_EMAIL": "ops@example.com"])[email] == "ops@example.com")
        #expect(try values(["APPROVAL_EMAIL": "ops@example.com"]).sources["approval_email"] == "APPROVAL_EMAIL")
        #expect(try values(["APPROVAL_EMAIL": "a@example.com", "CAIRN_VAR_approval_email": "b@example.com"])[email] == "b@example.com")
        #expect(try values(["APPROVAL_EMAIL": "a@example.com"], ["approval_email=c@example.com"])[email] == "c@example.com")
        let definition = StackDefinition(name: "web", summary: "", region: nil, variables: [email]) { _, vars in
            _ = vars[email]
            return (resources: [], outputs: [:])
        }
        #expect(
            refusal { _ = try definition.instantiate(StackEnvironment("dev"), variables: try values([:])) }
                == "The variable 'approval_email' of stack 'web' is required (a string): set it with --var approval_email=VALUE, in a --var-file, or as APPROVAL_EMAIL (or CAIRN_VAR_approval_email)."
        )
    }

    @Test func badInputNamesTheVariableAndTheSource() throws {
        #expect(refusal { _ = try resolve(["images_kept"]) } == "--var 'images_kept' is not NAME=VALUE: write it like --var images_kept=20.")
        #expect(
            refusal { _ = try resolve(["colour=red"]) }
                == "--var sets 'colour', which stack 'web' does not declare (its variables are db_password, images_kept, owner, public, ratio, subnets): fix the name, or declare it with Variable(\"colour\")."
        )
        #expect(
            refusal { _ = try resolve(["images_kept=ten"]) }
                == "The variable 'images_kept' must be a whole number, and --var gives something else ('ten'): fix the value.")
        #expect(
            refusal { _ = try resolve(environment: ["CAIRN_VAR_public": "yes"]) }
                == "The variable 'public' must be true or false, and CAIRN_VAR_public gives something else ('yes'): fix the value.")
        #expect(
            refusal { _ = try resolve(files: [("v.json", #"{"images_kept": "many"}"#)]) }
                == "The variable 'images_kept' must be a whole number, and the variable file v.json gives something else (\"many\"): fix the value.")
        #expect(refusal { _ = try resolve(files: [("v.json", "images_kept = 3")]) }?.hasPrefix("The variable file v.json is not JSON (") == true)
        #expect(
            refusal { _ = try resolve(files: [("v.json", "[1]")]) }
                == "The variable file v.json holds JSON that is not an object: write one object of variable names and values, e.g. {\"images_kept\": 20}."
        )
        #expect(
            refusal { _ = try resolve(files: [("v.json", #"{"colour": 1}"#)]) }?.hasPrefix(
                "The variable file v.json sets 'colour', which stack 'web' does not declare") == true)
        // A sensitive value is never echoed.
        #expect(
            refusal { _ = try resolve(files: [("v.json", #"{"db_password": 12345}"#)]) }
                == "The variable 'db_password' must be a string, and the variable file v.json gives something else: fix the value.")
        // Unknown CAIRN_VAR_ names are someone else's: the environment is shared by every stack.
        #expect(try resolve(environment: ["CAIRN_VAR_colour": "red"]).values["colour"] == nil)
    }

    @Test func declarationsAreCheckedToo() {
        let twice = [Variable<Int>("n").declaration, Variable<String>("n").declaration]
        #expect(
            refusal { _ = try VariableValues.resolve(stack: "web", declarations: twice) }
                == "Stack 'web' declares the variable 'n' twice: give each variable its own name.")
        #expect(
            refusal { _ = try VariableValues.resolve(stack: "web", declarations: [Variable<Int>("images-kept").declaration]) }?
                .hasPrefix("Stack 'web' declares a variable named 'images-kept'") == true)
    }

    static let definition = StackDefinition(name: "web", summary: "", region: "us-east-1", variables: [imagesKept, owner, password]) { env, vars in
        var thing = FakeResource("thing", name: "\(vars[owner])-\(env.name)")
        thing.size = vars[imagesKept]
        thing.link = vars.value(password)
        return (resources: [thing], outputs: [:])
    }

    @Test func instantiateRequiresEveryRequiredVariableAndMasksSensitiveOnes() throws {
        let none = try resolve()
        #expect(
            refusal { _ = try Self.definition.instantiate(StackEnvironment("dev"), variables: none) }
                == "The variable 'db_password' of stack 'web' is required (a string): set it with --var db_password=VALUE, in a --var-file, or as CAIRN_VAR_db_password."
        )
        // Commands that only read the state need none.
        #expect(try Self.definition.instantiate(StackEnvironment("dev"), variables: none, requireAll: false).resources.count == 1)

        let set = try resolve(["owner=ops", "db_password=hunter2", "images_kept=3"])
        let stack = try Self.definition.instantiate(StackEnvironment("dev"), variables: set)
        let attributes = stack.resources[0].attributes
        #expect(attributes["name"] == .json("ops-dev"))
        #expect(attributes["size"] == .json(3))
        #expect(attributes["link"] == .sensitive(.json("hunter2")), "masked in plans, encrypted in the state")
    }

    @Test func readingAVariableWronglyFailsNamingIt() throws {
        let undeclared = StackDefinition(name: "web", summary: "", region: nil, variables: [Self.owner]) { _, vars in
            _ = vars[Self.imagesKept]
            return (resources: [], outputs: [:])
        }
        let owner = try VariableValues.resolve(stack: "web", declarations: [Self.owner.declaration], assignments: ["owner=x"])
        #expect(
            refusal { _ = try undeclared.instantiate(StackEnvironment(), variables: owner) }
                == "The stack reads the variable 'images_kept' but does not declare it: add it to StackDefinition(variables:).")
        let plainSecret = StackDefinition(name: "web", summary: "", region: nil, variables: [Self.password]) { _, vars in
            _ = vars[Self.password]
            return (resources: [], outputs: [:])
        }
        let values = try VariableValues.resolve(stack: "web", declarations: [Self.password.declaration], assignments: ["db_password=x"])
        #expect(
            refusal { _ = try plainSecret.instantiate(StackEnvironment(), variables: values) }?
                .hasPrefix("The variable 'db_password' is sensitive: read it with vars.value(db_password)") == true)
    }
}

/// A variable's own rule, as Terraform's validation blocks: checked wherever the value came from.
@Suite struct VariableValidationTests {
    static let repository = Variable<String>(
        "github_repository", description: "OWNER/REPO",
        validation: { value in
            value.range(of: "^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", options: .regularExpression) == nil ? "must look like OWNER/REPO" : nil
        })

    @Test func aValueTheRuleRefusesStopsNamingTheVariableAndTheSource() throws {
        func refusal(_ assignments: [String], _ environment: [String: String] = [:]) -> String? {
            do {
                _ = try VariableValues.resolve(
                    stack: "web", declarations: [Self.repository.declaration], assignments: assignments, environment: environment)
            } catch {
                return "\(error)"
            }
            return nil
        }
        #expect(refusal(["github_repository=octo/app"]) == nil)
        #expect(
            refusal(["github_repository=octo"]) == "The variable 'github_repository' from --var ('octo') must look like OWNER/REPO: fix the value.")
        #expect(
            refusal([], ["CAIRN_VAR_github_repository": "a b/c"])
                == "The variable 'github_repository' from CAIRN_VAR_github_repository ('a b/c') must look like OWNER/REPO: fix the value.")
    }
}
