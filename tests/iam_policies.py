"""Reading the IAM of infra/template.json as AWS would: which principal a statement names, which actions a statement
allows once its wildcards are expanded against the service's real action list (cfn-lint ships it), and every policy
document of the template. moto enforces none of it, so the policy tests read the policies themselves."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint

from infra.apply_local import load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
ACCOUNT_ROOT = {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}


def role(name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [name, "Arn"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def key(value: Any) -> str:
    """A principal or resource as a comparable string."""
    return json.dumps(value, sort_keys=True)


@cache
def service_actions(service: str) -> frozenset[str]:
    """Every action of an AWS service, lower case (IAM matches actions without regard to case)."""
    specs = json.loads((Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json").read_text())
    return frozenset(f"{service}:{a}" for a in specs[service]["Actions"])


def expand(patterns: Any, service: str) -> set[str]:
    """The actions of `service` that any of the patterns names."""
    wanted = [str(p).lower() for p in as_list(patterns)]
    return {a for a in service_actions(service) if any(fnmatch.fnmatchcase(a, p) for p in wanted)}


def allowed(statement: dict[str, Any], service: str) -> set[str]:
    """The actions of `service` an Allow statement grants (NotAction: all the others)."""
    if statement["Effect"] != "Allow":
        return set()
    if "NotAction" in statement:
        return set(service_actions(service)) - expand(statement["NotAction"], service)
    return expand(statement["Action"], service)


def principals(statement: dict[str, Any]) -> list[str]:
    """The principals a resource-policy statement names, each as key(...); "*" stays "*"."""
    p = statement["Principal"]
    if p == "*":
        return ["*"]
    return [key(v) if v != "*" else "*" for kind in sorted(p) for v in as_list(p[kind])]


def key_statements(name: str) -> list[dict[str, Any]]:
    return list(RESOURCES[name]["Properties"]["KeyPolicy"]["Statement"])


def key_use(name: str) -> dict[str, set[str]]:
    """For one KMS key: each principal its policy names, and every KMS action the policy lets it call."""
    use: dict[str, set[str]] = {}
    for st in key_statements(name):
        for p in principals(st):
            use.setdefault(p, set()).update(allowed(st, "kms"))
    return use


def role_statements(name: str) -> list[dict[str, Any]]:
    return [s for policy in RESOURCES[name]["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def of_type(resource_type: str) -> list[str]:
    return [name for name, r in RESOURCES.items() if r["Type"] == resource_type]


def resource_policies() -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource, statement) for every statement of a key policy, bucket policy or role trust policy."""
    for name, r in RESOURCES.items():
        p = r.get("Properties", {})
        for doc in (p.get("KeyPolicy"), p.get("PolicyDocument") if r["Type"] == "AWS::S3::BucketPolicy" else None,
                    p.get("AssumeRolePolicyDocument")):
            for st in (doc or {}).get("Statement", []):
                yield name, st
