"""The enclave on KMS and the AWS Encryption SDK: the only code that touches key material.

Key hierarchy (docs/enclave.md): the KMS enclave key wraps one random 256-bit key per user; each
sealed value is an Encryption SDK message whose data key is wrapped by that user key (a raw AES-GCM
master key named after the user). Every message carries the context {user_id, purpose, object_id},
which is checked again after decrypt. Erasing a user overwrites their wrapped key with a tombstone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import aws_encryption_sdk
import botocore.session
from aws_encryption_sdk import CommitmentPolicy, StrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError
from aws_encryption_sdk.identifiers import Algorithm, EncryptionKeyType, WrappingAlgorithm
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.base import MasterKeyProvider
from aws_encryption_sdk.key_providers.raw import RawMasterKey
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..domain.envelope import open_in_enclave
from ..domain.errors import ConflictError, InvalidInputError, KeyErasedError, SealError, UnavailableError
from ..services.ports import Clock
from .enclave_tables import ACTIVE, DynamoSecretStore, DynamoUserKeyStore, StoredSecret, WrappedUserKey

COMMITMENT = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
# Key-committing, unsigned: only the enclave ever holds a user key, so a signature would prove nothing more.
SUITE = Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
USER_KEY_PROVIDER = "carparker-user"
USER_KEY_PURPOSE = "user-key"
ENCLAVE_OWNER = "_enclave"  # the "user" that owns the enclave's own secrets; never a Cognito sub
DEVICE_SECRET = "device-ecdh-key"
BLIND_INDEX_SECRET = "blind-index-key"
# What a malformed or altered message can raise out of the SDK's parser and decryptor.
_DECODE_ERRORS = (AWSEncryptionSDKClientError, InvalidTag, InvalidSignature, ValueError, TypeError, KeyError, struct.error,
                  BotoCoreError, ClientError)
_KMS_UNAVAILABLE = ("ThrottlingException", "KMSInternalException", "DependencyTimeoutException", "ServiceUnavailable")


def context_for(user_id: str, purpose: str, object_id: str) -> dict[str, str]:
    values = {"user_id": user_id, "purpose": purpose, "object_id": object_id}
    for name, value in values.items():
        if not isinstance(value, str) or not value or len(value) > 256 or not value.isprintable():
            raise InvalidInputError(f"{name} must be 1-256 printable characters", field=name)
    return values


def _user_context(user_id: str, purpose: str, object_id: str) -> dict[str, str]:
    """Application data: the enclave's own names are off limits, so no caller can ask for its keys."""
    if user_id == ENCLAVE_OWNER or purpose == USER_KEY_PURPOSE:
        raise InvalidInputError("reserved owner or purpose", field="purpose")
    return context_for(user_id, purpose, object_id)


def check_context(found: Mapping[str, str], expected: Mapping[str, str]) -> None:
    """The SDK authenticates the context but does not compare it with what we asked for: we do."""
    if dict(found) != dict(expected):
        raise SealError("the sealed data belongs to another owner, purpose or object", code="context_mismatch")


def _translate_kms(exc: Exception) -> Exception:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") in _KMS_UNAVAILABLE:
        return UnavailableError("the key service is not answering; try again later")
    return SealError("the enclave refused to open or seal this data")


@dataclass
class KmsStats:
    """KMS calls made by this container, counted from botocore's own events (benchmarks read it)."""

    calls: int = 0

    def count(self, **_: object) -> None:
        self.calls += 1


class _KeyCache:
    """Unwrapped user keys, briefly, in this container's memory only: many seals cost one KMS call."""

    def __init__(self, ttl_s: float, max_entries: int, now: Callable[[], float]) -> None:
        self.ttl_s, self.max_entries, self.now = ttl_s, max_entries, now
        self.entries: OrderedDict[str, tuple[float, RawMasterKey]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, user_id: str) -> RawMasterKey | None:
        with self.lock:
            hit = self.entries.get(user_id)
            if hit is None or self.now() - hit[0] > self.ttl_s:
                self.entries.pop(user_id, None)
                return None
            self.entries.move_to_end(user_id)
            return hit[1]

    def put(self, user_id: str, key: RawMasterKey) -> None:
        if self.ttl_s <= 0:
            return
        with self.lock:
            self.entries[user_id] = (self.now(), key)
            self.entries.move_to_end(user_id)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def evict(self, user_id: str) -> None:
        with self.lock:
            self.entries.pop(user_id, None)


