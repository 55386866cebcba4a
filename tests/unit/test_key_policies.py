"""No key and no role of infra/template.json is broader than docs/threat-model.md says. Every KMS key names the roles
that may use it and for what; the account root keeps key administration only, which cannot use a key; the roles'
own policies hold no key use, no wildcard action and no resource outside this stack; no policy allows a wildcard
principal. Wildcards are expanded against KMS's real action list, so "kms:Get*" or a NotAction cannot slip past."""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam_policies import (
    ACCOUNT_ROOT,
    RESOURCES,
    TEMPLATE,
    allowed,
    as_list,
    expand,
    key,
    key_statements,
    key_use,
    of_type,
    principals,
    resource_policies,
    role,
    role_statements,
)

N = 4
APP = key(role("AppRole"))
ROOT = key(ACCOUNT_ROOT)
BLOB_BUCKET = "arn:aws:s3:::${Prefix}-blobs-${AWS::AccountId}"

# docs/threat-model.md, "KMS key policies": what the account root may do with every key. Nothing here encrypts,
# decrypts, signs, derives or grants (kms:CreateGrant would hand key use to anyone without a policy change); a
# public key is public (an operator reads a new validator key's to register its node certificate).
ADMINISTRATION = {a.lower() for a in (
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
    "kms:DisableKeyRotation", "kms:RotateKeyOnDemand", "kms:ListKeyRotations", "kms:EnableKey", "kms:DisableKey",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:UpdateKeyDescription", "kms:TagResource",
    "kms:UntagResource", "kms:ListResourceTags", "kms:ListKeyPolicies", "kms:ListGrants", "kms:RevokeGrant",
    "kms:GetKeyLastUsage", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:GetPublicKey")}
USE = expand(["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Sign", "kms:Verify",
              "kms:GenerateMac", "kms:VerifyMac", "kms:DeriveSharedSecret", "kms:CreateGrant", "kms:ImportKeyMaterial",
              "kms:ReplicateKey"], "kms")


def _validator(i: int) -> str:
    return key(role(f"ValidatorRole{i}"))


def _slot(name: str) -> int:
    """The validator a signing key belongs to: the one role its policy lets sign."""
    [signer] = [p for p, actions in key_use(name).items() if "kms:sign" in actions]
    return next(i for i in range(N) if signer == _validator(i))


KEYS = of_type("AWS::KMS::Key")
# Replacing a validator adds a key for its slot before the old one goes (docs/deployment.md, "Rotating keys"), so
# validator keys are found by what they are, not by name.
VALIDATOR_KEYS = [k for k in KEYS if RESOURCES[k]["Properties"].get("KeyUsage") == "SIGN_VERIFY"]


def _expected(name: str) -> dict[str, set[str]]:
    """docs/threat-model.md, "KMS key policies", as data: each principal of a key and all it may call."""
    if name == "DataKey":
        return {ROOT: ADMINISTRATION, APP: {"kms:encrypt", "kms:decrypt", "kms:generatedatakey"}}
    if name == "EnclaveKey":
        return {ROOT: ADMINISTRATION, APP: {"kms:decrypt", "kms:generatedatakey"}}
    i = _slot(name)
    readers = {APP, *(_validator(j) for j in range(N) if j != i)}
    return {ROOT: ADMINISTRATION, _validator(i): {"kms:sign", "kms:getpublickey"}, **{r: {"kms:getpublickey"} for r in readers}}


def test_the_template_has_the_data_and_enclave_keys_and_a_signing_key_for_every_validator() -> None:
    assert sorted(set(KEYS) - set(VALIDATOR_KEYS)) == ["DataKey", "EnclaveKey"]
    for i in range(N):
        [named] = TEMPLATE["Outputs"][f"ValidatorKeyArn{i}"]["Value"]["Fn::GetAtt"][:1]
        assert named in VALIDATOR_KEYS and _slot(named) == i
        assert RESOURCES[named]["Properties"]["KeySpec"] == "ECC_NIST_P256"


@pytest.mark.parametrize("name", KEYS)
def test_each_key_names_its_principals_and_every_action_each_may_call(name: str) -> None:
    assert key_use(name) == _expected(name)


@pytest.mark.parametrize("name", KEYS)
def test_the_account_root_administers_a_key_but_cannot_use_it(name: str) -> None:
    use = key_use(name)
    assert use[ROOT] & USE == set()
    assert {"kms:putkeypolicy", "kms:schedulekeydeletion", "kms:cancelkeydeletion", "kms:disablekey"} <= use[ROOT]
    assert all("NotAction" not in st for st in key_statements(name))  # a NotAction grants every action added later


STATEFUL = [*of_type("AWS::DynamoDB::Table"), *KEYS, "BlobBucket", "UserPool", "GateIngestErrors"]


@pytest.mark.parametrize("name", STATEFUL)
def test_what_holds_or_protects_data_outlives_the_stack(name: str) -> None:
    # Tables, the blob bucket and the user pool are kept when the stack is deleted or a resource replaced, and so are
    # the keys: a deleted key would leave the kept tables unreadable. Only a failed first create removes them again,
    # so that a retry does not trip over empty leftovers.
    assert RESOURCES[name]["DeletionPolicy"] == "RetainExceptOnCreate"
    assert RESOURCES[name]["UpdateReplacePolicy"] == "Retain"


def _grants_to_app(name: str) -> list[dict[str, Any]]:
    return [st for st in key_statements(name) if APP in principals(st) and allowed(st, "kms") - {"kms:getpublickey"}]


def test_the_app_role_uses_the_data_key_through_s3_for_the_blob_bucket_or_for_gate_device_secrets_only() -> None:
    grants = {frozenset(allowed(st, "kms")): st["Condition"] for st in _grants_to_app("DataKey")}
    assert grants == {
        frozenset({"kms:generatedatakey", "kms:decrypt"}): {
            "StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [{"Fn::Sub": BLOB_BUCKET}, {"Fn::Sub": BLOB_BUCKET + "/*"}]}},
        frozenset({"kms:encrypt", "kms:decrypt"}): {
            "StringEquals": {"kms:EncryptionContext:purpose": "gate-device-secret"},
            "Null": {"kms:EncryptionContext:device_id": "false"}},
    }


def test_the_app_role_uses_the_enclave_key_only_with_a_context_bound_to_a_user_and_purpose() -> None:
    [grant] = _grants_to_app("EnclaveKey")
    assert grant["Condition"] == {
        "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["user_id", "purpose", "object_id"]},
        "Null": {"kms:EncryptionContext:user_id": "false", "kms:EncryptionContext:purpose": "false"}}


ROLES = of_type("AWS::IAM::Role")


def test_the_template_has_the_app_role_one_role_per_validator_and_the_gate_rules_role() -> None:
    assert sorted(ROLES) == ["AppRole", "GateRuleRole", *(f"ValidatorRole{i}" for i in range(N))]


# AWS IoT names certificates by their fingerprint, so no ARN can say "this stack's certificates", and it defines
# CreateKeysAndCertificate with no resource type at all (the Service Authorization Reference; "*" is the only
# resource that grants it). A certificate it makes can do nothing until it is attached to this stack's device policy
# and one of this stack's Things.
IOT_ACCOUNT_WIDE = {("GateDeviceCertificates", key({"Fn::Sub": "arn:aws:iot:${AWS::Region}:${AWS::AccountId}:cert/*"})),
                    ("NewGateDeviceCertificates", key("*"))}


def test_only_the_iot_certificate_actions_reach_beyond_the_stack_and_only_as_far_as_iot_allows() -> None:
    wide = {s["Sid"]: s for s in role_statements("AppRole") if (s["Sid"], key(s["Resource"])) in IOT_ACCOUNT_WIDE}
    assert sorted(wide) == ["GateDeviceCertificates", "NewGateDeviceCertificates"]
    assert wide["GateDeviceCertificates"]["Action"] == ["iot:AttachPolicy", "iot:AttachThingPrincipal", "iot:UpdateCertificate"]
    assert wide["NewGateDeviceCertificates"]["Action"] == ["iot:CreateKeysAndCertificate"]


@pytest.mark.parametrize("name", ROLES)
def test_a_role_holds_no_key_use_of_its_own(name: str) -> None:
    # With the root kept out of key use, an IAM grant of it would be a dead letter, and would mislead a reviewer.
    assert [s["Sid"] for s in role_statements(name) if any(str(a).startswith("kms:") for a in as_list(s["Action"]))] == []


@pytest.mark.parametrize("name", ROLES)
def test_a_role_names_actions_without_wildcards_and_resources_of_this_stack_only(name: str) -> None:
    for st in role_statements(name):
        assert "NotAction" not in st and "NotResource" not in st, st["Sid"]
        assert all("*" not in a for a in as_list(st["Action"])), st["Sid"]
        if (st["Sid"], key(st["Resource"])) in IOT_ACCOUNT_WIDE:
            continue  # the test above holds these to exactly what they are
        for res in as_list(st["Resource"]):
            assert res != "*", st["Sid"]
            text = res["Fn::Sub"] if isinstance(res, dict) and "Fn::Sub" in res else None
            assert text is None or "${Prefix}" in text or "${AWS::StackName}" in text, (st["Sid"], res)
            assert text is not None or set(res) <= {"Fn::GetAtt", "Ref"}, (st["Sid"], res)


@pytest.mark.parametrize("name", [r for r in ROLES if r != "GateRuleRole"])
def test_only_lambda_may_assume_a_role(name: str) -> None:
    assert RESOURCES[name]["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]


def test_the_gate_rules_role_is_for_iot_in_this_account_and_only_sends_to_its_error_queue() -> None:
    assert RESOURCES["GateRuleRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "iot.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]
    assert role_statements("GateRuleRole") == [{"Sid": "FailedDeviceMessagesToTheErrorQueue", "Effect": "Allow", "Action": "sqs:SendMessage",
                                                "Resource": {"Fn::GetAtt": ["GateIngestErrors", "Arn"]}}]


def test_the_app_role_can_never_write_a_validators_watermark() -> None:
    denied = [s for s in role_statements("AppRole") if s["Effect"] == "Deny"]
    assert [s for s in denied if s["Sid"] != "TheAuditTrailIsAppendOnly"] == [
        {"Sid": "NeverAValidatorsWatermark", "Effect": "Deny",
         "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
         "Resource": {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Prefix}-ledger-watermarks"}}]


def test_the_app_role_may_only_append_to_the_console_audit_trail() -> None:
    denied = [s for s in role_statements("AppRole") if s["Effect"] == "Deny" and s["Sid"] == "TheAuditTrailIsAppendOnly"]
    assert denied == [{"Sid": "TheAuditTrailIsAppendOnly", "Effect": "Deny",
                       "Action": ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
                       "Resource": {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Prefix}-console-audit"}}]


def test_no_policy_allows_a_wildcard_principal() -> None:
    wild = [(name, st.get("Sid")) for name, st in resource_policies() if st["Effect"] == "Allow" and "*" in principals(st)]
    assert wild == []


def test_wildcard_principals_appear_only_to_deny_requests_without_tls() -> None:
    for name, st in resource_policies():
        if "*" in principals(st):
            assert st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, name


@pytest.mark.parametrize("bucket", of_type("AWS::S3::Bucket"))
def test_every_bucket_blocks_public_access_and_refuses_plain_http(bucket: str) -> None:
    assert RESOURCES[bucket]["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    [policy] = [r["Properties"] for r in RESOURCES.values()
                if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}]
    assert any(st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for st in policy["PolicyDocument"]["Statement"])


def test_only_this_stacks_cloudfront_distribution_reads_the_web_bucket() -> None:
    [policy] = [r["Properties"] for r in RESOURCES.values()
                if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": "WebBucket"}]
    allows = [st for st in policy["PolicyDocument"]["Statement"] if st["Effect"] == "Allow"]
    assert allows == [{
        "Sid": "OnlyThisStacksDistributionReads", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${WebBucket.Arn}/*"},
        "Condition": {"StringEquals": {
            "AWS:SourceArn": {"Fn::Sub": "arn:aws:cloudfront::${AWS::AccountId}:distribution/${WebDistribution}"}}}}]
