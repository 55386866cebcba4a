"""A second user gets 403 or 404 on every route that names someone else's thing, route by route."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.api.http import REGISTRY
from tests.console_bodies import CONSOLE_BODIES, CONSOLE_IDS
from tests.helpers import ALWAYS, ApiClient, User, at

# A valid body per operation, so that what refuses the intruder is ownership, not validation.
BODIES: dict[str, Any] = {
    "requestOwnershipUpload": {"content_type": "application/pdf", "size": 10},
    "addWindow": ALWAYS,
    "replaceWindow": ALWAYS,
    "extendReservation": {"end": at(30)},
    "rejectSpace": {"reason": "not yours"},
    "inviteCarParkStaff": {"user_id": "someone"},
    "registerGateDevice": {"name": "intruder gate"},
    "sendGateCommand": {"action": "open", "reason": "intruder"},
    "addMembership": {"plate": "AB12", "holder": "Intruder", "plan": "monthly"},
    "rejectIdentity": {"reason": "not yours"},
    "registerValidator": {"node_id": "intruder-node", "public_key_pem": ec.generate_private_key(ec.SECP256R1()).public_key()
                          .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()},
}
PHOTO = {"sha256": "ab" * 32, "size": 1000}
BODIES.update({**CONSOLE_BODIES,
    "requestPhotoUploads": {"photos": [{"view": v, **PHOTO} for v in ("front", "rear", "left", "right")]},
    "openClaim": {"share_with": ["sharer"], "description": "not yours"},
})
EVIDENCE = {"requestPhotoUploads", "completePhotoSet", "listPhotoSets", "exportEvidence", "openClaim", "listOrderClaims"}
# A valid query per operation that needs one, for the same reason.
QUERIES = {"quoteReservation": f"?start={at(24)}&end={at(26)}", "quoteExtension": f"?end={at(30)}"}
# Admin-only operations: a non-admin gets 403 whatever the target.
ADMIN_ONLY = {"approveSpace", "rejectSpace", "listPendingSpaces", "listIdentityCases", "reviewIdentityDocument", "approveIdentity",
              "rejectIdentity", "registerValidator", "revokeValidator", "exportLedgerLog", "cutLedgerBlocks"}
# Signed tree heads, block headers and consistency proofs are public to every signed-in user, as a
# transparency log's are: they name no one's entries (those stay behind ownership checks).
PUBLIC_LEDGER = {"getLedgerDigest", "getLedgerBlock", "getConsistencyProof"}


@pytest.fixture
def world(api: ApiClient) -> dict[str, Any]:
    admin = api.sign_up(group="admin")
    owner, other, sharer = api.sign_up(), api.sign_up(), api.sign_up()
    pending = api.post("/spaces", owner, {"title": "Mine", "address": "Dam 2", "lat": 52.37, "lng": 4.89}).body
    approved = api.approved_space(owner, admin)
    theirs = api.approved_space(sharer, admin)
    booking = api.post("/reservations", owner, {"space_id": theirs["space_id"], "plate": "OWN1", "start": at(24), "end": at(26)})
    assert booking.status == 201, booking.body
    carpark = api.post("/carparks", owner, {"name": "Mine", "kind": "residential", "address": "Dam 2"}).body
    device = api.post(f"/carparks/{carpark['carpark_id']}/devices", owner, {"name": "gate"}).body
    from chalicelib import bootstrap

    order_id = f"order-{uuid.uuid4().hex}"
    entry = bootstrap.deps().ledger.record(log="parent", action="paid", user_id=owner.user_id, order_id=order_id,
                                           sealed={"Fees": "1 EUR"})
    claim = api.post(f"/orders/{booking.body['reservation_id']}/claims", owner, {"share_with": ["sharer"], "description": "dent"})
    assert claim.status == 201, claim.body
    return {"owner": owner, "other": other, "pending": pending, "approved": approved, "reservation": booking.body,
            "carpark": carpark, "device": device, "entry": entry, "order_id": order_id, "claim": claim.body}


def _params(op_id: str, w: dict[str, Any]) -> dict[str, str]:
    space = w["approved"] if "Window" in op_id or op_id == "listSpaceReservations" else w["pending"]
    return {
        "space_id": space["space_id"],
        "window_id": w["approved"]["windows"][0]["window_id"],
        "reservation_id": w["reservation"]["reservation_id"],
        "carpark_id": w["carpark"]["carpark_id"],
        "device_id": w["device"]["device_id"],
        "user_id": w["owner"].user_id,
        "side": "front",
        "node_id": "validator-1",
        "log": w["entry"].log,
        "seq": str(w["entry"].seq),
        "height": "0",
        "order_id": w["reservation"]["reservation_id"] if op_id in EVIDENCE else w["order_id"],
        "phase": "arrival",
        "claim_id": w["claim"]["claim_id"],
        **CONSOLE_IDS,
    }


def works_elsewhere(api: ApiClient, other: User) -> None:
    """Make `other` the owner of a car park of their own and active staff of a third person's car park."""
    api.post("/carparks", other, {"name": "Theirs", "kind": "residential", "address": "Dam 9"})
    third = api.sign_up()
    elsewhere = api.post("/carparks", third, {"name": "Elsewhere", "kind": "public", "address": "Dam 10"}).body["carpark_id"]
    assert api.post(f"/carparks/{elsewhere}/staff", third, {"user_id": other.user_id}).status == 201
    assert api.post(f"/me/staff-invitations/{elsewhere}/accept", other).status == 200


