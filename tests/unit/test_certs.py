"""Node certificates: issued ones verify; forged, expired, revoked or mislabelled ones keep a validator out."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import certs
from chalicelib.domain.errors import CertificateError, InvalidInputError

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA = certs.build_ca_certificate(CA_KEY, now=NOW, days=3650, serial=1)
ROGUE_KEY = ec.generate_private_key(ec.SECP256R1())
ROGUE_CA = certs.build_ca_certificate(ROGUE_KEY, now=NOW, days=3650, serial=1)  # same name, other key


def pem(obj: x509.Certificate | x509.CertificateRevocationList) -> str:
    return obj.public_bytes(serialization.Encoding.PEM).decode()


def node(node_id: str = "validator-1", *, ca_key: ec.EllipticCurvePrivateKey = CA_KEY, ca: x509.Certificate = CA,
         now: datetime = NOW, days: int = 365, serial: int = 1000) -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, pem(certs.build_node_certificate(ca_key, ca, node_id, key.public_key(), now=now, days=days, serial=serial))


def test_an_issued_certificate_verifies_and_names_the_node_and_its_key() -> None:
    key, cert = node()
    identity = certs.verify_node_certificate(cert, pem(CA), at=NOW + timedelta(days=1))
    assert identity.node_id == "validator-1" and identity.serial == 1000
    assert identity.public_key_der == key.public_key().public_bytes(serialization.Encoding.DER,
                                                                    serialization.PublicFormat.SubjectPublicKeyInfo)


def test_a_certificate_from_another_ca_with_the_same_name_is_forged() -> None:
    _, cert = node(ca_key=ROGUE_KEY, ca=ROGUE_CA)
    with pytest.raises(CertificateError) as err:
        certs.verify_node_certificate(cert, pem(CA), at=NOW)
    assert err.value.code == "certificate_forged"


def test_a_certificate_with_one_altered_byte_is_refused() -> None:
    _, cert = node()
    der = bytearray(x509.load_pem_x509_certificate(cert.encode()).public_bytes(serialization.Encoding.DER))
    der[len(der) // 2] ^= 0x01
    altered = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(bytes(der)) + b"-----END CERTIFICATE-----\n"
    with pytest.raises(CertificateError):
        certs.verify_node_certificate(altered, pem(CA), at=NOW)


@pytest.mark.parametrize("at", [NOW - timedelta(days=1), NOW + timedelta(days=31)])
def test_outside_its_validity_a_certificate_is_expired(at: datetime) -> None:
    _, cert = node(days=30)
    with pytest.raises(CertificateError) as err:
        certs.verify_node_certificate(cert, pem(CA), at=at)
    assert err.value.code == "certificate_expired"


def test_a_revoked_serial_is_refused_whether_from_a_set_or_a_signed_crl() -> None:
    _, cert = node(serial=77)
    with pytest.raises(CertificateError, match="revoked"):
        certs.verify_node_certificate(cert, pem(CA), at=NOW, revoked={77})
    crl = pem(certs.build_revocation_list(CA_KEY, CA, [(77, NOW)], now=NOW))
    with pytest.raises(CertificateError, match="revoked"):
        certs.verify_node_certificate(cert, pem(CA), at=NOW, crl_pem=crl)


def test_a_crl_signed_by_someone_else_or_past_its_next_update_is_refused() -> None:
    _, cert = node(serial=78)
    forged = pem(certs.build_revocation_list(ROGUE_KEY, ROGUE_CA, [], now=NOW))
    with pytest.raises(CertificateError, match="not signed"):
        certs.verify_node_certificate(cert, pem(CA), at=NOW, crl_pem=forged)
    stale = pem(certs.build_revocation_list(CA_KEY, CA, [], now=NOW, days=1))
    with pytest.raises(CertificateError, match="expired"):
        certs.verify_node_certificate(cert, pem(CA), at=NOW + timedelta(days=2), crl_pem=stale)


def test_the_ca_certificate_itself_is_not_a_node_certificate() -> None:
    with pytest.raises(CertificateError):
        certs.verify_node_certificate(pem(CA), pem(CA), at=NOW)


def test_garbage_is_malformed_not_a_crash() -> None:
    with pytest.raises(CertificateError):
        certs.verify_node_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", pem(CA), at=NOW)
    with pytest.raises(InvalidInputError):
        certs.parse_p256_public_key("not a key")
    with pytest.raises(InvalidInputError):
        certs.check_node_id("bad id with spaces")


def test_only_validators_with_valid_certificates_reach_the_quorum() -> None:
    _, good_a = node("v1", serial=1)
    _, good_b = node("v2", serial=2)
    _, forged = node("v3", ca_key=ROGUE_KEY, ca=ROGUE_CA, serial=3)
    _, expired = node("v4", now=NOW - timedelta(days=400), days=30, serial=4)
    _, revoked = node("v5", serial=5)
    _, borrowed = node("v6", serial=6)
    crl = pem(certs.build_revocation_list(CA_KEY, CA, [(5, NOW)], now=NOW))
    candidates = [("v1", good_a), ("v2", good_b), ("v3", forged), ("v4", expired), ("v5", revoked), ("v7", borrowed)]
    admitted, refused = certs.admit_validators(candidates, pem(CA), at=NOW, crl_pem=crl)
    assert [n.node_id for n in admitted] == ["v1", "v2"]
    assert refused == {"v3": "certificate_forged", "v4": "certificate_expired", "v5": "certificate_revoked",
                       "v7": "certificate_for_another_node"}
    quorum = 3  # N = 4, f = 1: 2f + 1
    assert len(admitted) < quorum  # with these certificates the set cannot certify a block
