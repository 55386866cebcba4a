"""Cold starts as ratios to a fresh process that imports boto3 and makes one client (docs/capacity.md).

    .venv/bin/python bench/bench_coldstart.py      # prints one JSON object

This process starts the moto stack, signs a user up and parks a proposed block for the validators to sign; then, in
turn (interleaved, best of ROUNDS each, so a noisy machine slows all alike), fresh Python processes:
- baseline: `import boto3; boto3.client("dynamodb")`;
- api: `import app`, then its first request through chalice.test.Client, a signed-in parker's GET /search (the
  JWKS fetched from moto, a geohash query on DynamoDB);
- validator: `import app` (as validator_0's Lambda does: AWS_LAMBDA_FUNCTION_NAME names the function), then
  `app.validator_0(request)` for the parked block (its key read from KMS, the block
  recomputed from the entries on DynamoDB, the watermark raised, the header signed with KMS).
Each is timed from before the process is spawned to its exit, so what an import defers into the handler still counts.

cold_start_api_vs_boto3 = api / baseline; cold_start_validator_vs_boto3 = validator / baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CP_STAGE", "local")
ROUNDS = 3

BASELINE = "import boto3\nboto3.client('dynamodb')\n"
API = """
import json, sys
import app
from chalice.test import Client
args = json.load(open(sys.argv[1]))
with Client(app.app, stage_name="local") as client:
    r = client.http.get(args["path"], headers={"Authorization": "Bearer " + args["token"]})
assert r.status_code == 200, r.body
"""
VALIDATOR = """
import json, sys
import app
reply = app.validator_0(json.load(open(sys.argv[1]))["request"], None)
assert "signature" in reply, reply
"""


def _prepare() -> dict[str, Any]:
    """A parker's token and a proposed block (as the proposer parks it before fanning out)."""
    from chalice.test import Client

    import app
    from chalicelib import bootstrap
    from chalicelib.domain.ledger import header_to_dict
    from tests.helpers import ApiClient, at

    with Client(app.app, stage_name="local") as client:
        token = ApiClient(client).sign_up(roles=("parker",)).token
    d = bootstrap.deps()
    d.ledger.record(log="parent", action="paid", user_id="cold-user", order_id="cold-order", sealed={"Fees": "450 EUR"})
    head = d.ledger.store.head("parent")
    header, _, _ = d.ledger._proposal(head, None, True)  # type: ignore[misc]
    start, end = at(30), at(32)
    return {"token": token, "path": f"/search?lat=52.37&lng=4.89&start={start}&end={end}".replace("+", "%2B"),
            "request": {"log": header.log, "height": header.height, "header": header_to_dict(header)}}


def _time(script: str, args_file: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, args_file], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return elapsed


def main() -> None:
    from infra import localstack

    stack = localstack.start()
    try:
        env = {**os.environ, **stack.env, "CP_RESOURCE_PREFIX": "carparker-local", "PYTHONPATH": str(ROOT)}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(_prepare(), f)
        best = {"baseline": float("inf"), "api": float("inf"), "validator": float("inf")}
        for _ in range(ROUNDS):
            for name, script, function in (("baseline", BASELINE, "carparker-local-api_handler"),
                                           ("api", API, "carparker-local-api_handler"),
                                           ("validator", VALIDATOR, "carparker-local-validator_0")):
                # AWS_LAMBDA_FUNCTION_NAME as Lambda sets it (Chalice names functions <app>-<stage>-<name>)
                best[name] = min(best[name], _time(script, f.name, {**env, "AWS_LAMBDA_FUNCTION_NAME": function}))
        os.unlink(f.name)
    finally:
        stack.stop()
    print(f"best of {ROUNDS}: boto3 + one client {best['baseline']:.2f} s, api first request {best['api']:.2f} s, "
          f"validator first block {best['validator']:.2f} s", file=sys.stderr)
    print(json.dumps({"cold_start_api_vs_boto3": round(best["api"] / best["baseline"], 2),
                      "cold_start_validator_vs_boto3": round(best["validator"] / best["baseline"], 2)}))


if __name__ == "__main__":
    main()
