"""Builds real ledgers and evidence bundles with freshly generated keys, for tests.

Keys are generated per process; everything else (entries, times) is fixed, so a bundle
differs between runs only in its keys and ECDSA signatures.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from chalicelib.domain.ledger import (
    BlockHeader,
    Entry,
    build_block,
    entry_leaf_hash,
    entry_to_dict,
    header_hash,
    header_to_dict,
    signing_payload,
)
from chalicelib.domain.merkle import inclusion_proof
from chalicelib.domain.quorum import (
    Validator,
    ValidatorSet,
    public_key_der,
    validator_set_hash,
)
from chalicelib.verify import low_s_signature, write_evidence_zip

LEDGER_ID = "carparker-local"
PHOTOS = {"front.jpg": b"\xff\xd8 front of the car \xff\xd9",
          "rear.jpg": b"\xff\xd8 rear of the car \xff\xd9"}
VALIDATOR_KEYS = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
CA_KEY = ec.generate_private_key(ec.SECP256R1())
VALIDATOR_SET = ValidatorSet(tuple(Validator(f"validator-{i}", public_key_der(k.public_key()))
                                   for i, k in enumerate(VALIDATOR_KEYS)), f=1)


@dataclass
class Ledger:
    entries: dict[str, list[Entry]] = field(default_factory=lambda: {"parent": [], "side": []})
    blocks: dict[str, list[BlockHeader]] = field(default_factory=lambda: {"parent": [], "side": []})

    def leaves(self, log: str, size: int) -> list[bytes]:
        return [entry_leaf_hash(e) for e in self.entries[log][:size]]

    def append_block(self, log: str, entries: list[Entry], cut_at: str) -> None:
        blocks = self.blocks[log]
        prev = blocks[-1] if blocks else None
        leaves = self.leaves(log, len(self.entries[log]))
        blocks.append(build_block(LEDGER_ID, log, len(blocks), prev, leaves, entries, cut_at,
                                  validators_hash=validator_set_hash(VALIDATOR_SET)))
        self.entries[log].extend(entries)


def _entry(log: str, seq: int, digests: dict[str, str] | None = None) -> Entry:
    return Entry(log=log, seq=seq, action="paid" if log == "parent" else "upload",
                 user_id=f"user-{seq % 3}", order_id=f"order-{seq // 2}",
                 recorded_at=f"2025-03-01T09:{seq:02d}:00.125Z",
                 sealed={"fee": base64.b64encode(f"sealed fee {seq}".encode()).decode()},
                 digests=digests or {})


def make_ledger() -> Ledger:
    """Parent log: 12 entries in blocks of 5, 4, 3. Side log: 4 photo uploads in 2 blocks;
    side entry 3 commits to the two PHOTOS."""
    ledger = Ledger()
    for start, count, minute in ((0, 5, 10), (5, 4, 20), (9, 3, 30)):
        ledger.append_block("parent", [_entry("parent", s) for s in range(start, start + count)],
                            f"2025-03-01T10:{minute}:00Z")
    photo_digests = {name: hashlib.sha256(data).hexdigest() for name, data in PHOTOS.items()}
    side = [_entry("side", s, {f"order-{s}-front.jpg": "ab" * 32}) for s in range(3)]
    side.append(_entry("side", 3, photo_digests))
    ledger.append_block("side", side[:2], "2025-03-01T10:15:00Z")
    ledger.append_block("side", side[2:], "2025-03-01T10:35:00.500Z")
    return ledger


def sign_block(header: BlockHeader, signers: Iterable[int]) -> dict[str, Any]:
    payload = signing_payload(header)
    signatures = [{"validator_id": f"validator-{i}",
                   "signature": base64.b64encode(low_s_signature(
                       VALIDATOR_KEYS[i].sign(payload, ec.ECDSA(hashes.SHA256())))).decode()}
                  for i in signers]
    return {"header_hash": header_hash(header), "signatures": signatures}


def validator_set(with_ca: bool = False) -> dict[str, Any]:
    validators: list[dict[str, Any]] = []
    for i, key in enumerate(VALIDATOR_KEYS):
        item = {"id": f"validator-{i}",
                "public_key": base64.b64encode(public_key_der(key.public_key())).decode()}
        if with_ca:
            item["certificate"] = pem(issue_certificate(key.public_key(), f"validator-{i}"))
        validators.append(item)
    vset: dict[str, Any] = {"f": 1, "validators": validators}
    if with_ca:
        vset["ca_certificate"] = pem(ca_certificate())
    return vset


def make_bundle(ledger: Ledger, items: Sequence[tuple[str, int, int]] | None = None,
                signers: Sequence[int] = (0, 1, 3), with_ca: bool = False) -> dict[str, Any]:
    """``items`` are (log, seq, block height) triples; the entry is proven in that block."""
    chosen = items or [("parent", 2, 2), ("parent", 7, 1), ("side", 3, 1)]
    return {"format": "carparker.evidence/v1", "ledger_id": LEDGER_ID,
            "validator_set": validator_set(with_ca),
            "items": [_item(ledger, log, seq, height, signers) for log, seq, height in chosen]}


def _item(ledger: Ledger, log: str, seq: int, height: int,
          signers: Sequence[int]) -> dict[str, Any]:
    block = ledger.blocks[log][height]
    entry = ledger.entries[log][seq]
    proof = inclusion_proof(seq, ledger.leaves(log, block.tree_size))
    item: dict[str, Any] = {"entry": entry_to_dict(entry),
                            "inclusion_proof": [h.hex() for h in proof],
                            "block": header_to_dict(block),
                            "certificate": sign_block(block, signers)}
    if entry.digests.keys() & PHOTOS.keys():
        item["attachments"] = [{"name": n, "sha256": entry.digests[n]} for n in sorted(PHOTOS)]
    return item


def dump(bundle: dict[str, Any]) -> bytes:
    """Compact JSON, as the platform writes bundles (no ignorable whitespace)."""
    return json.dumps(bundle, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_zip(bundle: dict[str, Any], files: dict[str, bytes] | None = None) -> bytes:
    """The evidence zip as the platform writes it (the one layout the format allows)."""
    return write_evidence_zip(dump(bundle), (PHOTOS if files is None else files).items())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def ca_certificate(key: ec.EllipticCurvePrivateKey = CA_KEY) -> x509.Certificate:
    return (x509.CertificateBuilder().subject_name(_name("CarParker enclave CA"))
            .issuer_name(_name("CarParker enclave CA")).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2030, 1, 1, tzinfo=UTC))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))


def issue_certificate(public_key: ec.EllipticCurvePublicKey, common_name: str, *,
                      ca_key: ec.EllipticCurvePrivateKey = CA_KEY,
                      not_after: datetime = datetime(2026, 1, 1, tzinfo=UTC),
                      ) -> x509.Certificate:
    return (x509.CertificateBuilder().subject_name(_name(common_name))
            .issuer_name(_name("CarParker enclave CA")).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC)).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode("ascii")
