"""The local stage's certificate authority for MQTT: it signs the broker's certificate, the platform's client
certificate and every gate device's certificate, so that `make run` does mutual TLS with real X.509 chains.

On AWS, IoT Core issues device certificates (CreateKeysAndCertificate) and Amazon's CA signs the broker's; nothing
here is used there. The CA key is kept in a file readable by its owner only (mode 600), beside the CA certificate.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT, CA_KEY = "ca.pem", "ca.key"


@dataclass(frozen=True)
class KeyAndCertificate:
    private_key_pem: str
    certificate_pem: str


def _pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


class LocalCa:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), None)
        self.cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())

    @classmethod
    def create(cls, directory: Path, name: str, *, now: datetime | None = None) -> LocalCa:
        """A new CA in `directory` (replacing one there), valid ten years."""
        directory.mkdir(parents=True, exist_ok=True)
        now = now or datetime.now(UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CarParker local"), x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                .not_valid_after(now + timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        _write_private(directory / CA_KEY, _pem_key(key))
        (directory / CA_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(directory)

    @property
    def certificate_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, common_name: str, *, server: bool = False, days: int = 365, now: datetime | None = None) -> KeyAndCertificate:
        """A fresh P-256 key and its certificate: a TLS client's (devices, the platform), or the broker's for 127.0.0.1."""
        now = now or datetime.now(UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        assert isinstance(self.key, ec.EllipticCurvePrivateKey)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
                   .issuer_name(self.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False))
        if server:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return KeyAndCertificate(_pem_key(key), cert.public_bytes(serialization.Encoding.PEM).decode())

    def write(self, name: str, made: KeyAndCertificate) -> tuple[Path, Path]:
        """<name>.pem and <name>.key (mode 600) beside the CA."""
        cert, key = self.directory / f"{name}.pem", self.directory / f"{name}.key"
        cert.write_text(made.certificate_pem)
        _write_private(key, made.private_key_pem)
        return cert, key
