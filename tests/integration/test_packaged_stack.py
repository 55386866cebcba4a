"""The stack as it would be deployed, built offline: a stage written by infra/stage_config.py from outputs shaped as
`describe-stacks` gives them, then `chalice package --merge-template` on a copy of the app in a temp dir (with no
requirements, so nothing is downloaded: they change the code zip, not the template). cfn-lint finds nothing in
infra/template.json nor in the packaged template; API Gateway's own responses all answer {code, message, field}
with fixed text and echo nothing of the request; every function runs under the stack's roles, and the validators
have the names the API invokes them by."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from chalicelib.adapters.validators import lambda_function_names, validator_id
from infra import stage_config
from infra.apply_local import TEMPLATE, VALIDATORS, load_template

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION, STAGE, PREFIX = "111122223333", "eu-west-1", "dev", "carparker-dev"
LINT = ManualArgs(regions=[REGION, "us-east-1"])


def _example(name: str) -> str:
    """An output value of the right shape (the values are not deployed, only written into the stage)."""
    if name.startswith("ValidatorRoleArn"):
        return f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-validator-{name[-1]}"
    if name == "AppRoleArn":
        return f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}"
    if name.endswith("KeyArn") or name.startswith("ValidatorKeyArn"):
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
    return {"UserPoolId": f"{REGION}_Example1", "WebUrl": "https://d111111abcdef8.cloudfront.net"}.get(name, f"{PREFIX}-{name.lower()}")


OUTPUTS = {name: _example(name) for name in load_template()["Outputs"]}
TEMPLATE_ROLES = {k for k, r in load_template()["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def _package(workdir: Path) -> dict[str, Any]:
    shutil.copy(ROOT / "app.py", workdir / "app.py")
    shutil.copytree(ROOT / "chalicelib", workdir / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    (workdir / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", workdir / ".chalice" / "config.json")
    (workdir / "requirements.txt").write_text("")
    (workdir / "outputs.json").write_text(json.dumps([{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()]))
    assert stage_config.main(["--stage", STAGE, "--prefix", PREFIX, "--outputs", str(workdir / "outputs.json"),
                              "--config", str(workdir / ".chalice" / "config.json"),
                              "--merge-template", str(workdir / "build" / "merge.json"),
                              "--set", "CP_PAYMENT_PROVIDER=local", "--set", "CP_WEB_ORIGINS=https://evil.example"]) == 0
    env = {"PATH": os.environ["PATH"], "HOME": str(workdir), "AWS_DEFAULT_REGION": REGION}
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run([str(chalice), "package", "--stage", STAGE, "--merge-template", "build/merge.json", "out"],
                   cwd=workdir, env=env, check=True, capture_output=True, timeout=300)
    return dict(json.loads((workdir / "out" / "sam.json").read_text()))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("package")


@pytest.fixture(scope="module")
def packaged(workdir: Path) -> dict[str, Any]:
    return _package(workdir)


def test_cfn_lint_finds_nothing_in_the_stack_template() -> None:
    assert [str(m) for m in lint_file(TEMPLATE, config=LINT)] == []


def test_cfn_lint_finds_nothing_in_the_packaged_template(packaged: dict[str, Any], workdir: Path) -> None:
    assert [str(m) for m in lint_file(workdir / "out" / "sam.json", config=LINT)] == []


# Every response type API Gateway has (GatewayResponse.responseType in the API Gateway API reference), and the
# status it answers with here. None: the status of the response type it stands in for.
STATUS = {
    "UNAUTHORIZED": 401, "ACCESS_DENIED": 401, "EXPIRED_TOKEN": 401, "INVALID_SIGNATURE": 401,
    "MISSING_AUTHENTICATION_TOKEN": 404, "RESOURCE_NOT_FOUND": 404, "INVALID_API_KEY": 403, "WAF_FILTERED": 403,
    "BAD_REQUEST_BODY": 400, "BAD_REQUEST_PARAMETERS": 400, "REQUEST_TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415,
    "THROTTLED": 429, "QUOTA_EXCEEDED": 429, "AUTHORIZER_FAILURE": 500, "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "API_CONFIGURATION_ERROR": 500, "INTEGRATION_FAILURE": 502, "INTEGRATION_TIMEOUT": 504,
    "DEFAULT_4XX": None, "DEFAULT_5XX": None,
}


def _gateway_responses(packaged: dict[str, Any]) -> dict[str, Any]:
    return dict(packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"])


def test_every_api_gateway_response_type_is_set(packaged: dict[str, Any]) -> None:
    assert sorted(_gateway_responses(packaged)) == sorted(STATUS)


@pytest.mark.parametrize("kind", sorted(STATUS))
def test_an_api_gateway_response_is_the_error_shape_with_fixed_text_and_echoes_nothing(kind: str, packaged: dict[str, Any]) -> None:
    response = _gateway_responses(packaged)[kind]
    assert response.get("statusCode") == (None if STATUS[kind] is None else str(STATUS[kind]))
    [(content_type, template)] = response["responseTemplates"].items()
    assert content_type == "application/json"
    assert "$" not in template  # no $context.error.message, $input or other substitution: nothing of the request
    body = json.loads(template)
    assert set(body) == {"code", "message", "field"} and body["code"] and body["message"]
    for name, value in response["responseParameters"].items():
        assert name.startswith("gatewayresponse.header."), name
        text = value["Fn::Sub"] if isinstance(value, dict) else value  # Fn::Sub of this stack's own resources only
        assert text.startswith("'") and text.endswith("'") and "method.request" not in text, (name, value)
    origin = response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
    assert origin == {"Fn::Sub": "'https://${WebDistribution.DomainName}'"}  # the web app can read the refusal


@pytest.mark.parametrize("kind", ["UNAUTHORIZED", "ACCESS_DENIED", "EXPIRED_TOKEN", "INVALID_SIGNATURE"])
def test_a_missing_expired_or_bad_token_is_401_asking_to_sign_in(kind: str, packaged: dict[str, Any]) -> None:
    # The authorizer denies exactly when it cannot verify the token, so its 403 (ACCESS_DENIED) is a 401 here.
    response = _gateway_responses(packaged)[kind]
    assert response["statusCode"] == "401"
    assert json.loads(response["responseTemplates"]["application/json"])["code"] == "unauthenticated"
    assert response["responseParameters"]["gatewayresponse.header.WWW-Authenticate"] == "'Bearer'"


def test_the_merge_adds_to_chalices_api_and_keeps_its_routes(packaged: dict[str, Any]) -> None:
    body = packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert packaged["Resources"]["RestAPI"]["Type"] == "AWS::Serverless::Api"
    assert {"/health", "/openapi.json", "/reservations"} <= set(body["paths"])
    assert "x-amazon-apigateway-integration" in body["paths"]["/health"]["get"]


def test_every_function_runs_under_the_stacks_roles_and_validators_have_the_names_the_api_invokes(packaged: dict[str, Any]) -> None:
    functions = {k: r["Properties"] for k, r in packaged["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    names = lambda_function_names("carparker", STAGE, VALIDATORS)
    for i in range(VALIDATORS):
        validator = functions.pop(f"Validator{i}")
        assert validator["FunctionName"] == names[validator_id(i)] == f"{PREFIX}-validator_{i}"
        assert validator["Role"] == OUTPUTS[f"ValidatorRoleArn{i}"]
    assert {"APIHandler", "Cognito"} <= set(functions)
    assert all(f["Role"] == OUTPUTS["AppRoleArn"] for f in functions.values())
    settings = functions["APIHandler"]["Environment"]["Variables"]
    assert settings["CP_WEB_ORIGINS"] == OUTPUTS["WebUrl"]  # the stack's own settings win over --set
    assert settings["CP_PAYMENT_PROVIDER"] == "local"
    assert not [k for k, r in packaged["Resources"].items() if r["Type"] == "AWS::IAM::Role" and k not in TEMPLATE_ROLES]


def test_the_gate_rule_invokes_gate_events_with_the_connections_identity_and_keeps_failures(packaged: dict[str, Any]) -> None:
    resources = packaged["Resources"]
    assert resources["GateEvents"]["Type"] == "AWS::Serverless::Function"
    assert resources["GateEvents"]["Properties"]["Handler"] == "app.gate_events"
    rule = resources["GateIngestRule"]["Properties"]
    payload = rule["TopicRulePayload"]
    assert payload["Actions"] == [{"Lambda": {"FunctionArn": {"Fn::GetAtt": ["GateEvents", "Arn"]}}}]
    assert payload["ErrorAction"]["Sqs"]["QueueUrl"] == {"Ref": "GateIngestErrors"}
    assert payload["ErrorAction"]["Sqs"]["RoleArn"] == {"Fn::GetAtt": ["GateRuleRole", "Arn"]}
    # the identity the function checks comes from the verified connection, never from the payload
    for part in ("clientid() AS client_id", "principal() AS principal", "topic(3) AS thing_name", "encode(*, 'base64') AS payload"):
        assert part in payload["Sql"]
    assert rule["RuleName"] == {"Fn::Join": ["_", [{"Fn::Join": ["_", {"Fn::Split": ["-", {"Ref": "Prefix"}]}]}, "gate_ingest"]]}
    permission = resources["GateIngestPermission"]["Properties"]
    assert (permission["Principal"], permission["SourceArn"]) == ("iot.amazonaws.com", {"Fn::GetAtt": ["GateIngestRule", "Arn"]})
    assert permission["FunctionName"] == {"Fn::GetAtt": ["GateEvents", "Arn"]}


def test_a_prefix_that_is_not_the_stages_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text((ROOT / ".chalice" / "config.json").read_text())
    (tmp_path / "outputs.json").write_text(json.dumps(OUTPUTS))
    assert stage_config.main(["--stage", "prod", "--prefix", PREFIX, "--outputs", str(tmp_path / "outputs.json"),
                              "--config", str(config), "--merge-template", str(tmp_path / "merge.json")]) == 2
    assert config.read_text() == (ROOT / ".chalice" / "config.json").read_text()
    assert not (tmp_path / "merge.json").exists()


def test_only_cp_settings_can_be_added_to_a_stage(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        stage_config.main(["--stage", STAGE, "--prefix", PREFIX, "--outputs", "o.json", "--merge-template", "m.json",
                           "--set", "AWS_ACCESS_KEY_ID=x"])
