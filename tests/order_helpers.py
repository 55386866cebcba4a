"""Helpers for order-lifecycle tests: a world with a settable clock and a fake ledger, a gate device, webhooks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib import bootstrap
from chalicelib.adapters.enclave import KmsEnclave
from chalicelib.adapters.payments import LocalPaymentProvider
from chalicelib.domain.signing import gate_request
from chalicelib.domain.timeutil import parse_instant
from chalicelib.services.orders import OrderLifecycle
from tests.fakes import FakeClock, FakeLedger
from tests.helpers import ApiClient, Reply, User, at

_events = itertools.count(1)


@dataclass
class Gate:
    device_id: str
    secret: str
    carpark_id: str

    def event(self, direction: str, plate: str, **extra: Any) -> dict[str, Any]:
        return {"event_id": f"ev-{next(_events)}", "carpark_id": self.carpark_id, "direction": direction, "plate": plate,
                "confidence": 0.97, **extra}


@dataclass
class World:
    api: ApiClient
    clock: FakeClock
    ledger: FakeLedger
    deps: bootstrap.Deps
    payments: LocalPaymentProvider
    admin: User = field(init=False)

    def __post_init__(self) -> None:
        self.admin = self.api.sign_up(group="admin")

    @property
    def orders(self) -> OrderLifecycle:
        return self.deps.orders

    def at(self, hours: float) -> datetime:
        return parse_instant(at(hours), field="t")

    def carpark(self, owner: User, **fields: Any) -> dict[str, Any]:
        r = self.api.post("/carparks", owner, {"name": "Central Garage", "kind": "public", "address": "Dam 2, Amsterdam",
                                               "lots": ["A1", "A2", "B8"], **fields})
        assert r.status == 201, r.body
        return dict(r.body)

    def gate(self, owner: User, carpark_id: str) -> Gate:
        r = self.api.post(f"/carparks/{carpark_id}/devices", owner, {"name": "north gate"})
        assert r.status == 201, r.body
        return Gate(r.body["device_id"], r.body["secret"], carpark_id)

    def send(self, gate: Gate, event: dict[str, Any], *, ts: int | None = None, secret: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        body, signed = gate_request(gate.device_id, (secret or gate.secret).encode(), event,
                                    ts if ts is not None else int(self.clock.now().timestamp()))
        return self.raw("/gate/events", body, {**signed, **(headers or {})})

    def raw(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        r = self.api.client.http.post(path, headers=headers, body=body)
        import json

        return Reply(r.status_code, json.loads(r.body) if r.body else None, dict(r.headers))

    def settle_payments(self) -> list[Reply]:
        replies: list[Reply] = []

        def deliver(body: bytes, headers: dict[str, str]) -> int:
            replies.append(self.raw("/payments/webhook", body, headers))
            return replies[-1].status

        self.payments.settle_due(deliver)
        return replies

    def reservation(self, user: User, reservation_id: str) -> dict[str, Any]:
        r = self.api.get(f"/reservations/{reservation_id}", user)
        assert r.status == 200, r.body
        return dict(r.body)


def make_world(api: ApiClient, *, real_ledger: bool = False, enclave: KmsEnclave | None = None) -> World:
    """The app's graph built on a settable clock (the enclave, the CA, the ledger and every service read it), with the
    local payment provider kept at hand to settle; orders recorded in memory unless real_ledger (then on the certified
    DynamoDB/KMS ledger: a test that also moves the clock on uses own_stack, so the CA and the node certificates it
    makes at its own time are nobody else's)."""
    clock = FakeClock()
    ledger = FakeLedger()
    payments = bootstrap.local_payments(clock)
    d = bootstrap.build(clock=clock, ledger=None if real_ledger else ledger, payments=payments, enclave=enclave)
    bootstrap.override(d)
    return World(api, clock, ledger, d, payments)
