"""The enclave's public face: its key-exchange key, its CA certificate and revocation list, and validator nodes."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..api.http import Api
from ..api.schemas import enclave as s
from ..domain import envelope
from ..services import nodes

bp = Blueprint(__name__)
api = Api(bp)


@api.route("GET", "/enclave/public-key", "getEnclaveKey", "The enclave's P-256 key: devices encrypt ID images to it",
           "enclave", response=s.EnclaveKeyOut, auth=False)
def enclave_key() -> dict[str, Any]:
    return {"public_key_pem": bootstrap.deps().enclave.device_public_key_pem(), "scheme": envelope.SCHEME,
            "envelope": s.EnclaveKeyOut.model_fields["envelope"].default}


@api.route("GET", "/enclave/ca-certificate", "getCaCertificate", "The CA certificate that validator certificates chain to",
           "enclave", response=s.CaCertificateOut, auth=False)
def ca_certificate() -> dict[str, Any]:
    return {"certificate_pem": bootstrap.deps().ca.ca_certificate_pem()}


@api.route("GET", "/enclave/revocation-list", "getRevocationList", "The CA's current list of revoked node certificates",
           "enclave", response=s.RevocationListOut, auth=False)
def revocation_list() -> dict[str, Any]:
    return {"crl_pem": bootstrap.deps().ca.revocation_list_pem()}


@api.route("GET", "/enclave/validators", "listValidators", "Validator nodes with an active certificate", "enclave",
           response=s.ValidatorList, auth=False)
def list_validators() -> dict[str, Any]:
    ca = bootstrap.deps().ca
    found = [{"node_id": n, "status": "active", "certificate_pem": pem} for n, pem in sorted(ca.node_certificates().items())]
    return {"ca_certificate_pem": ca.ca_certificate_pem(), "validators": found}


@api.route("POST", "/admin/validators", "registerValidator", "Certify a validator node's public key (admin)", "enclave",
           request=s.ValidatorIn, response=s.ValidatorOut, status=201, errors=(403, 409))
def register_validator() -> dict[str, Any]:
    req = api.body(s.ValidatorIn)
    pem = nodes.register_validator(api.principal(), req.node_id, req.public_key_pem, ca=bootstrap.deps().ca)
    return {"node_id": req.node_id, "status": "active", "certificate_pem": pem}


@api.route("POST", "/admin/validators/{node_id}/revoke", "revokeValidator", "Remove a validator: revoke its certificate (admin)",
           "enclave", response=s.ValidatorOut, errors=(403, 404))
def revoke_validator(node_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    nodes.remove_validator(api.principal(), node_id, ca=d.ca)
    d.ledger.forget_admissions()  # this container stops counting it at once; others within ADMISSION_TTL_S
    return {"node_id": node_id, "status": "revoked"}
