"""Apply infra/template.json to moto, resource by resource.

On AWS, CloudFormation applies the template. moto's CloudFormation cannot create Cognito user pools,
so locally this module reads the same template and makes the equivalent API calls for the
resource types it uses. A resource type it does not know is an error, so the template and the
local stack cannot drift apart silently. The few types with no local counterpart are named in
NOT_LOCAL, with the reason; they, the resources that refer to them and the outputs that name them
are left out, and nothing else is.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3

from chalicelib.config import VALIDATORS  # ValidatorKey<i> and ValidatorRole<i> in the template, i < VALIDATORS

TEMPLATE = Path(__file__).with_name("template.json")
LOCAL_ACCOUNT = "123456789012"  # moto's default account


# Resource types the local stack leaves out on purpose. Locally `make run` serves the web build itself, so the
# CloudFront distribution in front of the web bucket (and its origin access control and headers policy) has
# nothing to do; the web bucket itself is created.
NOT_LOCAL = {
    "AWS::CloudFront::Distribution": "make run serves the web build locally",
    "AWS::CloudFront::OriginAccessControl": "only the CloudFront distribution uses it",
    "AWS::CloudFront::ResponseHeadersPolicy": "only the CloudFront distribution uses it",
    "AWS::CloudFront::Function": "only the CloudFront distribution uses it (directory indices)",
    "AWS::IAM::ManagedPolicy": "only X-Ray tracing uses one (Tracing=active); there is no X-Ray locally",
}


class TemplateError(RuntimeError):
    pass


class _Stack:
    def __init__(self, template: dict[str, Any], params: dict[str, str], region: str) -> None:
        self.template = template
        self.region = region
        self.params = {"AWS::AccountId": LOCAL_ACCOUNT, "AWS::Region": region, **params}
        self.refs: dict[str, str] = {}
        self.attrs: dict[tuple[str, str], str] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            name = value["Ref"]
            return self.params[name] if name in self.params else self.refs[name]
        if set(value) == {"Fn::Sub"}:
            return self._sub(value["Fn::Sub"])
        if set(value) == {"Fn::Join"}:
            sep, parts = value["Fn::Join"]
            return sep.join(self.resolve(parts))
        if set(value) == {"Fn::Split"}:
            sep, text = value["Fn::Split"]
            return self.resolve(text).split(sep)
        if set(value) == {"Fn::GetAtt"}:
            return self.attrs[tuple(value["Fn::GetAtt"])]  # type: ignore[index]
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, spec: str | list[Any]) -> str:
        text, extra = (spec, {}) if isinstance(spec, str) else (spec[0], {k: self.resolve(v) for k, v in spec[1].items()})
        text = text.replace("${!", "\0")  # ${!Literal} is the text ${Literal} (IoT policy variables)
        for name, val in {**self.params, **self.refs, **extra}.items():
            text = text.replace("${" + name + "}", val)
        for (logical, attr), val in self.attrs.items():
            text = text.replace("${" + logical + "." + attr + "}", val)
        unresolved = re.search(r"\$\{([^}]+)\}", text)
        if unresolved:
            raise KeyError(unresolved.group(1))  # not created yet: ready() waits for it
        return text.replace("\0", "${")

    def ready(self, value: Any) -> bool:
        try:
            self.resolve(value)
        except KeyError:
            return False
        return True


def _table(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    ddb = boto3.client("dynamodb", region_name=stack.region)
    args = {k: p[k] for k in ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes") if k in p}
    if "SSESpecification" in p:
        args["SSESpecification"] = {"Enabled": p["SSESpecification"]["SSEEnabled"]}
    arn = ddb.create_table(**args)["TableDescription"]["TableArn"]
    if "TimeToLiveSpecification" in p:
        ddb.update_time_to_live(TableName=p["TableName"], TimeToLiveSpecification=p["TimeToLiveSpecification"])
    stack.refs[logical] = p["TableName"]
    stack.attrs[(logical, "Arn")] = arn


def _kms_key(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    kms = boto3.client("kms", region_name=stack.region)
    args: dict[str, Any] = {"Description": p.get("Description", logical), "Policy": json.dumps(p["KeyPolicy"])}
    if "KeySpec" in p:
        args["KeySpec"] = p["KeySpec"]
    if "KeyUsage" in p:
        args["KeyUsage"] = p["KeyUsage"]
    meta = kms.create_key(**args)["KeyMetadata"]
    stack.refs[logical] = meta["KeyId"]
    stack.attrs[(logical, "Arn")] = meta["Arn"]
    stack.attrs[(logical, "KeyId")] = meta["KeyId"]


def _kms_alias(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    boto3.client("kms", region_name=stack.region).create_alias(AliasName=p["AliasName"], TargetKeyId=p["TargetKeyId"])
    stack.refs[logical] = p["AliasName"]


def _bucket(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    s3 = boto3.client("s3", region_name=stack.region)
    name = p["BucketName"]
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": stack.region})
    if "BucketEncryption" in p:
        rules = [
            {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"], "BucketKeyEnabled": r.get("BucketKeyEnabled", False)}
            for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in p:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"])
    if "CorsConfiguration" in p:
        cors = [{**{k: v for k, v in r.items() if k != "MaxAge"}, "MaxAgeSeconds": r.get("MaxAge", 0)} for r in p["CorsConfiguration"]["CorsRules"]]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors})
    if "OwnershipControls" in p:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=p["OwnershipControls"])
    if "LifecycleConfiguration" in p:
        rules = [{"ID": r["Id"], "Status": r["Status"], "Filter": {"Prefix": r.get("Prefix", "")},
                  "Expiration": {"Days": r["ExpirationInDays"]}} for r in p["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    stack.refs[logical] = name
    stack.attrs[(logical, "Arn")] = f"arn:aws:s3:::{name}"
    stack.attrs[(logical, "DomainName")] = f"{name}.s3.amazonaws.com"
    stack.attrs[(logical, "RegionalDomainName")] = f"{name}.s3.{stack.region}.amazonaws.com"


def _bucket_policy(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    # moto applies a bucket policy's statements without their Condition: a conditional Deny (TLS only, here) would
    # refuse every local request, which is plain HTTP anyway. Only those are left out.
    statements = [st for st in p["PolicyDocument"]["Statement"] if not (st["Effect"] == "Deny" and "Condition" in st)]
    if statements:
        boto3.client("s3", region_name=stack.region).put_bucket_policy(
            Bucket=p["Bucket"], Policy=json.dumps({**p["PolicyDocument"], "Statement": statements}))
    stack.refs[logical] = p["Bucket"]


def _user_pool(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    idp = boto3.client("cognito-idp", region_name=stack.region)
    args = {k: p[k] for k in ("UsernameAttributes", "UsernameConfiguration", "AutoVerifiedAttributes", "Policies") if k in p}
    pool = idp.create_user_pool(PoolName=p["UserPoolName"], **args)["UserPool"]
    stack.refs[logical] = pool["Id"]
    stack.attrs[(logical, "Arn")] = pool["Arn"]


def _user_pool_client(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    idp = boto3.client("cognito-idp", region_name=stack.region)
    keys = ("GenerateSecret", "ExplicitAuthFlows", "EnableTokenRevocation", "IdTokenValidity", "TokenValidityUnits")
    client = idp.create_user_pool_client(UserPoolId=p["UserPoolId"], ClientName=p["ClientName"], **{k: p[k] for k in keys if k in p})
    stack.refs[logical] = client["UserPoolClient"]["ClientId"]


def _user_pool_group(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    idp = boto3.client("cognito-idp", region_name=stack.region)
    idp.create_group(UserPoolId=p["UserPoolId"], GroupName=p["GroupName"], Description=p.get("Description", ""))
    stack.refs[logical] = p["GroupName"]


def _role(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    iam = boto3.client("iam", region_name=stack.region)
    role = iam.create_role(RoleName=p["RoleName"], AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"]),
                           Description=p.get("Description", ""))["Role"]
    for policy in p.get("Policies", []):
        iam.put_role_policy(RoleName=p["RoleName"], PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(policy["PolicyDocument"]))
    stack.refs[logical] = p["RoleName"]
    stack.attrs[(logical, "Arn")] = role["Arn"]


def _iot_policy(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    iot = boto3.client("iot", region_name=stack.region)
    made = iot.create_policy(policyName=p["PolicyName"], policyDocument=json.dumps(p["PolicyDocument"]))
    stack.refs[logical] = p["PolicyName"]
    stack.attrs[(logical, "Arn")] = made["policyArn"]


def _queue(stack: _Stack, logical: str, p: dict[str, Any]) -> None:
    sqs = boto3.client("sqs", region_name=stack.region)
    attributes = {k: str(p[k]).lower() if isinstance(p[k], bool) else str(p[k])
                  for k in ("MessageRetentionPeriod", "SqsManagedSseEnabled", "VisibilityTimeout") if k in p}
    url = sqs.create_queue(QueueName=p["QueueName"], Attributes=attributes)["QueueUrl"]
    stack.refs[logical] = url
    stack.attrs[(logical, "Arn")] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stack.attrs[(logical, "QueueName")] = p["QueueName"]


CREATORS: dict[str, Callable[[_Stack, str, dict[str, Any]], None]] = {
    "AWS::IoT::Policy": _iot_policy,
    "AWS::SQS::Queue": _queue,
    "AWS::DynamoDB::Table": _table,
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::Alias": _kms_alias,
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolGroup": _user_pool_group,
    "AWS::IAM::Role": _role,
}


def load_template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())


def _names(value: Any) -> set[str]:
    """The logical names a template value refers to (Ref, Fn::GetAtt, ${Name} and ${Name.Attr} in Fn::Sub)."""
    if isinstance(value, list):
        return set().union(*(_names(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    if set(value) == {"Ref"}:
        return {value["Ref"]}
    if set(value) == {"Fn::GetAtt"}:
        return {value["Fn::GetAtt"][0]}
    if set(value) == {"Fn::Sub"}:
        text, extra = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        named = {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)} - set(extra)
        return named | _names(list(extra.values()))
    return _names(list(value.values()))


def not_local(template: dict[str, Any]) -> set[str]:
    """The resources the local stack leaves out: those of a NOT_LOCAL type and, transitively, those that refer to one."""
    resources = template["Resources"]
    skipped = {name for name, r in resources.items() if r["Type"] in NOT_LOCAL}
    while True:
        more = {name for name, r in resources.items() if name not in skipped and _names(r.get("Properties", {})) & skipped}
        if not more:
            return skipped
        skipped |= more


@dataclass
class Applied:
    """What applying the template made: each resource's Ref and attributes, a digest of each resource's definition,
    and the Outputs. A stack restored from a snapshot (infra/local_state.py) is applied again from this record: only
    resources it lacks are created, so nothing is re-created over data that is already there."""

    prefix: str
    refs: dict[str, str]
    attrs: dict[str, str]  # "Logical.Attribute" -> value
    digests: dict[str, str]
    outputs: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Applied:
        return cls(**data)


class StackChanged(TemplateError):
    """The template changed a resource that a restored stack already has: it cannot be updated in place locally."""


def _digest(resource: dict[str, Any], params: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps([resource, params], sort_keys=True).encode()).hexdigest()


def apply(prefix: str, region: str, template: dict[str, Any] | None = None) -> dict[str, str]:
    """Create every resource of the template on the current endpoint; return the template's Outputs."""
    return apply_stack(prefix, region, template).outputs


