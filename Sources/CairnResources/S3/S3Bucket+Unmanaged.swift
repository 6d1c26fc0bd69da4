import CairnAWS
import CairnEngine
import CairnJSON

/// Buckets carrying the stack's tags that the state does not know: made by hand, or left behind.
extension S3BucketProvider: TaggedDiscovery {
    func tagged(_ tags: [String: String], managed: [RecordedResource]) async throws -> [DriftedResource] {
        let known = Set(managed.filter { $0.type == S3Bucket.typeName }.map(\.id))
        let listing = try await client.restXML(.s3, "ListBuckets")
        let names = (listing.xml?["Buckets"]?.all("Bucket") ?? []).compactMap { $0.string("Name") }.filter { !known.contains($0) }
        var found: [DriftedResource] = []
        for name in names.sorted() {
            let bucketTags: [String: String]
            do {
                let response = try await client.restXML(.s3, "GetBucketTagging", ["Bucket": name])
                var map: [String: String] = [:]
                for tag in response.xml?["TagSet"]?.all("Tag") ?? [] {
                    if let key = tag.string("Key") { map[key] = tag.string("Value") ?? "" }
                }
                bucketTags = map
            } catch let error as AWSServiceError where ["NoSuchTagSet", "NoSuchBucket", "AccessDenied", "PermanentRedirect"].contains(error.code) {
                continue
            }
            if tags.allSatisfy({ bucketTags[$0.key] == $0.value }) {
                found.append(DriftedResource(address: "\(S3Bucket.typeName)[\"\(name)\"]", type: S3Bucket.typeName, id: name, status: .unmanaged))
            }
        }
        return found
    }
}
