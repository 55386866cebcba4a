"""A validator function's cold start: its Lambda imports app.py, which for a validator must not import the API
(routes, pydantic, the Encryption SDK, Cognito's JWT code, the composition root): docs/capacity.md, "Cold starts"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("aws_encryption_sdk", "jwt", "pydantic", "chalicelib.bootstrap", "chalicelib.adapters.enclave",
         "chalicelib.adapters.cognito", "chalicelib.routes", "chalicelib.api.http")
PROBE = ("import json, sys\nimport app\n"
         f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'routes': len(app.app.routes),"
         " 'validator': callable(app.validator_0)}))")


def _import_app_as(function: str) -> dict[str, object]:
    env = {**os.environ, "CP_STAGE": "local", "AWS_LAMBDA_FUNCTION_NAME": function, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_validator_function_imports_only_what_validating_needs() -> None:
    seen = _import_app_as("carparker-prod-validator_2")
    assert seen == {"heavy": [], "routes": 0, "validator": True}


def test_every_other_function_imports_the_api() -> None:
    seen = _import_app_as("carparker-prod-api_handler")
    assert seen["routes"] and "chalicelib.routes" in seen["heavy"] and "chalicelib.bootstrap" in seen["heavy"]  # type: ignore[operator]