def apply_stack(prefix: str, region: str, template: dict[str, Any] | None = None, previous: Applied | None = None) -> Applied:
    """Create the template's resources that `previous` (a stack applied before) does not have; refuse, with
    StackChanged, if a resource it has was changed or removed since."""
    template = template or load_template()
    defaults = {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}
    # AppRoleName names an IAM role, global to the account: locally each prefix gets its own.
    # Locally the stack is named after its prefix, as docs/deployment.md names it on AWS.
    stack = _Stack(template, {**defaults, "Prefix": prefix, "AppRoleName": f"{prefix}-app", "AWS::StackName": prefix}, region)
    skipped = not_local(template)
    pending = {name: r for name, r in template["Resources"].items() if name not in skipped}
    digests = {name: _digest(r, stack.params) for name, r in pending.items()}
    if previous is not None:
        changed = sorted(name for name, d in previous.digests.items() if digests.get(name) != d)
        if changed or previous.prefix != prefix:
            raise StackChanged(f"infra/template.json changed {', '.join(changed) or 'the prefix'} since this stack was applied")
        stack.refs.update(previous.refs)
        stack.attrs.update({tuple(key.split(".", 1)): v for key, v in previous.attrs.items()})  # type: ignore[misc]
        pending = {name: r for name, r in pending.items() if name not in previous.digests}
    unknown = {r["Type"] for r in pending.values()} - set(CREATORS)
    if unknown:
        raise TemplateError(f"apply_local cannot create {sorted(unknown)}; add a creator for it")
    while pending:
        ready = [name for name, r in pending.items() if stack.ready(r.get("Properties", {}))]
        if not ready:
            raise TemplateError(f"unresolvable references among {sorted(pending)}")
        for name in ready:
            resource = pending.pop(name)
            CREATORS[resource["Type"]](stack, name, stack.resolve(resource.get("Properties", {})))
    outputs = {name: str(stack.resolve(out["Value"])) for name, out in template.get("Outputs", {}).items()
               if not _names(out["Value"]) & skipped}
    return Applied(prefix, dict(stack.refs), {f"{k[0]}.{k[1]}": v for k, v in stack.attrs.items()}, digests, outputs)


def settings(prefix: str, outputs: dict[str, str]) -> dict[str, str]:
    """The application's settings that come from the stack (the same on moto and on AWS)."""
    return {
        "CP_RESOURCE_PREFIX": prefix,
        "CP_USER_POOL_ID": outputs["UserPoolId"],
        "CP_USER_POOL_CLIENT_ID": outputs["UserPoolClientId"],
        "CP_BLOB_BUCKET": outputs["BlobBucket"],
        "CP_DATA_KEY_ARN": outputs["DataKeyArn"],
        "CP_ENCLAVE_KEY_ARN": outputs["EnclaveKeyArn"],
        "CP_VALIDATOR_KEY_ARNS": ",".join(outputs[f"ValidatorKeyArn{i}"] for i in range(VALIDATORS)),
    }


def environment(prefix: str, region: str, outputs: dict[str, str]) -> dict[str, str]:
    """The CP_* settings the application reads, for a stack applied with `apply`."""
    env = {"AWS_DEFAULT_REGION": region, **settings(prefix, outputs)}
    for name, value in outputs.items():
        env.setdefault("CP_OUT_" + name, value)
    return env
