"""Deployment step 2 on the template's own outputs: infra/stage_config.py writes a stage whose validator functions
each run under their own role and every other function under the stack's app role, and Chalice's own config
loader reads it that way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice.config import Config

from infra import stage_config

ROOT = Path(__file__).resolve().parents[2]


def test_each_validator_function_runs_under_its_own_role_from_the_stack(stack: Any, tmp_path: Path) -> None:
    outputs = {name[len("CP_OUT_"):]: value for name, value in stack.env.items() if name.startswith("CP_OUT_")}
    outputs["WebUrl"] = "https://d111111abcdef8.cloudfront.net"  # CloudFront is not created locally (apply_local.NOT_LOCAL)
    described = tmp_path / "outputs.json"
    described.write_text(json.dumps([{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]))
    config_path = tmp_path / "config.json"
    config_path.write_text((ROOT / ".chalice" / "config.json").read_text())
    assert stage_config.main(["--stage", "dev", "--prefix", "carparker-dev", "--outputs", str(described),
                              "--config", str(config_path), "--merge-template", str(tmp_path / "merge.json")]) == 0
    on_disk = json.loads(config_path.read_text())
    roles = {}
    for i in range(4):
        function = Config(chalice_stage="dev", function_name=f"validator_{i}", config_from_disk=on_disk)
        assert function.manage_iam_role is False
        roles[i] = function.iam_role_arn
        assert function.environment_variables["CP_VALIDATOR_KEY_ARNS"] == stack.env["CP_VALIDATOR_KEY_ARNS"]
    assert len(set(roles.values())) == 4 and all(roles[i].endswith(f":role/carparker-local-validator-{i}") for i in roles)
    for name in ("api_handler", "ledger_cutter", "expire_no_shows"):
        function = Config(chalice_stage="dev", function_name=name, config_from_disk=on_disk)
        assert function.manage_iam_role is False and function.iam_role_arn == outputs["AppRoleArn"]
        assert function.iam_role_arn not in roles.values()
        assert function.environment_variables["CP_REQUIRE_VERIFIED_ID"] == "0"  # kept
        assert function.environment_variables["CP_WEB_ORIGINS"] == outputs["WebUrl"]
    (tmp_path / "empty.json").write_text("{}")
    written = config_path.read_text()
    assert stage_config.main(["--stage", "prod", "--prefix", "carparker-prod", "--outputs", str(tmp_path / "empty.json"),
                              "--config", str(config_path), "--merge-template", str(tmp_path / "prod.json")]) == 2
    assert config_path.read_text() == written  # a stack without outputs changes nothing
