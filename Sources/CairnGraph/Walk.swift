/// The result of visiting one node during ``walk(_:parallelism:visit:)``.
public enum WalkOutcome: Hashable, Sendable {
    /// The node was handled; its dependents may now run.
    case succeeded
    /// The node could not be handled; everything that transitively depends on it is skipped.
    case failed
}

/// What happened to every node during ``walk(_:parallelism:visit:)``.
///
/// Each node of the walked graph appears in exactly one of `succeeded`, `failed`
/// or `skipped`.
public struct WalkReport<Node: Hashable & Sendable>: Sendable {
    /// Nodes whose visit succeeded, in completion order.
    public var succeeded: [Node]
    /// Nodes whose visit failed, in completion order.
    public var failed: [Node]
    /// Nodes that were never visited because a transitive dependency failed,
    /// mapped to that failed node. If several of a node's dependencies failed,
    /// the one whose failure was observed first is recorded.
    public var skipped: [Node: Node]

    /// Creates a report.
    public init(succeeded: [Node] = [], failed: [Node] = [], skipped: [Node: Node] = [:]) {
        self.succeeded = succeeded
        self.failed = failed
        self.skipped = skipped
    }
}

extension WalkReport: Equatable {}

/// Visits every node of `graph` concurrently, each only after all of its
/// dependencies succeeded.
///
/// - At most `parallelism` visits run at once, as child tasks of a task group.
/// - When several nodes are ready, they are started in insertion order.
/// - When a visit fails, every node that transitively depends on it is not
///   visited and is reported as skipped; every independent node still runs to
///   completion.
/// - Cancelling the calling task cancels the running visits, but the walker keeps
///   scheduling so that every node is accounted for in the report; visits should
///   check `Task.isCancelled` and return ``WalkOutcome/failed`` to stop early.
///
/// For deletes, walk `graph.reversed()` so dependents go first.
///
/// - Parameters:
///   - graph: The graph to walk.
///   - parallelism: The maximum number of concurrent visits. Must be at least 1.
///   - visit: Handles one node and reports whether it succeeded.
/// - Returns: Which nodes succeeded, failed, or were skipped.
/// - Throws: ``CycleError`` before visiting anything if the graph has a cycle.
public func walk<Node: Hashable & Sendable>(
    _ graph: DependencyGraph<Node>,
    parallelism: Int,
    visit: @escaping @Sendable (Node) async -> WalkOutcome
) async throws(CycleError<Node>) -> WalkReport<Node> {
    precondition(parallelism >= 1, "walk: parallelism must be at least 1, got \(parallelism)")
    if let cycle = graph.findCycle() {
        throw CycleError(cycle: cycle)
    }

    let dependents = graph.dependentIndices
    // Number of dependencies of each node that have not succeeded yet.
    var remaining = graph.dependencyIndices.map(\.count)
    var ready = IndexHeap(sortedAscending: remaining.indices.filter { remaining[$0] == 0 })
    var isSkipped = [Bool](repeating: false, count: graph.count)
    var report = WalkReport<Node>()

    await withTaskGroup(of: (index: Int, outcome: WalkOutcome).self) { group in
        var running = 0
        while true {
            while running < parallelism, let index = ready.popMin() {
                let node = graph.node(at: index)
                group.addTask { (index, await visit(node)) }
                running += 1
            }
            // The group only runs dry once nothing is ready either, since parallelism >= 1.
            guard let finished = await group.next() else { break }
            running -= 1
            let node = graph.node(at: finished.index)

            switch finished.outcome {
            case .succeeded:
                report.succeeded.append(node)
                for dependent in dependents[finished.index] {
                    remaining[dependent] -= 1
                    if remaining[dependent] == 0 { ready.insert(dependent) }
                }
            case .failed:
                report.failed.append(node)
                // The skipped set is closed under "dependent of", so an already-skipped
                // node's dependents need no second traversal: O(V + E) over the whole walk.
                var queue = [finished.index]
                var head = 0
                while head < queue.count {
                    let current = queue[head]
                    head += 1
                    for dependent in dependents[current] where !isSkipped[dependent] {
                        isSkipped[dependent] = true
                        report.skipped[graph.node(at: dependent)] = node
                        queue.append(dependent)
                    }
                }
            }
        }
    }
    return report
}
