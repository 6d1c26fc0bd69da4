#!/usr/bin/env python3
"""Creates the signature-checked admin user in a fresh moto server and prints its key as JSON.

    python3 moto_bootstrap.py --endpoint http://127.0.0.1:PORT

moto must have been started with INITIAL_NO_AUTH_ACTION_COUNT=3: exactly three unauthenticated
calls are made here (create_user, create_access_key, attach_user_policy, no retries); every later
request is signature-checked. The new key is then verified with a signed sts:GetCallerIdentity.
"""
import argparse
import json
import sys

try:
    import boto3
    from botocore.config import Config
except ImportError as error:
    sys.exit("moto_bootstrap: boto3 is missing (%s); run scripts/install-deps" % error)

UNAUTHENTICATED_CALLS = 3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--user", default="cairn-test-admin")
    parser.add_argument("--policy-arn", default="arn:aws:iam::aws:policy/AdministratorAccess")
    args = parser.parse_args()

    # No retries: every attempt would count against INITIAL_NO_AUTH_ACTION_COUNT.
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)

    def client(service, key_id, secret):
        session = boto3.session.Session(
            aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="us-east-1")
        return session.client(service, endpoint_url=args.endpoint, config=config)

    iam = client("iam", "bootstrap", "bootstrap")
    iam.create_user(UserName=args.user)                                   # unauthenticated call 1
    key = iam.create_access_key(UserName=args.user)["AccessKey"]          # unauthenticated call 2
    iam.attach_user_policy(UserName=args.user, PolicyArn=args.policy_arn)  # unauthenticated call 3

    # From here on moto checks signatures: prove the new key works.
    identity = client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    json.dump({
        "AccessKeyId": key["AccessKeyId"],
        "SecretAccessKey": key["SecretAccessKey"],
        "Account": identity["Account"],
        "Arn": identity["Arn"],
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
