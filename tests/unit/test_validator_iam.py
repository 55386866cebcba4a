"""The quorum is only Byzantine if no one principal can sign for two validators. These tests read the IAM roles and
KMS key policies of infra/template.json (moto does not enforce IAM, so on moto nothing else would notice) and
require: each validator key signs for its own validator's role only; each validator role writes nothing but its own
watermark and holds no key use beyond reading public keys; the API's role signs with no validator key."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from chalicelib.adapters.validators import validator_id
from infra.apply_local import load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
N = 4
APP_ROLE = {"Fn::GetAtt": ["AppRole", "Arn"]}
ACCOUNT_ROOT = {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}
WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
          "dynamodb:TransactWriteItems")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows(statement: dict[str, Any], action: str) -> bool:
    if statement["Effect"] != "Allow":
        return False
    if "NotAction" in statement:
        return not any(fnmatch.fnmatchcase(action, a) for a in _list(statement["NotAction"]))
    return any(fnmatch.fnmatchcase(action, a) for a in _list(statement["Action"]))


def _principals_allowed(key: str, action: str) -> list[Any]:
    statements = RESOURCES[key]["Properties"]["KeyPolicy"]["Statement"]
    return [p for s in statements if _allows(s, action) for p in _list(s["Principal"]["AWS"])]


def _role_statements(role: str) -> list[dict[str, Any]]:
    return [s for policy in RESOURCES[role]["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def _role_arn(i: int) -> dict[str, Any]:
    return {"Fn::GetAtt": [f"ValidatorRole{i}", "Arn"]}


@pytest.mark.parametrize("i", range(N))
def test_only_its_own_validator_role_may_sign_with_a_validator_key(i: int) -> None:
    assert _principals_allowed(f"ValidatorKey{i}", "kms:Sign") == [_role_arn(i)]
    readers = _principals_allowed(f"ValidatorKey{i}", "kms:GetPublicKey")
    assert APP_ROLE in readers and all(_role_arn(j) in readers for j in range(N))  # everyone checks signatures


def test_no_principal_may_sign_for_two_validators_and_the_api_for_none() -> None:
    signers = [json.dumps(p, sort_keys=True) for i in range(N) for p in _principals_allowed(f"ValidatorKey{i}", "kms:Sign")]
    assert len(signers) == len(set(signers)) == N
    assert json.dumps(APP_ROLE, sort_keys=True) not in signers and json.dumps(ACCOUNT_ROOT, sort_keys=True) not in signers


@pytest.mark.parametrize("i", range(N))
def test_a_validator_role_writes_only_its_own_watermark(i: int) -> None:
    statements = _role_statements(f"ValidatorRole{i}")
    writes = [s for s in statements if any(_allows(s, w) for w in WRITES)]
    assert len(writes) == 1
    assert writes[0]["Resource"] == {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Prefix}-ledger-watermarks"}
    assert writes[0]["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [validator_id(i)]}}


@pytest.mark.parametrize("i", range(N))
def test_a_validator_role_uses_no_key_but_to_read_public_keys(i: int) -> None:
    statements = _role_statements(f"ValidatorRole{i}")
    for action in ("kms:Sign", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:CreateGrant",
                   "iam:PassRole", "lambda:InvokeFunction", "s3:GetObject"):
        assert not any(_allows(s, action) for s in statements), action
    assert any(_allows(s, "kms:GetPublicKey") for s in statements)
    assert RESOURCES[f"ValidatorRole{i}"]["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]


def test_the_stack_outputs_each_validator_role_for_its_function() -> None:
    assert all(TEMPLATE["Outputs"][f"ValidatorRoleArn{i}"]["Value"] == _role_arn(i) for i in range(N))


def test_the_app_role_signs_with_no_key_and_reaches_the_enclave_key_only_through_its_policy() -> None:
    statements = _role_statements("AppRole")
    for action in ("kms:Sign", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:*", "iam:PassRole", "dynamodb:DeleteTable"):
        assert not any(_allows(s, action) for s in statements), action
    kms = [s for s in statements if any(_allows(s, a) for a in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"))]
    assert [s["Resource"] for s in kms] == [{"Fn::GetAtt": ["DataKey", "Arn"]}]  # the enclave key's own policy grants it
    enclave = RESOURCES["EnclaveKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert [p for s in enclave if _allows(s, "kms:Decrypt") for p in _list(s["Principal"]["AWS"])] == [APP_ROLE]
    invoke = [s for s in statements if _allows(s, "lambda:InvokeFunction")]
    assert [s["Resource"] for s in invoke] == [
        {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Prefix}-validator_*"}]
