"""Validator sets and quorum counting with real P-256 keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.domain.quorum import (
    QuorumError,
    Signature,
    Validator,
    ValidatorSet,
    ValidatorSetError,
    public_key_der,
    validator_set_hash,
    validator_set_to_dict,
    verify_certificate,
)
from chalicelib.verify import low_s_signature

PAYLOAD = b"carparker-ledger-block-v1\n{...header...}"
KEYS = [ec.generate_private_key(ec.SECP256R1()) for _ in range(7)]


def validators(n: int = 4) -> list[Validator]:
    return [Validator(f"v{i}", public_key_der(KEYS[i].public_key())) for i in range(n)]


def sign(i: int, payload: bytes = PAYLOAD, validator_id: str | None = None) -> Signature:
    der = low_s_signature(KEYS[i].sign(payload, ec.ECDSA(hashes.SHA256())))
    return Signature(validator_id or f"v{i}", base64.b64encode(der).decode())


VSET = ValidatorSet(tuple(validators()), f=1)


def test_three_of_four_valid_signatures_reach_quorum() -> None:
    assert VSET.threshold == 3 and VSET.size == 4
    assert verify_certificate(VSET, PAYLOAD, [sign(0), sign(2), sign(3)]) == ["v0", "v2", "v3"]


def test_two_valid_and_one_garbage_signature_fail() -> None:
    garbage = Signature("v1", base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode())
    with pytest.raises(QuorumError) as err:
        verify_certificate(VSET, PAYLOAD, [sign(0), sign(2), garbage])
    assert (err.value.counted, err.value.needed) == (2, 3)


def test_signature_over_another_payload_or_by_another_key_does_not_count() -> None:
    wrong_payload = sign(1, payload=PAYLOAD + b"x")
    wrong_key = sign(4, validator_id="v1")
    with pytest.raises(QuorumError):
        verify_certificate(VSET, PAYLOAD, [sign(0), sign(2), wrong_payload, wrong_key])


def test_duplicate_signatures_from_one_validator_count_once() -> None:
    with pytest.raises(QuorumError) as err:
        verify_certificate(VSET, PAYLOAD, [sign(0), sign(0), sign(0), sign(2)])
    assert err.value.counted == 2


def test_a_bad_then_good_signature_from_one_validator_counts_once() -> None:
    bad = Signature("v1", sign(0).sig_der_b64)  # v0's signature filed under v1
    counted = verify_certificate(VSET, PAYLOAD, [bad, sign(1), sign(1), sign(2), sign(3)])
    assert counted == ["v1", "v2", "v3"]


def test_unknown_validator_is_ignored() -> None:
    with pytest.raises(QuorumError) as err:
        verify_certificate(VSET, PAYLOAD, [sign(0), sign(1), sign(4, validator_id="v9")])
    assert err.value.counted == 2


def _non_minimal_der(der: bytes) -> bytes:
    """The same (r, s) with a redundant leading zero byte in r: valid BER, not DER."""
    r, s = decode_dss_signature(der)
    r_bytes = b"\x00" + r.to_bytes((r.bit_length() + 8) // 8, "big")
    s_bytes = s.to_bytes((s.bit_length() + 8) // 8, "big")
    body = bytes([2, len(r_bytes)]) + r_bytes + bytes([2, len(s_bytes)]) + s_bytes
    return bytes([0x30, len(body)]) + body


def test_non_canonical_encodings_do_not_count() -> None:
    text = sign(0).sig_der_b64
    der = base64.b64decode(text)
    assert encode_dss_signature(*decode_dss_signature(der)) == der
    variants = [text[:8] + "\n" + text[8:], text + "\n", " " + text,
                base64.b64encode(_non_minimal_der(der)).decode(),
                base64.b64encode(der + b"\x00").decode()]
    for variant in variants:
        with pytest.raises(QuorumError):
            verify_certificate(VSET, PAYLOAD, [Signature("v0", variant), sign(1), sign(2)])


def test_set_rejects_duplicate_ids() -> None:
    vs = validators()
    with pytest.raises(ValidatorSetError, match="duplicate validator id"):
        ValidatorSet((*vs, Validator("v0", public_key_der(KEYS[4].public_key()))), f=1)


def test_set_rejects_one_key_under_two_ids_even_in_another_encoding() -> None:
    # The same point written compressed gives different DER bytes for the same key.
    point = KEYS[0].public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    compressed_der = _compressed_spki(point)
    assert compressed_der != public_key_der(KEYS[0].public_key())
    with pytest.raises(ValidatorSetError, match="reuses"):
        ValidatorSet((*validators(), Validator("v4", compressed_der)), f=1)


def _compressed_spki(point: bytes) -> bytes:
    # SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 00 || point } }
    algorithm = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")
    bit_string = b"\x03" + bytes([len(point) + 1, 0]) + point
    body = algorithm + bit_string
    return b"\x30" + bytes([len(body)]) + body


@pytest.mark.parametrize(("n", "f"), [(3, 1), (6, 2), (0, 0)])
def test_set_rejects_too_few_validators_for_f(n: int, f: int) -> None:
    with pytest.raises(ValidatorSetError):
        ValidatorSet(tuple(validators(n)), f=f)


@pytest.mark.parametrize("f", [-1, True, 1.0])
def test_set_rejects_invalid_f(f: object) -> None:
    with pytest.raises(ValidatorSetError):
        ValidatorSet(tuple(validators()), f=f)  # type: ignore[arg-type]


def test_set_rejects_keys_that_are_not_p256() -> None:
    other_curve = ec.generate_private_key(ec.SECP384R1()).public_key()
    edwards = ed25519.Ed25519PrivateKey.generate().public_key()
    for key in (other_curve, edwards):
        der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        with pytest.raises(ValidatorSetError, match="P-256"):
            ValidatorSet((*validators(3), Validator("x", der)), f=1)
    with pytest.raises(ValidatorSetError):
        ValidatorSet((*validators(3), Validator("x", b"not der")), f=1)


def test_single_validator_set_with_f_zero_needs_one_signature() -> None:
    solo = ValidatorSet((validators(1)[0],), f=0)
    assert solo.threshold == 1
    assert verify_certificate(solo, PAYLOAD, [sign(0)]) == ["v0"]


def test_validator_set_hash_ignores_order_but_not_content() -> None:
    vs = validators()
    base = validator_set_hash(ValidatorSet(tuple(vs), f=1))
    assert validator_set_hash(ValidatorSet(tuple(reversed(vs)), f=1)) == base
    assert validator_set_hash(ValidatorSet(tuple(vs), f=0)) != base
    renamed = (Validator("w0", vs[0].public_key_der), *vs[1:])
    assert validator_set_hash(ValidatorSet(renamed, f=1)) != base
    rekeyed = (*vs[:3], Validator("v3", public_key_der(KEYS[5].public_key())))
    assert validator_set_hash(ValidatorSet(rekeyed, f=1)) != base
    as_dict = validator_set_to_dict(ValidatorSet(tuple(vs), f=1))
    assert as_dict["type"] == "carparker.validator-set/v1"
