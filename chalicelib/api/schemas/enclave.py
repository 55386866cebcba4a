"""Wire formats of the enclave blueprint (routes/enclave.py): user keys, the CA, validator admission."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .common import Strict


class EnclaveKeyOut(BaseModel):
    public_key_pem: str
    scheme: str
    envelope: str = "0x01 || device P-256 public key (65 bytes, uncompressed) || nonce (12) || AES-GCM ciphertext+tag"


class CaCertificateOut(BaseModel):
    certificate_pem: str


class RevocationListOut(BaseModel):
    crl_pem: str


class ValidatorIn(Strict):
    node_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    public_key_pem: str = Field(min_length=100, max_length=1000, description="P-256 SubjectPublicKeyInfo, PEM")


class ValidatorOut(BaseModel):
    node_id: str
    status: str
    certificate_pem: str | None = None


class ValidatorList(BaseModel):
    ca_certificate_pem: str
    validators: list[ValidatorOut]
