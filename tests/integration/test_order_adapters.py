"""Order-lifecycle adapters on moto: the local payment provider, sealed device secrets, balances."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class FlakyWebhook(BaseHTTPRequestHandler):
    """Our webhook as a stand-in HTTP server: refuses the first delivery of each event (a restart, a deploy), then
    accepts; keeps what it saw."""

    seen: list[tuple[str, int]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["event_id"]
        status = 200 if any(e == event for e, _ in self.seen) else 503
        self.seen.append((event, status))
        self.send_response(status)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_a_refused_webhook_is_sent_again_by_the_provider_itself_until_accepted(clock: FakeClock) -> None:
    """make run's provider retried only when the next charge came: a refused webhook left its order `billed`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyWebhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/payments/webhook"
        p = LocalPaymentProvider(operations_models(), models().connection, secret=SECRET, clock=clock, new_id=lambda: uuid.uuid4().hex,
                                 webhook_url=url, delay_s=0.05)
        customer, ref = uuid.uuid4().hex, uuid.uuid4().hex
        p.save_method(customer, "tok_visa")
        charge = p.create_charge(customer_id=customer, amount_minor=100, currency="EUR", reference=ref, idempotency_key=ref)
        event = f"evt_{charge.charge_id}_succeeded"
        deadline = time.monotonic() + 120  # a bound for a loaded machine, not a speed expectation
        while (event, 200) not in FlakyWebhook.seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [s for e, s in FlakyWebhook.seen if e == event][:2] == [503, 200]
    finally:
        server.shutdown()
        server.server_close()


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
