"""CarParker offline evidence verifier: one file that needs only Python 3.11+ and ``cryptography``.

    python3 verifier.py evidence.zip --validators published-validators.json

It checks an evidence bundle (``bundle.json``, or the evidence zip holding it and the photos) as
docs/ledger-format.md describes, and prints ``OK: ...`` (exit status 0) or ``FAIL: <reason>`` (exit
status 1). It reads no clock (certificate validity is judged at each block's own ``cut_at``), opens
no network connection and imports nothing of the platform: the API serves this very file as
``GET /verifier.py``, and the platform's own ``verify-bundle`` command runs it too.

The verifier is strict on purpose. Every value in a bundle is either covered by a hash or a
signature, or compared with something that is, and every value has one allowed spelling (integers
without sign, lowercase hex, padded canonical base64, canonical DER and PEM, low-S signatures, one
exact zip layout), so that changing any single bit of a bundle file makes verification fail.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import hashlib
import json
import re
import struct
import sys
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

BUNDLE_FORMAT = "carparker.evidence/v1"  # what the platform writes
BUNDLE_FORMATS = frozenset({BUNDLE_FORMAT})  # what a verifier accepts
BUNDLE_MEMBER = "bundle.json"
VALIDATOR_SET_TYPE = "carparker.validator-set/v1"
SIGNING_CONTEXT = b"carparker-ledger-block-v1\n"
COMMITMENT_TAG = b"carparker-photo-commitment-v1"
GENESIS_PREV_HASH = "0" * 64
MAX_SAFE_INTEGER = 2**53 - 1
MAX_ZIP_MEMBER_BYTES = 64 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 512 * 1024 * 1024
MAX_BUNDLE_FILE_BYTES = MAX_ZIP_TOTAL_BYTES
# Which log each action belongs to (section 4): paid orders on the parent chain, photos and reads of sealed data on the side.
ACTION_LOG = {"paid": "parent", "upload": "side", "retrieve": "side"}
LOGS = frozenset(ACTION_LOG.values())
# The order n of the P-256 group. A signature (r, s) is valid iff (r, n - s) is; the format allows only s <= n/2.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_HALF_ORDER = P256_ORDER // 2

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z")
# POSIX portable file name characters, not starting with a dot: no paths, no "..", no backslash, no drive letter.
_ATTACHMENT_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}")
_SURROGATE = re.compile("[\\ud800-\\udfff]")
# DER of AlgorithmIdentifier { ecdsa-with-SHA256 } (1.2.840.10045.4.3.2), parameters absent.
_ECDSA_WITH_SHA256_DER = bytes.fromhex("300a06082a8648ce3d040302")


class VerificationError(ValueError):
    """The evidence does not verify; the message says why, for a human."""


def fail(reason: str) -> NoReturn:
    raise VerificationError(reason)


# --------------------------------------------------------------------------- strict JSON (section 9)

def parse_json(data: bytes, what: str = "bundle") -> Any:
    """Strict JSON: UTF-8, no duplicate keys, integers without sign up to 2^53-1, no floats, NaN or Infinity, and
    no string (or key) that is not valid Unicode."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{what} is not UTF-8: {exc.reason} at byte {exc.start}")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_int=_unsigned_int,
                           parse_float=_no_float, parse_constant=_no_float)
    except (ValueError, RecursionError) as exc:
        fail(f"{what} is not valid JSON: {exc}")
    _require_unicode(value, what)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {ascii(key)}")
        result[key] = value
    return result


def _unsigned_int(text: str) -> int:
    if text.startswith("-"):
        raise ValueError(f"integer {text} has a sign (integers in a bundle have none, not even -0)")
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or int(text) > MAX_SAFE_INTEGER:
        raise ValueError(f"integer {ascii(text[:20])} is not 0 .. 2^53-1 in ASCII digits")
    return int(text)


def _no_float(text: str) -> NoReturn:
    raise ValueError(f"non-integer number {text}")


def _require_unicode(value: Any, what: str) -> None:
    stack = [value]
    while stack:  # iterative: a deeply nested document must not overflow the stack here either
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                fail(f"{what} holds a string that is not valid Unicode (a lone surrogate): {ascii(item[:40])}")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# --------------------------------------------------------------------------- canonical JSON (section 3)

def canonical_json(value: object) -> bytes:
    """RFC 8785 for the value types the format has (objects, arrays, strings, integers, true, false, null)."""
    parts: list[str] = []
    _encode(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise VerificationError(f"a string is not valid Unicode: {exc.reason}") from exc


_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
_STRING_TABLE = {c: _ESCAPES.get(c, f"\\u{c:04x}") for c in range(0x20)} | {0x22: '\\"', 0x5C: "\\\\"}


def _encode(value: object, parts: list[str]) -> None:
    if value is None or isinstance(value, bool):
        parts.append({None: "null", True: "true", False: "false"}[value])
    elif type(value) is int and abs(value) <= MAX_SAFE_INTEGER:
        parts.append(str(value))
    elif isinstance(value, str):
        parts.append('"' + value.translate(_STRING_TABLE) + '"')
    elif isinstance(value, list):
        parts.append("[")
        for i, item in enumerate(value):
            parts.append("," if i else "")
            _encode(item, parts)
        parts.append("]")
    elif isinstance(value, dict) and all(isinstance(k, str) for k in value):
        parts.append("{")
        # Members sorted by their keys' UTF-16 code units, as big-endian UTF-16 bytes compare.
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))):
            parts.append(("," if i else "") + '"' + key.translate(_STRING_TABLE) + '":')
            _encode(value[key], parts)
        parts.append("}")
    else:
        fail(f"{type(value).__name__} {value!r:.40} has no canonical JSON form")


# --------------------------------------------------------------------------- values (section 2)

Check = Callable[[object, str], object]  # raises VerificationError; what it returns is not used


