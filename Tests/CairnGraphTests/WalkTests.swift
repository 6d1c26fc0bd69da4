import CairnGraph
import Testing

/// Records visit start/finish events in the order they happen.
actor EventLog<Node: Hashable & Sendable> {
    enum Event: Hashable {
        case start(Node)
        case finish(Node)
    }

    private(set) var events: [Event] = []

    func record(_ event: Event) {
        events.append(event)
    }

    var started: [Node] {
        events.compactMap { if case .start(let node) = $0 { node } else { nil } }
    }
}

/// Tracks how many visits are in flight at once.
actor ConcurrencyGauge {
    private(set) var current = 0
    private(set) var maximum = 0

    func enter() {
        current += 1
        maximum = max(maximum, current)
    }

    func leave() {
        current -= 1
    }
}

/// Asserts that every node started only after each of its dependencies finished.
func expectDependenciesFinishedFirst<Node>(_ events: [EventLog<Node>.Event], graph: DependencyGraph<Node>) {
    var position: [EventLog<Node>.Event: Int] = [:]
    for (index, event) in events.enumerated() {
        #expect(position[event] == nil, "duplicate event \(event)")
        position[event] = index
    }
    for node in graph.nodes {
        guard let start = position[.start(node)] else { continue }
        for dependency in graph.dependencies(of: node) {
            guard let finish = position[.finish(dependency)] else {
                Issue.record("\(node) started but \(dependency) never finished")
                continue
            }
            #expect(finish < start, "\(node) started before \(dependency) finished")
        }
    }
}

/// `layers` layers of `width` nodes; each node depends on two nodes of the previous layer.
func layeredGraph(layers: Int, width: Int) -> DependencyGraph<String> {
    var graph = DependencyGraph<String>()
    for layer in 0..<layers {
        for column in 0..<width { graph.add("L\(layer)-\(column)") }
    }
    for layer in 1..<layers {
        for column in 0..<width {
            graph.addDependency("L\(layer)-\(column)", on: "L\(layer - 1)-\(column)")
            graph.addDependency("L\(layer)-\(column)", on: "L\(layer - 1)-\((column + 1) % width)")
        }
    }
    return graph
}

@Suite struct WalkTests {
    @Test func respectsDependencyOrder() async throws {
        let graph = layeredGraph(layers: 5, width: 6)
        let log = EventLog<String>()
        let report = try await walk(graph, parallelism: 4) { node in
            await log.record(.start(node))
            try? await Task.sleep(for: .milliseconds(2))
            await log.record(.finish(node))
            return .succeeded
        }
        let events = await log.events
        #expect(events.count == 2 * graph.count)
        expectDependenciesFinishedFirst(events, graph: graph)
        #expect(Set(report.succeeded) == Set(graph.nodes))
        #expect(report.failed.isEmpty)
        #expect(report.skipped.isEmpty)
        #expect(isValidTopologicalOrder(report.succeeded, of: graph))
    }

    @Test func sequentialWalkStartsInTopologicalOrder() async throws {
        let graph = makeGraph(["x", "y", "z", "w"], [("x", "y"), ("w", "z")])
        let log = EventLog<String>()
        _ = try await walk(graph, parallelism: 1) { node in
            await log.record(.start(node))
            return .succeeded
        }
        #expect(await log.started == (try graph.topologicalOrder()))
        #expect(await log.started == ["y", "x", "z", "w"])
    }

    @Test func readyNodesStartInInsertionOrder() async throws {
        // Everything is ready at once; started one at a time, the order is observable.
        let graph = makeGraph(["c", "a", "b", "e", "d"], [])
        let log = EventLog<String>()
        _ = try await walk(graph, parallelism: 1) { node in
            await log.record(.start(node))
            return .succeeded
        }
        #expect(await log.started == ["c", "a", "b", "e", "d"])
    }

    @Test func parallelismBoundIsRespectedAndReached() async throws {
        var graph = DependencyGraph<Int>()
        for i in 0..<40 { graph.add(i) }
        let gauge = ConcurrencyGauge()
        let report = try await walk(graph, parallelism: 5) { _ in
            await gauge.enter()
            try? await Task.sleep(for: .milliseconds(20))
            await gauge.leave()
            return .succeeded
        }
        #expect(await gauge.maximum == 5)
        #expect(await gauge.current == 0)
        #expect(report.succeeded.count == 40)
    }

    @Test func parallelismBoundHoldsWithDependencies() async throws {
        let graph = layeredGraph(layers: 4, width: 10)
        let gauge = ConcurrencyGauge()
        let report = try await walk(graph, parallelism: 3) { _ in
            await gauge.enter()
            await Task.yield()
            try? await Task.sleep(for: .milliseconds(1))
            await gauge.leave()
            return .succeeded
        }
        #expect(await gauge.maximum <= 3)
        #expect(report.succeeded.count == graph.count)
    }

