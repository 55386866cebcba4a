"""The enclave's certificate authority for ledger validator nodes. The CA private key is created once,
sealed under the KMS enclave key and unsealed only for the moment of signing."""

from __future__ import annotations

from dataclasses import replace

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..domain import certs
from ..domain.errors import ConflictError, NotFoundError
from ..services.ports import Clock
from .enclave import KmsEnclave, load_p256_private_key
from .enclave_tables import DynamoNodeCertificates, NodeRecord

CA_SECRET = "ca-key"
CA_DAYS = 3650
ACTIVE, REVOKED = "active", "revoked"


def _pem(obj: x509.Certificate | x509.CertificateRevocationList) -> str:
    return obj.public_bytes(serialization.Encoding.PEM).decode("ascii")


class EnclaveCA:
    def __init__(self, enclave: KmsEnclave, nodes: DynamoNodeCertificates, clock: Clock, *, node_days: int) -> None:
        self.enclave, self.nodes, self.clock, self.node_days = enclave, nodes, clock, node_days

    def _create(self) -> tuple[bytes, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = certs.build_ca_certificate(key, now=self.clock.now(), days=CA_DAYS, serial=x509.random_serial_number())
        private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return private, _pem(cert)

    def _signer(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        private, ca_pem = self.enclave.own_secret(CA_SECRET, self._create)
        return load_p256_private_key(private), x509.load_pem_x509_certificate(ca_pem.encode("ascii"))

    def ca_certificate_pem(self) -> str:
        return self.enclave.own_secret(CA_SECRET, self._create)[1]

    def issue_node_certificate(self, node_id: str, public_key_pem: str) -> str:
        """A certificate for a node that has none active; a removed node may register again with a new one."""
        certs.check_node_id(node_id)
        public_key = certs.parse_p256_public_key(public_key_pem)
        current = self.nodes.get(node_id)
        if current is not None and current.status == ACTIVE:
            raise ConflictError("this node already has an active certificate; remove it first", field="node_id",
                                code="node_registered")
        key, ca = self._signer()
        now = self.clock.now()
        serial = x509.random_serial_number()
        cert = _pem(certs.build_node_certificate(key, ca, node_id, public_key, now=now, days=self.node_days, serial=serial))
        record = NodeRecord(node_id, f"{serial:x}", cert, ACTIVE, now, current.revoked if current else (),
                            current.version + 1 if current else 1)
        self.nodes.put(record, current.version if current else None)
        return cert

    def renew_node_certificate(self, node_id: str) -> str:
        """A new certificate for the node's active key, valid from now; the old one stays in the node's history
        (not revoked: blocks certified while it was valid keep their evidence). ConflictError if another container
        renewed or revoked it meanwhile."""
        current = self.nodes.get(node_id)
        if current is None or current.status != ACTIVE:
            raise NotFoundError("no active certificate to renew for this validator node", field="node_id")
        public_key = x509.load_pem_x509_certificate(current.certificate.encode("ascii")).public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise ConflictError("the active certificate is not for a P-256 key", field="node_id", code="node_changed")
        key, ca = self._signer()
        now = self.clock.now()
        serial = x509.random_serial_number()
        cert = _pem(certs.build_node_certificate(key, ca, node_id, public_key, now=now, days=self.node_days, serial=serial))
        self.nodes.put(replace(current, serial=f"{serial:x}", certificate=cert, issued_at=now, version=current.version + 1,
                               superseded=(*current.superseded, current.certificate)), current.version)
        return cert

    def superseded_node_certificates(self) -> dict[str, tuple[str, ...]]:
        """node_id → the earlier certificates of its active key (renewed, not revoked), oldest first."""
        return {r.node_id: r.superseded for r in self.nodes.all() if r.status == ACTIVE and r.superseded}

    def revoke_node_certificate(self, node_id: str) -> None:
        current = self.nodes.get(node_id)
        if current is None:
            raise NotFoundError("no such validator node", field="node_id")
        if current.status == REVOKED:
            return
        now = self.clock.now()
        earlier = [f"{x509.load_pem_x509_certificate(pem.encode('ascii')).serial_number:x}" for pem in current.superseded]
        revoked = (*current.revoked, *((serial, now) for serial in earlier), (current.serial, now))
        self.nodes.put(replace(current, status=REVOKED, revoked=revoked, superseded=(), version=current.version + 1),
                       current.version)

    def revocation_list_pem(self) -> str:
        """A CRL signed now, naming every certificate ever revoked."""
        key, ca = self._signer()
        revoked = [(int(serial, 16), at) for record in self.nodes.all() for serial, at in record.revoked]
        return _pem(certs.build_revocation_list(key, ca, revoked, now=self.clock.now()))

    def node_certificates(self) -> dict[str, str]:
        """node_id → certificate PEM of every node with an active certificate."""
        return {r.node_id: r.certificate for r in self.nodes.all() if r.status == ACTIVE}

    def revoked_nodes(self) -> set[str]:
        """Nodes whose latest certificate was revoked: removed validators, never silently re-enrolled."""
        return {r.node_id for r in self.nodes.all() if r.status == REVOKED}
