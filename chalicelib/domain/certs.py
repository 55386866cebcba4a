"""Node certificates of the enclave's CA, as pure functions of keys, bytes and time.

Building needs the CA private key (the adapter unseals it for the moment of signing); checking needs
only the published CA certificate, the revocation list and a time, so the ledger's validator set uses
`verify_node_certificate` and `admit_validators` without any AWS code. The checks themselves (issued by, valid
at, CA or not, the subject's one commonName) are the offline verifier's (chalicelib/verify.py), so admission and
a bundle judge a certificate by the same rules. Verification raises CertificateError; it never returns
False.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ..verify import VerificationError, certificate_valid_at, is_ca_certificate, require_signed_by, subject_common_name
from .errors import CertificateError, InvalidInputError

CA_NAME = "CarParker enclave CA"
MAX_NODE_ID = 64


@dataclass(frozen=True)
class NodeIdentity:
    """What a valid node certificate vouches for."""

    node_id: str
    serial: int
    public_key_der: bytes  # SubjectPublicKeyInfo, as the validator set stores it
    not_after: datetime


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def parse_p256_public_key(pem: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError) as exc:
        raise InvalidInputError("public_key_pem is not a PEM public key", field="public_key_pem") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidInputError("the public key must be ECDSA P-256", field="public_key_pem")
    return key


def check_node_id(node_id: str) -> str:
    if not node_id or len(node_id) > MAX_NODE_ID or not all(c.isalnum() or c in "-_." for c in node_id):
        raise InvalidInputError(f"node_id must be 1-{MAX_NODE_ID} letters, digits, '-', '_' or '.'", field="node_id")
    return node_id


def build_ca_certificate(key: ec.EllipticCurvePrivateKey, *, now: datetime, days: int, serial: int) -> x509.Certificate:
    public = key.public_key()
    return (x509.CertificateBuilder().subject_name(_name(CA_NAME)).issuer_name(_name(CA_NAME)).public_key(public)
            .serial_number(serial).not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))


def build_node_certificate(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, node_id: str,
                           public_key: ec.EllipticCurvePublicKey, *, now: datetime, days: int, serial: int) -> x509.Certificate:
    return (x509.CertificateBuilder().subject_name(_name(check_node_id(node_id))).issuer_name(ca_cert.subject)
            .public_key(public_key).serial_number(serial)
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


def build_revocation_list(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate,
                          revoked: Iterable[tuple[int, datetime]], *, now: datetime, days: int = 7) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(now).next_update(now + timedelta(days=days)))
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return builder.sign(ca_key, hashes.SHA256())


def load_certificate(pem: str | bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii") if isinstance(pem, str) else pem)
    except (ValueError, UnicodeEncodeError) as exc:
        raise CertificateError(f"{what} is not a PEM X.509 certificate", code="certificate_malformed") from exc


def _require_signed_by(signed: x509.Certificate | x509.CertificateRevocationList, ca: x509.Certificate, what: str) -> None:
    try:
        require_signed_by(signed, ca, what)
    except VerificationError as exc:
        raise CertificateError(str(exc), code="certificate_forged") from exc


def _require_valid_at(cert: x509.Certificate, at: datetime, what: str) -> None:
    if not certificate_valid_at(cert, at):
        raise CertificateError(f"{what} is valid from {cert.not_valid_before_utc.isoformat()} to "
                               f"{cert.not_valid_after_utc.isoformat()}, not at {at.isoformat()}", code="certificate_expired")


def _identity(cert: x509.Certificate) -> NodeIdentity:
    node_id, key = subject_common_name(cert), cert.public_key()
    if node_id is None or not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise CertificateError("a node certificate names one node (its subject is one commonName) and holds a P-256 key",
                               code="certificate_malformed")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return NodeIdentity(node_id, cert.serial_number, der, cert.not_valid_after_utc)


def verify_ca_certificate(ca_pem: str | bytes, *, at: datetime) -> x509.Certificate:
    ca = load_certificate(ca_pem, "CA certificate")
    if not is_ca_certificate(ca) or ca.subject != _name(CA_NAME):
        raise CertificateError("not the enclave CA certificate", code="certificate_forged")
    _require_signed_by(ca, ca, "CA certificate")
    _require_valid_at(ca, at, "CA certificate")
    return ca


def revoked_serials(crl_pem: str | bytes, ca: x509.Certificate, *, at: datetime) -> frozenset[int]:
    """The serials a CA-signed, current revocation list names; a stale or forged list is an error."""
    try:
        crl = x509.load_pem_x509_crl(crl_pem.encode("ascii") if isinstance(crl_pem, str) else crl_pem)
    except ValueError as exc:
        raise CertificateError("the revocation list is not a PEM CRL", code="certificate_malformed") from exc
    _require_signed_by(crl, ca, "revocation list")
    if crl.next_update_utc is not None and crl.next_update_utc < at:
        raise CertificateError(f"the revocation list expired at {crl.next_update_utc.isoformat()}", code="crl_stale")
    return frozenset(r.serial_number for r in crl)


def verify_node_certificate(cert_pem: str | bytes, ca_pem: str | bytes, *, at: datetime,
                            revoked: Collection[int] = (), crl_pem: str | bytes | None = None) -> NodeIdentity:
    """Check a node certificate against the CA certificate at time `at`; return what it vouches for."""
    ca = verify_ca_certificate(ca_pem, at=at)
    cert = load_certificate(cert_pem, "node certificate")
    _require_signed_by(cert, ca, "node certificate")
    _require_valid_at(cert, at, "node certificate")
    if is_ca_certificate(cert):
        raise CertificateError("a node certificate must not be a CA", code="certificate_malformed")
    identity = _identity(cert)
    all_revoked = set(revoked) | (revoked_serials(crl_pem, ca, at=at) if crl_pem is not None else set())
    if identity.serial in all_revoked:
        raise CertificateError(f"the certificate of {identity.node_id} (serial {identity.serial:x}) was revoked",
                               code="certificate_revoked")
    return identity


def admit_validators(candidates: Iterable[tuple[str, str]], ca_pem: str | bytes, *, at: datetime,
                     crl_pem: str | bytes | None = None) -> tuple[list[NodeIdentity], dict[str, str]]:
    """Split (node_id, certificate PEM) candidates into admitted identities and refusals (node_id → reason).
    A certificate issued to another node id than the one claimed is refused too."""
    admitted: list[NodeIdentity] = []
    refused: dict[str, str] = {}
    for node_id, pem in candidates:
        try:
            identity = verify_node_certificate(pem, ca_pem, at=at, crl_pem=crl_pem)
        except CertificateError as exc:
            refused[node_id] = exc.code
            continue
        if identity.node_id != node_id:
            refused[node_id] = "certificate_for_another_node"
            continue
        admitted.append(identity)
    return admitted, refused
