"""Every field of every route, one at a time, given the values that broke things before (extreme times with an offset,
huge and odd numbers, empty and huge strings, wrong types): never a 5xx, and every refusal is {code, message, field}.

The schema fuzzer (tests/e2e) draws values from the published schemas, which is why it never tried year 1 at
+01:00; this loop tries each hostile value in each field of a request that is otherwise valid, as the owner of
everything it names, so the value reaches the service behind the validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import BaseModel

from chalicelib import bootstrap
from chalicelib.api.http import REGISTRY
from tests.console_bodies import CONSOLE_BODIES, CONSOLE_IDS
from tests.helpers import ALWAYS, ApiClient, at
from tests.order_helpers import make_world

HOSTILE: tuple[Any, ...] = ("0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "0001-01-01", "9999-12-31", "", "x" * 5000,
                            "\u0000\ud7ff", None, -1, 2**70, 1e308, -1e-320, True, [], {"a": [1]})
SKIP = {"closeAccount"}  # it would end the fuzzing account; its own tests cover it
BODIES: dict[str, dict[str, Any]] = {
    "signUp": {"email": "fuzz@example.com", "password": "Fuzz-password-1", "display_name": "F"},
    "signIn": {"email": "fuzz@example.com", "password": "Fuzz-password-1"},
    "confirmSignUp": {"email": "fuzz@example.com", "code": "123456"},
    "createSpace": {"title": "t", "address": "Dam 1", "lat": 52.37, "lng": 4.89, "attributes": {"covered": True, "max_height_cm": 200,
                                                                                                 "vehicle_size": "small"}},
    "addWindow": {"kind": "once", "rate_minor": 100, "start": at(60), "end": at(62)},
    "replaceWindow": dict(ALWAYS),
    "createReservation": {"space_id": "", "plate": "FU22Y", "start": at(70), "end": at(72)},
    "extendReservation": {"end": at(5)},
    "createCarPark": {"name": "n", "kind": "public", "address": "Dam 3", "lots": ["A1"], "opening": [{"days": [0], "open": "08:00", "close": "18:00"}]},
    "inviteCarParkStaff": {"email": "someone@example.com"},
    "registerGateDevice": {"name": "g"},
    "addMembership": {"plate": "FU22Y", "holder": "H", "plan": "monthly", "valid_from": "2027-01-01"},
    "savePaymentMethod": {"token": "tok_visa"},
    "requestOwnershipUpload": {"content_type": "application/pdf", "size": 10},
    "rejectSpace": {"reason": "r"},
    "updateMe": {"display_name": "F", "roles": ["parker", "sharer"]},
    "openClaim": {"share_with": ["sharer"], "description": "d"},
    **CONSOLE_BODIES,
}
QUERIES: dict[str, dict[str, str]] = {
    "searchSpaces": {"lat": "52.37", "lng": "4.89", "start": at(70), "end": at(72)},
    "listMovements": {"date": "2027-01-01"},
    "listTransactions": {"from": "2027-01-01", "to": "2027-01-02"},
    "getConsistencyProof": {"from": "1", "to": "1"},
    "listSpaceLinks": {"state": "pending"},
}


@pytest.fixture
def scene(api: ApiClient) -> Iterator[dict[str, Any]]:
    world = make_world(api, real_ledger=True)
    owner = api.sign_up(group="admin")
    cp = world.carpark(owner)
    device = world.gate(owner, cp["carpark_id"])
    space = api.approved_space(owner, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    other = api.approved_space(api.sign_up(), world.admin)
    booked = api.post("/reservations", owner, {"space_id": other["space_id"], "plate": "FU22Y", "start": at(2), "end": at(4)}).body
    params = {"space_id": space["space_id"], "window_id": space["windows"][0]["window_id"], "reservation_id": booked["reservation_id"],
              "carpark_id": cp["carpark_id"], "device_id": device.device_id, "user_id": owner.user_id, "side": "front",
              "node_id": "validator-1", "log": "parent", "seq": "0", "height": "0", "order_id": booked["reservation_id"],
              "phase": "arrival", "claim_id": "no-such-claim", **CONSOLE_IDS}
    BODIES["createReservation"]["space_id"] = other["space_id"]
    yield {"owner": owner, "params": params}
    bootstrap.override(None)


def _fields(model: type[BaseModel] | None) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()] if model else []


def _nested(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, inner field) for the objects in a body, and for the first object of a list of them."""
    out = []
    for field, value in body.items():
        inner = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value
        if isinstance(inner, dict):
            out += [(field, name) for name in inner]
    return out


def _with(body: dict[str, Any], field: str, inner: str, value: Any) -> dict[str, Any]:
    if isinstance(body[field], list):
        return {**body, field: [{**body[field][0], inner: value}]}
    return {**body, field: {**body[field], inner: value}}


def _check(reply: Any, where: str, failures: list[str]) -> None:
    if reply.status >= 500:
        failures.append(f"{where}: {reply.status} {str(reply.body)[:300]}")
    elif reply.status >= 400 and isinstance(reply.body, dict) and "code" in reply.body:
        if set(reply.body) != {"code", "message", "field"} or not reply.body["message"]:
            failures.append(f"{where}: not our error shape {reply.body}")


def test_no_hostile_value_in_any_field_of_any_route_gets_a_5xx(api: ApiClient, scene: dict[str, Any]) -> None:
    tried, failures = 0, []
    for op in REGISTRY.operations:
        if op.operation_id in SKIP:
            continue
        path = op.path.format(**scene["params"])
        user = scene["owner"] if op.auth else None
        for field in _fields(op.request):
            for value in HOSTILE:
                body = {**BODIES.get(op.operation_id, {}), field: value}
                _check(api.call(op.method, path, user, body=body), f"{op.operation_id} {field}={value!r:.40}", failures)
                tried += 1
        for field, inner in _nested(BODIES.get(op.operation_id, {})):
            for value in HOSTILE:
                body = _with(BODIES[op.operation_id], field, inner, value)
                _check(api.call(op.method, path, user, body=body), f"{op.operation_id} {field}.{inner}={value!r:.40}", failures)
                tried += 1
        for field in _fields(op.query):
            for value in HOSTILE:
                if value is None or isinstance(value, (list, dict)):
                    continue
                query = {**QUERIES.get(op.operation_id, {}), field: str(value)}
                _check(api.call(op.method, f"{path}?{urlencode(query)}", user), f"{op.operation_id} ?{field}={value!r:.40}", failures)
                tried += 1
    assert failures == [], f"{len(failures)} of {tried} requests"
    assert tried > 1000
