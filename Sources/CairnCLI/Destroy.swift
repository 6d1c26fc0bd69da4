import ArgumentParser
import CairnEngine
import Foundation

extension Cairn {
    /// Deletes everything in a stack's state.
    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every resource of a stack, in reverse dependency order.")

        @OptionGroup var target: StackOptions
        @OptionGroup var change: ChangeOptions
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let context = try StackContext(target, aws: aws)
                let plan = try await context.workspace.plan(context.stack, region: context.region, destroy: true)
                guard plan.hasChanges else {
                    say("No changes. The stack '\(plan.stack)' (\(plan.environment)) has nothing to destroy.")
                    return
                }
                say(PlanRenderer(style: context.style).render(plan))
                guard try confirm("Do you really want to destroy all resources of '\(plan.stack)' (\(plan.environment))?", autoApprove: change.autoApprove) else {
                    say("Destroy cancelled.")
                    throw ExitCode.failure
                }
                try await executePlan(plan, context: context, change: change, command: "destroy")
            }
        }
    }
}
