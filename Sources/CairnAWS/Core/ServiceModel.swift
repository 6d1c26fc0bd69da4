/// The wire protocols of the services Cairn talks to, as botocore's models name them.
public enum WireProtocol: String, Sendable {
    /// `json`: POST / with `X-Amz-Target: <targetPrefix>.<Operation>` and a JSON body.
    case json
    /// `query`: POST / with a form-encoded `Action=…&Version=…` body and an XML answer.
    case query
    /// `ec2`: the query protocol with EC2's list and error conventions.
    case ec2
    /// `rest-xml`: REST routes with members bound to the URI, query string, headers and an XML body (S3).
    case restXML = "rest-xml"
    /// `rest-json`: REST routes with members bound to the URI, query string and headers, the rest as a JSON body.
    case restJSON = "rest-json"
}

/// One AWS service as its botocore model describes it, reduced to what the client needs.
/// Its operations are typed constants on the protocol's operation type (`JSONOperation.ecs.describeClusters`),
/// generated with the service by scripts/generate-service-models.py.
public struct ServiceModel: Sendable {
    /// botocore's `serviceId`, e.g. `ECS`, `CloudWatch Logs`.
    public let serviceID: String
    /// The wire protocol Cairn speaks to the service.
    public let `protocol`: WireProtocol
    /// The model's API version, e.g. `2010-05-08`.
    public let apiVersion: String
    /// The endpoint's host prefix, e.g. `ecs`, `logs`.
    public let endpointPrefix: String
    /// The SigV4 service name.
    public let signingName: String
    /// json protocol: the `X-Amz-Target` prefix.
    public let targetPrefix: String?
    /// json protocol: the `1.0` / `1.1` of the content type.
    public let jsonVersion: String?
    /// The XML namespace of query and rest-xml documents.
    public let xmlNamespace: String?

    /// A service as the generated table describes it.
    public init(
        serviceID: String, protocol: WireProtocol, apiVersion: String, endpointPrefix: String, signingName: String,
        targetPrefix: String?, jsonVersion: String?, xmlNamespace: String?
    ) {
        self.serviceID = serviceID
        self.protocol = `protocol`
        self.apiVersion = apiVersion
        self.endpointPrefix = endpointPrefix
        self.signingName = signingName
        self.targetPrefix = targetPrefix
        self.jsonVersion = jsonVersion
        self.xmlNamespace = xmlNamespace
    }

    /// The suffix of `AWS_ENDPOINT_URL_<SERVICE>`: the service id upper-cased, spaces as underscores.
    public var endpointEnvironmentSuffix: String {
        serviceID.uppercased().replacingOccurrences(of: " ", with: "_")
    }

    /// The key of this service's section in a profile's `services` block (`cloudwatch_logs`, `s3`).
    public var configSectionKey: String {
        serviceID.lowercased().replacingOccurrences(of: " ", with: "_")
    }
}

/// One operation of one service, typed by the wire protocol the service speaks, so that the compiler
/// rejects an unknown operation, an operation of another service and an operation of another protocol.
/// The constants are generated (scripts/generate-service-models.py): `QueryOperation.iam.getRole`,
/// written `.iam.getRole` where the protocol's entry point expects one.
public protocol ServiceOperation: Sendable, CustomStringConvertible {
    /// The service the operation belongs to.
    var service: ServiceModel { get }
    /// The operation's HTTP binding and paginator, from the service's model.
    var model: Operation { get }
}

extension ServiceOperation {
    /// The operation's name as AWS spells it (`DescribeClusters`): the query `Action`, the json target's
    /// suffix, and what errors and logs name.
    public var name: String { model.name }

    /// `<service id>.<operation>`, e.g. `ECS.DescribeClusters`.
    public var description: String { "\(service.serviceID).\(name)" }
}

/// An operation of a service that speaks the json protocol: `client.json(.ecs.describeClusters, …)`.
public struct JSONOperation: ServiceOperation {
    /// The service the operation belongs to.
    public let service: ServiceModel
    /// The operation's HTTP binding and paginator.
    public let model: Operation
}

