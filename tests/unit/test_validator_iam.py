"""The quorum is only Byzantine if no one principal can sign for two validators. These tests read the IAM roles and
KMS key policies of infra/template.json (moto does not enforce IAM, so on moto nothing else would notice) and
require: each validator key signs for its own validator's role only; each validator role writes nothing but its own
watermark and reads public keys only as the keys' own policies allow; the API's role signs with no validator key."""

from __future__ import annotations

import pytest

from chalicelib.adapters.validators import validator_id
from tests.iam_policies import ACCOUNT_ROOT, RESOURCES, TEMPLATE, as_list, key, key_use, role, role_statements

N = 4
APP = key(role("AppRole"))
ROOT = key(ACCOUNT_ROOT)
WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")


def _who_may(name: str, action: str) -> list[str]:
    return sorted(p for p, actions in key_use(name).items() if action.lower() in actions)


def _key(i: int) -> str:
    """The signing key the stack outputs for validator i (ValidatorKey<i>, or its replacement during a handover)."""
    return str(TEMPLATE["Outputs"][f"ValidatorKeyArn{i}"]["Value"]["Fn::GetAtt"][0])


def _role_arn(i: int) -> str:
    return key(role(f"ValidatorRole{i}"))


def _names(statement: dict, action: str) -> bool:
    return statement["Effect"] == "Allow" and action in as_list(statement["Action"])


@pytest.mark.parametrize("i", range(N))
def test_only_its_own_validator_role_may_sign_with_a_validator_key(i: int) -> None:
    assert _who_may(_key(i), "kms:Sign") == [_role_arn(i)]
    readers = _who_may(_key(i), "kms:GetPublicKey")
    assert sorted([ROOT, APP, *(_role_arn(j) for j in range(N))]) == readers  # everyone checks signatures


def test_no_principal_may_sign_for_two_validators_and_the_api_for_none() -> None:
    signers = [p for i in range(N) for p in _who_may(_key(i), "kms:Sign")]
    assert len(signers) == len(set(signers)) == N
    assert APP not in signers and ROOT not in signers


@pytest.mark.parametrize("i", range(N))
def test_a_validator_role_writes_only_its_own_watermark(i: int) -> None:
    statements = role_statements(f"ValidatorRole{i}")
    writes = [s for s in statements if any(_names(s, w) for w in WRITES)]
    assert len(writes) == 1
    assert writes[0]["Resource"] == {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Prefix}-ledger-watermarks"}
    assert writes[0]["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [validator_id(i)]}}


@pytest.mark.parametrize("i", range(N))
def test_a_validator_role_reads_the_ledger_and_writes_its_own_logs_and_nothing_else(i: int) -> None:
    actions = {a for s in role_statements(f"ValidatorRole{i}") for a in as_list(s["Action"])}
    assert actions == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem",
                       "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    [logs] = [s for s in role_statements(f"ValidatorRole{i}") if s["Sid"] == "ItsOwnLogs"]
    group = f"arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/${{Prefix}}-validator_{i}"
    assert logs["Resource"] == [{"Fn::Sub": group}, {"Fn::Sub": group + ":*"}]


def test_the_stack_outputs_each_validator_role_for_its_function() -> None:
    assert all(TEMPLATE["Outputs"][f"ValidatorRoleArn{i}"]["Value"] == role(f"ValidatorRole{i}") for i in range(N))


def test_the_app_role_reaches_keys_only_through_their_policies_and_invokes_only_the_validators() -> None:
    statements = role_statements("AppRole")
    actions = {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert not {a for a in actions if a.startswith(("kms:", "iam:")) or a == "dynamodb:DeleteTable"}
    invoke = [s for s in statements if _names(s, "lambda:InvokeFunction")]
    assert [s["Resource"] for s in invoke] == [
        {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Prefix}-validator_*"}]
    assert RESOURCES["AppRole"]["Properties"]["RoleName"] == {"Ref": "AppRoleName"}
