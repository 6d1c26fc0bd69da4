import CairnAWS
import CairnState
import Foundation

/// A shared state's bucket in S3: the `StateObjectStore` a `RemoteBackend` keeps its snapshot, journal and lock
/// in. Conditional writes use PutObject's `IfNoneMatch` / `IfMatch` members (S3's `If-None-Match: *` and
/// `If-Match: ETAG`); every object is written with SSE-KMS under `kmsKeyId` when one is given (otherwise the
/// bucket's default encryption applies).
public struct S3StateObjects: StateObjectStore {
    public let client: AWSClient
    public let bucket: String
    public let kmsKeyId: String?

    public init(client: AWSClient, bucket: String, kmsKeyId: String? = nil) {
        self.client = client
        self.bucket = bucket
        self.kmsKeyId = kmsKeyId
    }

    public var location: String { "s3://\(bucket)" }

    public func get(_ key: String) async throws -> StoredObject? {
        do {
            let answer = try await client.restXML(.s3.getObject, ["Bucket": bucket, "Key": key])
            return StoredObject(data: answer.body, etag: answer.etag ?? "")
        } catch let error as AWSServiceError where error.code == "NoSuchKey" || (error.status == 404 && error.code != "NoSuchBucket") {
            return nil
        } catch {
            throw translated(error, key: key, action: "reading it")
        }
    }

    public func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        var members = ["Bucket": bucket, "Key": key]
        switch condition {
        case .absent: members["IfNoneMatch"] = "*"
        case .matching(let etag): members["IfMatch"] = etag
        }
        if let kmsKeyId {
            members["ServerSideEncryption"] = "aws:kms"
            members["SSEKMSKeyId"] = kmsKeyId
        }
        do {
            return try await retryingConflicts {
                try await client.restXML(.s3.putObject, members, body: .raw(data, contentType: "application/octet-stream")).etag ?? ""
            }
        } catch let error as AWSServiceError where Self.isConditionFailure(error) || (error.status == 404 && error.code == "NoSuchKey") {
            // NoSuchKey: an If-Match write of an object deleted meanwhile.
            throw PreconditionFailed(key: key)
        } catch {
            throw translated(error, key: key, action: "writing it")
        }
    }

    public func delete(_ key: String, ifMatch: String?) async throws {
        var members = ["Bucket": bucket, "Key": key]
        if let ifMatch { members["IfMatch"] = ifMatch }
        do {
            _ = try await retryingConflicts { try await client.restXML(.s3.deleteObject, members) }
        } catch let error as AWSServiceError
            where Self.isConditionFailure(error) || (ifMatch != nil && error.status == 404 && error.code != "NoSuchBucket")
        {
            throw PreconditionFailed(key: key)
        } catch {
            throw translated(error, key: key, action: "deleting it")
        }
    }

    public func delete(keys: [String]) async throws {
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let children =
                keys[start..<min(start + 1000, keys.count)].map { XMLNode("Object", children: [XMLNode("Key", text: $0)]) }
                + [XMLNode("Quiet", text: "true")]
            do {
                let answer = try await client.restXML(.s3.deleteObjects, ["Bucket": bucket], body: .xml(children)).xml
                if let failure = answer?.all("Error").first {
                    throw RemoteStateError.store(
                        location: "\(location)/\(failure.string("Key") ?? "")", action: "deleting it",
                        message: "\(failure.string("Code") ?? "?"): \(failure.string("Message") ?? "")")
                }
            } catch let error as RemoteStateError {
                throw error
            } catch {
                throw translated(error, key: keys[start], action: "deleting it")
            }
        }
    }

    public func list(prefix: String, startAfter: String?) async throws -> [String] {
        var members = ["Bucket": bucket, "Prefix": prefix]
        if let startAfter { members["StartAfter"] = startAfter }
        do {
            return try await client.restXMLPages(.s3.listObjectsV2, members).flatMap { page in
                page.all("Contents").compactMap { $0.string("Key") }
            }
        } catch {
            throw translated(error, key: prefix, action: "listing it")
        }
    }

    /// A sentence to print when the bucket keeps no earlier versions of the state (nil when it does), or throws
    /// when the bucket cannot be used at all (missing, access denied).
    public func versioningWarning() async throws -> String? {
        let status: String?
        do {
            status = try await client.restXML(.s3.getBucketVersioning, ["Bucket": bucket]).xml?.string("Status")
        } catch let error as AWSServiceError where error.code == "AccessDenied" {
            return nil  // reading the setting may be denied to a role that can use the state: not worth stopping for
        } catch {
            throw translated(error, key: "", action: "reading its versioning")
        }
        guard status != "Enabled" else { return nil }
        return
            "Warning: versioning is off on the state bucket '\(bucket)', so an overwritten or deleted state cannot be restored: turn it on (`aws s3api put-bucket-versioning --bucket \(bucket) --versioning-configuration Status=Enabled`, as the cairn-state stack does)."
    }

    /// How many times a conditional request S3 answered 409 ConditionalRequestConflict is sent in all.
    static let conflictAttempts = 5

    /// `body`, sent again after a short wait while S3 answers 409 ConditionalRequestConflict: another conditional
    /// request on the key was under way, and S3 asks to retry (that answer says nothing about whether the condition
    /// holds). Once attempts run out, the conflict is thrown as a refusal, which the caller checks by reading the key.
    private func retryingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as AWSServiceError where error.code == "ConditionalRequestConflict" && attempt < Self.conflictAttempts {
                // 100 ms, 200 ms, 400 ms, … with full jitter, on the client's clock.
                try await client.waitClock.sleep(for: .milliseconds(Int64(Double(100 << (attempt - 1)) * client.randomSource.unit())))
                attempt += 1
            }
        }
    }

    private static func isConditionFailure(_ error: AWSServiceError) -> Bool {
        error.code == "PreconditionFailed" || error.code == "ConditionalRequestConflict" || error.status == 412
    }

    private func translated(_ error: any Error, key: String, action: String) -> any Error {
        let place = key.isEmpty ? location : "\(location)/\(key)"
        guard let service = error as? AWSServiceError else {
            if error is RemoteStateError || error is CancellationError { return error }
            return RemoteStateError.store(location: place, action: action, message: "\(error)")
        }
        switch service.code {
        case "NoSuchBucket": return RemoteStateError.bucketMissing(bucket: bucket, location: place)
        case "PermanentRedirect":
            return RemoteStateError.bucketInOtherRegion(bucket: bucket, location: place, region: service.bucketRegion, asked: client.region)
        case "AccessDenied", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch":
            return RemoteStateError.accessDenied(location: place, action: action)
        default:
            if service.status == 404 && key.isEmpty { return RemoteStateError.bucketMissing(bucket: bucket, location: place) }
            return RemoteStateError.store(location: place, action: action, message: "\(service.code): \(service.message)")
        }
    }
}
