"""Validator sets and quorum certificates: data plus one counting predicate.

Modelled on transparency-dev/formats witness/witness.go: the set refuses impossible
configurations when it is built, and verification counts distinct validators whose
signature verifies. Signatures are ECDSA P-256 over SHA-256 of the payload, DER encoded,
exactly what AWS KMS Sign returns for ECDSA_SHA_256 with MessageType RAW; public keys
are DER SubjectPublicKeyInfo, what KMS GetPublicKey returns.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from chalicelib.domain.canonical import canonical_bytes, parse_canonical
from chalicelib.domain.errors import InvalidInputError, RuleViolationError

# The offline verifier's own checks: a signature counts here exactly when an evidence bundle may carry it
# (canonical base64 of canonical DER, low S, verifying), so whatever the platform certifies verifies offline.
from chalicelib.verify import canonical_base64_bytes, signature_is_valid

VALIDATOR_SET_TYPE = "carparker.validator-set/v1"


class ValidatorSetError(InvalidInputError, ValueError):
    """A validator set that can never be safe or well defined."""

    code = "invalid_validator_set"


class QuorumError(RuleViolationError):
    """Fewer than ``needed`` distinct validators signed validly (``counted`` did)."""

    code = "quorum_not_reached"

    def __init__(self, counted: int, needed: int) -> None:
        super().__init__(f"quorum not reached: {counted} valid signatures from distinct "
                         f"validators, {needed} needed")
        self.counted = counted
        self.needed = needed


@dataclass(frozen=True)
class Validator:
    id: str
    public_key_der: bytes


@dataclass(frozen=True)
class Signature:
    validator_id: str
    sig_der_b64: str


@dataclass(frozen=True)
class QuorumCertificate:
    """Signatures over signing_payload(header) of the header whose hash is ``header_hash``."""

    header_hash: str
    signatures: tuple[Signature, ...]


@dataclass(frozen=True)
class ValidatorSet:
    """N validators tolerating ``f`` Byzantine ones; a quorum is 2f + 1 of them.

    Rejects duplicate ids, duplicate keys (the same key under two ids would count
    twice), keys that are not P-256, f < 0 and N < 3f + 1.
    """

    validators: tuple[Validator, ...]
    f: int
    _keys: Mapping[str, ec.EllipticCurvePublicKey] = field(
        init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "validators", tuple(self.validators))
        if type(self.f) is not int or self.f < 0:
            raise ValidatorSetError(f"f must be a non-negative integer, got {self.f!r}")
        if len(self.validators) < 3 * self.f + 1:
            raise ValidatorSetError(f"{len(self.validators)} validators cannot tolerate "
                                    f"f={self.f}: need at least {3 * self.f + 1}")
        object.__setattr__(self, "_keys", _load_distinct_keys(self.validators))

    @property
    def threshold(self) -> int:
        return 2 * self.f + 1

    @property
    def size(self) -> int:
        return len(self.validators)

    def public_key(self, validator_id: str) -> ec.EllipticCurvePublicKey | None:
        return self._keys.get(validator_id)

    def public_keys(self) -> Mapping[str, ec.EllipticCurvePublicKey]:
        return MappingProxyType(dict(self._keys))

    @functools.cached_property
    def hash(self) -> str:
        """validator_set_hash, computed once: a set is immutable and its hash is asked for at every block."""
        return hashlib.sha256(canonical_bytes(validator_set_to_dict(self))).hexdigest()


def validator_set_to_dict(vset: ValidatorSet) -> dict[str, object]:
    """The set as JSON: validators keyed by id (so order does not matter), keys as
    standard base64 of their canonical DER SubjectPublicKeyInfo."""
    keys = {validator_id: base64.b64encode(public_key_der(key)).decode("ascii")
            for validator_id, key in vset.public_keys().items()}
    return {"type": VALIDATOR_SET_TYPE, "f": vset.f, "validators": keys}


def validator_set_from_dict(data: object) -> ValidatorSet:
    """The inverse of validator_set_to_dict (keys as canonical base64 DER); ValidatorSetError if malformed."""
    if not isinstance(data, dict) or set(data) != {"type", "f", "validators"} or data["type"] != VALIDATOR_SET_TYPE:
        raise ValidatorSetError(f"not a {VALIDATOR_SET_TYPE} object")
    keys = data["validators"]
    if not isinstance(keys, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
        raise ValidatorSetError("validators must map ids to base64 DER public keys")
    validators = []
    for validator_id, key in sorted(keys.items()):
        der = canonical_base64_bytes(key)
        if der is None:
            raise ValidatorSetError(f"the key of {validator_id!r} is not canonical base64")
        validators.append(Validator(validator_id, der))
    return ValidatorSet(tuple(validators), data["f"])


@functools.lru_cache(maxsize=16)
def validator_set_of_text(text: str) -> ValidatorSet:
    """The set whose canonical JSON is ``text`` (as a block item stores it), parsed once per distinct text: a log
    is certified by one set for thousands of blocks. ValidatorSetError, CanonicalJSONError or ValueError if not."""
    return validator_set_from_dict(parse_canonical(text))


def same_key_members(a: ValidatorSet, b: ValidatorSet) -> frozenset[str]:
    """The ids that are members of both sets with the same key. Over a block that hands a log from one set to the
    other their signatures count for both, so a handover can only be certified if they reach the old set's
    threshold: at most f members of the old set can be replaced at once."""
    a_keys, b_keys = a.public_keys(), b.public_keys()
    return frozenset(vid for vid, key in a_keys.items() if vid in b_keys and public_key_der(b_keys[vid]) == public_key_der(key))


def validator_set_hash(vset: ValidatorSet) -> str:
    """Lowercase hex SHA-256 of the set's canonical JSON; block headers carry it as
    ``validators_hash`` so a quorum certificate also commits to the set that signed it."""
    return vset.hash


def load_p256_public_key(der: bytes) -> ec.EllipticCurvePublicKey:
    """Load a DER SubjectPublicKeyInfo and insist that it is an EC P-256 key."""
    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidatorSetError(f"public key is not valid DER SubjectPublicKeyInfo: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValidatorSetError("public key is not an EC P-256 key")
    return key


def public_key_der(key: ec.EllipticCurvePublicKey) -> bytes:
    """The canonical (uncompressed-point) DER SubjectPublicKeyInfo of ``key``."""
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def verify_certificate(vset: ValidatorSet, payload: bytes,
                       signatures: Iterable[Signature]) -> list[str]:
    """Return the ids of the distinct validators of ``vset`` that validly signed ``payload``.

    Unknown ids, repeated ids and signatures that do not verify are ignored, never
    counted. Raises QuorumError if fewer than ``vset.threshold`` remain.
    """
    counted: list[str] = []
    for signature in signatures:
        if signature.validator_id in counted:
            continue
        key = vset.public_key(signature.validator_id)
        if key is not None and signature_is_valid(key, payload, signature.sig_der_b64):
            counted.append(signature.validator_id)
    if len(counted) < vset.threshold:
        raise QuorumError(counted=len(counted), needed=vset.threshold)
    return counted


def _load_distinct_keys(validators: tuple[Validator, ...]) -> dict[str, ec.EllipticCurvePublicKey]:
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    seen_der: set[bytes] = set()
    for validator in validators:
        if not isinstance(validator.id, str) or not validator.id:
            raise ValidatorSetError(f"validator id must be a non-empty string: {validator.id!r}")
        if validator.id in keys:
            raise ValidatorSetError(f"duplicate validator id {validator.id!r}")
        key = load_p256_public_key(validator.public_key_der)
        der = public_key_der(key)  # normalised, so one key in two encodings is still caught
        if der in seen_der:
            raise ValidatorSetError(f"validator {validator.id!r} reuses another validator's key")
        seen_der.add(der)
        keys[validator.id] = key
    return keys
