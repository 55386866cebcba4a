"""X-Ray tracing is the one grant beyond this stack's own resources, so it is held apart: a managed policy that exists
only on a stage deployed with Tracing=active, allows X-Ray's write and sampling actions and nothing else, is attached
to the functions' roles only, and the stage config turns tracing on exactly when the stack has it
(docs/observability.md#traces)."""

from __future__ import annotations

from infra.stage_config import stage_config
from tests.iam_policies import RESOURCES, TEMPLATE, allowed, as_list, of_type

XRAY_WRITES = {"xray:puttracesegments", "xray:puttelemetryrecords", "xray:getsamplingrules", "xray:getsamplingtargets"}
FUNCTION_ROLES = ["AppRole", *(f"ValidatorRole{i}" for i in range(4))]


def test_the_only_managed_policy_is_the_tracing_one_and_it_exists_only_when_tracing_is_active() -> None:
    assert of_type("AWS::IAM::ManagedPolicy") == ["TracingPolicy"]
    assert RESOURCES["TracingPolicy"]["Condition"] == "TracingActive"
    assert TEMPLATE["Conditions"]["TracingActive"] == {"Fn::Equals": [{"Ref": "Tracing"}, "active"]}
    assert TEMPLATE["Parameters"]["Tracing"]["Default"] == "off"


def test_the_tracing_policy_allows_xrays_writes_and_nothing_else_to_the_functions_roles() -> None:
    props = RESOURCES["TracingPolicy"]["Properties"]
    [statement] = props["PolicyDocument"]["Statement"]
    assert "NotAction" not in statement and "Condition" not in statement
    assert allowed(statement, "xray") == XRAY_WRITES
    assert all(str(a).startswith("xray:") for a in as_list(statement["Action"]))
    assert sorted(r["Ref"] for r in props["Roles"]) == sorted(FUNCTION_ROLES)  # not the gate rule's role
    assert "Users" not in props and "Groups" not in props


OUTPUTS = {"UserPoolId": "p", "UserPoolClientId": "c", "BlobBucket": "b", "DataKeyArn": "d", "EnclaveKeyArn": "e",
           "AppRoleArn": "arn:app", "WebUrl": "https://x.cloudfront.net",
           **{f"ValidatorKeyArn{i}": f"k{i}" for i in range(4)}, **{f"ValidatorRoleArn{i}": f"arn:v{i}" for i in range(4)}}


def test_a_stage_traces_exactly_when_its_stack_was_deployed_with_tracing() -> None:
    off = stage_config({"environment_variables": {}}, "carparker-dev", {**OUTPUTS, "Tracing": "off"})
    assert "xray" not in off and "CP_TRACING" not in off["environment_variables"]
    on = stage_config({"environment_variables": {}}, "carparker-dev", {**OUTPUTS, "Tracing": "active"})
    assert on["xray"] is True and on["environment_variables"]["CP_TRACING"] == "1"
    assert "xray" not in stage_config({"environment_variables": {}}, "carparker-dev", OUTPUTS)  # a stack from before
