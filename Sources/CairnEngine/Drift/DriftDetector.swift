import CairnJSON
import Foundation

/// Resources that exist in AWS but not in the state, found by a provider: those inside a managed
/// parent (a service in a managed cluster) or carrying the stack's tags.
public protocol UnmanagedDiscovery: Sendable {
    /// `managed` holds the state's resources of every type; return what AWS has beyond them.
    func unmanaged(managed: [RecordedResource], stack: String, environment: String) async throws -> [DriftedResource]
}

/// Resources of a managed type that carry the stack's identifying tags but are not in the state
/// (a bucket someone created by hand and tagged with the project).
public protocol TaggedDiscovery: Sendable {
    /// Resources carrying every tag of at least one of `tagSets` that are not among `managed`.
    func tagged(_ tagSets: [[String: String]], managed: [RecordedResource]) async throws -> [DriftedResource]
}

/// Compares what Cairn last applied with what AWS has now. Changes nothing.
public struct DriftDetector: Sendable {
    public let providers: ProviderRegistry
    public var parallelism: Int

    public init(providers: ProviderRegistry, parallelism: Int = 32) {
        self.providers = providers
        self.parallelism = parallelism
    }

    /// Checks every recorded resource. `ignore` maps addresses to attribute paths whose drift is
    /// expected (`ignoreDrift`); `sensitive` maps addresses to sensitive paths. An error reading any
    /// resource fails the whole check: an error never reports "no drift".
    ///   - stackTags: sets of tags that mark the stack's resources (its declared tags, its ownership tags);
    ///     resources of the stack's types that carry every tag of one set but are not in the state are
    ///     reported as unmanaged.
    ///   - discoverUnmanaged: whether to search for unmanaged resources; not when `records` are only part of the
    ///     state (a targeted check), since the rest would look unmanaged.
    public func check(
        stack: String, environment: String, records: [RecordedResource], ignore: [String: [String]] = [:],
        sensitive: [String: [String]] = [:], stackTags: [[String: String]] = [], managedTypes: Set<String> = [],
        discoverUnmanaged: Bool = true, now: Date = Date()
    ) async throws -> DriftReport {
        let planner = Planner(providers: providers, refreshParallelism: parallelism)
        // The search for unmanaged resources is independent of the reads: it runs alongside them.
        async let discovered =
            discoverUnmanaged
            ? unmanaged(records: records, stack: stack, environment: environment, stackTags: stackTags, managedTypes: managedTypes) : []
        let results = await planner.refresh(records.map { ($0.address, $0.type, $0.id, $0.attributes) })
        var drifted: [DriftedResource] = []
        for record in records {
            guard let result = results[record.address] else { continue }
            let live: Observed?
            switch result {
            case .failure(let error): throw PlanError(address: record.address, message: "cannot read it from AWS, so drift is unknown: \(error)")
            case .success(let value): live = value
            }
            guard let live else {
                drifted.append(DriftedResource(address: record.address, type: record.type, id: record.id, status: .deleted))
                continue
            }
            let local = providers[record.type]?.localAttributes ?? []
            var liveAttributes = live.attributes
            for key in local { liveAttributes[key] = record.attributes[key] }
            let ignored = ignore[record.address] ?? []
            let secret = Set(sensitive[record.address] ?? [])
            let attributes = AttributeDiff.changes(from: record.attributes, to: liveAttributes, sensitivePaths: secret)
                .filter { change in !ignored.contains { change.path == $0 || change.path.hasPrefix($0 + ".") || change.path.hasPrefix($0 + "[") } }
                .map { DriftedAttribute(path: $0.path, recorded: $0.old, live: $0.new, sensitive: $0.sensitive) }
            if !attributes.isEmpty {
                drifted.append(DriftedResource(address: record.address, type: record.type, id: record.id, status: .changed, attributes: attributes))
            }
        }
        drifted += try await discovered
        return DriftReport(stack: stack, environment: environment, checkedAt: now, resources: drifted, checked: records.count)
    }

    private func unmanaged(
        records: [RecordedResource], stack: String, environment: String, stackTags: [[String: String]],
        managedTypes: Set<String>
    ) async throws -> [DriftedResource] {
        var searches: [@Sendable () async throws -> [DriftedResource]] = []
        for provider in providers.providers.values.sorted(by: { $0.typeName < $1.typeName }) {
            guard let discovery = provider as? any UnmanagedDiscovery else { continue }
            searches.append { try await discovery.unmanaged(managed: records, stack: stack, environment: environment) }
        }
        let stackTags = stackTags.filter { !$0.isEmpty }
        if !stackTags.isEmpty {
            for type in managedTypes.sorted() {
                guard let discovery = providers[type] as? any TaggedDiscovery else { continue }
                searches.append { try await discovery.tagged(stackTags, managed: records) }
            }
        }
        return try await withThrowingTaskGroup(of: (Int, [DriftedResource]).self) { group in
            for (index, search) in searches.enumerated() { group.addTask { (index, try await search()) } }
            var found: [(Int, [DriftedResource])] = []
            for try await result in group { found.append(result) }
            return found.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }
}
