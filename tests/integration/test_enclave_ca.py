"""The enclave CA and the device channel on moto: private keys exist only sealed; certificates verify
against the published CA certificate and CRL; removal revokes."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import bootstrap, config
from chalicelib.adapters.enclave_ca import EnclaveCA
from chalicelib.adapters.enclave_tables import DynamoNodeCertificates, enclave_models
from chalicelib.domain import certs, envelope
from chalicelib.domain.errors import CertificateError, ConflictError, InvalidInputError, NotFoundError
from tests.fakes import FixedClock


@pytest.fixture
def now() -> datetime:
    """The CA is shared by every test of this stack, made by whichever test needs it first, at its time: each test reads
    the clock when it runs (a time read at import would be before a CA made later in a long run, and fail it)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def ca(stack: object, now: datetime) -> EnclaveCA:
    return EnclaveCA(bootstrap.build_enclave(FixedClock(now)), DynamoNodeCertificates(enclave_models()), FixedClock(now), node_days=30)


def node_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_a_registered_node_gets_a_certificate_that_verifies_until_it_is_removed(ca: EnclaveCA, now: datetime) -> None:
    node_id = f"validator-{uuid.uuid4().hex[:8]}"
    key, public = node_key()
    cert = ca.issue_node_certificate(node_id, public)
    at = now + timedelta(hours=1)
    identity = certs.verify_node_certificate(cert, ca.ca_certificate_pem(), at=at, crl_pem=ca.revocation_list_pem())
    assert identity.node_id == node_id and identity.public_key_der == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert ca.node_certificates()[node_id] == cert
    with pytest.raises(ConflictError):
        ca.issue_node_certificate(node_id, public)
    ca.revoke_node_certificate(node_id)
    with pytest.raises(CertificateError, match="revoked"):
        certs.verify_node_certificate(cert, ca.ca_certificate_pem(), at=at, crl_pem=ca.revocation_list_pem())
    assert node_id not in ca.node_certificates()
    again = ca.issue_node_certificate(node_id, node_key()[1])  # re-admission takes a new certificate
    certs.verify_node_certificate(again, ca.ca_certificate_pem(), at=at, crl_pem=ca.revocation_list_pem())
    with pytest.raises(CertificateError):
        certs.verify_node_certificate(cert, ca.ca_certificate_pem(), at=at, crl_pem=ca.revocation_list_pem())


def test_another_container_signs_with_the_same_ca(ca: EnclaveCA, stack: object, now: datetime) -> None:
    other = EnclaveCA(bootstrap.build_enclave(FixedClock(now)), DynamoNodeCertificates(enclave_models()), FixedClock(now), node_days=30)
    cert = other.issue_node_certificate(f"v-{uuid.uuid4().hex[:8]}", node_key()[1])
    certs.verify_node_certificate(cert, ca.ca_certificate_pem(), at=now)


def test_bad_requests_are_refused(ca: EnclaveCA) -> None:
    with pytest.raises(InvalidInputError):
        ca.issue_node_certificate("v1", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    rsa_like = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(InvalidInputError):
        ca.issue_node_certificate("v1", rsa_like)
    with pytest.raises(NotFoundError):
        ca.revoke_node_certificate("never-registered")


def test_the_enclave_private_keys_are_stored_only_sealed(ca: EnclaveCA) -> None:
    ca.ca_certificate_pem()
    ca.enclave.device_public_key_pem()
    items = boto3.client("dynamodb").scan(TableName=config.table_name("enclave-secrets"))["Items"]
    assert {i["name"]["S"] for i in items} >= {"ca-key", "device-ecdh-key"}
    for item in items:
        sealed = item["sealed"]["B"]
        with pytest.raises(ValueError):
            serialization.load_der_private_key(sealed, password=None)
        assert b"PRIVATE KEY" not in sealed and sealed[:1] == b"\x02"  # an Encryption SDK v2 message


def test_a_device_envelope_is_resealed_to_its_owner_inside_the_enclave(stack: object, now: datetime) -> None:
    enclave = bootstrap.build_enclave(FixedClock(now))
    public = serialization.load_pem_public_key(enclave.device_public_key_pem().encode())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    user = str(uuid.uuid4())
    wire = envelope.seal_on_device(public, user, "id-document", "front", b"FRONT-IMAGE", ephemeral=ec.generate_private_key(
        ec.SECP256R1()), nonce=os.urandom(12))
    sealed = enclave.reseal_from_device(user, "id-document", "front", "c1/front", wire)
    assert b"FRONT-IMAGE" not in sealed
    assert bootstrap.build_enclave(FixedClock(now)).unseal(user, "id-document", "c1/front", sealed) == b"FRONT-IMAGE"
    with pytest.raises(InvalidInputError):
        enclave.reseal_from_device(str(uuid.uuid4()), "id-document", "front", "c1/front", wire)
    with pytest.raises(InvalidInputError):
        enclave.reseal_from_device(user, "id-document", "back", "c1/back", wire)


def test_a_renewed_certificate_keeps_the_key_and_the_old_one_until_the_node_is_removed(ca: EnclaveCA, now: datetime) -> None:
    node_id = f"validator-{uuid.uuid4().hex[:8]}"
    key, public = node_key()
    first = ca.issue_node_certificate(node_id, public)
    second = ca.renew_node_certificate(node_id)
    at = now + timedelta(hours=1)
    for cert in (first, second):
        identity = certs.verify_node_certificate(cert, ca.ca_certificate_pem(), at=at, crl_pem=ca.revocation_list_pem())
        assert identity.node_id == node_id and identity.public_key_der == key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert first != second and ca.node_certificates()[node_id] == second
    assert ca.superseded_node_certificates()[node_id] == (first,)
    ca.revoke_node_certificate(node_id)  # removal revokes the renewed-away certificate too
    for cert in (first, second):
        with pytest.raises(CertificateError, match="revoked"):
            certs.verify_node_certificate(cert, ca.ca_certificate_pem(), at=at, crl_pem=ca.revocation_list_pem())
    assert node_id not in ca.superseded_node_certificates()
    with pytest.raises(NotFoundError):
        ca.renew_node_certificate(node_id)  # a removed node is never renewed back in
