"""Write a stage of .chalice/config.json from the data stack's outputs (deployment step 2, docs/deployment.md).

    aws cloudformation describe-stacks --stack-name carparker-dev-data --query 'Stacks[0].Outputs' > outputs.json
    python infra/stage_config.py --stage dev --prefix carparker-dev --outputs outputs.json

It sets the stage's CP_* settings from the outputs, puts the stack's app role (AppRoleArn) on the API, scheduled
and authorizer functions, and gives each validator function its own IAM role (ValidatorRoleArn0..3): the only
role its KMS key lets sign, allowed to write only its own watermark. Without this, Chalice would run all four
validators and the API under one role of its own making, whose generated policy grants only logs (it cannot see
the calls pynamodb and the Encryption SDK make), and one compromised function could sign for every validator.
Settings already in the stage that the stack does not own are kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.apply_local import VALIDATORS, settings  # noqa: E402

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


def stage_config(stage: dict[str, Any], prefix: str, outputs: dict[str, str]) -> dict[str, Any]:
    """The stage with the stack's settings, the stack's app role for every function, and one role per validator."""
    functions = dict(stage.get("lambda_functions", {}))
    for i in range(VALIDATORS):
        functions[f"validator_{i}"] = {**functions.get(f"validator_{i}", {}), "manage_iam_role": False,
                                       "iam_role_arn": outputs[f"ValidatorRoleArn{i}"]}
    return {**stage, "environment_variables": {**stage.get("environment_variables", {}), **settings(prefix, outputs)},
            "manage_iam_role": False, "iam_role_arn": outputs["AppRoleArn"], "lambda_functions": functions}


def outputs_of(described: list[dict[str, str]] | dict[str, str]) -> dict[str, str]:
    """`describe-stacks` Outputs ([{OutputKey, OutputValue}]) or a plain {name: value}."""
    if isinstance(described, dict):
        return described
    return {o["OutputKey"]: o["OutputValue"] for o in described}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--prefix", required=True, help="the stack's Prefix parameter (= CP_RESOURCE_PREFIX)")
    parser.add_argument("--outputs", required=True, type=Path, help="JSON of the stack's outputs")
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    try:
        outputs = outputs_of(json.loads(args.outputs.read_text()))
        config["stages"][args.stage] = stage_config(config["stages"].get(args.stage, {}), args.prefix, outputs)
    except KeyError as exc:
        print(f"stage_config: the outputs have no {exc}; deploy infra/template.json first", file=sys.stderr)
        return 2
    args.config.write_text(json.dumps(config, indent=2) + "\n")
    print(f"{args.config}: stage {args.stage} set from {len(outputs)} outputs; validator_0..{VALIDATORS - 1} have their own roles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
