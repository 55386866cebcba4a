"""The web hosting part of the template on moto: the web bucket is created as on AWS (no public access, bucket owner
enforced); the CloudFront pieces, which `make run` replaces by serving the build itself, are the only resources left
out, with the bucket policy that names the distribution; the outputs that name them are absent."""

from __future__ import annotations

from typing import Any

import boto3

from infra import apply_local, localstack


def test_only_cloudfront_and_what_refers_to_it_is_left_out_locally() -> None:
    assert apply_local.not_local(apply_local.load_template()) == {
        "WebDistribution", "WebOriginAccessControl", "WebResponseHeaders", "WebIndexFunction", "WebBucketPolicy"}


def test_the_web_bucket_exists_locally_with_no_public_access(stack: Any) -> None:
    bucket = stack.env["CP_OUT_WebBucket"]
    s3 = boto3.client("s3", region_name=localstack.REGION)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert encryption[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_outputs_that_name_a_resource_left_out_are_absent(stack: Any) -> None:
    outputs = {k.removeprefix("CP_OUT_") for k in stack.env if k.startswith("CP_OUT_")}
    assert {"WebBucket", "BlobBucket", "AppRoleArn"} <= outputs
    assert not {"WebUrl", "WebDistributionId"} & outputs
    assert boto3.client("cloudfront", region_name=localstack.REGION).list_distributions()["DistributionList"].get("Items", []) == []
