import CairnEngine
import CairnJSON
import Testing

@Suite struct ValidationTests {
    let providers = ProviderRegistry([FakeProvider(typeName: FakeResource.typeName, cloud: FakeCloud())])

    func issues(_ stack: Stack) -> [ValidationIssue] {
        do {
            try StackValidator.validate(stack, providers: providers)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func duplicateNamesAreRefused() {
        let found = issues(makeStack([FakeResource("a"), FakeResource("a")]))
        #expect(found.map(\.address) == ["fake_thing.a"])
        #expect(found[0].message.contains("declared 2 times"))
    }

    @Test func unknownReferencesNameResourceAndAttribute() {
        var a = FakeResource("a")
        a.link = .reference(Reference(address: "fake_thing.ghost", output: "arn"))
        let found = issues(makeStack([a]))
        #expect(found.count == 1)
        #expect(found[0].address == "fake_thing.a")
        #expect(found[0].attribute == "link")
        #expect(found[0].message.contains("fake_thing.ghost"))
    }

    @Test func cyclesAreNamed() {
        var a = FakeResource("a")
        var b = FakeResource("b")
        var c = FakeResource("c")
        a.link = .reference(b.arn)
        b.link = .reference(c.arn)
        c.link = .reference(a.arn)
        let found = issues(makeStack([a, b, c]))
        #expect(found.count == 1)
        #expect(found[0].message.contains("dependency cycle"))
        for name in ["fake_thing.a", "fake_thing.b", "fake_thing.c"] { #expect(found[0].message.contains(name)) }
    }

    @Test func resourceRulesAndDependsOnAreChecked() {
        var a = FakeResource("a", name: "has space")
        a.options.dependsOn = ["fake_thing.nowhere"]
        let found = issues(makeStack([a]))
        #expect(found.contains { $0.attribute == "name" && $0.address == "fake_thing.a" })
        #expect(found.contains { $0.attribute == "dependsOn" })
    }

    @Test func validationHappensBeforeAnyCall() async {
        let cloud = FakeCloud()
        let workspace = makeWorkspace(cloud)
        await #expect(throws: StackValidationError.self) {
            _ = try await workspace.plan(makeStack([FakeResource("a", name: "bad name")]), region: "us-east-1")
        }
        #expect(cloud.callLog.isEmpty)
    }
}
