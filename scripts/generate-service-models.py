#!/usr/bin/env python3
"""Writes Sources/CairnAWS/Generated/ServiceModels.swift from botocore's service models.

Cairn's AWS client is table-driven: the protocol, API version, JSON target prefix, every operation's
HTTP method and request URI, S3's member locations and the paginators all come from AWS's own
models, never from guesses. Only the operations Cairn calls are emitted, to keep the table small.
Each operation becomes a typed constant of its service's protocol (`JSONOperation.ecs.describeClusters`,
written `.ecs.describeClusters` at a call site), so the compiler rejects an unknown or mismatched one.
Run it again (and commit the result) when a resource needs a new operation; `--check` only compares the
committed file with what it would write, and exits 1 with a diff when they differ.
"""
import gzip, json, os, sys
import botocore

DATA = os.path.join(os.path.dirname(botocore.__file__), "data")

# service directory -> (Swift name, operations Cairn uses)
SERVICES = {
    "sts": ("sts", ["GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity"]),
    "iam": ("iam", [
        "CreateRole", "GetRole", "UpdateRole", "UpdateRoleDescription", "DeleteRole", "UpdateAssumeRolePolicy",
        "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
        "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies",
        "TagRole", "UntagRole", "ListRoleTags", "ListRoles", "ListUsers",
        "CreatePolicy", "GetPolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "GetPolicyVersion", "ListPolicyVersions", "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy",
        "ListPolicyTags", "ListPolicies", "ListEntitiesForPolicy",
        "CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "DeleteOpenIDConnectProvider",
        "UpdateOpenIDConnectProviderThumbprint", "AddClientIDToOpenIDConnectProvider",
        "RemoveClientIDFromOpenIDConnectProvider", "TagOpenIDConnectProvider", "UntagOpenIDConnectProvider",
        "ListOpenIDConnectProviders",
        "CreateUser", "CreateAccessKey", "AttachUserPolicy", "DetachUserPolicy", "DetachGroupPolicy",
        "ListInstanceProfilesForRole", "RemoveRoleFromInstanceProfile",
    ]),
    "s3": ("s3", [
        "CreateBucket", "HeadBucket", "DeleteBucket", "GetBucketLocation", "ListBuckets",
        "PutBucketVersioning", "GetBucketVersioning",
        "PutBucketEncryption", "GetBucketEncryption", "DeleteBucketEncryption",
        "PutPublicAccessBlock", "GetPublicAccessBlock", "DeletePublicAccessBlock",
        "PutBucketOwnershipControls", "GetBucketOwnershipControls", "DeleteBucketOwnershipControls",
        "PutBucketLifecycleConfiguration", "GetBucketLifecycleConfiguration", "DeleteBucketLifecycle",
        "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy",
        "PutBucketCors", "GetBucketCors", "DeleteBucketCors",
        "PutBucketWebsite", "GetBucketWebsite", "DeleteBucketWebsite",
        "PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging",
        "ListObjectsV2", "ListObjectVersions", "DeleteObjects", "PutObject", "DeleteObject", "GetObject",
    ]),
    "ecr": ("ecr", [
        "CreateRepository", "DescribeRepositories", "DeleteRepository",
        "PutImageTagMutability", "PutImageScanningConfiguration",
        "PutLifecyclePolicy", "GetLifecyclePolicy", "DeleteLifecyclePolicy",
        "SetRepositoryPolicy", "GetRepositoryPolicy", "DeleteRepositoryPolicy",
        "TagResource", "UntagResource", "ListTagsForResource",
        "ListImages", "BatchDeleteImage", "PutImage",
    ]),
    "ecs": ("ecs", [
        "CreateCluster", "DescribeClusters", "UpdateCluster", "UpdateClusterSettings", "DeleteCluster",
        "PutClusterCapacityProviders", "ListClusters",
        "RegisterTaskDefinition", "DescribeTaskDefinition", "DeregisterTaskDefinition", "ListTaskDefinitions",
        "CreateService", "DescribeServices", "UpdateService", "DeleteService", "ListServices",
        "TagResource", "UntagResource", "ListTagsForResource",
    ]),
    "codebuild": ("codeBuild", [
        "CreateProject", "BatchGetProjects", "UpdateProject", "DeleteProject", "ListProjects",
    ]),
    "codepipeline": ("codePipeline", [
        "CreatePipeline", "GetPipeline", "UpdatePipeline", "DeletePipeline", "ListPipelines",
        "TagResource", "UntagResource", "ListTagsForResource",
    ]),
    "logs": ("cloudWatchLogs", [
        "CreateLogGroup", "DescribeLogGroups", "DeleteLogGroup", "PutRetentionPolicy",
        "DeleteRetentionPolicy", "TagResource", "UntagResource", "ListTagsForResource",
        "AssociateKmsKey", "DisassociateKmsKey",
    ]),
    "ssm": ("ssm", [
        "GetParameter", "GetParameters", "PutParameter", "DeleteParameter", "DescribeParameters",
        "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource",
    ]),
    "secretsmanager": ("secretsManager", ["GetSecretValue"]),
    "sns": ("sns", [
        "CreateTopic", "GetTopicAttributes", "SetTopicAttributes", "DeleteTopic", "ListTopics",
        "Subscribe", "Unsubscribe", "GetSubscriptionAttributes", "ListSubscriptionsByTopic",
        "TagResource", "UntagResource", "ListTagsForResource", "Publish",
    ]),
    "cloudwatch": ("cloudWatch", [
        "PutMetricAlarm", "DescribeAlarms", "DeleteAlarms", "TagResource", "UntagResource", "ListTagsForResource",
    ]),
    "ec2": ("ec2", [
        "DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups", "DescribeSecurityGroupRules",
        "CreateSecurityGroup", "DeleteSecurityGroup",
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateTags", "DeleteTags",
    ]),
    "events": ("eventBridge", [
        "PutRule", "DescribeRule", "DeleteRule", "PutTargets", "RemoveTargets", "ListTargetsByRule", "ListRules",
        "TagResource", "UntagResource", "ListTagsForResource",
    ]),
    "kms": ("kms", [
        "CreateKey", "DescribeKey", "ListKeys", "UpdateKeyDescription", "GetKeyPolicy", "PutKeyPolicy",
        "GetKeyRotationStatus", "EnableKeyRotation", "DisableKeyRotation", "EnableKey",
        "ScheduleKeyDeletion", "CancelKeyDeletion", "TagResource", "UntagResource", "ListResourceTags",
        "CreateAlias", "UpdateAlias", "DeleteAlias", "ListAliases",
    ]),
    "cloudfront": ("cloudFront", [
        "CreateOriginAccessControl", "GetOriginAccessControl", "UpdateOriginAccessControl", "DeleteOriginAccessControl",
        "ListOriginAccessControls",
        "CreateDistributionWithTags", "GetDistribution", "GetDistributionConfig", "UpdateDistribution", "DeleteDistribution",
        "ListDistributions", "TagResource", "UntagResource", "ListTagsForResource",
    ]),
    "dynamodb": ("dynamoDB", [
        "CreateTable", "DescribeTable", "UpdateTable", "DeleteTable",
        "DescribeContinuousBackups", "UpdateContinuousBackups",
        "TagResource", "UntagResource", "ListTagsOfResource", "ListTables",
    ]),
    "codecommit": ("codeCommit", [
        "CreateRepository", "GetRepository", "UpdateRepositoryDescription", "UpdateRepositoryEncryptionKey",
        "DeleteRepository", "TagResource", "UntagResource", "ListTagsForResource", "ListRepositories",
    ]),
    # IAM Identity Center sign-in (the credential chain's sso profiles): both unsigned, authorised by tokens.
    "sso": ("sso", ["GetRoleCredentials"]),
    "sso-oidc": ("ssoOIDC", ["CreateToken"]),
}

