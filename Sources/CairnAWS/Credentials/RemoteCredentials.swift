import CairnJSON
import CairnSigner
import Foundation

/// Marks a client whose requests go unsigned (`sts:AssumeRoleWithWebIdentity` is authorised by its token).
public struct AnonymousCredentialProvider: CredentialProvider {
    public let source = "no credentials (unsigned request)"
    public init() {}
    public func credentials() async throws -> Credentials { Credentials(accessKeyID: "", secretAccessKey: "") }
}

/// Temporary credentials from STS.
enum STSCredentials {
    static func assumeRole(
        sts: AWSClient, roleARN: String, sessionName: String, externalID: String?, durationSeconds: Int?,
        mfa: (serial: String, code: String)? = nil
    ) async throws -> Credentials {
        var parameters: QueryParameters = ["RoleArn": roleARN, "RoleSessionName": sessionName]
        parameters["ExternalId"] = externalID
        parameters["DurationSeconds"] = durationSeconds.map(String.init)
        parameters["SerialNumber"] = mfa?.serial
        parameters["TokenCode"] = mfa?.code
        let operation: QueryOperation = .sts.assumeRole
        return try parse(try await sts.query(operation, parameters), operation: operation)
    }

    static func assumeRoleWithWebIdentity(sts: AWSClient, roleARN: String, sessionName: String, tokenFile: String) async throws -> Credentials {
        guard let data = FileManager.default.contents(atPath: tokenFile),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
        else {
            throw CredentialsError(
                "Cannot read the web identity token file \(tokenFile) (AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file): check that it exists and is readable."
            )
        }
        let parameters: QueryParameters = ["RoleArn": roleARN, "RoleSessionName": sessionName, "WebIdentityToken": token]
        let operation: QueryOperation = .sts.assumeRoleWithWebIdentity
        return try parse(try await sts.query(operation, parameters), operation: operation)
    }

    static func parse(_ result: XMLNode, operation: QueryOperation) throws -> Credentials {
        guard let node = result["Credentials"], let key = node.string("AccessKeyId"), let secret = node.string("SecretAccessKey") else {
            throw CredentialsError("STS \(operation.name) answered without credentials.")
        }
        return Credentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: node.string("SessionToken"),
            expiration: node.string("Expiration").flatMap(parseTimestamp))
    }
}

/// ISO 8601 timestamps as AWS writes them, with or without fractional seconds.
public func parseTimestamp(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}

/// Credentials served over HTTP by the ECS/CodeBuild container agent or by EC2's instance metadata (IMDSv2).
enum MetadataCredentials {
    static let containerHost = "http://169.254.170.2"

    /// The container endpoint: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, or `…_FULL_URI` with the token
    /// from `AWS_CONTAINER_AUTHORIZATION_TOKEN` or `…_TOKEN_FILE`.
    static func container(environment: [String: String], transport: any HTTPTransport) async throws -> Credentials {
        let url: URL
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = URL(string: containerHost + relative)!
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], let parsed = URL(string: full) {
            url = parsed
        } else {
            throw CredentialsError("No container credentials endpoint is set.")
        }
        var headers: [(name: String, value: String)] = []
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            guard let token = FileManager.default.contents(atPath: file).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw CredentialsError("Cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file): check that it exists and is readable.")
            }
            headers.append(("Authorization", token.trimmingCharacters(in: .whitespacesAndNewlines)))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.append(("Authorization", token))
        }
        let response = try await get(url, headers: headers, transport: transport, what: "the container credentials endpoint \(url.absoluteString)")
        return try parseJSON(response, what: "the container credentials endpoint")
    }

    /// IMDSv2: a session token first, then the instance role's name, then its credentials.
    static func instanceMetadata(environment: [String: String], transport: any HTTPTransport) async throws -> Credentials {
        let base = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://169.254.169.254"
        let timeout = Duration.seconds(Double(environment["AWS_METADATA_SERVICE_TIMEOUT"] ?? "") ?? 1)
        let what = "the EC2 instance metadata service at \(base)"
        let tokenResponse: HTTPResponse
        do {
            tokenResponse = try await transport.send(
                HTTPRequest(
                    method: "PUT", url: URL(string: base + "/latest/api/token")!,
                    headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")]), timeout: timeout)
        } catch {
            throw CredentialsError("\(what) did not answer (\(error)).")
        }
        guard tokenResponse.status == 200, let token = String(data: tokenResponse.body, encoding: .utf8) else {
            throw CredentialsError("\(what) refused a session token (HTTP \(tokenResponse.status)).")
        }
        let headers = [(name: "X-aws-ec2-metadata-token", value: token)]
        let roles = try await get(
            URL(string: base + "/latest/meta-data/iam/security-credentials/")!, headers: headers, transport: transport, what: what, timeout: timeout)
        guard let role = String(data: roles, encoding: .utf8)?.split(separator: "\n").first.map(String.init), !role.isEmpty else {
            throw CredentialsError("\(what) lists no instance role: attach an instance profile to the instance.")
        }
        let body = try await get(
            URL(string: base + "/latest/meta-data/iam/security-credentials/" + role)!, headers: headers, transport: transport, what: what,
            timeout: timeout)
        return try parseJSON(body, what: what)
    }

    private static func get(
        _ url: URL, headers: [(name: String, value: String)], transport: any HTTPTransport, what: String, timeout: Duration = .seconds(5)
    ) async throws -> Data {
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "GET", url: url, headers: headers), timeout: timeout)
        } catch {
            throw CredentialsError("Cannot get credentials from \(what): \(error).")
        }
        guard response.status == 200 else {
            throw CredentialsError("\(what) answered HTTP \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        return response.body
    }

    private static func parseJSON(_ data: Data, what: String) throws -> Credentials {
        guard let json = try? JSON(parsing: [UInt8](data)), let key = json["AccessKeyId"]?.stringValue,
            let secret = json["SecretAccessKey"]?.stringValue
        else {
            throw CredentialsError("\(what) answered without AccessKeyId and SecretAccessKey.")
        }
        return Credentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: json["Token"]?.stringValue,
            expiration: json["Expiration"]?.stringValue.flatMap(parseTimestamp))
    }
}
