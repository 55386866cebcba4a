"""Offline verification of CarParker evidence bundles (docs/ledger-format.md).

An auditor or insurer runs this on their own machine: it imports only the standard
library, ``cryptography`` and the pure ledger core, never boto3, Chalice or pynamodb,
and it reads no clock (certificate validity is judged at each block's own cut_at).

The verifier is strict on purpose. Every value in a bundle is either covered by a hash
or signature, or cross-checked against one, and every binary value must be in its single
canonical spelling (lowercase hex, padded standard base64, canonical DER and PEM), so
that changing any byte of a bundle makes verification fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning

from chalicelib.domain.canonical import CanonicalJSONError
from chalicelib.domain.errors import RuleViolationError
from chalicelib.domain.ledger import (
    BlockHeader,
    Entry,
    LedgerError,
    entry_from_dict,
    entry_leaf_hash,
    header_from_dict,
    header_hash,
    parse_timestamp,
    signing_payload,
)
from chalicelib.domain.merkle import ProofError, verify_inclusion
from chalicelib.domain.photos import COMMITMENT_TAG
from chalicelib.domain.quorum import (
    QuorumError,
    Signature,
    Validator,
    ValidatorSet,
    ValidatorSetError,
    load_p256_public_key,
    public_key_der,
    validator_set_hash,
    verify_certificate,
)

BUNDLE_FORMAT = "carparker.evidence/v1"
BUNDLE_MEMBER = "bundle.json"
MAX_ZIP_MEMBER_BYTES = 64 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 512 * 1024 * 1024

_HEX64 = re.compile(r"[0-9a-f]{64}")
# DER of AlgorithmIdentifier { ecdsa-with-SHA256 } (1.2.840.10045.4.3.2), parameters absent.
_ECDSA_WITH_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")
_DOMAIN_ERRORS = (LedgerError, ProofError, QuorumError, ValidatorSetError, CanonicalJSONError)
_T = TypeVar("_T")


class VerificationError(RuleViolationError):
    """The evidence does not verify; the message says why, for a human."""

    code = "evidence_not_verified"


@dataclass(frozen=True)
class Summary:
    ledger_id: str
    entries: int
    validators: int
    threshold: int
    tree_sizes: Mapping[str, int]  # log -> largest tree size an entry was proven in
    attachments_checked: int
    validator_set_pinned: bool

    def line(self) -> str:
        noun = "entry" if self.entries == 1 else "entries"
        logs = ", ".join(f"{log} up to tree size {size}"
                         for log, size in sorted(self.tree_sizes.items()))
        text = (f"OK: {self.entries} {noun} verified against {self.validators} validators "
                f"(quorum {self.threshold}/{self.validators}), ledger {self.ledger_id}, "
                f"log{'s' if len(self.tree_sizes) > 1 else ''} {logs}")
        if self.attachments_checked:
            text += f", {self.attachments_checked} attachments checked"
        return text


@dataclass(frozen=True)
class _Validators:
    """A parsed validator set, with the optional CA and per-validator certificates."""

    vset: ValidatorSet
    ca: x509.Certificate | None = None
    certificates: Mapping[str, tuple[x509.Certificate, ...]] = field(default_factory=dict)  # current first, then earlier

    @property
    def hash(self) -> str:
        return validator_set_hash(self.vset)


def verify_evidence(data: bytes, *,
                    trusted_validator_set: Mapping[str, Any] | None = None) -> Summary:
    """Verify a bundle given as the bytes of either bundle.json or a zip holding it."""
    if data.startswith(b"PK"):
        bundle_bytes, files = read_evidence_zip(data)
        return verify_bundle_bytes(bundle_bytes, files, trusted_validator_set=trusted_validator_set)
    return verify_bundle_bytes(data, None, trusted_validator_set=trusted_validator_set)


def verify_bundle_bytes(data: bytes, attachments: Mapping[str, bytes] | None = None, *,
                        trusted_validator_set: Mapping[str, Any] | None = None) -> Summary:
    return verify_bundle(parse_json(data), attachments, trusted_validator_set=trusted_validator_set)


def verify_bundle(bundle: Mapping[str, Any], attachments: Mapping[str, bytes] | None = None, *,
                  trusted_validator_set: Mapping[str, Any] | None = None) -> Summary:
    """Verify every item of ``bundle``; raise VerificationError on the first failure.

    ``attachments`` (file name -> bytes, from a zip) are checked against the digests
    their entries commit to. ``trusted_validator_set`` is the published validator set;
    when given, the bundle's own set must match it, otherwise the bundle is only
    self-consistent (anyone can make a self-consistent bundle with their own keys).
    """
    top = _object(bundle, "bundle", {"format", "ledger_id", "validator_set", "items"})
    if top["format"] != BUNDLE_FORMAT:
        _fail(f"format is {top['format']!r}, want {BUNDLE_FORMAT!r}")
    ledger_id = _string(top["ledger_id"], "ledger_id")
    validators = _parse_validator_set(top["validator_set"])
    if trusted_validator_set is not None:
        _require_same_set(validators, _parse_validator_set(trusted_validator_set))
    declared: dict[str, str] = {}
    tree_sizes: dict[str, int] = {}
    items = _list(top["items"], "items", non_empty=True)
    for i, item in enumerate(items):
        try:
            block = _verify_item(item, ledger_id, validators, declared)
        except VerificationError as exc:
            raise VerificationError(f"item {i}: {exc}") from exc
        tree_sizes[block.log] = max(tree_sizes.get(block.log, 0), block.tree_size)
    checked = _verify_attachment_files(declared, attachments)
    return Summary(ledger_id=ledger_id, entries=len(items), validators=validators.vset.size,
                   threshold=validators.vset.threshold, tree_sizes=tree_sizes,
                   attachments_checked=checked,
                   validator_set_pinned=trusted_validator_set is not None)


def parse_json(data: bytes) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no floats, NaN or Infinity."""
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys,
                          parse_float=_reject_float, parse_constant=_reject_float)
    except UnicodeDecodeError as exc:
        raise VerificationError(f"bundle is not UTF-8: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise VerificationError(f"bundle is not valid JSON: {exc}") from exc


def read_evidence_zip(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    """Return bundle.json and the other files of an evidence zip, with size limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = _read_members(archive)
    # zipfile reports damage in many ways (zlib.error, RuntimeError for encrypted
    # members, OSError, ValueError...); each means the same thing here.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError,
            RuntimeError, OSError, ValueError) as exc:
        raise VerificationError(f"evidence zip is unreadable: {exc}") from exc
    if BUNDLE_MEMBER not in files:
        _fail(f"evidence zip has no {BUNDLE_MEMBER}")
    return files.pop(BUNDLE_MEMBER), files


def _read_members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        if info.filename in files:
            _fail(f"evidence zip holds {info.filename!r} twice")
        total += info.file_size
        if info.file_size > MAX_ZIP_MEMBER_BYTES or total > MAX_ZIP_TOTAL_BYTES:
            _fail(f"evidence zip member {info.filename!r} is too large")
        files[info.filename] = archive.read(info)  # zipfile checks each member's CRC-32
    return files


def _verify_item(raw: object, ledger_id: str, validators: _Validators,
                 declared: dict[str, str]) -> BlockHeader:
    item = _object(raw, "item", {"entry", "inclusion_proof", "block", "certificate"},
                   optional={"attachments"})
    entry = _step("entry", entry_from_dict, item["entry"])
    block = _step("block", header_from_dict, item["block"])
    if block.ledger_id != ledger_id:
        _fail(f"block belongs to ledger {block.ledger_id!r}, the bundle to {ledger_id!r}")
    if block.validators_hash != validators.hash:
        _fail("block was certified by another validator set (validators_hash "
              f"{block.validators_hash}, the bundle's set hashes to {validators.hash})")
    if entry.log != block.log or entry.seq >= block.tree_size:
        _fail(f"entry {entry.log}#{entry.seq} cannot be in the {block.log} tree "
              f"of size {block.tree_size}")
    proof = [_hash_bytes(h, f"inclusion_proof[{j}]")
             for j, h in enumerate(_list(item["inclusion_proof"], "inclusion_proof"))]
    _step("inclusion proof", verify_inclusion, entry_leaf_hash(entry), entry.seq,
          block.tree_size, proof, bytes.fromhex(block.root))
    _verify_quorum_certificate(item["certificate"], block, validators)
    _collect_attachments(item.get("attachments", []), entry, declared)
    return block


def _verify_quorum_certificate(raw: object, block: BlockHeader, validators: _Validators) -> None:
    cert = _object(raw, "certificate", {"header_hash", "signatures"})
    computed = header_hash(block)
    if cert["header_hash"] != computed:
        _fail(f"certificate is for header {cert['header_hash']!r}, the block hashes to {computed}")
    signatures = [_signature(s, j) for j, s in enumerate(_list(cert["signatures"], "signatures"))]
    counted = _step("certificate", verify_certificate, validators.vset, signing_payload(block),
                    signatures)
    # A quorum certificate is assembled from signatures the platform checked, so any
    # extra entry (unknown id, duplicate, bad signature) means the bundle was altered.
    if len(counted) != len(signatures):
        _fail(f"certificate: only {len(counted)} of its {len(signatures)} signatures are valid "
              "signatures from distinct validators of the set")
    _require_certificates_valid_at(validators, counted, block.cut_at)


def _collect_attachments(raw: object, entry: Entry, declared: dict[str, str]) -> None:
    names: set[str] = set()
    for j, value in enumerate(_list(raw, "attachments")):
        attachment = _object(value, f"attachments[{j}]", {"name", "sha256"}, optional={"salt"})
        name = _string(attachment["name"], f"attachments[{j}].name")
        digest = _hex_digest(attachment["sha256"], f"attachments[{j}].sha256")
        committed = digest
        if "salt" in attachment:  # the entry holds a hiding commitment, not the digest itself
            committed = _commitment(attachment["salt"], digest, f"attachments[{j}].salt")
        if name in names or entry.digests.get(name) != committed:
            _fail(f"attachment {name!r} is repeated or not the file entry.digests names")
        if declared.setdefault(name, digest) != digest:
            _fail(f"attachment name {name!r} is used for two different files")
        names.add(name)


def _hex_digest(raw: object, what: str) -> str:
    if not isinstance(raw, str) or len(raw) != 64 or any(c not in "0123456789abcdef" for c in raw):
        _fail(f"{what} must be 64 lowercase hex digits")
    return raw


def _commitment(raw_salt: object, digest: str, what: str) -> str:
    salt = _hex_digest(raw_salt, what)
    return hashlib.sha256(COMMITMENT_TAG + bytes.fromhex(salt) + bytes.fromhex(digest)).hexdigest()


def _verify_attachment_files(declared: Mapping[str, str],
                             files: Mapping[str, bytes] | None) -> int:
    if files is None:
        return 0
    missing, extra = sorted(set(declared) - set(files)), sorted(set(files) - set(declared))
    if missing or extra:
        _fail(f"evidence files do not match the bundle: missing {missing}, unreferenced {extra}")
    for name, digest in declared.items():
        actual = hashlib.sha256(files[name]).hexdigest()
        if actual != digest:
            _fail(f"attachment {name!r} has sha256 {actual}, its entry commits to {digest}")
    return len(declared)


def _parse_validator_set(raw: object) -> _Validators:
    top = _object(raw, "validator_set", {"f", "validators"}, optional={"ca_certificate"})
    validators: list[Validator] = []
    certificates: dict[str, tuple[x509.Certificate, ...]] = {}
    for j, value in enumerate(_list(top["validators"], "validators", non_empty=True)):
        entry = _object(value, f"validators[{j}]", {"id", "public_key"}, optional={"certificate", "earlier_certificates"})
        validator = Validator(_string(entry["id"], f"validators[{j}].id"),
                              _public_key(entry["public_key"], f"validators[{j}].public_key"))
        validators.append(validator)
        if "earlier_certificates" in entry and "certificate" not in entry:
            _fail(f"validators[{j}]: earlier_certificates without a certificate")
        if "certificate" in entry:
            pems = [entry["certificate"]]
            if "earlier_certificates" in entry:  # renewed ones of the same key, for blocks cut before the renewal
                pems += _list(entry["earlier_certificates"], f"validators[{j}].earlier_certificates", non_empty=True)
            certificates[validator.id] = tuple(_pem_certificate(pem, validator.id) for pem in pems)
    vset = _step("validator_set", ValidatorSet, tuple(validators), top["f"])
    # 2f+1 of N is a safe quorum (any two quorums share an honest validator) only when
    # N = 3f+1; a bundle claiming a smaller f would lower the bar, so it must be exact.
    if vset.size != 3 * vset.f + 1:
        _fail(f"validator_set has {vset.size} validators and f={vset.f}; evidence needs N = 3f+1")
    ca = _ca_certificate(top["ca_certificate"]) if "ca_certificate" in top else None
    parsed = _Validators(vset, ca, certificates)
    _require_certificate_chain(parsed)
    return parsed


def _require_certificate_chain(validators: _Validators) -> None:
    ids = [v.id for v in validators.vset.validators]
    if validators.ca is None and not validators.certificates:
        return
    if validators.ca is None or sorted(validators.certificates) != sorted(ids):
        _fail("validator_set: ca_certificate and a certificate for every validator go together")
    for validator in validators.vset.validators:
        for cert in validators.certificates[validator.id]:
            _require_issued_by(cert, validators.ca, f"certificate of {validator.id}")
            if public_key_der(_p256_key_of(cert, validator.id)) != validator.public_key_der:
                _fail(f"validator_set: certificate of {validator.id} is for another public key")


def _require_certificates_valid_at(validators: _Validators, ids: Sequence[str], when: str) -> None:
    if validators.ca is None:
        return
    moment = parse_timestamp(when)
    _require_valid_at(validators.ca, moment, "ca_certificate")
    for validator_id in ids:
        if not any(_valid_at(cert, moment) for cert in validators.certificates[validator_id]):
            _fail(f"no certificate of {validator_id} is valid at the block time {moment.isoformat()}")


def _valid_at(cert: x509.Certificate, moment: datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def _require_valid_at(cert: x509.Certificate, moment: datetime, what: str) -> None:
    if not _valid_at(cert, moment):
        _fail(f"{what} is not valid at the block time {moment.isoformat()}")


def _ca_certificate(raw: object) -> x509.Certificate:
    ca = _pem_certificate(raw, "ca")
    try:
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        _fail("ca_certificate is not a CA certificate (basicConstraints cA is not set)")
    # The CA is a root: checking its self-signature means every byte of it is covered.
    _require_issued_by(ca, ca, "ca_certificate")
    return ca


def _require_issued_by(cert: x509.Certificate, issuer: x509.Certificate, what: str) -> None:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm) as exc:
        raise VerificationError(f"{what} is not signed by the CA: "
                                f"{exc or type(exc).__name__}") from exc


def _p256_key_of(cert: x509.Certificate, what: str) -> ec.EllipticCurvePublicKey:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        _fail(f"certificate of {what} does not hold an EC P-256 key")
    return key


def _pem_certificate(raw: object, what: str) -> x509.Certificate:
    """Load a certificate that must be canonical PEM of canonical, fully parseable DER."""
    text = _string(raw, f"certificate of {what}")
    try:
        with warnings.catch_warnings():
            # cryptography still loads some non-RFC 5280 certificates with a warning; refuse them.
            warnings.simplefilter("error", CryptographyDeprecationWarning)
            cert = x509.load_pem_x509_certificate(text.encode("ascii"))
            _p256_key_of(cert, what)
            _ = (cert.extensions, cert.not_valid_before_utc, cert.not_valid_after_utc)
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm, x509.InvalidVersion,
            CryptographyDeprecationWarning) as exc:
        raise VerificationError(f"certificate of {what} is not a valid certificate: {exc}") from exc
    if cert.version != x509.Version.v3:
        _fail(f"certificate of {what} is not an X.509 v3 certificate")
    if cert.public_bytes(Encoding.PEM).decode("ascii") != text:
        _fail(f"certificate of {what} is not in canonical PEM form")
    if cert.public_bytes(Encoding.DER) != _expected_certificate_der(cert):
        _fail(f"certificate of {what} is not ECDSA-with-SHA256 in canonical DER")
    return cert


def _expected_certificate_der(cert: x509.Certificate) -> bytes:
    # Only the TBS part is signed. Rebuilding the outer layer from it and the signature
    # (RFC 5758: ecdsa-with-SHA256, no parameters; BIT STRING with no unused bits)
    # means that no unsigned byte of a certificate can change unnoticed.
    body = cert.tbs_certificate_bytes + _ECDSA_WITH_SHA256 + _der(0x03, b"\x00" + cert.signature)
    return _der(0x30, body)


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _require_same_set(bundled: _Validators, trusted: _Validators) -> None:
    def keys(v: _Validators) -> dict[str, bytes]:
        return {x.id: x.public_key_der for x in v.vset.validators}

    if bundled.vset.f != trusted.vset.f or keys(bundled) != keys(trusted):
        _fail("the bundle's validator set is not the trusted validator set")
    if trusted.ca is not None and (bundled.ca is None or bundled.ca != trusted.ca):
        _fail("the bundle's ca_certificate is not the trusted one")


def _public_key(raw: object, what: str) -> bytes:
    der = _canonical_base64(raw, what)
    key = _step(what, load_p256_public_key, der)
    if public_key_der(key) != der:
        _fail(f"{what} is not canonical DER SubjectPublicKeyInfo")
    return der


def _signature(raw: object, j: int) -> Signature:
    sig = _object(raw, f"signatures[{j}]", {"validator_id", "signature"})
    _canonical_base64(sig["signature"], f"signatures[{j}].signature")
    return Signature(_string(sig["validator_id"], f"signatures[{j}].validator_id"),
                     sig["signature"])


def _canonical_base64(raw: object, what: str) -> bytes:
    text = _string(raw, what)
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise VerificationError(f"{what} is not base64: {exc}") from exc
    if base64.b64encode(data).decode("ascii") != text:
        _fail(f"{what} is not canonical padded base64")
    return data


def _hash_bytes(raw: object, what: str) -> bytes:
    if not isinstance(raw, str) or not _HEX64.fullmatch(raw):
        _fail(f"{what} must be 64 lowercase hex digits")
    return bytes.fromhex(raw)


def _object(raw: object, what: str, required: set[str],
            optional: frozenset[str] | set[str] = frozenset()) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        _fail(f"{what} must be a JSON object")
    unknown, missing = sorted(set(raw) - required - optional), sorted(required - set(raw))
    if unknown or missing:
        _fail(f"{what}: unknown fields {unknown}, missing fields {missing}")
    return raw


def _list(raw: object, what: str, non_empty: bool = False) -> list[Any]:
    if not isinstance(raw, list) or (non_empty and not raw):
        _fail(f"{what} must be a {'non-empty ' if non_empty else ''}JSON array")
    return raw


def _string(raw: object, what: str) -> str:
    if not isinstance(raw, str) or not raw:
        _fail(f"{what} must be a non-empty string")
    return raw


def _step(what: str, fn: Callable[..., _T], *args: Any) -> _T:
    """Run one check, turning the core's typed errors into a VerificationError."""
    try:
        return fn(*args)
    except _DOMAIN_ERRORS as exc:
        raise VerificationError(f"{what}: {exc}") from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_float(text: str) -> NoReturn:
    raise ValueError(f"non-integer number {text}")


def _fail(reason: str) -> NoReturn:
    raise VerificationError(reason)
