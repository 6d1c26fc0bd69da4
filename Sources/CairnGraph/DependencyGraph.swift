/// A directed graph of nodes connected by "depends on" edges.
///
/// If resource `A` references an output of resource `B`, then `A` depends on `B`
/// and `B` must be handled first. The graph only knows about nodes and edges; it
/// does not care what a node represents.
///
/// Nodes are stored densely in insertion order and edges as index-based adjacency
/// lists, so every query and algorithm here runs in (near) linear time in the
/// number of nodes plus edges. Insertion order is remembered and used to break
/// ties, which makes every result deterministic.
public struct DependencyGraph<Node: Hashable & Sendable>: Sendable {
    /// Nodes, indexed by insertion position.
    private var storage: [Node] = []
    /// Node → its insertion position.
    private var positions: [Node: Int] = [:]
    /// For each node index, the indices it depends on (in the order the edges were added).
    private(set) var dependencyIndices: [[Int]] = []
    /// For each node index, the indices that depend on it (in the order the edges were added).
    private(set) var dependentIndices: [[Int]] = []
    /// Every edge once, so duplicate `addDependency` calls are cheap no-ops.
    private var edgeSet: Set<GraphEdge> = []

    /// Creates an empty graph.
    public init() {}

    /// All nodes, in the order they were first added.
    public var nodes: [Node] { storage }

    /// The number of nodes in the graph.
    public var count: Int { storage.count }

    /// The number of distinct dependency edges in the graph.
    public var edgeCount: Int { edgeSet.count }

    /// Whether `node` has been added to the graph.
    public func contains(_ node: Node) -> Bool {
        positions[node] != nil
    }

    /// Adds `node` to the graph.
    ///
    /// Adding a node that is already present does nothing; in particular it keeps
    /// its original insertion position.
    public mutating func add(_ node: Node) {
        guard positions[node] == nil else { return }
        positions[node] = storage.count
        storage.append(node)
        dependencyIndices.append([])
        dependentIndices.append([])
    }

    /// Records that `dependent` depends on `dependency`, i.e. `dependency` must be
    /// handled before `dependent`.
    ///
    /// Adding the same edge twice has no further effect. A node may depend on
    /// itself; that is a cycle and is reported by ``findCycle()`` and
    /// ``topologicalOrder()``.
    ///
    /// - Precondition: Both nodes have already been added with ``add(_:)``.
    ///   Referencing an unknown node is a programming error (the caller resolves
    ///   references before building the graph), so it traps rather than throws.
    public mutating func addDependency(_ dependent: Node, on dependency: Node) {
        guard let from = positions[dependent] else {
            preconditionFailure("addDependency: dependent \(dependent) was never added to the graph")
        }
        guard let to = positions[dependency] else {
            preconditionFailure("addDependency: dependency \(dependency) was never added to the graph")
        }
        guard edgeSet.insert(GraphEdge(dependent: from, dependency: to)).inserted else { return }
        dependencyIndices[from].append(to)
        dependentIndices[to].append(from)
    }

    /// The nodes that `node` directly depends on, in the order the edges were added.
    ///
    /// Returns an empty array for a node that is not in the graph.
    public func dependencies(of node: Node) -> [Node] {
        guard let index = positions[node] else { return [] }
        return dependencyIndices[index].map { storage[$0] }
    }

    /// The nodes that directly depend on `node`, in the order the edges were added.
    ///
    /// Returns an empty array for a node that is not in the graph.
    public func dependents(of node: Node) -> [Node] {
        guard let index = positions[node] else { return [] }
        return dependentIndices[index].map { storage[$0] }
    }

    /// All nodes ordered so that every node comes after all of its dependencies.
    ///
    /// Ties are broken by insertion order: whenever several nodes have all their
    /// dependencies placed already, the earliest-inserted one goes next. The result
    /// is therefore fully deterministic. Runs in O((V + E) log V).
    ///
    /// - Throws: ``CycleError`` carrying one cycle (see ``findCycle()``) if the
    ///   graph is not acyclic.
    public func topologicalOrder() throws(CycleError<Node>) -> [Node] {
        var remaining = dependencyIndices.map(\.count)
        var ready = IndexHeap(sortedAscending: storage.indices.filter { remaining[$0] == 0 })
        var order: [Node] = []
        order.reserveCapacity(storage.count)
        while let index = ready.popMin() {
            order.append(storage[index])
            for dependent in dependentIndices[index] {
                remaining[dependent] -= 1
                if remaining[dependent] == 0 { ready.insert(dependent) }
            }
        }
        if order.count < storage.count {
            // Kahn's algorithm got stuck, so a cycle exists and findCycle must find it.
            guard let cycle = findCycle() else {
                preconditionFailure("topologicalOrder: unsorted nodes remain but no cycle was found")
            }
            throw CycleError(cycle: cycle)
        }
        return order
    }