def _new_hmac_root() -> tuple[bytes, str]:
    return secrets.token_bytes(32), "(symmetric: no public half)"


def load_p256_private_key(der: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SealError("an enclave secret does not hold the expected P-256 key", code="bad_enclave_secret")
    return key


def _new_p256_key() -> tuple[bytes, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode("ascii")


def _user_master_key(user_id: str, key_ref: str, key: bytes) -> RawMasterKey:
    wrapping = WrappingKey(WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING, key, EncryptionKeyType.SYMMETRIC)
    return RawMasterKey(provider_id=USER_KEY_PROVIDER, key_id=f"{user_id}/{key_ref}".encode(), wrapping_key=wrapping)


class KmsEnclave:
    """The Enclave, KeyEraser, DeviceChannel and BlindIndex ports, plus the enclave's own sealed secrets (for the CA)."""

    def __init__(self, key_arn: str, user_keys: DynamoUserKeyStore, secrets_store: DynamoSecretStore, clock: Clock, *,
                 cache_ttl_s: float = 60, cache_size: int = 4096, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.key_arn = key_arn
        self.user_keys, self.secrets, self.clock = user_keys, secrets_store, clock
        self.stats = KmsStats()
        session = botocore.session.Session()
        session.register("before-call.kms", self.stats.count)
        self.kms = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)
        self.sdk = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=COMMITMENT, max_encrypted_data_keys=1)
        self.cache = _KeyCache(cache_ttl_s, cache_size, monotonic)
        self.own: dict[str, tuple[bytes, str]] = {}
        self.own_lock = threading.Lock()

    # ------------------------------------------------------------------ blind indexes

    def blind_index(self, purpose: str, value: str) -> str:
        """A keyed, deterministic tag of a value (e.g. a plate for gate lookups) that can be stored and
        queried without the value: HMAC-SHA256 under a per-purpose key derived from an enclave secret."""
        context_for(ENCLAVE_OWNER, purpose, "blind-index")
        root = self.own_secret(BLIND_INDEX_SECRET, _new_hmac_root)[0]
        key = hmac.new(root, b"carparker/blind-index/v1\x00" + purpose.encode(), hashlib.sha256).digest()
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------------ key establishment with devices

    def device_public_key_pem(self) -> str:
        return self.own_secret(DEVICE_SECRET, _new_p256_key)[1]

    def reseal_from_device(self, user_id: str, purpose: str, label: str, object_id: str, envelope: bytes) -> bytes:
        """Open a device envelope and seal its content to the user, here; the plaintext goes nowhere else.
        The device binds its envelope to a label it knows in advance (the document side); the sealed copy
        is bound to the server-side object id (case and side)."""
        context = _user_context(user_id, purpose, object_id)
        context_for(user_id, purpose, label)
        private = load_p256_private_key(self.own_secret(DEVICE_SECRET, _new_p256_key)[0])
        plaintext = open_in_enclave(private, user_id, purpose, label, envelope)
        return self._encrypt(plaintext, self._user_key(user_id, create=True), context)

    # ------------------------------------------------------------------ the port

    def seal(self, user_id: str, purpose: str, object_id: str, plaintext: bytes) -> bytes:
        context = _user_context(user_id, purpose, object_id)
        return self._encrypt(plaintext, self._user_key(user_id, create=True), context)

    def unseal(self, user_id: str, purpose: str, object_id: str, ciphertext: bytes) -> bytes:
        context = _user_context(user_id, purpose, object_id)
        return self._decrypt(ciphertext, self._user_key(user_id, create=False), context)

    def erase_user(self, user_id: str) -> None:
        """Crypto-shredding: the wrapped key is overwritten; nothing sealed to this user opens again."""
        context_for(user_id, USER_KEY_PURPOSE, "erase")
        self.user_keys.erase(user_id, self.clock.now())
        self.cache.evict(user_id)

    # ------------------------------------------------------------------ the enclave's own secrets

    def seal_own(self, purpose: str, object_id: str, plaintext: bytes) -> bytes:
        """Sealed directly under the KMS key (no user key): the CA and key-exchange private keys."""
        return self._encrypt(plaintext, self.kms, context_for(ENCLAVE_OWNER, purpose, object_id))

    def unseal_own(self, purpose: str, object_id: str, ciphertext: bytes) -> bytes:
        return self._decrypt(ciphertext, self.kms, context_for(ENCLAVE_OWNER, purpose, object_id))

    def own_secret(self, name: str, create: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
        """(private bytes, public PEM) of a named enclave secret, created and sealed on first use, then
        kept in this container's memory (it never changes; at rest it exists only sealed)."""
        with self.own_lock:
            if name not in self.own:
                self.own[name] = self._load_own(name, create)
            return self.own[name]

    def _load_own(self, name: str, create: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
        stored = self.secrets.get(name)
        if stored is None:
            private, public = create()
            try:
                self.secrets.add(StoredSecret(name, self.seal_own(name, "v1", private), public), self.clock.now())
            except ConflictError:
                pass  # another container created it first: use theirs
            stored = self.secrets.get(name)
            if stored is None:
                raise SealError(f"enclave secret {name} vanished while being created")
        return self.unseal_own(name, "v1", stored.sealed), stored.public

    # ------------------------------------------------------------------ internals

    def _encrypt(self, plaintext: bytes, provider: MasterKeyProvider, context: dict[str, str]) -> bytes:
        if not isinstance(plaintext, bytes | bytearray):
            raise InvalidInputError("only bytes can be sealed", field="plaintext")
        try:
            ciphertext, _ = self.sdk.encrypt(source=bytes(plaintext), key_provider=provider, encryption_context=context, algorithm=SUITE)
        except (AWSEncryptionSDKClientError, BotoCoreError, ClientError) as exc:
            raise _translate_kms(exc) from exc
        return bytes(ciphertext)

    def _decrypt(self, ciphertext: bytes, provider: MasterKeyProvider, context: dict[str, str]) -> bytes:
        if not isinstance(ciphertext, bytes | bytearray) or not ciphertext:
            raise SealError("sealed data must be non-empty bytes", code="malformed_ciphertext")
        try:
            plaintext, header = self.sdk.decrypt(source=bytes(ciphertext), key_provider=provider)
        except _DECODE_ERRORS as exc:
            raise _translate_kms(exc) from exc
        if header.algorithm != SUITE:
            raise SealError("sealed with an algorithm suite the enclave does not accept", code="wrong_suite")
        check_context(header.encryption_context, context)
        return bytes(plaintext)

    def _user_key(self, user_id: str, *, create: bool) -> RawMasterKey:
        cached = self.cache.get(user_id)
        if cached is not None:
            return cached
        stored = self.user_keys.get(user_id)
        key = self._new_user_key(user_id) if stored is None and create else None
        if key is None:
            key = self._unwrap(user_id, stored if stored is not None else self.user_keys.get(user_id))
        self.cache.put(user_id, key)
        return key

    def _new_user_key(self, user_id: str) -> RawMasterKey | None:
        """A fresh key, wrapped by KMS and stored; None if a concurrent first seal (or an erasure) won the race."""
        key_ref = secrets.token_hex(8)
        material = secrets.token_bytes(32)
        wrapped = self._encrypt(material, self.kms, context_for(user_id, USER_KEY_PURPOSE, key_ref))
        try:
            self.user_keys.add(WrappedUserKey(user_id, ACTIVE, key_ref, wrapped, self.clock.now()))
        except ConflictError:
            return None
        return _user_master_key(user_id, key_ref, material)

    def _unwrap(self, user_id: str, stored: WrappedUserKey | None) -> RawMasterKey:
        if stored is None:
            raise SealError("nothing was ever sealed to this user", code="no_user_key")
        if stored.state != ACTIVE or stored.wrapped is None or stored.key_ref is None:
            raise KeyErasedError("this account was closed and its data erased")
        material = self._decrypt(stored.wrapped, self.kms, context_for(user_id, USER_KEY_PURPOSE, stored.key_ref))
        return _user_master_key(user_id, stored.key_ref, material)
