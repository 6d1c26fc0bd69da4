import CairnGraph
import Testing

/// Builds a graph from nodes (in insertion order) and `(dependent, dependency)` edges.
func makeGraph(_ nodes: [String], _ edges: [(String, String)]) -> DependencyGraph<String> {
    var graph = DependencyGraph<String>()
    for node in nodes { graph.add(node) }
    for (dependent, dependency) in edges { graph.addDependency(dependent, on: dependency) }
    return graph
}

/// Checks that `order` contains every node once and puts dependencies first.
func isValidTopologicalOrder<Node>(_ order: [Node], of graph: DependencyGraph<Node>) -> Bool {
    guard order.count == graph.count, Set(order) == Set(graph.nodes) else { return false }
    var position: [Node: Int] = [:]
    for (index, node) in order.enumerated() { position[node] = index }
    for node in graph.nodes {
        for dependency in graph.dependencies(of: node) where position[dependency]! >= position[node]! {
            return false
        }
    }
    return true
}

/// Checks that `cycle` is a closed path along dependency edges with no repeated inner node.
func isValidCycle<Node>(_ cycle: [Node], in graph: DependencyGraph<Node>) -> Bool {
    guard cycle.count >= 2, cycle.first == cycle.last else { return false }
    guard Set(cycle.dropLast()).count == cycle.count - 1 else { return false }
    for (from, to) in zip(cycle, cycle.dropFirst()) where !graph.dependencies(of: from).contains(to) {
        return false
    }
    return true
}

@Suite struct GraphStructureTests {
    @Test func addIsIdempotentAndKeepsInsertionOrder() {
        var graph = DependencyGraph<String>()
        graph.add("b")
        graph.add("a")
        graph.add("b")
        graph.add("c")
        #expect(graph.nodes == ["b", "a", "c"])
        #expect(graph.count == 3)
        #expect(graph.contains("a"))
        #expect(!graph.contains("z"))
    }

    @Test func duplicateEdgesAreIgnored() {
        var graph = makeGraph(["a", "b"], [("a", "b"), ("a", "b")])
        graph.addDependency("a", on: "b")
        #expect(graph.edgeCount == 1)
        #expect(graph.dependencies(of: "a") == ["b"])
        #expect(graph.dependents(of: "b") == ["a"])
    }

    @Test func dependenciesAndDependentsKeepEdgeOrder() {
        let graph = makeGraph(
            ["app", "db", "net", "dns"],
            [
                ("app", "net"), ("app", "db"), ("db", "net"), ("dns", "app"),
            ])
        #expect(graph.dependencies(of: "app") == ["net", "db"])
        #expect(graph.dependents(of: "net") == ["app", "db"])
        #expect(graph.dependencies(of: "net") == [])
        #expect(graph.dependencies(of: "unknown") == [])
        #expect(graph.dependents(of: "unknown") == [])
    }

    @Test func reversedFlipsEveryEdge() throws {
        let graph = makeGraph(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
        let reversed = graph.reversed()
        #expect(reversed.nodes == graph.nodes)
        #expect(reversed.edgeCount == graph.edgeCount)
        for node in graph.nodes {
            #expect(Set(reversed.dependencies(of: node)) == Set(graph.dependents(of: node)))
            #expect(Set(reversed.dependents(of: node)) == Set(graph.dependencies(of: node)))
        }
        // Deletes: dependents go first.
        #expect(try reversed.topologicalOrder() == ["a", "b", "c", "d"])
        #expect(try graph.topologicalOrder() == ["d", "b", "c", "a"])
        // Reversing twice gives back the original edges.
        let twice = reversed.reversed()
        for node in graph.nodes {
            #expect(twice.dependencies(of: node) == graph.dependencies(of: node))
        }
        // The flipped edge set still deduplicates.
        var mutable = reversed
        mutable.addDependency("b", on: "a")
        #expect(mutable.edgeCount == reversed.edgeCount)
    }

    @Test func transitiveDependents() {
        // net <- subnet <- vm <- dns ; net <- fw ; bucket (independent)
        let graph = makeGraph(
            ["net", "subnet", "vm", "dns", "fw", "bucket"],
            [
                ("subnet", "net"), ("vm", "subnet"), ("dns", "vm"), ("fw", "net"), ("dns", "fw"),
            ])
        #expect(graph.transitiveDependents(of: "net") == ["subnet", "vm", "dns", "fw"])
        #expect(graph.transitiveDependents(of: "vm") == ["dns"])
        #expect(graph.transitiveDependents(of: "dns") == [])
        #expect(graph.transitiveDependents(of: "bucket") == [])
        #expect(graph.transitiveDependents(of: "unknown") == [])
    }

    @Test func transitiveDependentsIncludesNodeOnlyOnCycle() {
        let graph = makeGraph(["a", "b", "c"], [("a", "b"), ("b", "a"), ("c", "a")])
        #expect(graph.transitiveDependents(of: "a") == ["a", "b", "c"])
    }
}

@Suite struct TopologicalOrderTests {
    @Test func diamond() throws {
        // top depends on left and right, both depend on base.
        let graph = makeGraph(
            ["top", "left", "right", "base"],
            [
                ("top", "left"), ("top", "right"), ("left", "base"), ("right", "base"),
            ])
        let order = try graph.topologicalOrder()
        #expect(order == ["base", "left", "right", "top"])
        #expect(isValidTopologicalOrder(order, of: graph))
    }

