"""The number of validators is defined once (config.VALIDATORS); the app's functions, the configuration, the local
stack and the template's keys and roles all follow it, and this test fails if one of them does not."""

from __future__ import annotations

import re

import pytest

import app
from chalicelib import config
from infra import apply_local

TEMPLATE = apply_local.load_template()


def numbered(names: object, prefix: str) -> list[int]:
    return sorted(int(m.group(1)) for n in names if (m := re.fullmatch(rf"{prefix}(\d+)", str(n))))  # type: ignore[attr-defined]


def test_the_template_has_one_key_one_role_and_their_outputs_per_validator() -> None:
    every = list(range(config.VALIDATORS))
    assert numbered(TEMPLATE["Resources"], "ValidatorKey") == every
    assert numbered(TEMPLATE["Resources"], "ValidatorRole") == every
    assert numbered(TEMPLATE["Outputs"], "ValidatorKeyArn") == every
    assert numbered(TEMPLATE["Outputs"], "ValidatorRoleArn") == every


def test_the_app_has_one_function_per_validator() -> None:
    functions = {f.name for f in app.app.pure_lambda_functions}
    assert numbered(functions, "validator_") == list(range(config.VALIDATORS))
    assert all(callable(getattr(app, f"validator_{i}")) for i in range(config.VALIDATORS))


def test_the_local_stack_wires_the_same_number() -> None:
    assert apply_local.VALIDATORS is config.VALIDATORS


@pytest.mark.parametrize("count", [config.VALIDATORS - 1, config.VALIDATORS + 3])
def test_the_configuration_wants_one_key_per_validator(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    arns = [f"arn:aws:kms:eu-west-1:123456789012:key/{i:08d}-0000-0000-0000-000000000000" for i in range(count)]
    monkeypatch.setenv("CP_VALIDATOR_KEY_ARNS", ",".join(arns))
    with pytest.raises(config.ConfigError, match="one key per validator"):
        config.validator_key_arns()
