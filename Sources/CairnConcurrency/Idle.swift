/// Work that holds a share of its caller's parallelism (one operation of an apply) and gives that share back while it
/// only waits: for an API's rate allowance, a retry's backoff, AWS reaching a state. Without it, an API that AWS
/// throttles fills every place of an apply with operations waiting for its tokens, and the APIs AWS does not throttle
/// stand idle.
///
/// A class, not a closure: Swift 6.3's optimiser miscompiles a task-local whose value is a closure.
public protocol IdleLender: AnyObject, Sendable {
    /// The work is about to wait: its share may go to other work.
    func lend()
    /// The wait is over: returns once the work holds a share again.
    func reclaim() async
}

/// Waiting without holding a place: the AWS client and the resources' waits go through ``lending(_:)``, and the
/// apply's executor sets a ``lender`` per operation. Where none is set (a plan's reads, a test), waiting is just
/// waiting.
public enum Idle {
    /// The lender of the work running in this task, if any.
    @TaskLocal public static var lender: (any IdleLender)?

    /// Runs `body` with no lender: for a task that serves every operation (a state writer, a credentials refresh)
    /// started from inside one. An unstructured task inherits task-locals, so it would otherwise lend and take back
    /// the place of the operation that happened to start it, which others wait on while it waits for a place.
    public static func unlent<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        try await $lender.withValue(nil, operation: body, isolation: isolation)
    }

    /// Runs `wait` (a sleep) with this task's share of parallelism lent meanwhile.
    public static func lending(_ wait: () async throws -> Void) async throws {
        guard let lender else { return try await wait() }
        lender.lend()
        do {
            try await wait()
        } catch {
            await lender.reclaim()
            throw error
        }
        await lender.reclaim()
    }
}
