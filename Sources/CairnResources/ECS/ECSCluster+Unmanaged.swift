import CairnAWS
import CairnEngine
import CairnJSON

/// Services in a managed cluster that the state does not know: created by hand or by another tool, they run in
/// (and cost money in) a cluster Cairn manages. Each is reported as `aws_ecs_service(unmanaged).NAME`, with the
/// id `CLUSTER/NAME` that `cairn import` takes.
extension ECSClusterProvider: UnmanagedDiscovery {
    /// The active (and draining) services of every managed cluster that no recorded `aws_ecs_service` is.
    func unmanaged(managed: [RecordedResource], stack: String, environment: String) async throws -> [DriftedResource] {
        let known = Set(
            managed.filter { $0.type == ECSService.typeName }.map { record in
                let (cluster, name) = ECSServiceProvider.locate(record.id, prior: record.attributes)
                return "\(ECSServiceProvider.clusterName(cluster))/\(name)"
            })
        let clusters = Set(managed.filter { $0.type == ECSCluster.typeName }.map(\.id)).sorted()
        let client = self.client
        let found = try await clusters.concurrentMap { cluster -> [DriftedResource] in
            let arns: [String]
            do {
                arns = try await client.jsonAll(.ecs.listServices, ["cluster": .string(cluster)]).compactMap(\.stringValue)
            } catch let error as AWSServiceError where error.isNotFound(["ClusterNotFoundException"]) {
                return []  // reported as deleted by the cluster's own drift check
            }
            let clusterName = ECSServiceProvider.clusterName(cluster)
            // ListServices may name inactive services: only those DescribeServices calls active or draining count.
            var names: [String] = []
            for start in stride(from: 0, to: arns.count, by: 10) {
                let batch = arns[start..<min(start + 10, arns.count)]
                let result = try await client.json(
                    .ecs.describeServices, ["cluster": .string(cluster), "services": .array(batch.map { .string($0) })])
                for service in result["services"]?.arrayValue ?? [] where ["ACTIVE", "DRAINING"].contains(service["status"]?.stringValue ?? "") {
                    if let name = service["serviceName"]?.stringValue { names.append(name) }
                }
            }
            return names.sorted().filter { !known.contains("\(clusterName)/\($0)") }.map { name in
                DriftedResource(
                    address: "\(ECSService.typeName)[\"\(name)\"]", type: ECSService.typeName,
                    id: "\(clusterName)/\(name)", status: .unmanaged)
            }
        }.flatMap { $0 }
        return found
    }
}
