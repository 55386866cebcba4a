"""The composition root's parameters reach every part it builds: one clock for the services, the enclave, the CA and
the ledger alike (tests pass theirs to build(), nothing is swapped in afterwards)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import bootstrap
from chalicelib.domain.timeutil import format_instant
from tests.fakes import FakeClock


def test_the_clock_given_to_build_is_the_one_the_enclave_the_ca_and_the_ledger_read(
        own_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CP_VALIDATOR_DEADLINE_MS", "120000")  # a loaded machine: the first block builds the nodes
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) + timedelta(days=9))
    d = bootstrap.build(clock=clock)
    user = f"u-{uuid.uuid4().hex[:8]}"
    d.enclave.seal(user, "plate", "r1", b"AB123C")  # the user's key is made now
    made = d.enclave.user_keys.get(user)
    assert made is not None and made.created_at == clock.now()
    pem = serialization.load_pem_public_key(d.enclave.device_public_key_pem().encode())  # any P-256 key will do
    assert isinstance(pem, ec.EllipticCurvePublicKey)
    public = pem.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    cert = x509.load_pem_x509_certificate(d.ca.issue_node_certificate(f"node-{uuid.uuid4().hex[:8]}", public).encode())
    assert cert.not_valid_before_utc == clock.now() - timedelta(minutes=5)
    clock.advance(hours=1)
    d.recorder.record(log="parent", action="paid", user_id=user, order_id=uuid.uuid4().hex, sealed={"Fees": "1 EUR"})
    [block] = d.ledger.cut_due(force=True)
    assert block.header.cut_at == format_instant(clock.now())