def require_object(raw: object, what: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        fail(f"{what} must be a JSON object")
    required, allowed = set(required), set(required) | set(optional)
    unknown, missing = sorted(set(raw) - allowed), sorted(required - set(raw))
    if unknown or missing:
        fail(f"{what}: unknown fields {unknown}, missing fields {missing}")
    return raw


def require_list(raw: object, what: str, non_empty: bool = False) -> list[Any]:
    if not isinstance(raw, list) or (non_empty and not raw):
        fail(f"{what} must be a {'non-empty ' if non_empty else ''}JSON array")
    return raw


def require_text(raw: object, what: str) -> str:
    if not isinstance(raw, str) or not raw:
        fail(f"{what} must be a non-empty string")
    return raw


def require_string(raw: object, what: str) -> None:
    if not isinstance(raw, str):
        fail(f"{what} must be a string")


def require_uint(raw: object, what: str, minimum: int = 0) -> int:
    # type() rather than isinstance(): true is an int to Python but not to the format.
    if type(raw) is not int or not minimum <= raw <= MAX_SAFE_INTEGER:
        fail(f"{what} must be an integer in {minimum} .. 2^53-1")
    return raw


def require_hex64(raw: object, what: str) -> str:
    if not isinstance(raw, str) or not _HEX64.fullmatch(raw):
        fail(f"{what} must be 64 lowercase hex digits")
    return raw


def canonical_base64_bytes(text: object) -> bytes | None:
    """The bytes ``text`` spells in canonical padded standard base64 (re-encoding gives the same text), or None."""
    if not isinstance(text, str):
        return None
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return None
    return data if base64.b64encode(data).decode("ascii") == text else None


def require_base64(raw: object, what: str) -> bytes:
    data = canonical_base64_bytes(raw)
    if data is None:
        fail(f"{what} must be canonical padded standard base64")
    return data


def parse_time(raw: object, what: str = "time") -> datetime:
    """RFC 3339 UTC with 'Z', second or millisecond precision, a real calendar date and time."""
    if not isinstance(raw, str) or not _TIME.fullmatch(raw):
        fail(f"{what} {ascii(raw)[:40]} is not YYYY-MM-DDTHH:MM:SS[.mmm]Z")
    try:
        # The pattern has fixed the shape, so fromisoformat has only the calendar left to check (month, day of
        # month, hour, minute, second 00-59): the rules strptime applies, at a tenth of the cost.
        moment = datetime.fromisoformat(raw[:19])
    except ValueError as exc:
        raise VerificationError(f"{what} {raw} is not a real date and time: {exc}") from exc
    millis = int(raw[20:23]) if len(raw) == 24 else 0
    return moment.replace(microsecond=millis * 1000, tzinfo=UTC)


def _exactly(want: object) -> Check:
    def check(raw: object, what: str) -> None:
        if type(raw) is not type(want) or raw != want:
            fail(f"{what} is {ascii(raw)[:40]}, want {want!r}")
    return check


def _one_of(choices: frozenset[str]) -> Check:
    def check(raw: object, what: str) -> None:
        if not isinstance(raw, str) or raw not in choices:
            fail(f"{what} {ascii(raw)[:40]} is not one of {sorted(choices)}")
    return check


def _map_of(value_check: Check) -> Check:
    def check(raw: object, what: str) -> None:
        if not isinstance(raw, dict):
            fail(f"{what} must be a JSON object")
        for key, value in raw.items():
            require_text(key, f"{what} key")
            value_check(value, f"{what}[{ascii(key)}]")
    return check


# --------------------------------------------------------------------------- entries (section 4) and blocks (section 7)

@dataclass(frozen=True)
class ObjectFormat:
    """One versioned hashed object: the rule of each member (all required, no others), then whole-object rules."""

    members: Mapping[str, Check]
    internal: Callable[[Mapping[str, Any]], None] | None = None


# The entry and block versions a verifier accepts, by type tag: a new version is one more row (with its section in
# docs/ledger-format.md), accepted next to the earlier ones.
ENTRY_FORMATS: dict[str, ObjectFormat] = {
    "carparker.entry/v1": ObjectFormat({
        "type": _exactly("carparker.entry/v1"), "version": _exactly(1), "log": _one_of(LOGS),
        "seq": require_uint, "action": _one_of(frozenset(ACTION_LOG)), "user_id": require_text,
        "order_id": require_string, "recorded_at": parse_time,
        "sealed": _map_of(require_base64), "digests": _map_of(require_hex64),
    }),
}


def _positive(raw: object, what: str) -> None:
    require_uint(raw, what, minimum=1)


def _block_internal(block: Mapping[str, Any]) -> None:
    if block["tree_size"] != block["first_seq"] + block["entry_count"]:
        fail(f"tree_size {block['tree_size']} is not first_seq {block['first_seq']} + entry_count {block['entry_count']}")
    genesis = (block["height"] == 0, block["first_seq"] == 0, block["prev_hash"] == GENESIS_PREV_HASH)
    if len(set(genesis)) != 1:
        fail(f"height 0, first_seq 0 and an all-zero prev_hash go together (got {genesis})")


BLOCK_FORMATS: dict[str, ObjectFormat] = {
    "carparker.block/v1": ObjectFormat({
        "type": _exactly("carparker.block/v1"), "version": _exactly(1), "ledger_id": require_text,
        "log": _one_of(LOGS), "height": require_uint, "first_seq": require_uint,
        "entry_count": _positive,
        "tree_size": require_uint, "root": require_hex64, "prev_hash": require_hex64,
        "validators_hash": require_hex64, "cut_at": parse_time,
    }, _block_internal),
}


def _checked_object(raw: object, what: str, formats: Mapping[str, ObjectFormat]) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        fail(f"{what} must be a JSON object")
    tag = raw.get("type")
    fmt = formats.get(tag) if isinstance(tag, str) else None
    if fmt is None:
        fail(f"{what} type {ascii(tag)[:60]} is not one of {sorted(formats)}")
    obj = require_object(raw, what, fmt.members)
    for name, check in fmt.members.items():
        check(obj[name], f"{what}.{name}")
    if fmt.internal is not None:
        fmt.internal(obj)
    return obj


@dataclass(frozen=True)
class CheckedEntry:
    log: str
    index: int  # the leaf index of the entry in its log's tree
    action: str
    digests: Mapping[str, str]
    encoded: bytes  # entry bytes: the canonical JSON the leaf hash covers

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.encoded)


