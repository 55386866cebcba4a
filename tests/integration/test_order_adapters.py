"""Order-lifecycle adapters on moto: the local payment provider, sealed device secrets, balances."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from chalicelib import config
from chalicelib.adapters.balances import DynamoBalances
from chalicelib.adapters.carparks import KmsSecretBox
from chalicelib.adapters.payments import LocalPaymentProvider
from chalicelib.adapters.tables import models, operations_models
from chalicelib.domain import signing
from chalicelib.domain.errors import ConflictError, UnavailableError
from chalicelib.services.order_ports import Payout
from tests.fakes import FakeClock

SECRET = b"integration-test-webhook-secret"


def provider(clock: FakeClock) -> LocalPaymentProvider:
    return LocalPaymentProvider(operations_models(), models().connection, secret=SECRET, clock=clock, new_id=lambda: uuid.uuid4().hex)


@pytest.fixture
def clock(stack: object) -> FakeClock:
    return FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))


def test_a_retried_charge_is_the_same_charge_even_after_a_restart(clock: FakeClock) -> None:
    customer, ref = uuid.uuid4().hex, uuid.uuid4().hex
    first = provider(clock)
    first.save_method(customer, "tok_visa")
    charge = first.create_charge(customer_id=customer, amount_minor=550, currency="EUR", reference=ref, idempotency_key=f"order:{ref}")
    restarted = provider(clock)  # a new process: only the table remembers
    again = restarted.create_charge(customer_id=customer, amount_minor=550, currency="EUR", reference=ref, idempotency_key=f"order:{ref}")
    assert again == charge and restarted.method(customer) is not None
    with pytest.raises(ConflictError) as reused:
        restarted.create_charge(customer_id=customer, amount_minor=999, currency="EUR", reference=ref, idempotency_key=f"order:{ref}")
    assert reused.value.code == "idempotency_key_reused"


def test_settlement_is_signed_delivered_once_and_retried_until_accepted(clock: FakeClock) -> None:
    p = provider(clock)
    customer, ref = uuid.uuid4().hex, uuid.uuid4().hex
    p.save_method(customer, "tok_chargeDeclined")
    charge = p.create_charge(customer_id=customer, amount_minor=100, currency="EUR", reference=ref, idempotency_key=ref)
    seen: list[tuple[bytes, dict[str, str]]] = []

    def refuse(body: bytes, headers: dict[str, str]) -> int:
        seen.append((body, headers))
        return 503

    p.settle_due(refuse)
    assert p.get(charge.charge_id).status == "failed"
    mine = [(b, h) for b, h in seen if json.loads(b)["data"]["charge_id"] == charge.charge_id]
    body, headers = mine[0]
    signing.verify(SECRET, int(headers["X-Payment-Timestamp"]), body, headers["X-Payment-Signature"], now=clock.now(), max_skew_s=300)
    assert json.loads(body)["type"] == "charge.failed" and json.loads(body)["data"]["failure"] == "card_declined"
    accepted: list[bytes] = []
    p.settle_due(lambda b, h: accepted.append(b) or 200)
    assert [json.loads(b)["data"]["charge_id"] for b in accepted].count(charge.charge_id) == 1
    later: list[bytes] = []
    p.settle_due(lambda b, h: later.append(b) or 200)
    assert charge.charge_id not in [json.loads(b)["data"]["charge_id"] for b in later]


def test_payout_is_credited_once(stack: object) -> None:
    balances = DynamoBalances(operations_models(), models().connection)
    sharer, order = uuid.uuid4().hex, uuid.uuid4().hex
    payout = Payout(order, sharer, 467, 83, "EUR", datetime(2026, 12, 1, tzinfo=UTC))
    assert balances.credit(payout) is True
    assert balances.credit(payout) is False
    assert balances.balance(sharer) == (467, "EUR")


def test_device_secret_is_sealed_to_its_device(stack: object) -> None:
    box = KmsSecretBox(config.data_key_arn(), config.region())
    sealed = box.seal("gd_one", b"s3cret")
    assert b"s3cret" not in sealed
    assert box.open("gd_one", 1, sealed) == b"s3cret"
    with pytest.raises(UnavailableError):
        box.open("gd_two", 1, sealed)  # another device's context: KMS refuses
