import CairnAWS
import CairnEngine
import CairnJSON

/// Buckets carrying the stack's tags or its ownership tags that the state does not know: made by hand, or left behind.
extension S3BucketProvider: TaggedDiscovery {
    func tagged(_ tagSets: [[String: String]], managed: [RecordedResource]) async throws -> [DriftedResource] {
        let known = Set(managed.filter { $0.type == S3Bucket.typeName }.map(\.id))
        let names = try await client.restXMLAll(.s3.listBuckets).compactMap { $0.string("Name") }.filter { !known.contains($0) }
        let client = self.client
        // One tag read per bucket the state doesn't know, all at once.
        let found = try await names.sorted().concurrentMap { name -> DriftedResource? in
            let bucketTags: [String: String]
            do {
                let response = try await client.restXML(.s3.getBucketTagging, ["Bucket": name])
                var map: [String: String] = [:]
                for tag in response.xml?["TagSet"]?.all("Tag") ?? [] {
                    if let key = tag.string("Key") { map[key] = tag.string("Value") ?? "" }
                }
                bucketTags = map
            } catch let error as AWSServiceError where ["NoSuchTagSet", "NoSuchBucket", "AccessDenied", "PermanentRedirect"].contains(error.code) {
                return nil
            }
            guard tagSets.contains(where: { $0.allSatisfy { bucketTags[$0.key] == $0.value } }) else { return nil }
            return DriftedResource(address: "\(S3Bucket.typeName)[\"\(name)\"]", type: S3Bucket.typeName, id: name, status: .unmanaged)
        }.compactMap { $0 }
        return found
    }
}