    /// Finds one dependency cycle, if there is any.
    ///
    /// The cycle is returned as a closed path `[a, b, c, a]`: each element depends
    /// directly on the next one, and the first element equals the last. A
    /// self-dependency is returned as `[a, a]`. The search visits nodes and edges
    /// in insertion order, so the same graph always yields the same cycle.
    /// Runs in O(V + E) without recursion, so very deep graphs are fine.
    ///
    /// - Returns: The cycle, or `nil` if the graph is acyclic.
    public func findCycle() -> [Node]? {
        let unvisited: UInt8 = 0
        let onPath: UInt8 = 1
        let finished: UInt8 = 2
        var state = [UInt8](repeating: unvisited, count: storage.count)
        var pathPosition = [Int](repeating: -1, count: storage.count)
        // Iterative DFS: `path` is the current root-to-node chain, `cursor[k]` the
        // next outgoing edge to try for `path[k]`.
        var path: [Int] = []
        var cursor: [Int] = []

        for root in storage.indices where state[root] == unvisited {
            state[root] = onPath
            pathPosition[root] = 0
            path.append(root)
            cursor.append(0)

            while let top = path.last {
                let edges = dependencyIndices[top]
                let next = cursor[cursor.count - 1]
                guard next < edges.count else {
                    state[top] = finished
                    path.removeLast()
                    cursor.removeLast()
                    continue
                }
                cursor[cursor.count - 1] = next + 1
                let target = edges[next]
                if state[target] == onPath {
                    let cycle = path[pathPosition[target]...] + [target]
                    return cycle.map { storage[$0] }
                }
                if state[target] == unvisited {
                    state[target] = onPath
                    pathPosition[target] = path.count
                    path.append(target)
                    cursor.append(0)
                }
            }
        }
        return nil
    }

    /// A copy of the graph with every edge flipped: if `a` depends on `b` here,
    /// then `b` depends on `a` in the result.
    ///
    /// Used for deletes, where dependents must go before what they depend on.
    /// Nodes keep their insertion order.
    public func reversed() -> DependencyGraph {
        var result = self
        result.dependencyIndices = dependentIndices
        result.dependentIndices = dependencyIndices
        result.edgeSet = Set(edgeSet.map { GraphEdge(dependent: $0.dependency, dependency: $0.dependent) })
        return result
    }

    /// Every node that depends on `node` directly or transitively, i.e. everything
    /// that must be skipped if `node` fails.
    ///
    /// `node` itself is only included if it lies on a cycle. Returns an empty set
    /// for a node that is not in the graph. Runs in O(V + E).
    public func transitiveDependents(of node: Node) -> Set<Node> {
        guard let start = positions[node] else { return [] }
        var seen = [Bool](repeating: false, count: storage.count)
        var queue = [start]
        var head = 0
        var result: Set<Node> = []
        while head < queue.count {
            let current = queue[head]
            head += 1
            for dependent in dependentIndices[current] where !seen[dependent] {
                seen[dependent] = true
                result.insert(storage[dependent])
                queue.append(dependent)
            }
        }
        return result
    }

    /// The node stored at insertion position `index`.
    func node(at index: Int) -> Node {
        storage[index]
    }
}

/// An edge between two node indices; `dependent` depends on `dependency`.
struct GraphEdge: Hashable, Sendable {
    var dependent: Int
    var dependency: Int
}

/// Thrown when an operation needs an acyclic graph but the graph has a cycle.
public struct CycleError<Node: Sendable>: Error {
    /// The offending cycle as a closed path `[a, b, c, a]`, where each element
    /// depends directly on the next one and the first element equals the last.
    public let cycle: [Node]

    /// Creates an error for the given closed cycle path.
    public init(cycle: [Node]) {
        self.cycle = cycle
    }
}

extension CycleError: Equatable where Node: Equatable {}

extension CycleError: CustomStringConvertible {
    /// A human-readable rendering such as `dependency cycle: a -> b -> a`.
    public var description: String {
        "dependency cycle: " + cycle.map { "\($0)" }.joined(separator: " -> ")
    }
}

/// A binary min-heap of node indices; smallest index = earliest inserted node,
/// which is how ties are broken deterministically.
struct IndexHeap: Sendable {
    private var items: [Int]

    /// An ascending array already satisfies the heap property, so no heapify is needed.
    init(sortedAscending: [Int]) {
        items = sortedAscending
    }

    var isEmpty: Bool { items.isEmpty }

    mutating func insert(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Int? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let minimum = items[0]
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}
