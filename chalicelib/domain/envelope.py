"""Device envelopes: how a phone encrypts an ID image so that only the enclave can open it.

ECDH on P-256 between a fresh ephemeral key of the device and the enclave's long-term key, HKDF-SHA256
to a 256-bit AES-GCM key, and AES-GCM with a 96-bit nonce. The HKDF info and the GCM associated data
bind the owner, purpose, object and both public keys, so an envelope made for one user, side or
enclave key opens for no other. Randomness (ephemeral key, nonce) is a parameter.

Wire format, version 1: 0x01 || ephemeral public key (65 bytes, uncompressed SEC1) || nonce (12) || ciphertext+tag.
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import InvalidInputError

SCHEME = "ECDH-P256+HKDF-SHA256+AES-256-GCM/v1"
VERSION = 1
POINT_LEN, NONCE_LEN, TAG_LEN = 65, 12, 16
HEADER_LEN = 1 + POINT_LEN + NONCE_LEN
LABEL = b"carparker/device-envelope/v1"


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def binding(user_id: str, purpose: str, object_id: str, device_point: bytes, enclave_point: bytes) -> bytes:
    """Length-prefixed, so no two different tuples encode alike."""
    parts = [LABEL, user_id.encode(), purpose.encode(), object_id.encode(), device_point, enclave_point]
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def _aead_key(private: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey, info: bytes) -> bytes:
    shared = private.exchange(ec.ECDH(), peer)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def seal_on_device(enclave_public: ec.EllipticCurvePublicKey, user_id: str, purpose: str, object_id: str, plaintext: bytes, *,
                   ephemeral: ec.EllipticCurvePrivateKey, nonce: bytes) -> bytes:
    """What the mobile client does (reference implementation, used by the tests and the demo client)."""
    if len(nonce) != NONCE_LEN:
        raise InvalidInputError(f"nonce must be {NONCE_LEN} bytes, got {len(nonce)}", field="nonce")
    device_point = _point(ephemeral.public_key())
    info = binding(user_id, purpose, object_id, device_point, _point(enclave_public))
    sealed = AESGCM(_aead_key(ephemeral, enclave_public, info)).encrypt(nonce, plaintext, info)
    return bytes([VERSION]) + device_point + nonce + sealed


def open_in_enclave(enclave_private: ec.EllipticCurvePrivateKey, user_id: str, purpose: str, object_id: str, envelope: bytes) -> bytes:
    if len(envelope) < HEADER_LEN + TAG_LEN or envelope[0] != VERSION:
        raise InvalidInputError(f"an envelope is version {VERSION} and at least {HEADER_LEN + TAG_LEN} bytes",
                                field="envelope", code="bad_envelope")
    device_point, nonce = envelope[1:1 + POINT_LEN], envelope[1 + POINT_LEN:HEADER_LEN]
    try:
        device_public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), device_point)
    except ValueError as exc:
        raise InvalidInputError("the envelope's device key is not a P-256 point", field="envelope", code="bad_envelope") from exc
    info = binding(user_id, purpose, object_id, device_point, _point(enclave_private.public_key()))
    try:
        return AESGCM(_aead_key(enclave_private, device_public, info)).decrypt(nonce, envelope[HEADER_LEN:], info)
    except InvalidTag as exc:
        raise InvalidInputError("the envelope does not open: made for another user, document or enclave key, or altered",
                                field="envelope", code="bad_envelope") from exc