/// An operation of a service that speaks the query or the ec2 protocol: `client.query(.iam.getRole, …)`.
public struct QueryOperation: ServiceOperation {
    /// The service the operation belongs to.
    public let service: ServiceModel
    /// The operation's HTTP binding and paginator.
    public let model: Operation
}

/// An operation of a service that speaks rest-xml (S3): `client.restXML(.s3.getBucketVersioning, …)`.
public struct RestXMLOperation: ServiceOperation {
    /// The service the operation belongs to.
    public let service: ServiceModel
    /// The operation's HTTP binding, member locations and paginator.
    public let model: Operation
}

/// An operation of a service that speaks rest-json (IAM Identity Center): `client.restJSON(.sso.getRoleCredentials, …)`.
public struct RestJSONOperation: ServiceOperation {
    /// The service the operation belongs to.
    public let service: ServiceModel
    /// The operation's HTTP binding and member locations.
    public let model: Operation
}

/// One operation: its HTTP binding and, for rest-xml and rest-json, where each input member goes.
public struct Operation: Sendable {
    public let name: String
    public let method: String
    /// The model's request URI, e.g. `/{Bucket}?versioning` or `/`.
    public let requestURI: String
    /// AWS requires a body checksum (S3 answers `InvalidRequest` without `Content-MD5` or a checksum header).
    public let checksumRequired: Bool
    /// The model marks it unauthenticated (a token in the request authorises it): it is sent unsigned.
    public let unsigned: Bool
    public let bindings: [Binding]
    /// rest-json: the input has members outside the URI, query string and headers, sent as a JSON body.
    public let jsonBody: Bool
    public let payload: Payload?
    /// rest-xml: the output member that is the answer's body, for paginated operations whose paginator paths start
    /// with it (CloudFront's `DistributionList.NextMarker`: `DistributionList` is the root element).
    public let outputPayload: String?
    public let paginator: Paginator?

    public init(
        name: String, method: String, requestURI: String, checksumRequired: Bool = false, unsigned: Bool = false,
        bindings: [Binding] = [], jsonBody: Bool = false, payload: Payload? = nil, outputPayload: String? = nil,
        paginator: Paginator? = nil
    ) {
        self.name = name
        self.method = method
        self.requestURI = requestURI
        self.checksumRequired = checksumRequired
        self.unsigned = unsigned
        self.bindings = bindings
        self.jsonBody = jsonBody
        self.payload = payload
        self.outputPayload = outputPayload
        self.paginator = paginator
    }

    /// Where a rest-xml input member is serialised.
    public struct Binding: Sendable {
        public enum Location: String, Sendable { case uri, querystring, header, headerPrefix }
        public let member: String
        public let location: Location
        /// The URI label, query key or header name on the wire.
        public let name: String
        public init(member: String, location: Location, name: String) {
            self.member = member
            self.location = location
            self.name = name
        }
    }

    /// The member sent as the rest-xml body.
    public struct Payload: Sendable {
        public let member: String
        public let rootElement: String
        public let namespace: String?
        /// A raw body (a blob or a string such as a bucket policy) rather than an XML structure.
        public let isBlob: Bool
        public init(member: String, rootElement: String, namespace: String?, isBlob: Bool) {
            self.member = member
            self.rootElement = rootElement
            self.namespace = namespace
            self.isBlob = isBlob
        }
    }

    /// botocore's paginator: which output members carry the next page's tokens.
    public struct Paginator: Sendable {
        public let inputTokens: [String]
        public let outputTokens: [String]
        public let moreResults: String?
        public let resultKeys: [String]
        public let limitKey: String?
        public init(inputTokens: [String], outputTokens: [String], moreResults: String?, resultKeys: [String], limitKey: String?) {
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.moreResults = moreResults
            self.resultKeys = resultKeys
            self.limitKey = limitKey
        }
    }
}
