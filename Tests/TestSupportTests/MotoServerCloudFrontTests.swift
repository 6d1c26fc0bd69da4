import Foundation
import TestSupport
import Testing

/// scripts/moto-server's CloudFront corrections, each shown with boto3 as the client against a (signature checking)
/// server of the test's own.
@Suite(.integration) struct MotoServerCloudFrontTests {
    /// scripts/moto-server makes moto's CloudFront answer as AWS documents, shown with boto3 as the client: origins keep
    /// their OAC and S3 config, the ARN has an empty region field (and the tags live under it), every update has a new
    /// ETag and a stale If-Match is refused, an enabled or not yet deployed distribution is not deleted, an OAC in use is
    /// not deleted, and the list carries each distribution's summary. Signed GETs (the list, the tags) are checked as
    /// they were signed: accepted with the right secret, refused with a wrong one.
    @Test func motoServerAnswersAsAWSDocuments() async throws {
        // A server of its own: moto deploys a distribution when any ListDistributions runs, and another test's list
        // between the update and the delete below would let the undeployed distribution's delete through.
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let result = try await moto.python(
            """
            import boto3, json, os
            from botocore.exceptions import ClientError
            cf = boto3.client("cloudfront")
            def code(call):
                try:
                    call()
                    return "ok"
                except ClientError as error:
                    return error.response["Error"]["Code"]
            oac = cf.create_origin_access_control(OriginAccessControlConfig={"Name": "patch-test", "SigningProtocol": "sigv4",
                "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"})
            oac_id, oac_etag = oac["OriginAccessControl"]["Id"], oac["ETag"]
            config = {"CallerReference": "patch-test", "Comment": "patch test", "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": oac_id}]},
                "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
            created = cf.create_distribution_with_tags(DistributionConfigWithTags={"DistributionConfig": config,
                "Tags": {"Items": [{"Key": "k", "Value": "v"}]}})
            dist = created["Distribution"]
            out = {"arn": dist["ARN"], "id": dist["Id"]}
            out["tags"] = cf.list_tags_for_resource(Resource=dist["ARN"])["Tags"]["Items"]
            got = cf.get_distribution_config(Id=dist["Id"])
            out["origin"] = got["DistributionConfig"]["Origins"]["Items"][0]
            summary = [d for d in cf.list_distributions()["DistributionList"]["Items"] if d["Id"] == dist["Id"]][0]
            out["summary"] = {"Comment": summary["Comment"], "Enabled": summary["Enabled"], "ETag": summary.get("ETag"),
                "recent": summary["LastModifiedTime"].year >= 2024}
            out["deleteEnabled"] = code(lambda: cf.delete_distribution(Id=dist["Id"], IfMatch=got["ETag"]))
            config = got["DistributionConfig"]
            config["Enabled"] = False
            updated = cf.update_distribution(Id=dist["Id"], IfMatch=got["ETag"], DistributionConfig=config)
            out["newETag"] = updated["ETag"] != got["ETag"]
            out["status"] = updated["Distribution"]["Status"]
            out["staleUpdate"] = code(lambda: cf.update_distribution(Id=dist["Id"], IfMatch=got["ETag"], DistributionConfig=config))
            out["deleteUndeployed"] = code(lambda: cf.delete_distribution(Id=dist["Id"], IfMatch=updated["ETag"]))
            deployed = cf.get_distribution(Id=dist["Id"])
            out["deployed"] = deployed["Distribution"]["Status"]
            out["oacInUse"] = code(lambda: cf.delete_origin_access_control(Id=oac_id, IfMatch=oac_etag))
            out["staleDelete"] = code(lambda: cf.delete_distribution(Id=dist["Id"], IfMatch=got["ETag"]))
            out["delete"] = code(lambda: cf.delete_distribution(Id=dist["Id"], IfMatch=deployed["ETag"]))
            out["oacNoIfMatch"] = code(lambda: cf.delete_origin_access_control(Id=oac_id))
            out["oacStale"] = code(lambda: cf.delete_origin_access_control(Id=oac_id, IfMatch="STALE"))
            renamed = cf.update_origin_access_control(Id=oac_id, IfMatch=oac_etag, OriginAccessControlConfig={"Name": "patch-test-2",
                "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"})
            out["oacNewETag"] = renamed["ETag"] != oac_etag
            out["oacDelete"] = code(lambda: cf.delete_origin_access_control(Id=oac_id, IfMatch=renamed["ETag"]))
            wrong = boto3.client("cloudfront", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="not-the-secret")
            try:
                wrong.list_distributions()
                out["wrongSecret"] = 200
            except ClientError as error:
                out["wrongSecret"] = error.response["ResponseMetadata"]["HTTPStatusCode"]
            print(json.dumps(out))
            """)
        #expect(result.succeeded, "\(result)")
        let out = try JSONValue(parsing: result.stdout)
        let id = out["id"].string ?? ""
        #expect(out["arn"].string == "arn:aws:cloudfront::\(moto.account):distribution/\(id)")
        #expect(out["tags"] == [["Key": "k", "Value": "v"]])
        #expect(out["origin"]["OriginAccessControlId"].string?.isEmpty == false)
        #expect(out["origin"]["S3OriginConfig"] == ["OriginAccessIdentity": ""])
        #expect(out["summary"]["Comment"] == "patch test" && out["summary"]["Enabled"] == true && out["summary"]["recent"] == true)
        #expect(out["summary"]["ETag"].string?.isEmpty == false)
        #expect(out["deleteEnabled"] == "DistributionNotDisabled")
        #expect(out["newETag"] == true && out["status"] == "InProgress")
        #expect(out["staleUpdate"] == "PreconditionFailed")
        #expect(out["deleteUndeployed"] == "DistributionNotDisabled")
        #expect(out["deployed"] == "Deployed")
        #expect(out["oacInUse"] == "OriginAccessControlInUse")
        #expect(out["staleDelete"] == "PreconditionFailed")
        #expect(out["delete"] == "ok")
        #expect(out["oacNoIfMatch"] == "InvalidIfMatchVersion" && out["oacStale"] == "PreconditionFailed")
        #expect(out["oacNewETag"] == true && out["oacDelete"] == "ok")
        #expect(out["wrongSecret"] == 403)
    }
}
