#!/usr/bin/env python3
"""Writes Sources/CairnAWS/Generated/ServiceModels.swift from botocore's service models.

Cairn's AWS client is table-driven: the protocol, API version, JSON target prefix, every operation's
HTTP method and request URI, S3's member locations and the paginators all come from AWS's own
models, never from guesses. Only the operations Cairn calls are emitted, to keep the table small.
Run it again (and commit the result) when a resource needs a new operation.
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
        "TagRole", "UntagRole", "ListRoleTags", "ListRoles",
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
        "ListObjectsV2", "ListObjectVersions", "DeleteObjects", "PutObject", "DeleteObject",
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
    "ssm": ("ssm", ["GetParameter", "GetParameters", "PutParameter", "DeleteParameter"]),
    "secretsmanager": ("secretsManager", ["GetSecretValue"]),
    "sns": ("sns", [
        "CreateTopic", "GetTopicAttributes", "SetTopicAttributes", "DeleteTopic", "ListTopics",
        "Subscribe", "Unsubscribe", "GetSubscriptionAttributes", "ListSubscriptionsByTopic",
        "TagResource", "UntagResource", "ListTagsForResource", "Publish",
    ]),
    "cloudwatch": ("cloudWatch", ["PutMetricAlarm", "DescribeAlarms", "DeleteAlarms"]),
    "ec2": ("ec2", [
        "DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups", "DescribeSecurityGroupRules",
        "CreateSecurityGroup", "DeleteSecurityGroup",
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateTags", "DeleteTags",
    ]),
    "events": ("eventBridge", [
        "PutRule", "DescribeRule", "DeleteRule", "PutTargets", "RemoveTargets", "ListTargetsByRule",
        "TagResource", "UntagResource", "ListTagsForResource",
    ]),
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


def main():
    lines = [
        "// Generated by scripts/generate-service-models.py from botocore %s's service models. Do not edit."
        % botocore.__version__,
        "",
        "extension ServiceModel {",
    ]
    for service, (swift_name, operations) in SERVICES.items():
        model = load(service, "service-2")
        paginators = (load(service, "paginators-1") or {}).get("pagination", {})
        meta = model["metadata"]
        protocol = PREFERRED.get(service, meta["protocol"])
        assert protocol in meta.get("protocols", [meta["protocol"]]), (service, protocol)
        proto_case = {"query": ".query", "ec2": ".ec2", "json": ".json", "rest-xml": ".restXML"}[protocol]
        lines.append("    /// %s: %s protocol, API version %s." % (meta["serviceId"], protocol, meta["apiVersion"]))
        lines.append("    public static let %s = ServiceModel(" % swift_name)
        lines.append("        serviceID: %s, protocol: %s, apiVersion: %s," % (s(meta["serviceId"]), proto_case, s(meta["apiVersion"])))
        lines.append("        endpointPrefix: %s, signingName: %s," % (s(meta["endpointPrefix"]), s(meta.get("signingName", meta["endpointPrefix"]))))
        target = meta.get("targetPrefix") if protocol == "json" else None
        json_version = meta.get("jsonVersion") if protocol == "json" else None
        lines.append("        targetPrefix: %s, jsonVersion: %s, xmlNamespace: %s," % (s(target), s(json_version), s(meta.get("xmlNamespace"))))
        lines.append("        operations: [")
        for name in operations:
            op = model["operations"].get(name)
            if op is None:
                sys.exit("botocore's %s model has no operation %s" % (service, name))
            http = op["http"]
            checksum = bool(op.get("httpChecksumRequired") or op.get("httpChecksum", {}).get("requestChecksumRequired"))
            fields = ["name: %s" % s(name), "method: %s" % s(http["method"]), "requestURI: %s" % s(http["requestUri"])]
            if checksum:
                fields.append("checksumRequired: true")
            if protocol == "rest-xml":
                binds, payload = bindings(model, op)
                if binds:
                    fields.append("bindings: [%s]" % ", ".join(
                        ".init(member: %s, location: .%s, name: %s)" % (s(m), {"headers": "headerPrefix"}.get(l, l), s(n))
                        for m, l, n in binds))
                if payload:
                    fields.append("payload: .init(member: %s, rootElement: %s, namespace: %s, isBlob: %s)" % (
                        s(payload[0]), s(payload[1]), s(payload[2]),
                        "true" if payload[3] in ("blob", "string") else "false"))
            pag = paginators.get(name)
            if pag:
                tokens_in = pag["input_token"] if isinstance(pag["input_token"], list) else [pag["input_token"]]
                tokens_out = pag["output_token"] if isinstance(pag["output_token"], list) else [pag["output_token"]]
                keys = pag.get("result_key", [])
                keys = keys if isinstance(keys, list) else [keys]
                fields.append("paginator: .init(inputTokens: [%s], outputTokens: [%s], moreResults: %s, resultKeys: [%s], limitKey: %s)" % (
                    ", ".join(s(t) for t in tokens_in), ", ".join(s(t) for t in tokens_out),
                    s(pag.get("more_results")), ", ".join(s(k) for k in keys), s(pag.get("limit_key"))))
            lines.append("            .init(%s)," % ", ".join(fields))
        lines.append("        ])")
        lines.append("")
    lines[-1] = "}"
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "CairnAWS", "Generated", "ServiceModels.swift")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
