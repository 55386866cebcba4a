"""Ledger validator nodes: admission by a certificate of the enclave's CA, removal by revocation."""

from __future__ import annotations

from ..domain.accounts import Principal
from ..domain.errors import ForbiddenError
from .ports import CertificateAuthority


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise ForbiddenError("only admins manage validator nodes")


def register_validator(principal: Principal, node_id: str, public_key_pem: str, *, ca: CertificateAuthority) -> str:
    """The node's certificate (PEM), signed by the enclave CA for the key the node sent."""
    _require_admin(principal)
    return ca.issue_node_certificate(node_id, public_key_pem)


def remove_validator(principal: Principal, node_id: str, *, ca: CertificateAuthority) -> None:
    _require_admin(principal)
    ca.revoke_node_certificate(node_id)
