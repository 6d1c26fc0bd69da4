import Cairn
import Foundation

/// The CLI tests' stack for renames: an ECR repository and a role whose policy names it. `FIXTURE_MOVES` picks the
/// declaration, as a later commit of a user's repository would: unset, `app` and `build`; `renamed`, the same two
/// declared as `images` and `ci` with the moves that keep them; `undeclared`, renamed without the moves.
///
/// Names: repository `fixture-moves[-ENV]`, role `…-build`, whatever the declaration calls them.
let fixtureMoves: StackDefinition = {
    let generation = ProcessInfo.processInfo.environment["FIXTURE_MOVES"] ?? ""
    let renamed = generation == "renamed" || generation == "undeclared"
    let stack = StackDefinition(name: "fixture-moves", summary: "CLI test fixture: a repository and a role, renamed", region: "eu-north-1") { env in
        let name = env.suffixed("fixture-moves")
        let repository = ECRRepository(renamed ? "images" : "app", name: Input(name), forceDestroy: true)
        let role = IAMRole(
            renamed ? "ci" : "build", name: Input("\(name)-build"), assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
            inlinePolicies: ["push": PolicyDocument([PolicyStatement(actions: ["ecr:PutImage"], resources: [repository.arn.input])])])
        return (resources: [repository, role], outputs: ["REPOSITORY_URI": .reference(repository.uri.reference)])
    }
    guard generation == "renamed" else { return stack }
    return stack.moved(from: "aws_ecr_repository.app", to: "aws_ecr_repository.images").moved(from: "aws_iam_role.build", to: "aws_iam_role.ci")
}()
