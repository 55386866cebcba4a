"""Device envelopes: open only for the user, purpose, object and enclave key they were made for."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import envelope
from chalicelib.domain.errors import InvalidInputError

ENCLAVE = ec.generate_private_key(ec.SECP256R1())
IMAGE = b"\xff\xd8\xff\xe0 JFIF national ID card front: DOE JOHN 1990-02-03 NL-X1234567"


def seal(user: str = "u1", purpose: str = "id-document", obj: str = "c1/front", data: bytes = IMAGE,
         key: ec.EllipticCurvePrivateKey = ENCLAVE) -> bytes:
    return envelope.seal_on_device(key.public_key(), user, purpose, obj, data,
                                   ephemeral=ec.generate_private_key(ec.SECP256R1()), nonce=os.urandom(12))


def test_the_enclave_opens_what_the_device_sealed_and_the_wire_hides_it() -> None:
    sealed = seal()
    assert envelope.open_in_enclave(ENCLAVE, "u1", "id-document", "c1/front", sealed) == IMAGE
    assert b"DOE JOHN" not in sealed and sealed[0] == 1 and len(sealed) == envelope.HEADER_LEN + len(IMAGE) + envelope.TAG_LEN


@pytest.mark.parametrize("user, purpose, obj", [("u2", "id-document", "c1/front"), ("u1", "plate", "c1/front"),
                                                ("u1", "id-document", "c1/back")])
def test_an_envelope_opens_for_no_other_user_purpose_or_object(user: str, purpose: str, obj: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        envelope.open_in_enclave(ENCLAVE, user, purpose, obj, seal())
    assert err.value.code == "bad_envelope"


def test_an_envelope_for_another_enclave_key_does_not_open() -> None:
    with pytest.raises(InvalidInputError):
        envelope.open_in_enclave(ENCLAVE, "u1", "id-document", "c1/front", seal(key=ec.generate_private_key(ec.SECP256R1())))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_bit_flip_or_truncation_is_refused(data: st.DataObject) -> None:
    sealed = bytearray(seal())
    if data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(sealed) - 1))
        sealed[i] ^= 1 << data.draw(st.integers(0, 7))
    else:
        del sealed[data.draw(st.integers(0, len(sealed) - 1)):]
    with pytest.raises(InvalidInputError):
        envelope.open_in_enclave(ENCLAVE, "u1", "id-document", "c1/front", bytes(sealed))


def test_binding_is_unambiguous() -> None:
    assert envelope.binding("a", "bc", "d", b"", b"") != envelope.binding("ab", "c", "d", b"", b"")


def test_a_wrong_nonce_length_is_refused_on_the_device() -> None:
    with pytest.raises(InvalidInputError):
        envelope.seal_on_device(ENCLAVE.public_key(), "u", "p", "o", b"x", ephemeral=ec.generate_private_key(ec.SECP256R1()),
                                nonce=b"short")
