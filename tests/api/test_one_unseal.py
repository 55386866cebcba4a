"""One request unseals one record at most once: each step of the order works on the copy the request already holds
(read consistently or written by itself) instead of reading, and unsealing, the reservation again (docs/architecture.md).

The enclave is the real one (KMS on moto), wrapped to count what it unseals and seals, by purpose and object id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.enclave import KmsEnclave
from tests.helpers import ApiClient, at
from tests.order_helpers import World, make_world


class CountingEnclave:
    """The real enclave, counting its seal and unseal calls per (purpose, object id)."""

    def __init__(self, inner: KmsEnclave) -> None:
        self.inner = inner
        self.unsealed: Counter[tuple[str, str]] = Counter()
        self.sealed: Counter[tuple[str, str]] = Counter()

    def unseal(self, user_id: str, purpose: str, object_id: str, ciphertext: bytes) -> bytes:
        self.unsealed[(purpose, object_id)] += 1
        return self.inner.unseal(user_id, purpose, object_id, ciphertext)

    def seal(self, user_id: str, purpose: str, object_id: str, plaintext: bytes) -> bytes:
        self.sealed[(purpose, object_id)] += 1
        return self.inner.seal(user_id, purpose, object_id, plaintext)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def reset(self) -> None:
        self.unsealed.clear()
        self.sealed.clear()


@pytest.fixture
def counted(api: ApiClient) -> Iterator[tuple[World, CountingEnclave]]:
    enclave = CountingEnclave(bootstrap.build_enclave(bootstrap.SystemClock()))
    yield make_world(api, enclave=enclave), enclave  # type: ignore[arg-type]
    bootstrap.override(None)


def test_no_request_of_an_order_unseals_a_record_twice(counted: tuple[World, CountingEnclave]) -> None:
    world, enclave = counted
    api = world.api
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    assert api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"}).status == 200
    steps: dict[str, tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]] = {}

    def step(name: str) -> None:
        steps[name] = (Counter(enclave.unsealed), Counter(enclave.sealed))
        enclave.reset()

    enclave.reset()
    r = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "ab-123-c", "start": at(1), "end": at(3)},
                 headers={"Idempotency-Key": "one-unseal"})
    assert r.status == 201, r.body
    rid = r.body["reservation_id"]
    step("reserve")
    world.clock.set(world.at(1) + timedelta(minutes=5))
    assert world.send(gate, gate.event("entry", "AB123C")).body["decision"] == "open"
    step("entry")
    world.clock.set(world.at(3))
    assert world.send(gate, gate.event("exit", "AB123C")).body["decision"] == "open"
    step("exit")
    world.clock.advance(seconds=20)
    assert [x.body["state"] for x in world.settle_payments() if x.body.get("reservation_id") == rid] == ["completed"]
    step("payment webhook")
    assert world.reservation(parker, rid)["state"] == "completed"
    step("read")

    for name, (unsealed, _) in steps.items():
        assert all(n == 1 for n in unsealed.values()), (name, unsealed)
    plate = ("plate", rid)
    # the reservation itself: sealed once when booked, once per state it is written in
    assert {name: (unsealed[plate], sealed[plate]) for name, (unsealed, sealed) in steps.items()} == {
        "reserve": (0, 1), "entry": (1, 1), "exit": (1, 2), "payment webhook": (1, 2), "read": (1, 0)}
