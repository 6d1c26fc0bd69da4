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
}

/// One AWS service as its botocore model describes it, reduced to what the client needs.
public struct ServiceModel: Sendable {
    public let serviceID: String
    public let `protocol`: WireProtocol
    public let apiVersion: String
    public let endpointPrefix: String
    public let signingName: String
    public let targetPrefix: String?
    public let jsonVersion: String?
    public let xmlNamespace: String?
    public let operations: [String: Operation]

    public init(
        serviceID: String, protocol: WireProtocol, apiVersion: String, endpointPrefix: String, signingName: String,
        targetPrefix: String?, jsonVersion: String?, xmlNamespace: String?, operations: [Operation]
    ) {
        self.serviceID = serviceID
        self.protocol = `protocol`
        self.apiVersion = apiVersion
        self.endpointPrefix = endpointPrefix
        self.signingName = signingName
        self.targetPrefix = targetPrefix
        self.jsonVersion = jsonVersion
        self.xmlNamespace = xmlNamespace
        self.operations = Dictionary(uniqueKeysWithValues: operations.map { ($0.name, $0) })
    }

    /// The operation named `name`; a name missing from the generated table is a programming error.
    public func operation(_ name: String) -> Operation {
        guard let operation = operations[name] else {
            preconditionFailure("\(serviceID) has no operation \(name) in the generated table: add it to scripts/generate-service-models.py")
        }
        return operation
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

/// One operation: its HTTP binding and, for rest-xml, where each input member goes.
public struct Operation: Sendable {
    public let name: String
    public let method: String
    /// The model's request URI, e.g. `/{Bucket}?versioning` or `/`.
    public let requestURI: String
    /// AWS requires a body checksum (S3 answers `InvalidRequest` without `Content-MD5` or a checksum header).
    public let checksumRequired: Bool
    public let bindings: [Binding]
    public let payload: Payload?
    public let paginator: Paginator?

    public init(
        name: String, method: String, requestURI: String, checksumRequired: Bool = false,
        bindings: [Binding] = [], payload: Payload? = nil, paginator: Paginator? = nil
    ) {
        self.name = name
        self.method = method
        self.requestURI = requestURI
        self.checksumRequired = checksumRequired
        self.bindings = bindings
        self.payload = payload
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