# The protocol Cairn speaks to each service, when a model lists several.
PREFERRED = {"cloudwatch": "query"}


def load(service, kind):
    version = sorted(os.listdir(os.path.join(DATA, service)))[-1]
    path = os.path.join(DATA, service, version, kind + ".json")
    if os.path.exists(path + ".gz"):
        return json.load(gzip.open(path + ".gz"))
    if os.path.exists(path):
        return json.load(open(path))
    return None


def s(value):
    return "nil" if value is None else json.dumps(value)


def bindings(model, op):
    """S3's member locations: which input members go to the URI, the query string, headers or the body."""
    shape_name = op.get("input", {}).get("shape")
    if not shape_name:
        return [], None
    shape = model["shapes"][shape_name]
    out, payload = [], None
    for member, ref in shape.get("members", {}).items():
        loc = ref.get("location")
        if loc in ("uri", "querystring", "header", "headers"):
            out.append((member, loc, ref.get("locationName", member)))
    if "payload" in shape:
        member = shape["payload"]
        ref = shape["members"][member]
        target = model["shapes"][ref["shape"]]
        payload = (member, ref.get("locationName", ref["shape"]), ref.get("xmlNamespace", {}).get("uri"),
                   target["type"])
    return out, payload


OPERATION_TYPE = {
    "query": "QueryOperation", "ec2": "QueryOperation", "json": "JSONOperation", "rest-xml": "RestXMLOperation",
    "rest-json": "RestJSONOperation",
}