def check_entry(raw: object) -> CheckedEntry:
    entry = _checked_object(raw, "entry", ENTRY_FORMATS)
    return CheckedEntry(entry["log"], entry["seq"], entry["action"], entry["digests"], canonical_json(entry))


@dataclass(frozen=True)
class CheckedBlock:
    ledger_id: str
    log: str
    height: int
    first_seq: int
    tree_size: int
    root: bytes
    prev_hash: str
    validators_hash: str
    cut_at: datetime
    encoded: bytes  # header bytes

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.encoded).hexdigest()

    @property
    def signing_payload(self) -> bytes:
        return SIGNING_CONTEXT + self.encoded


def check_block(raw: object) -> CheckedBlock:
    b = _checked_object(raw, "block", BLOCK_FORMATS)
    return CheckedBlock(b["ledger_id"], b["log"], b["height"], b["first_seq"], b["tree_size"], bytes.fromhex(b["root"]),
                        b["prev_hash"], b["validators_hash"], parse_time(b["cut_at"]), canonical_json(b))


# --------------------------------------------------------------------------- RFC 9162 Merkle trees (section 5)

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 section 2.1.3.2, every hash exactly 32 bytes and the proof exactly as long as the path."""
    if not 0 <= index < size:
        fail(f"inclusion proof: index {index} is outside a tree of size {size}")
    if any(len(h) != 32 for h in (leaf, root, *proof)):
        fail("inclusion proof: every hash must be 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            fail(f"inclusion proof: {len(proof)} hashes, more than the path of leaf {index} in a tree of {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        fail(f"inclusion proof: {len(proof)} hashes, fewer than the path of leaf {index} in a tree of {size}")
    if r != root:
        fail(f"inclusion proof: the path gives root {r.hex()}, the block's root is {root.hex()}")


# --------------------------------------------------------------------------- signatures (section 8)

def signature_der(text: object) -> bytes | None:
    """The DER of a block signature as the format allows it: canonical base64 of canonical DER of (r, s) with
    1 <= r < n and 1 <= s <= n/2 (low S: of the two valid values s and n - s only the lower is allowed). Else None."""
    der = canonical_base64_bytes(text)
    if der is None:
        return None
    try:
        r, s = decode_dss_signature(der)
    except ValueError:
        return None
    if not (0 < r < P256_ORDER and 0 < s <= P256_HALF_ORDER) or encode_dss_signature(r, s) != der:
        return None
    return der


def signature_is_valid(key: ec.EllipticCurvePublicKey, payload: bytes, sig_der_b64: object) -> bool:
    """True iff ``sig_der_b64`` is a block signature in its one allowed spelling (signature_der) that verifies."""
    der = signature_der(sig_der_b64)
    if der is None:
        return False
    try:
        key.verify(der, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def low_s_signature(der: bytes) -> bytes:
    """The low-S form of a DER ECDSA P-256 signature, for signers (AWS KMS returns either form)."""
    r, s = decode_dss_signature(der)
    return der if s <= P256_HALF_ORDER else encode_dss_signature(r, P256_ORDER - s)


# --------------------------------------------------------------------------- X.509 (section 9)

def load_certificate(raw: object, what: str) -> x509.Certificate:
    """A certificate in canonical PEM of canonical DER: X.509 v3, ecdsa-with-SHA256, an EC P-256 key."""
    text = require_text(raw, what)
    try:
        with warnings.catch_warnings():
            # cryptography still loads some non-RFC 5280 certificates with a warning; refuse them.
            warnings.simplefilter("error")
            cert = x509.load_pem_x509_certificate(text.encode("ascii"))
            _ = (cert.extensions, cert.subject, cert.issuer, cert.not_valid_before_utc, cert.not_valid_after_utc)
            key = cert.public_key()
    # Each parse error of a malformed certificate, in whichever form cryptography reports it.
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
            x509.UnsupportedGeneralNameType, Warning) as exc:
        raise VerificationError(f"{what} is not a valid certificate: {exc}") from exc
    if cert.version != x509.Version.v3:
        fail(f"{what} is not an X.509 v3 certificate")
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        fail(f"{what} does not hold an EC P-256 key")
    if cert.public_bytes(Encoding.PEM).decode("ascii") != text:
        fail(f"{what} is not in canonical PEM form")
    if cert.public_bytes(Encoding.DER) != _expected_certificate_der(cert):
        fail(f"{what} is not ecdsa-with-SHA256 in canonical DER")
    return cert


def _expected_certificate_der(cert: x509.Certificate) -> bytes:
    # Only the TBS part is signed. Rebuilding the outer layer from it and the signature (RFC 5758:
    # ecdsa-with-SHA256, no parameters; BIT STRING with no unused bits) leaves no unsigned byte free to change.
    return _der(0x30, cert.tbs_certificate_bytes + _ECDSA_WITH_SHA256_DER + _der(0x03, b"\x00" + cert.signature))


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def certificate_valid_at(cert: x509.Certificate, moment: datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def is_ca_certificate(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def subject_common_name(cert: x509.Certificate) -> str | None:
    """The commonName of a subject that is exactly one attribute, a commonName (what node certificates name); else None."""
    attributes = list(cert.subject)
    if len(attributes) != 1 or attributes[0].oid != NameOID.COMMON_NAME or not isinstance(attributes[0].value, str):
        return None
    return attributes[0].value


def require_signed_by(signed: x509.Certificate | x509.CertificateRevocationList, issuer: x509.Certificate,
                      what: str) -> None:
    """``signed`` uses ecdsa-with-SHA256, verifies under ``issuer``'s key, and names ``issuer``'s subject as issuer."""
    if signed.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        fail(f"{what}: signature algorithm {signed.signature_algorithm_oid.dotted_string}, want ecdsa-with-SHA256")
    key = issuer.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        fail(f"{what}: the issuer's certificate does not hold an EC key")
    tbs = signed.tbs_certlist_bytes if isinstance(signed, x509.CertificateRevocationList) else signed.tbs_certificate_bytes
    try:
        key.verify(signed.signature, tbs, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VerificationError(f"{what} is not signed by the CA") from exc
    if signed.issuer != issuer.subject:
        fail(f"{what}: issuer {signed.issuer.rfc4514_string()} is not the CA {issuer.subject.rfc4514_string()}")


def _is_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        require_signed_by(cert, issuer, "certificate")
    except VerificationError:
        return False
    return True


# --------------------------------------------------------------------------- validator sets (sections 6 and 9)

@dataclass(frozen=True)
class NodeCertificate:
    cert: x509.Certificate
    issuers: tuple[x509.Certificate, ...]  # the CA certificates that issued it


@dataclass(frozen=True)
class Validators:
    """A parsed validator set: keys by id (bundle order), and optionally its CA and node certificates."""

    f: int
    keys: Mapping[str, bytes]  # id -> canonical DER SubjectPublicKeyInfo
    public_keys: Mapping[str, ec.EllipticCurvePublicKey]
    cas: tuple[x509.Certificate, ...] = ()  # ca_certificate, then earlier_ca_certificates
    certificates: Mapping[str, tuple[NodeCertificate, ...]] = field(default_factory=dict)  # current, then earlier

    @property
    def size(self) -> int:
        return len(self.keys)

    @property
    def threshold(self) -> int:
        return 2 * self.f + 1

    @functools.cached_property
    def hash(self) -> str:
        encoded = {key_id: base64.b64encode(der).decode("ascii") for key_id, der in self.keys.items()}
        return hashlib.sha256(canonical_json({"type": VALIDATOR_SET_TYPE, "f": self.f, "validators": encoded})).hexdigest()


def parse_validator_set(raw: object, what: str = "validator_set") -> Validators:
    top = require_object(raw, what, {"f", "validators"}, {"ca_certificate", "earlier_ca_certificates"})
    f = require_uint(top["f"], f"{what}.f")
    entries = [require_object(v, f"{what}.validators[{j}]", {"id", "public_key"}, {"certificate", "earlier_certificates"})
               for j, v in enumerate(require_list(top["validators"], f"{what}.validators", non_empty=True))]
    keys: dict[str, bytes] = {}
    public_keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for j, entry in enumerate(entries):
        validator_id = require_text(entry["id"], f"{what}.validators[{j}].id")
        der, key = _public_key(entry["public_key"], f"{what}.validators[{j}].public_key")
        if validator_id in keys or der in keys.values():
            fail(f"{what}: validator {ascii(validator_id)} repeats another validator's id or key")
        keys[validator_id], public_keys[validator_id] = der, key
    # 2f+1 of N is a safe quorum (any two quorums share an honest validator) only when N = 3f+1;
    # a bundle claiming a smaller f would lower the bar, so it must be exact.
    if len(keys) != 3 * f + 1:
        fail(f"{what} has {len(keys)} validators and f={f}; evidence needs N = 3f+1")
    cas = _ca_certificates(top, what)
    certificates = _node_certificates(entries, keys, cas, what)
    return Validators(f, keys, public_keys, cas, certificates)


def _public_key(raw: object, what: str) -> tuple[bytes, ec.EllipticCurvePublicKey]:
    der = require_base64(raw, what)
    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise VerificationError(f"{what} is not DER SubjectPublicKeyInfo: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        fail(f"{what} is not an EC P-256 key")
    if key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) != der:
        fail(f"{what} is not canonical DER SubjectPublicKeyInfo (uncompressed point)")
    return der, key


def _ca_certificates(top: Mapping[str, Any], what: str) -> tuple[x509.Certificate, ...]:
    if "ca_certificate" not in top:
        if "earlier_ca_certificates" in top:
            fail(f"{what}: earlier_ca_certificates without a ca_certificate")
        return ()
    pems = [top["ca_certificate"]]
    if "earlier_ca_certificates" in top:  # renewed ones, for blocks cut before the renewal
        pems += require_list(top["earlier_ca_certificates"], f"{what}.earlier_ca_certificates", non_empty=True)
    cas = tuple(_ca_certificate(pem, f"{what}.{'ca_certificate' if i == 0 else f'earlier_ca_certificates[{i - 1}]'}")
                for i, pem in enumerate(pems))
    _require_distinct(cas, f"{what}: a CA certificate")
    return cas


def _ca_certificate(raw: object, what: str) -> x509.Certificate:
    ca = load_certificate(raw, what)
    if not is_ca_certificate(ca):
        fail(f"{what} is not a CA certificate (basicConstraints cA is not set)")
    # The CA is a self-signed root: checking its self-signature means every byte of it is covered.
    require_signed_by(ca, ca, what)
    return ca


def _node_certificates(entries: Sequence[Mapping[str, Any]], keys: Mapping[str, bytes], cas: tuple[x509.Certificate, ...],
                       what: str) -> dict[str, tuple[NodeCertificate, ...]]:
    with_certificate = ["certificate" in e for e in entries]
    if any("earlier_certificates" in e and "certificate" not in e for e in entries):
        fail(f"{what}: earlier_certificates without a certificate")
    if not any(with_certificate) and not cas:
        return {}
    if not cas or not all(with_certificate):
        fail(f"{what}: ca_certificate and a certificate for every validator go together")
    out: dict[str, tuple[NodeCertificate, ...]] = {}
    for (validator_id, der), entry in zip(keys.items(), entries, strict=True):
        pems = [entry["certificate"], *(require_list(entry["earlier_certificates"], f"{what}: earlier_certificates of "
                                                     f"{validator_id}", non_empty=True) if "earlier_certificates" in entry else [])]
        certs = tuple(_node_certificate(pem, validator_id, der, cas, f"{what}: certificate of {validator_id}") for pem in pems)
        _require_distinct(tuple(c.cert for c in certs), f"{what}: a certificate of {validator_id}")
        out[validator_id] = certs
    return out


def _node_certificate(raw: object, validator_id: str, der: bytes, cas: tuple[x509.Certificate, ...],
                      what: str) -> NodeCertificate:
    cert = load_certificate(raw, what)
    if is_ca_certificate(cert):
        fail(f"{what} is a CA certificate; a node certificate must not be one")
    name = subject_common_name(cert)
    if name != validator_id:
        fail(f"{what} names {ascii(name)} (its subject must be exactly CN={validator_id})")
    if cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) != der:
        fail(f"{what} is for another public key")
    issuers = tuple(ca for ca in cas if _is_signed_by(cert, ca))
    if not issuers:
        require_signed_by(cert, cas[0], what)  # raises, saying why the current CA did not sign it
    return NodeCertificate(cert, issuers)


def _require_distinct(certs: tuple[x509.Certificate, ...], what: str) -> None:
    if len({c.fingerprint(hashes.SHA256()) for c in certs}) != len(certs):
        fail(f"{what} is listed twice")


def _require_trusted(bundled: Validators, trusted: Validators) -> None:
    if bundled.f != trusted.f or dict(bundled.keys) != dict(trusted.keys):
        fail("the bundle's validator set is not the trusted validator set")
    # The trusted set's CA certificates are trust anchors: each of the bundle's must be one of them (an older one
    # too, for a bundle issued before the CA certificate was renewed).
    anchors = {c.fingerprint(hashes.SHA256()) for c in trusted.cas}
    if anchors and (not bundled.cas or any(c.fingerprint(hashes.SHA256()) not in anchors for c in bundled.cas)):
        fail("the bundle's ca_certificate is not the trusted one")


def _require_certificates_valid_at(validators: Validators, signers: Iterable[str], moment: datetime) -> None:
    """Each signer holds a certificate valid at ``moment`` from a CA certificate that is valid then too."""
    if not validators.cas:
        return
    if not any(certificate_valid_at(ca, moment) for ca in validators.cas):
        fail(f"ca_certificate is not valid at the block time {moment.isoformat()}")
    for validator_id in signers:
        if not any(certificate_valid_at(node.cert, moment) and any(certificate_valid_at(ca, moment) for ca in node.issuers)
                   for node in validators.certificates[validator_id]):
            fail(f"no certificate of {validator_id} is valid at the block time {moment.isoformat()} "
                 "under a CA certificate valid then")


# --------------------------------------------------------------------------- bundles (sections 9 and 10)

@dataclass(frozen=True)
class Summary:
    ledger_id: str
    entries: int
    validators: int
    threshold: int
    tree_sizes: Mapping[str, int]  # log -> largest tree size an entry was proven in
    attachments_checked: int
    validator_set_pinned: bool
    attachment_names: tuple[str, ...] = ()  # in the order of their first appearance in the items

    def line(self) -> str:
        noun = "entry" if self.entries == 1 else "entries"
        logs = ", ".join(f"{log} up to tree size {size}" for log, size in sorted(self.tree_sizes.items()))
        text = (f"OK: {self.entries} {noun} verified against {self.validators} validators "
                f"(quorum {self.threshold}/{self.validators}), ledger {self.ledger_id}, "
                f"log{'s' if len(self.tree_sizes) > 1 else ''} {logs}")
        if self.attachments_checked:
            text += f", {self.attachments_checked} attachments checked"
        return text


@dataclass
class _Seen:
    """What the items of one bundle showed so far, for the checks across items."""

    blocks: dict[tuple[str, int], CheckedBlock] = field(default_factory=dict)
    entries: dict[tuple[str, int], bytes] = field(default_factory=dict)
    attachments: dict[str, str] = field(default_factory=dict)  # name -> sha256, in order of first appearance


def verify_evidence(data: bytes, *, trusted_validator_set: Mapping[str, Any] | Validators | None = None) -> Summary:
    """Verify a bundle given as the bytes of either bundle.json or an evidence zip holding it."""
    if not is_zip(data):
        return verify_bundle_bytes(data, None, trusted_validator_set=trusted_validator_set)
    bundle, members = read_evidence_zip(data)
    summary = verify_bundle_bytes(bundle, dict(members), trusted_validator_set=trusted_validator_set)
    order = tuple(name for name, _ in members)
    if order != summary.attachment_names:
        fail(f"evidence zip members after {BUNDLE_MEMBER} are {list(order)}; the format wants the attachments in the "
             f"order of their first appearance in the items: {list(summary.attachment_names)}")
    return summary


def is_zip(data: bytes) -> bool:
    """The zip form starts with a local header ("PK") or ends with an end of central directory record; bundle.json
    (JSON, which never holds a raw 0x05 byte) does neither."""
    return data.startswith(b"PK") or data[-_END.size:-_END.size + 4] == b"PK\x05\x06"


def verify_bundle_bytes(data: bytes, attachments: Mapping[str, bytes] | None = None, *,
                        trusted_validator_set: Mapping[str, Any] | Validators | None = None) -> Summary:
    return verify_bundle(parse_json(data), attachments, trusted_validator_set=trusted_validator_set)


def verify_bundle(bundle: object, attachments: Mapping[str, bytes] | None = None, *,
                  trusted_validator_set: Mapping[str, Any] | Validators | None = None) -> Summary:
    """Verify every item of ``bundle``; raise VerificationError on the first failure.

    ``attachments`` (file name -> bytes, from a zip) are checked against the digests their entries commit to.
    ``trusted_validator_set`` is the published validator set; when given, the bundle's own set must match it,
    otherwise the bundle is only self-consistent (anyone can make a self-consistent bundle with their own keys).
    """
    top = require_object(bundle, "bundle", {"format", "ledger_id", "validator_set", "items"})
    if top["format"] not in BUNDLE_FORMATS:
        fail(f"format is {ascii(top['format'])[:60]}, want one of {sorted(BUNDLE_FORMATS)}")
    ledger_id = require_text(top["ledger_id"], "ledger_id")
    validators = parse_validator_set(top["validator_set"])
    if trusted_validator_set is not None:
        _require_trusted(validators, _trusted(trusted_validator_set))
    seen = _Seen()
    items = require_list(top["items"], "items", non_empty=True)
    for i, item in enumerate(items):
        try:
            _verify_item(item, ledger_id, validators, seen)
        except VerificationError as exc:
            raise VerificationError(f"item {i}: {exc}") from exc
    _require_one_history(seen.blocks)
    checked = _verify_attachment_files(seen.attachments, attachments)
    tree_sizes: dict[str, int] = {}
    for (log, _), block in seen.blocks.items():
        tree_sizes[log] = max(tree_sizes.get(log, 0), block.tree_size)
    return Summary(ledger_id=ledger_id, entries=len(items), validators=validators.size, threshold=validators.threshold,
                   tree_sizes=tree_sizes, attachments_checked=checked,
                   validator_set_pinned=trusted_validator_set is not None, attachment_names=tuple(seen.attachments))


def _trusted(raw: Mapping[str, Any] | Validators) -> Validators:
    if isinstance(raw, Validators):
        return raw
    try:
        return parse_validator_set(raw, "trusted validator set")
    except VerificationError as exc:
        raise VerificationError(f"the trusted validator set is invalid: {exc}") from exc


def _verify_item(raw: object, ledger_id: str, validators: Validators, seen: _Seen) -> None:
    item = require_object(raw, "item", {"entry", "inclusion_proof", "block", "certificate"}, {"attachments"})
    entry = check_entry(item["entry"])
    block = check_block(item["block"])
    if ACTION_LOG[entry.action] != entry.log:
        fail(f"entry action {entry.action!r} belongs on the {ACTION_LOG[entry.action]} log, not {entry.log}")
    if block.ledger_id != ledger_id:
        fail(f"block belongs to ledger {ascii(block.ledger_id)}, the bundle to {ascii(ledger_id)}")
    if block.validators_hash != validators.hash:
        fail(f"block was certified by another validator set (validators_hash {block.validators_hash}, "
             f"the bundle's set hashes to {validators.hash})")
    if entry.log != block.log or entry.index >= block.tree_size:
        fail(f"entry {entry.log}#{entry.index} cannot be in the {block.log} tree of size {block.tree_size}")
    proof = [bytes.fromhex(require_hex64(h, f"inclusion_proof[{j}]"))
             for j, h in enumerate(require_list(item["inclusion_proof"], "inclusion_proof"))]
    verify_inclusion(entry.leaf_hash, entry.index, block.tree_size, proof, block.root)
    signers = _verify_quorum_certificate(item["certificate"], block, validators)
    _require_certificates_valid_at(validators, signers, block.cut_at)
    _remember(seen, entry, block)
    if "attachments" in item:
        _collect_attachments(item["attachments"], entry, seen.attachments)


def _verify_quorum_certificate(raw: object, block: CheckedBlock, validators: Validators) -> list[str]:
    cert = require_object(raw, "certificate", {"header_hash", "signatures"})
    if cert["header_hash"] != block.hash:
        fail(f"certificate is for header {ascii(cert['header_hash'])[:70]}, the block hashes to {block.hash}")
    counted: list[str] = []
    payload = block.signing_payload
    # A quorum certificate is assembled from signatures the platform checked, so any extra entry
    # (unknown id, repeat, bad or high-S signature) means the bundle was altered.
    for j, value in enumerate(require_list(cert["signatures"], "certificate.signatures")):
        sig = require_object(value, f"certificate.signatures[{j}]", {"validator_id", "signature"})
        validator_id = require_text(sig["validator_id"], f"certificate.signatures[{j}].validator_id")
        key = validators.public_keys.get(validator_id)
        if key is None or validator_id in counted:
            fail(f"certificate.signatures[{j}]: {ascii(validator_id)} is not a validator of the set, or signs twice")
        if signature_der(sig["signature"]) is None:
            fail(f"certificate.signatures[{j}].signature is not canonical base64 of canonical DER with low S (s <= n/2)")
        if not signature_is_valid(key, payload, sig["signature"]):
            fail(f"certificate.signatures[{j}]: the signature of {validator_id} does not verify over the block")
        counted.append(validator_id)
    if len(counted) < validators.threshold:
        fail(f"certificate: quorum not reached: {len(counted)} valid signatures from distinct validators, "
             f"{validators.threshold} needed")
    return counted


def _remember(seen: _Seen, entry: CheckedEntry, block: CheckedBlock) -> None:
    earlier = seen.blocks.setdefault((block.log, block.height), block)
    if earlier.encoded != block.encoded:
        fail(f"fork: two different certified blocks of the {block.log} log at height {block.height} "
             f"({earlier.hash} and {block.hash})")
    entry_key = (entry.log, entry.index)
    if seen.entries.setdefault(entry_key, entry.encoded) != entry.encoded:
        fail(f"fork: two different entries at {entry.log}#{entry.index}")


def _require_one_history(blocks: Mapping[tuple[str, int], CheckedBlock]) -> None:
    """Blocks of one log at different heights must fit one chain (section 7): never two histories in one bundle."""
    by_log: dict[str, list[CheckedBlock]] = {}
    for block in blocks.values():
        by_log.setdefault(block.log, []).append(block)
    for log, chain in by_log.items():
        chain.sort(key=lambda b: b.height)
        for lower, upper in zip(chain, chain[1:], strict=False):
            adjacent = upper.height == lower.height + 1
            if (lower.tree_size > upper.first_seq or lower.cut_at > upper.cut_at
                    or (adjacent and (upper.prev_hash != lower.hash or upper.first_seq != lower.tree_size))):
                fail(f"fork: the {log} blocks at heights {lower.height} and {upper.height} are not of one chain")


def check_attachment_name(raw: object, what: str) -> str:
    """A plain file name: POSIX portable characters, 1-255 of them, not starting with '.', and not bundle.json."""
    if not isinstance(raw, str) or not _ATTACHMENT_NAME.fullmatch(raw) or raw == BUNDLE_MEMBER:
        fail(f"{what} {ascii(raw)[:80]} is not a plain file name ([A-Za-z0-9._-], 1-255, not starting with '.', "
             f"not {BUNDLE_MEMBER})")
    return raw


def _collect_attachments(raw: object, entry: CheckedEntry, declared: dict[str, str]) -> None:
    names: set[str] = set()
    for j, value in enumerate(require_list(raw, "attachments", non_empty=True)):
        attachment = require_object(value, f"attachments[{j}]", {"name", "sha256"}, {"salt"})
        name = check_attachment_name(attachment["name"], f"attachments[{j}].name")
        digest = require_hex64(attachment["sha256"], f"attachments[{j}].sha256")
        committed = digest
        if "salt" in attachment:  # the entry holds a hiding commitment, not the digest itself
            salt = require_hex64(attachment["salt"], f"attachments[{j}].salt")
            committed = hashlib.sha256(COMMITMENT_TAG + bytes.fromhex(salt) + bytes.fromhex(digest)).hexdigest()
        if name in names or entry.digests.get(name) != committed:
            fail(f"attachment {name!r} is repeated or not the file entry.digests names")
        clash = next((other for other in declared if other.lower() == name.lower() and other != name), None)
        if declared.setdefault(name, digest) != digest or clash is not None:
            fail(f"attachment name {name!r} is used for two different files")
        names.add(name)


def _verify_attachment_files(declared: Mapping[str, str], files: Mapping[str, bytes] | None) -> int:
    if files is None:
        return 0
    missing, extra = sorted(set(declared) - set(files)), sorted(set(files) - set(declared))
    if missing or extra:
        fail(f"evidence files do not match the bundle: missing {missing}, unreferenced {[ascii(n) for n in extra]}")
    for name, digest in declared.items():
        actual = hashlib.sha256(files[name]).hexdigest()
        if actual != digest:
            fail(f"attachment {name!r} has sha256 {actual}, its entry commits to {digest}")
    return len(declared)


# --------------------------------------------------------------------------- the evidence zip (section 9, zip form)

_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header, 30 bytes, then the name
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header, 46 bytes, then the name
_END = struct.Struct("<IHHHHIIH")  # end of central directory record, 22 bytes
_LOCAL_SIG, _CENTRAL_SIG, _END_SIG = 0x04034B50, 0x02014B50, 0x06054B50
ZIP_VERSION = 20  # version made by (MS-DOS host, spec 2.0) and version needed to extract
ZIP_DOS_TIME, ZIP_DOS_DATE = 0, 0x0021  # 1980-01-01 00:00:00, the earliest DOS time


def write_evidence_zip(bundle_json: bytes, attachments: Iterable[tuple[str, bytes]]) -> bytes:
    """The one evidence zip layout the format allows: bundle.json, then each attachment in the order of its first
    appearance in the items, all stored (not compressed), fixed times, no extra fields, comments or descriptors."""
    local, central = bytearray(), bytearray()
    count = 0
    for name, data in [(BUNDLE_MEMBER, bundle_json), *attachments]:
        raw = name.encode("ascii")
        common = (ZIP_VERSION, 0, 0, ZIP_DOS_TIME, ZIP_DOS_DATE, zlib.crc32(data), len(data), len(data), len(raw))
        central += _CENTRAL.pack(_CENTRAL_SIG, ZIP_VERSION, *common, 0, 0, 0, 0, 0, len(local)) + raw
        local += _LOCAL.pack(_LOCAL_SIG, *common, 0) + raw + data
        count += 1
    return bytes(local + central + _END.pack(_END_SIG, 0, 0, count, count, len(central), len(local), 0))


def read_evidence_zip(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """bundle.json and the (name, bytes) of the other members, in order, of a zip in exactly the allowed layout."""
    if len(data) > MAX_ZIP_TOTAL_BYTES:
        fail(f"evidence zip is larger than {MAX_ZIP_TOTAL_BYTES} bytes")
    count, cd_offset = _end_record(data)
    members: list[tuple[str, bytes]] = []
    position, offset = cd_offset, 0  # the next central header, the next local header
    for k in range(count):
        name, crc, size, local_offset, position = _central_header(data, position, k)
        if local_offset != offset:
            fail(f"evidence zip member {k} ({name}) starts at byte {local_offset}, want {offset} (no bytes before or "
                 "between members)")
        start = _local_header(data, offset, k, name, crc, size)
        content = data[start:start + size]
        if zlib.crc32(content) != crc:
            fail(f"evidence zip member {k} ({name}) does not match its CRC-32")
        members.append((name, content))
        offset = start + size
    if offset != cd_offset or position != len(data) - _END.size:
        fail("evidence zip has bytes between its members and its central directory, or within the directory")
    if len({name for name, _ in members}) != count or members[0][0] != BUNDLE_MEMBER:
        fail(f"evidence zip must hold {BUNDLE_MEMBER} first and each member once")
    return members[0][1], members[1:]


def _end_record(data: bytes) -> tuple[int, int]:
    if len(data) < _END.size:
        fail("evidence zip is unreadable: too short")
    sig, disk, cd_disk, on_disk, total, cd_size, cd_offset, comment = _END.unpack_from(data, len(data) - _END.size)
    _expect("evidence zip end of central directory", (("signature", sig, _END_SIG), ("disk", disk, 0), ("directory disk", cd_disk, 0),
                                         ("entries on this disk", on_disk, total), ("comment length", comment, 0),
                                         ("directory end", cd_offset + cd_size, len(data) - _END.size)))
    if total == 0:
        fail(f"evidence zip has no members; it must hold {BUNDLE_MEMBER}")
    return total, cd_offset


def _central_header(data: bytes, position: int, k: int) -> tuple[str, int, int, int, int]:
    end = len(data) - _END.size
    if position + _CENTRAL.size > end:
        fail(f"evidence zip central directory ends before member {k}")
    (sig, made_by, needed, flags, method, mtime, mdate, crc, csize, size, name_len, extra_len, comment_len, disk,
     internal, external, local_offset) = _CENTRAL.unpack_from(data, position)
    name = _member_name(data[position + _CENTRAL.size:min(position + _CENTRAL.size + name_len, end)], name_len, k)
    _expect(f"evidence zip central header {k} ({name})", (
        ("signature", sig, _CENTRAL_SIG), ("version made by", made_by, ZIP_VERSION), ("version needed", needed, ZIP_VERSION),
        ("flags", flags, 0), ("method (0, stored)", method, 0), ("time", mtime, ZIP_DOS_TIME), ("date", mdate, ZIP_DOS_DATE),
        ("compressed size", csize, size), ("extra length", extra_len, 0), ("comment length", comment_len, 0),
        ("disk", disk, 0), ("internal attributes", internal, 0), ("external attributes", external, 0)))
    if size > MAX_ZIP_MEMBER_BYTES:
        fail(f"evidence zip member {k} ({name}) is larger than {MAX_ZIP_MEMBER_BYTES} bytes")
    return name, crc, size, local_offset, position + _CENTRAL.size + name_len


def _local_header(data: bytes, offset: int, k: int, name: str, crc: int, size: int) -> int:
    raw = name.encode("ascii")
    start = offset + _LOCAL.size + len(raw)
    if start + size > len(data):
        fail(f"evidence zip member {k} ({name}) runs past the end of the file")
    sig, needed, flags, method, mtime, mdate, lcrc, csize, usize, name_len, extra_len = _LOCAL.unpack_from(data, offset)
    _expect(f"evidence zip local header {k} ({name})", (
        ("signature", sig, _LOCAL_SIG), ("version needed", needed, ZIP_VERSION), ("flags", flags, 0),
        ("method (0, stored)", method, 0), ("time", mtime, ZIP_DOS_TIME), ("date", mdate, ZIP_DOS_DATE),
        ("CRC-32", lcrc, crc), ("compressed size", csize, size), ("size", usize, size), ("name length", name_len, len(raw)),
        ("extra length", extra_len, 0), ("name", data[offset + _LOCAL.size:start] == raw, True)))
    return start


def _member_name(raw: bytes, length: int, k: int) -> str:
    try:
        name = raw.decode("ascii")
    except UnicodeDecodeError:
        fail(f"evidence zip member {k} has a name that is not ASCII")
    if len(raw) != length or (name != BUNDLE_MEMBER and not _ATTACHMENT_NAME.fullmatch(name)):
        fail(f"evidence zip member {k} has the name {ascii(name)[:80]}, which is neither {BUNDLE_MEMBER} nor a plain file name")
    return name


def _expect(where: str, fields: Iterable[tuple[str, object, object]]) -> None:
    def show(value: object) -> str:
        return f"0x{value:08x}" if isinstance(value, int) and not isinstance(value, bool) and value > 0xFFFF else repr(value)

    for what, actual, want in fields:
        if actual != want:
            fail(f"{where}: {what} is {show(actual)}, want {show(want)}")


# --------------------------------------------------------------------------- command line (section 12)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="evidence bundle: bundle.json, or an evidence .zip holding bundle.json and the "
                                     "attached files")
    parser.add_argument("--validators", metavar="FILE",
                        help="published validator set (GET /ledger/validators: JSON shaped like the bundle's "
                             "validator_set); the bundle's set must match it")


def run(args: argparse.Namespace) -> int:
    try:
        trusted = None if args.validators is None else read_validators_file(args.validators)
        summary = verify_evidence(_read(args.file, "evidence file"), trusted_validator_set=trusted)
    except VerificationError as exc:
        _say(sys.stderr, f"FAIL: {exc}")
        return 1
    _say(sys.stdout, summary.line())
    if not summary.validator_set_pinned:
        _say(sys.stderr, "note: validator keys were taken from the bundle itself; pass --validators FILE to check them "
                         "against the published set")
    return 0


def read_validators_file(path: str) -> Validators:
    """The published validator set in the file at ``path``; a failure names the file."""
    data = _read(path, "validators file")
    what = f"validators file {path}"
    try:
        return parse_validator_set(parse_json(data, what), "validator_set")
    except VerificationError as exc:
        message = str(exc)
        raise VerificationError(message if message.startswith(what) else f"{what} is not a valid validator set: "
                                f"{message}") from exc


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BUNDLE_FILE_BYTES + 1)
    except OSError as exc:
        raise VerificationError(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_BUNDLE_FILE_BYTES:
        fail(f"the {what} {path} is larger than {MAX_BUNDLE_FILE_BYTES} bytes")
    return data


def _say(stream: Any, line: str) -> None:
    # A bundle's strings reach the output (a ledger id, a name): never let the terminal's encoding raise.
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(line.encode(encoding, "backslashreplace").decode(encoding) + "\n")
    stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verifier.py", description="Verify a CarParker evidence bundle offline "
                                     "(docs/ledger-format.md). Exit status 0: OK; 1: FAIL with the reason.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
