"""What a validator function needs, and nothing more: its node over the ledger tables and KMS.

On AWS each validator is its own Lambda function under its own role (infra/template.json). Its container imports
app.py, which for a validator function imports this module and not the API (routes, the composition root, the
Encryption SDK, Cognito, every other table): a cold validator pays for what validating needs (docs/capacity.md,
"Cold starts"). One KMS client serves its key directory and its signer.
"""

from __future__ import annotations

import threading

from . import config
from .adapters.validators import KmsKeyDirectory, ValidatorNodes, kms_client

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
