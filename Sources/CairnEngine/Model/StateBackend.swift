import Foundation

/// Where a stack's state lives: declared with the stack (`StackDefinition(backend:)`), or chosen per run with
/// `--backend` / `CAIRN_BACKEND`.
public enum StateBackend: Sendable, Equatable, CustomStringConvertible {
    /// One SQLite file per stack and environment in the state directory (the default).
    case local
    /// A state shared through an S3 bucket: `key` is the prefix under which each stack keeps
    /// `STACK/ENV/state`, `STACK/ENV/journal/…` and `STACK/ENV/lock`; `region` is the bucket's (default: the
    /// stack's); `kmsKeyId` writes every object with SSE-KMS under that key (default: the bucket's encryption).
    case s3(bucket: String, key: String = "", region: String? = nil, kmsKeyId: String? = nil)

    /// `local`, or `s3://BUCKET[/PREFIX][?region=R][&kms_key_id=K]`: what `parse` reads back.
    public var description: String {
        switch self {
        case .local: return "local"
        case .s3(let bucket, let key, let region, let kmsKeyId):
            let options = [region.map { "region=\($0)" }, kmsKeyId.map { "kms_key_id=\($0)" }].compactMap { $0 }
            return (key.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(key)") + (options.isEmpty ? "" : "?" + options.joined(separator: "&"))
        }
    }

    /// Reads `local` or `s3://BUCKET[/PREFIX]`, optionally followed by `?region=R` (the bucket's region, when it is not
    /// the stack's) and `kms_key_id=K` (or `kmsKeyId=K`: SSE-KMS under that key), joined by `&` (from `--backend`,
    /// `CAIRN_BACKEND` or `--to`).
    ///
    /// - Throws: `StateBackendError` naming what was given and the forms accepted.
    public static func parse(_ text: String, source: String) throws -> StateBackend {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "local" { return .local }
        guard trimmed.hasPrefix("s3://") else {
            throw StateBackendError("\(source) '\(text)' is not a state backend: use `local` or `s3://BUCKET/PREFIX`.")
        }
        let rest = trimmed.dropFirst("s3://".count)
        let location = rest.prefix { $0 != "?" }
        let query = rest.dropFirst(location.count + 1)
        let bucket = String(location.prefix { $0 != "/" })
        let key = String(location.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard bucket.range(of: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", options: .regularExpression) != nil else {
            throw StateBackendError(
                "\(source) '\(text)' does not name a valid S3 bucket: use `s3://BUCKET/PREFIX` with a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens."
            )
        }
        var region: String?
        var kmsKeyId: String?
        for option in query.split(separator: "&") {
            let parts = option.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            switch (parts.first, parts.count == 2 ? parts[1] : nil) {
            case ("region", let value?) where value.range(of: "^[a-z]{2}(-[a-z]+)+-[0-9]+$", options: .regularExpression) != nil:
                region = value
            case ("kms_key_id", let value?) where !value.isEmpty, ("kmsKeyId", let value?) where !value.isEmpty:
                kmsKeyId = value
            default:
                throw StateBackendError(
                    "\(source) '\(text)' has an option Cairn does not know, or without a valid value ('\(option)'): use `s3://BUCKET/PREFIX?region=REGION&kms_key_id=KEY`, each part optional, with a region such as eu-west-1 and a KMS key id, ARN or alias."
                )
            }
        }
        return .s3(bucket: bucket, key: key, region: region, kmsKeyId: kmsKeyId)
    }
}

/// A state backend given wrongly, in one sentence.
public struct StateBackendError: Error, Sendable, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
