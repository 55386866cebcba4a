"""Validator signers on KMS, the published validator keys (KMS GetPublicKey, cached per container), and the
two transports the proposer fans out over: direct calls in-process (local, tests) and Lambda invokes (AWS)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .. import config
from ..domain.errors import UnavailableError
from ..services.ledger import validator_set_of
from ..services.ledger_ports import KeyDirectory
from ..services.validator import ValidatorNode, validate_block
from ..verify import low_s_signature
from .ledger_tables import DynamoLedgerStore, DynamoWatermarks, ledger_models

SIGNING_ALGORITHM = "ECDSA_SHA_256"


def validator_id(index: int) -> str:
    return f"validator-{index}"


def _key_id(arn: str) -> str:
    """moto's KMS wants the bare key id; AWS accepts either (ARCHITECTURE.md, known moto gaps)."""
    return arn.rsplit("key/", 1)[-1]


def kms_client(region: str) -> Any:
    return boto3.client("kms", region_name=region, config=Config(retries={"max_attempts": 2}))


class KmsSigner:
    """One validator's key: Sign with MessageType RAW (KMS hashes with SHA-256 itself)."""

    def __init__(self, key_arn: str, region: str, client: Any = None) -> None:
        self.key_arn = key_arn
        self.kms = client or kms_client(region)

    def sign(self, payload: bytes) -> bytes:
        try:
            reply = self.kms.sign(KeyId=_key_id(self.key_arn), Message=payload, MessageType="RAW",
                                  SigningAlgorithm=SIGNING_ALGORITHM)
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError(f"KMS Sign failed: {exc}") from exc
        # KMS returns either of the two valid values of s (about half are high); the format allows only the low one.
        return low_s_signature(bytes(reply["Signature"]))


class KmsKeyDirectory:
    """Validator id -> DER public key from KMS GetPublicKey, fetched once per container."""

    def __init__(self, key_arns: Sequence[str], region: str, client: Any = None) -> None:
        self.key_arns = list(key_arns)
        self.region = region
        self.client = client
        self._keys: list[tuple[str, bytes]] | None = None
        self._lock = threading.Lock()

    def public_keys(self) -> Sequence[tuple[str, bytes]]:
        with self._lock:
            if self._keys is None:
                kms = self.client or boto3.client("kms", region_name=self.region)
                try:
                    self._keys = [(validator_id(i), bytes(kms.get_public_key(KeyId=_key_id(arn))["PublicKey"]))
                                  for i, arn in enumerate(self.key_arns)]
                except (BotoCoreError, ClientError) as exc:
                    raise UnavailableError(f"the validators' public keys could not be read from KMS: {exc}") from exc
            return list(self._keys)


class ValidatorNodes:
    """This deployment's validator nodes, each built on its first request (reading the public keys is a KMS call).
    Each validator Lambda function builds these alone, never the API's graph: its role may sign with its own key and
    write its own watermark only (infra/template.json). It only ever serves its own index, so it builds one node;
    given ``kms``, the signers share that client (chalicelib/validator_function.py)."""

    def __init__(self, keys: KeyDirectory, kms: Any = None) -> None:
        self.keys = keys
        self.kms = kms
        self.lock = threading.Lock()
        self.nodes: dict[int, ValidatorNode] = {}

    def node(self, index: int) -> ValidatorNode:
        with self.lock:
            if index not in self.nodes:
                lm = ledger_models()
                arn = config.validator_key_arns()[index]
                self.nodes[index] = ValidatorNode(validator_id(index), config.ledger_id(), DynamoLedgerStore(lm),
                                                  DynamoWatermarks(lm), KmsSigner(arn, config.region(), self.kms),
                                                  validator_set_of(self.keys))
            return self.nodes[index]

    def handle(self, index: int, request: dict[str, Any]) -> dict[str, Any]:
        return validate_block(self.node(index), request)


class InProcessValidators:
    """Locally (and on moto) the validators' handlers run in this process: Lambda invoke needs Docker."""

    def __init__(self, handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> None:
        self.handlers = handlers

    def request(self, validator: str, request: dict[str, Any]) -> dict[str, Any]:
        # A JSON round trip, as over the wire, so nothing depends on sharing Python objects.
        return json.loads(json.dumps(self.handlers[validator](json.loads(json.dumps(request)))))


class LambdaValidatorInvoker:
    """On AWS each validator is its own Lambda function (app.py validator_<i>); invoke it synchronously."""

    def __init__(self, function_names: dict[str, str], region: str, timeout_s: float, client: Any = None) -> None:
        self.function_names = function_names
        self.lam = client or boto3.client("lambda", region_name=region, config=Config(
            read_timeout=timeout_s, connect_timeout=min(timeout_s, 5.0), retries={"max_attempts": 1}))

    def request(self, validator: str, request: dict[str, Any]) -> dict[str, Any]:
        reply = self.lam.invoke(FunctionName=self.function_names[validator], InvocationType="RequestResponse",
                                Payload=json.dumps(request, separators=(",", ":")).encode("utf-8"))
        body = reply["Payload"].read()
        if reply.get("FunctionError"):
            raise UnavailableError(f"{validator} failed: {body[:200]!r}")
        parsed = json.loads(body)
        if not isinstance(parsed, dict):
            raise UnavailableError(f"{validator} replied with {type(parsed).__name__}")
        return parsed


def lambda_function_names(app_name: str, stage: str, count: int) -> dict[str, str]:
    """Chalice names a `@app.lambda_function(name="validator_i")` function <app>-<stage>-validator_i."""
    return {validator_id(i): f"{app_name}-{stage}-validator_{i}" for i in range(count)}
