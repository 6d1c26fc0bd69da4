import CairnAWS
import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnResources

@Suite struct SecretsTests {
    @Test func environmentSecretsAreSensitiveAndMissingOnesAreNamed() {
        let present = Secret.environment("GITHUB_TOKEN", in: ["GITHUB_TOKEN": "ghp_x"])
        #expect(present.value == .sensitive(.json("ghp_x")))
        let missing = Secret.environment("GITHUB_TOKEN", in: [:])
        let found = CairnEngine.Value.object(["source": .object(["token": missing.value])]).missingSecrets(path: "stages")
        #expect(found.count == 1)
        #expect(found[0].path == "stages.source.token")
        #expect(found[0].source == "the environment variable GITHUB_TOKEN")
    }

    @Test(.integration) func ssmAndSecretsManagerValuesAreReadAtPlanTime() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let name = "/cairn/\(ProviderTesting.uniqueName("token"))"
        try await moto.aws(["ssm", "put-parameter", "--name", name, "--type", "SecureString", "--value", "from-ssm"]).requireSuccess()
        let secretName = ProviderTesting.uniqueName("secret")
        try await moto.aws(["secretsmanager", "create-secret", "--name", secretName, "--secret-string", "from-secrets-manager"]).requireSuccess()
        let parameter = SSMParameterValue("token", name: name)
        let secret = SecretsManagerValue("other", secretID: secretName)
        let stack = Stack(name: "secrets", region: "us-east-1", environment: StackEnvironment(), resources: [parameter, secret])
        let values = try await Planner(providers: awsProviders(client: client)).evaluateLookups(stack)
        #expect(values[parameter.address]?["value"] == "from-ssm")
        #expect(values[secret.address]?["value"] == "from-secrets-manager")
        #expect(parameter.value.value == .sensitive(.reference(Reference(address: parameter.address, output: "value"))))
    }
}
