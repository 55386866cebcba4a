"""Prepare a stage for packaging from the stack's outputs (deployment step 3, docs/deployment.md).

    aws cloudformation describe-stacks --stack-name carparker-dev --query 'Stacks[0].Outputs' > outputs.json
    python infra/stage_config.py --stage dev --prefix carparker-dev --outputs outputs.json --merge-template build/dev.json \
        [--set CP_NAME=VALUE ...]

It writes two things.

1. The stage in .chalice/config.json: its CP_* settings from the outputs (CP_WEB_ORIGINS is the CloudFront URL of the
   web app, the one origin the API allows), the stack's app role (AppRoleArn) on the API, scheduled and authorizer
   functions, and each validator function's own IAM role (ValidatorRoleArn0..3): the only role its KMS key lets
   sign, allowed to write only its own watermark. Without this, Chalice would run all four validators and the API
   under one role of its own making, whose generated policy grants only logs (it cannot see the calls pynamodb and
   the Encryption SDK make), and one compromised function could sign for every validator. Settings already in the
   stage that the stack does not own are kept.
2. The template to give `chalice package --merge-template`: infra/template.json, plus what the packaged stack adds
   to what Chalice generates: API Gateway's own responses (infra/api_gateway.json: every refusal API Gateway makes
   itself answers {code, message, field} and echoes nothing of the request) and the validator functions' names,
   which the API invokes them by (<app>-<stage>-validator_<i>; Chalice's SAM output would leave them unnamed), and the gate
   devices' IoT topic rule with its invoke permission (infra/iot.json), which name the gate_events function.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalice.utils import to_cfn_resource_name  # noqa: E402

from chalicelib.adapters.validators import lambda_function_names, validator_id  # noqa: E402
from infra.apply_local import VALIDATORS, load_template, settings  # noqa: E402

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"
API_GATEWAY = Path(__file__).with_name("api_gateway.json")
IOT = Path(__file__).with_name("iot.json")  # the gate ingest rule: it invokes gate_events, which only the package has


class StageError(ValueError):
    pass


def stage_config(stage: dict[str, Any], prefix: str, outputs: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, Any]:
    """The stage with the stack's settings (and `extra` ones), the stack's app role for every function, and one role
    per validator."""
    functions = dict(stage.get("lambda_functions", {}))
    for i in range(VALIDATORS):
        functions[f"validator_{i}"] = {**functions.get(f"validator_{i}", {}), "manage_iam_role": False,
                                       "iam_role_arn": outputs[f"ValidatorRoleArn{i}"]}
    env = {**stage.get("environment_variables", {}), **(extra or {}), **settings(prefix, outputs),
           "CP_WEB_ORIGINS": outputs["WebUrl"]}
    traced = outputs.get("Tracing") == "active"  # the stack's roles may send traces: Lambda traces, Powertools Tracer too
    if traced:
        env["CP_TRACING"] = "1"
    return {**stage, "environment_variables": env, "manage_iam_role": False, "iam_role_arn": outputs["AppRoleArn"],
            "lambda_functions": functions, **({"xray": True} if traced else {})}


def _merged(base: Any, extra: Any, path: str = "") -> Any:
    """`extra` added into `base`; a value of `base` is never replaced (an overlay that would is a mistake)."""
    if not (isinstance(base, dict) and isinstance(extra, dict)):
        raise StageError(f"{path or 'template'}: the overlay would replace a value of infra/template.json")
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merged(base[k], v, f"{path}.{k}") if k in base else v
    return out


def merge_template(app_name: str, stage: str) -> dict[str, Any]:
    """infra/template.json with API Gateway's own responses and the validator functions' names, for `chalice package`."""
    names = lambda_function_names(app_name, stage, VALIDATORS)
    functions = {to_cfn_resource_name(f"validator_{i}"): {"Properties": {"FunctionName": names[validator_id(i)]}}
                 for i in range(VALIDATORS)}
    overlay = _merged(_merged(json.loads(API_GATEWAY.read_text()), json.loads(IOT.read_text())), {"Resources": functions})
    return _merged(load_template(), overlay)


def outputs_of(described: list[dict[str, str]] | dict[str, str]) -> dict[str, str]:
    """`describe-stacks` Outputs ([{OutputKey, OutputValue}]) or a plain {name: value}."""
    if isinstance(described, dict):
        return described
    return {o["OutputKey"]: o["OutputValue"] for o in described}


def setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not (sep and name.startswith("CP_") and name.isupper()):
        raise argparse.ArgumentTypeError(f"expected CP_NAME=VALUE, got {text!r}")
    return name, value


def check_prefix(app_name: str, stage: str, prefix: str) -> None:
    # The API invokes <app>-<stage>-validator_<i>, and AppRole may invoke only ${Prefix}-validator_*.
    if prefix != f"{app_name}-{stage}":
        raise StageError(f"the stack's Prefix must be {app_name}-{stage} for stage {stage} (got {prefix}): the API invokes "
                         f"{app_name}-{stage}-validator_<i>, and the app role may invoke only <Prefix>-validator_*")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--prefix", required=True, help="the stack's Prefix parameter (= CP_RESOURCE_PREFIX)")
    parser.add_argument("--outputs", required=True, type=Path, help="JSON of the stack's outputs")
    parser.add_argument("--merge-template", required=True, type=Path, help="where to write the template for chalice package")
    parser.add_argument("--set", type=setting, action="append", default=[], metavar="CP_NAME=VALUE",
                        help="another setting of the stage (kept on later runs); the stack's own settings win")
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    try:
        check_prefix(config["app_name"], args.stage, args.prefix)
        outputs = outputs_of(json.loads(args.outputs.read_text()))
        config["stages"][args.stage] = stage_config(config["stages"].get(args.stage, {}), args.prefix, outputs, dict(args.set))
        template = merge_template(config["app_name"], args.stage)
    except KeyError as exc:
        print(f"stage_config: the outputs have no {exc}; deploy infra/template.json first", file=sys.stderr)
        return 2
    except StageError as exc:
        print(f"stage_config: {exc}", file=sys.stderr)
        return 2
    args.config.write_text(json.dumps(config, indent=2) + "\n")
    args.merge_template.parent.mkdir(parents=True, exist_ok=True)
    args.merge_template.write_text(json.dumps(template, indent=2) + "\n")
    print(f"{args.config}: stage {args.stage} set from {len(outputs)} outputs; validator_0..{VALIDATORS - 1} have their own roles")
    print(f"{args.merge_template}: pass it to chalice package --stage {args.stage} --merge-template")
    return 0


if __name__ == "__main__":
    sys.exit(main())