    @Test func chainInsertedBackwards() throws {
        let graph = makeGraph(["e", "d", "c", "b", "a"], [("e", "d"), ("d", "c"), ("c", "b"), ("b", "a")])
        #expect(try graph.topologicalOrder() == ["a", "b", "c", "d", "e"])
    }

    @Test func emptyGraph() throws {
        #expect(try DependencyGraph<Int>().topologicalOrder() == [])
        #expect(DependencyGraph<Int>().findCycle() == nil)
    }

    @Test func independentNodesKeepInsertionOrder() throws {
        let graph = makeGraph(["z", "y", "x", "w"], [])
        #expect(try graph.topologicalOrder() == ["z", "y", "x", "w"])
    }

    @Test func tiesPreferEarliestInsertedReadyNode() throws {
        // x (inserted first) becomes ready once y is placed and then beats z.
        let graph = makeGraph(["x", "y", "z"], [("x", "y")])
        #expect(try graph.topologicalOrder() == ["y", "x", "z"])
    }

    @Test func orderIsDeterministicAcrossCopiesAndRuns() throws {
        let nodes = (0..<200).map { "n\($0)" }
        var edges: [(String, String)] = []
        for i in 1..<200 {
            edges.append((nodes[i], nodes[(i * 7) % i]))
            edges.append((nodes[i], nodes[(i * 13 + 5) % i]))
        }
        let first = try makeGraph(nodes, edges).topologicalOrder()
        let second = try makeGraph(nodes, edges).topologicalOrder()
        #expect(first == second)
        #expect(isValidTopologicalOrder(first, of: makeGraph(nodes, edges)))
    }
}

@Suite struct CycleTests {
    @Test func acyclicGraphHasNoCycle() {
        let graph = makeGraph(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
        #expect(graph.findCycle() == nil)
    }

    @Test func selfLoop() {
        let graph = makeGraph(["a", "b"], [("b", "a"), ("a", "a")])
        #expect(graph.findCycle() == ["a", "a"])
        #expect(throws: CycleError(cycle: ["a", "a"])) { try graph.topologicalOrder() }
    }

    @Test func twoCycle() throws {
        let graph = makeGraph(["a", "b", "c"], [("c", "a"), ("a", "b"), ("b", "a")])
        let cycle = try #require(graph.findCycle())
        #expect(cycle == ["a", "b", "a"])
        #expect(isValidCycle(cycle, in: graph))
    }

    @Test func threeCycleInsideBiggerGraph() throws {
        // An acyclic part (root, leaf, other) around the cycle p -> q -> r -> p.
        let graph = makeGraph(
            ["root", "leaf", "p", "q", "r", "other"],
            [
                ("root", "leaf"), ("root", "p"), ("p", "leaf"), ("p", "q"), ("q", "r"),
                ("r", "p"), ("other", "q"), ("r", "leaf"),
            ])
        let cycle = try #require(graph.findCycle())
        #expect(isValidCycle(cycle, in: graph))
        #expect(cycle == ["p", "q", "r", "p"])

        do {
            _ = try graph.topologicalOrder()
            Issue.record("expected a CycleError")
        } catch {
            #expect(isValidCycle(error.cycle, in: graph))
            #expect(Set(error.cycle) == ["p", "q", "r"])
            #expect(error.description == "dependency cycle: p -> q -> r -> p")
        }
    }

    @Test func longCycleDoesNotOverflowTheStack() throws {
        let count = 10_000
        var graph = DependencyGraph<Int>()
        for i in 0..<count { graph.add(i) }
        for i in 0..<count - 1 { graph.addDependency(i, on: i + 1) }
        #expect(graph.findCycle() == nil)
        graph.addDependency(count - 1, on: 0)
        let cycle = try #require(graph.findCycle())
        #expect(cycle.count == count + 1)
        #expect(isValidCycle(cycle, in: graph))
    }

    @Test func cycleIsFoundInReversedGraph() throws {
        let graph = makeGraph(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")]).reversed()
        let cycle = try #require(graph.findCycle())
        #expect(isValidCycle(cycle, in: graph))
    }
}
