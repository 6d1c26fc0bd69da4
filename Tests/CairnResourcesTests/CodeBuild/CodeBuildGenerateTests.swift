import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a CodeBuild project.
@Suite struct CodeBuildGenerateTests {
    static let role = "arn:aws:iam::123456789012:role/build"

    static func project(source: JSON, environment: [String: JSON] = [:]) -> Observed {
        var env: [String: JSON] = ["type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"]
        env.merge(environment) { $1 }
        return Observed(
            id: "shop-build",
            attributes: [
                "name": "shop-build", "serviceRole": .string(role), "source": source, "artifacts": ["type": "CODEPIPELINE"],
                "environment": .object(env), "cache": ["type": "NO_CACHE"], "timeoutInMinutes": 30, "queuedTimeoutInMinutes": 480, "tags": [:],
            ], outputs: [:])
    }

    @Test func aProjectIsDeclaredWithItsBuildspecAsAConstant() {
        let declared = GenerateTesting.declare(
            CodeBuildProject.typeName,
            Self.project(source: ["type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases: {}\n"], environment: ["privilegedMode": true]),
            as: "build", found: [.init(IAMRole.typeName, "buildRole", ["arn": .string(Self.role)])])
        #expect(declared.argument("serviceRole") == ".output(buildRole.arn)")
        #expect(declared.argument("source") == ".codePipeline(buildspec: .inline(buildBuildspec))")
        #expect(declared.constants == ["buildBuildspec": "version: 0.2\nphases: {}\n"])
        #expect(declared.argument("artifacts") == ".codePipeline")
        #expect(declared.argument("environment") == #".init(image: "aws/codebuild/standard:7.0", privilegedMode: true)"#)
        #expect(declared.argument("timeoutInMinutes") == "30")
    }

    /// A source it cannot name leaves the project out rather than declare another source; an environment type it cannot
    /// name is left to AWS.
    @Test func whatItCannotSayIsNeverDeclaredAsSomethingElse() {
        let bitbucket = GenerateTesting.declare(
            CodeBuildProject.typeName, Self.project(source: ["type": "BITBUCKET", "location": "https://bitbucket.org/x/y"]))
        #expect(bitbucket.undeclarable == "its source is of type BITBUCKET, which CodeBuildProject.Source does not name")
        #expect(bitbucket.argument("source") == nil)

        let gpu = GenerateTesting.declare(
            CodeBuildProject.typeName, Self.project(source: ["type": "CODEPIPELINE"], environment: ["type": "QUANTUM_CONTAINER"]))
        #expect(gpu.undeclarable == nil)
        #expect(gpu.ignoredDrift == ["environment.type"])
        #expect(gpu.unexpressed["environment.type"]?.hasPrefix("QUANTUM_CONTAINER is not an environment type") == true)
    }
}