    @Test func failureSkipsExactlyTheTransitiveDependents() async throws {
        // a <- b <- c <- d, a <- g, e <- g, e <- f, h independent.
        let graph = makeGraph(
            ["a", "b", "c", "d", "e", "f", "g", "h"],
            [
                ("b", "a"), ("c", "b"), ("d", "c"), ("g", "a"), ("g", "e"), ("f", "e"),
            ])
        let log = EventLog<String>()
        let report = try await walk(graph, parallelism: 4) { node in
            await log.record(.start(node))
            try? await Task.sleep(for: .milliseconds(2))
            await log.record(.finish(node))
            return node == "a" ? .failed : .succeeded
        }
        #expect(report.failed == ["a"])
        #expect(report.skipped == ["b": "a", "c": "a", "d": "a", "g": "a"])
        #expect(Set(report.skipped.keys) == graph.transitiveDependents(of: "a"))
        #expect(Set(report.succeeded) == ["e", "f", "h"])
        #expect(Set(await log.started) == ["a", "e", "f", "h"])
        expectDependenciesFinishedFirst(await log.events, graph: graph)
    }

    @Test func multipleFailuresAccountForEveryNodeOnce() async throws {
        // m depends on both failing nodes; with parallelism 1 p fails first.
        let graph = makeGraph(["p", "q", "m", "n", "ok"], [("m", "p"), ("m", "q"), ("n", "q")])
        let report = try await walk(graph, parallelism: 1) { node in
            node == "p" || node == "q" ? .failed : .succeeded
        }
        #expect(report.failed == ["p", "q"])
        #expect(report.skipped == ["m": "p", "n": "q"])
        #expect(report.succeeded == ["ok"])
    }

    @Test func failingLeafOnlyAffectsItself() async throws {
        let graph = makeGraph(["base", "leaf", "other"], [("leaf", "base"), ("other", "base")])
        let report = try await walk(graph, parallelism: 2) { node in
            node == "leaf" ? .failed : .succeeded
        }
        #expect(report.failed == ["leaf"])
        #expect(report.skipped.isEmpty)
        #expect(Set(report.succeeded) == ["base", "other"])
    }

    @Test func cycleThrowsBeforeAnyVisit() async throws {
        let graph = makeGraph(["free", "a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
        let gauge = ConcurrencyGauge()
        do {
            _ = try await walk(graph, parallelism: 4) { _ in
                await gauge.enter()
                return .succeeded
            }
            Issue.record("expected a CycleError")
        } catch {
            #expect(isValidCycle(error.cycle, in: graph))
            #expect(Set(error.cycle) == ["a", "b", "c"])
        }
        #expect(await gauge.maximum == 0)
    }

    @Test func reversedWalkRunsDependentsFirst() async throws {
        let graph = makeGraph(["vpc", "subnet", "vm"], [("subnet", "vpc"), ("vm", "subnet")])
        let log = EventLog<String>()
        let report = try await walk(graph.reversed(), parallelism: 4) { node in
            await log.record(.start(node))
            return .succeeded
        }
        #expect(await log.started == ["vm", "subnet", "vpc"])
        #expect(report.succeeded == ["vm", "subnet", "vpc"])
    }

    @Test func emptyGraphWalk() async throws {
        let report = try await walk(DependencyGraph<Int>(), parallelism: 2) { _ in .succeeded }
        #expect(report == WalkReport<Int>())
    }
}

@Suite struct ScaleTests {
    /// 100 layers × 100 nodes; every node beyond layer 0 depends on three
    /// distinct nodes of the previous layer: 10,000 nodes, 29,700 edges.
    /// Nodes are inserted in a scrambled order so sorting has real work to do.
    static func largeGraph() -> DependencyGraph<Int> {
        let layers = 100
        let width = 100
        let total = layers * width
        var graph = DependencyGraph<Int>()
        for i in 0..<total { graph.add((i * 7_919) % total) }  // 7919 is coprime with 10,000
        for layer in 1..<layers {
            for column in 0..<width {
                let node = layer * width + column
                for offset in [0, 17, 53] {
                    graph.addDependency(node, on: (layer - 1) * width + (column + offset) % width)
                }
            }
        }
        return graph
    }

    @Test func tenThousandNodesSortAndWalk() async throws {
        let graph = Self.largeGraph()
        #expect(graph.count == 10_000)
        #expect(graph.edgeCount == 29_700)
        #expect(graph.findCycle() == nil)

        let order = try graph.topologicalOrder()
        #expect(isValidTopologicalOrder(order, of: graph))

        let report = try await walk(graph, parallelism: 16) { _ in .succeeded }
        #expect(report.succeeded.count == 10_000)
        #expect(report.failed.isEmpty)
        #expect(report.skipped.isEmpty)
        // Completion order respects dependencies, since a node starts only after its dependencies completed.
        #expect(isValidTopologicalOrder(report.succeeded, of: graph))

        let reversedReport = try await walk(graph.reversed(), parallelism: 16) { _ in .succeeded }
        #expect(isValidTopologicalOrder(reversedReport.succeeded, of: graph.reversed()))
    }

    @Test func tenThousandNodesWithFailureInTheMiddle() async throws {
        let graph = Self.largeGraph()
        let failing = 50 * 100 + 42
        let report = try await walk(graph, parallelism: 16) { node in
            node == failing ? .failed : .succeeded
        }
        let expectedSkipped = graph.transitiveDependents(of: failing)
        #expect(report.failed == [failing])
        #expect(Set(report.skipped.keys) == expectedSkipped)
        #expect(report.skipped.values.allSatisfy { $0 == failing })
        #expect(report.succeeded.count == 10_000 - 1 - expectedSkipped.count)
    }
}
