"""What a validator function needs, and nothing more: its nodes over the ledger tables and KMS.

On AWS each validator is its own Lambda function under its own role, which may read the ledger, sign with its own key
and write its own watermark only (infra/template.json). Its container imports app.py, which for a validator function
imports this module and not the API (routes, the Encryption SDK, Cognito, every other table): a cold validator pays
for what validating needs (docs/capacity.md, "Cold starts"). bootstrap builds the same class for a process that has
the whole graph (the in-process validators of `make run` and the tests).
"""

from __future__ import annotations

import threading
from typing import Any

from . import config
from .adapters.ledger_tables import DynamoLedgerStore, DynamoWatermarks, ledger_models
from .adapters.validators import KmsKeyDirectory, KmsSigner, kms_client, validator_id
from .services.ledger import validator_set_of
from .services.ledger_ports import KeyDirectory
from .services.validator import ValidatorNode, validate_block


class ValidatorNodes:
    """This deployment's validator nodes, each built on its first request (reading the public keys is a KMS call).
    A validator function's container only ever serves its own index, so it builds one node, one KMS client."""

    def __init__(self, keys: KeyDirectory, kms: Any = None) -> None:
        self.keys = keys
        self.kms = kms  # shared by the signers (and, in a validator function, the key directory); None: one each
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


_lock = threading.Lock()
_nodes: ValidatorNodes | None = None


def nodes() -> ValidatorNodes:
    """The nodes of a process without the API's graph (a validator function's container), built once."""
    global _nodes
    with _lock:
        if _nodes is None:
            kms = kms_client(config.region())
            _nodes = ValidatorNodes(KmsKeyDirectory(config.validator_key_arns(), config.region(), kms), kms)
        return _nodes


def reset() -> None:
    global _nodes
    with _lock:
        _nodes = None