@pytest.mark.parametrize("elsewhere", [False, True], ids=["a-stranger", "staff-and-owner-of-other-car-parks"])
def test_every_route_naming_another_users_thing_refuses_a_second_user(api: ApiClient, world: dict[str, Any], elsewhere: bool) -> None:
    if elsewhere:
        works_elsewhere(api, world["other"])
    checked = []
    for op in REGISTRY.operations:
        names = re.findall(r"{(\w+)}", op.path)
        # /me/... parameters (an ID document's side) name only the caller's own things; public ledger heads name nobody's.
        if not op.auth or not names or op.path.startswith("/me/") or op.operation_id in PUBLIC_LEDGER:
            continue
        params = _params(op.operation_id, world)
        unknown = [n for n in names if n not in params]
        assert not unknown, f"{op.operation_id}: teach this test how to name another user's {unknown}"
        path = op.path.format(**params) + QUERIES.get(op.operation_id, "")
        body = BODIES.get(op.operation_id, {}) if op.method in ("POST", "PUT", "PATCH") else None
        reply = api.call(op.method, path, world["other"], body=body)
        assert reply.status in (403, 404), f"{op.operation_id} {path}: {reply.status} {reply.body}"
        checked.append(op.operation_id)
    assert {"getSpace", "addWindow", "cancelReservation", "getReservation", "extendReservation"} <= set(checked)
    assert {"getCarPark", "registerGateDevice", "rotateGateDeviceSecret", "listMovements", "listTransactions"} <= set(checked)


def test_admin_routes_refuse_non_admins(api: ApiClient, world: dict[str, Any]) -> None:
    for op in REGISTRY.operations:
        if op.operation_id in ADMIN_ONLY:
            path = op.path.format(**_params(op.operation_id, world))
            reply = api.call(op.method, path, world["other"], body=BODIES.get(op.operation_id, {}) if op.method == "POST" else None)
            assert reply.status == 403, (op.operation_id, reply.body)


def test_lists_show_only_the_callers_own_things(api: ApiClient, world: dict[str, Any]) -> None:
    other = world["other"]
    assert api.get("/spaces", other).body["spaces"] == []
    assert api.get("/reservations", other).body["reservations"] == []
    assert api.get("/sharer/reservations", other).body["reservations"] == []
    mine = [s["space_id"] for s in api.get("/spaces", world["owner"]).body["spaces"]]
    assert world["pending"]["space_id"] in mine


def test_an_approved_space_is_public_but_without_its_private_parts(api: ApiClient, world: dict[str, Any]) -> None:
    seen = api.get(f"/spaces/{world['approved']['space_id']}", world["other"])
    assert seen.status == 200 and seen.body["document"] is None


def test_routes_without_a_token_are_refused(api: ApiClient, world: dict[str, Any]) -> None:
    assert api.get("/me").status == 401
    bad = User("x", "x@example.com", "not-a-jwt")
    assert api.get("/me", bad).status == 403