def has_body_members(model, op):
    """rest-json: whether the input has members outside the URI, query string and headers (botocore then sends
    a JSON body, `{}` when none is given)."""
    shape_name = op.get("input", {}).get("shape")
    if not shape_name:
        return False
    return any("location" not in ref for ref in model["shapes"][shape_name].get("members", {}).values())


def operation_fields(model, protocol, paginators, name):
    """The arguments of one operation's `Operation(...)`: its HTTP binding, S3's member locations, its paginator."""
    op = model["operations"].get(name)
    if op is None:
        sys.exit("botocore's %s model has no operation %s" % (model["metadata"]["serviceId"], name))
    http = op["http"]
    checksum = bool(op.get("httpChecksumRequired") or op.get("httpChecksum", {}).get("requestChecksumRequired"))
    fields = ["name: %s" % s(name), "method: %s" % s(http["method"]), "requestURI: %s" % s(http["requestUri"])]
    if checksum:
        fields.append("checksumRequired: true")
    # Authorised by a token in the request itself (web identity, IAM Identity Center), so sent unsigned.
    if op.get("authtype") == "none" or op.get("auth") == ["smithy.api#noAuth"]:
        fields.append("unsigned: true")
    if protocol in ("rest-xml", "rest-json"):
        binds, payload = bindings(model, op)
        if binds:
            fields.append("bindings: [%s]" % ", ".join(
                ".init(member: %s, location: .%s, name: %s)" % (s(m), {"headers": "headerPrefix"}.get(l, l), s(n))
                for m, l, n in binds))
        if protocol == "rest-json" and has_body_members(model, op):
            fields.append("jsonBody: true")
        if payload and protocol == "rest-xml":
            fields.append("payload: .init(member: %s, rootElement: %s, namespace: %s, isBlob: %s)" % (
                s(payload[0]), s(payload[1]), s(payload[2]),
                "true" if payload[3] in ("blob", "string") else "false"))
        output = model["shapes"][op["output"]["shape"]] if "output" in op else {}
        if "payload" in output and name in paginators:
            # The paginator's paths (`DistributionList.NextMarker`) start at this member: the answer's root element.
            fields.append("outputPayload: %s" % s(output["payload"]))
    pag = paginators.get(name)
    if pag:
        tokens_in = pag["input_token"] if isinstance(pag["input_token"], list) else [pag["input_token"]]
        tokens_out = pag["output_token"] if isinstance(pag["output_token"], list) else [pag["output_token"]]
        keys = pag.get("result_key", [])
        keys = keys if isinstance(keys, list) else [keys]
        fields.append("paginator: .init(inputTokens: [%s], outputTokens: [%s], moreResults: %s, resultKeys: [%s], limitKey: %s)" % (
            ", ".join(s(t) for t in tokens_in), ", ".join(s(t) for t in tokens_out),
            s(pag.get("more_results")), ", ".join(s(k) for k in keys), s(pag.get("limit_key"))))
    return fields


