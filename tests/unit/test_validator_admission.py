"""Certificates meet the quorum: only validators the enclave CA certified (and did not revoke) count."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import certs
from chalicelib.domain.quorum import QuorumError, Signature, Validator, ValidatorSet, ValidatorSetError, verify_certificate
from chalicelib.verify import low_s_signature

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA = certs.build_ca_certificate(CA_KEY, now=NOW, days=3650, serial=1)
CA_PEM = CA.public_bytes(serialization.Encoding.PEM).decode()
KEYS = {f"v{i}": ec.generate_private_key(ec.SECP256R1()) for i in range(4)}
MALLORY = ec.generate_private_key(ec.SECP256R1())
PAYLOAD = b"block header signing payload"


def certificate(node_id: str, key: ec.EllipticCurvePrivateKey, *, ca_key: ec.EllipticCurvePrivateKey = CA_KEY,
                ca: x509.Certificate = CA, serial: int = 10, now: datetime = NOW) -> str:
    cert = certs.build_node_certificate(ca_key, ca, node_id, key.public_key(), now=now, days=365, serial=serial)
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign(node_id: str, key: ec.EllipticCurvePrivateKey) -> Signature:
    return Signature(node_id, base64.b64encode(low_s_signature(key.sign(PAYLOAD, ec.ECDSA(hashes.SHA256())))).decode())


def validator_set(admitted: list[certs.NodeIdentity], f: int = 1) -> ValidatorSet:
    return ValidatorSet(tuple(Validator(n.node_id, n.public_key_der) for n in admitted), f)


def test_certificates_of_the_enclave_ca_chain_as_the_offline_verifier_checks_them() -> None:
    cert = x509.load_pem_x509_certificate(certificate("v0", KEYS["v0"]).encode())
    cert.verify_directly_issued_by(CA)  # what chalicelib/verify.py requires of every validator certificate


def test_a_forged_certificate_keeps_its_signature_out_of_the_quorum() -> None:
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    rogue_ca = certs.build_ca_certificate(rogue_key, now=NOW, days=3650, serial=1)
    candidates = [(n, certificate(n, k, serial=10 + i)) for i, (n, k) in enumerate(KEYS.items())]
    candidates.append(("mallory", certificate("mallory", MALLORY, ca_key=rogue_key, ca=rogue_ca)))
    admitted, refused = certs.admit_validators(candidates, CA_PEM, at=NOW)
    assert refused == {"mallory": "certificate_forged"}
    vset = validator_set(admitted)
    with pytest.raises(QuorumError):
        verify_certificate(vset, PAYLOAD, [sign("v0", KEYS["v0"]), sign("v1", KEYS["v1"]), sign("mallory", MALLORY)])
    assert sorted(verify_certificate(vset, PAYLOAD, [sign(n, KEYS[n]) for n in ("v0", "v1", "v2")])) == ["v0", "v1", "v2"]


@pytest.mark.parametrize("problem", ["revoked", "expired"])
def test_a_revoked_or_expired_validator_leaves_the_set_too_small_to_certify(problem: str) -> None:
    candidates = [(n, certificate(n, k, serial=20 + i)) for i, (n, k) in enumerate(KEYS.items())]
    if problem == "expired":
        candidates[3] = ("v3", certificate("v3", KEYS["v3"], serial=23, now=NOW - timedelta(days=400)))
    crl = certs.build_revocation_list(CA_KEY, CA, [(23, NOW)] if problem == "revoked" else [], now=NOW)
    admitted, refused = certs.admit_validators(candidates, CA_PEM, at=NOW, crl_pem=crl.public_bytes(serialization.Encoding.PEM))
    assert [n.node_id for n in admitted] == ["v0", "v1", "v2"] and refused == {"v3": f"certificate_{problem}"}
    with pytest.raises(ValidatorSetError):
        validator_set(admitted, f=1)  # N = 3 cannot tolerate f = 1: v3 must be replaced before blocks commit