def generate():
    """The text of ServiceModels.swift."""
    models, accessors, namespaces = [], {}, []
    for service, (swift_name, operations) in SERVICES.items():
        model = load(service, "service-2")
        paginators = (load(service, "paginators-1") or {}).get("pagination", {})
        meta = model["metadata"]
        protocol = PREFERRED.get(service, meta["protocol"])
        assert protocol in meta.get("protocols", [meta["protocol"]]), (service, protocol)
        proto_case = {"query": ".query", "ec2": ".ec2", "json": ".json", "rest-xml": ".restXML", "rest-json": ".restJSON"}[protocol]
        models.append("    /// %s: %s protocol, API version %s." % (meta["serviceId"], protocol, meta["apiVersion"]))
        models.append("    public static let %s = ServiceModel(" % swift_name)
        models.append("        serviceID: %s, protocol: %s, apiVersion: %s," % (s(meta["serviceId"]), proto_case, s(meta["apiVersion"])))
        models.append("        endpointPrefix: %s, signingName: %s," % (s(meta["endpointPrefix"]), s(meta.get("signingName", meta["endpointPrefix"]))))
        target = meta.get("targetPrefix") if protocol == "json" else None
        json_version = meta.get("jsonVersion") if protocol in ("json", "rest-json") else None
        models.append("        targetPrefix: %s, jsonVersion: %s, xmlNamespace: %s)" % (s(target), s(json_version), s(meta.get("xmlNamespace"))))
        models.append("")

        # The typed operations: one struct per service, reached from its protocol's operation type.
        op_type = OPERATION_TYPE[protocol]
        namespace = meta["serviceId"].replace(" ", "") + "Operations"
        first = operations[0][0].lower() + operations[0][1:]
        accessors.setdefault(op_type, []).extend([
            "    /// The %s operations Cairn calls, e.g. `.%s.%s`." % (meta["serviceId"], swift_name, first),
            "    public static let %s = %s()" % (swift_name, namespace),
        ])
        namespaces.append("/// The %s operations Cairn calls (%s protocol): add one in scripts/generate-service-models.py." % (meta["serviceId"], protocol))
        namespaces.append("public struct %s: Sendable {" % namespace)
        for name in operations:
            fields = operation_fields(model, protocol, paginators, name)
            namespaces.append("    /// `%s:%s`." % (meta.get("signingName", meta["endpointPrefix"]), name))
            namespaces.append("    public let %s = %s(service: .%s, model: Operation(%s))" % (
                name[0].lower() + name[1:], op_type, swift_name, ", ".join(fields)))
        namespaces.append("}")
        namespaces.append("")

    lines = [
        "// Generated by scripts/generate-service-models.py from botocore %s's service models. Do not edit."
        % botocore.__version__,
        "",
        "extension ServiceModel {",
    ] + models[:-1] + ["}", ""]
    for op_type in ("QueryOperation", "JSONOperation", "RestXMLOperation", "RestJSONOperation"):
        lines += ["extension %s {" % op_type] + accessors[op_type] + ["}", ""]
    lines += namespaces[:-1]
    return "\n".join(lines) + "\n"


def main():
    out = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "CairnAWS", "Generated", "ServiceModels.swift"))
    text = generate()
    if "--check" in sys.argv[1:]:
        # Exit 1 when the committed file is not what this script and the installed botocore make.
        current = open(out).read() if os.path.exists(out) else ""
        if current != text:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True), out, "generated", n=1))
            sys.exit("%s is out of date: run scripts/generate-service-models.py" % out)
        print(out, "is up to date")
        return
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print("wrote", out)


if __name__ == "__main__":
    main()
