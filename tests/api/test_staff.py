"""Car-park staff with consent: invitations, acceptance, several car parks at once, removal, and what staff may do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.api.http import REGISTRY
from tests.console_bodies import CONSOLE_BODIES
from tests.helpers import ApiClient, User, at
from tests.order_helpers import World, make_world

# What an active staff member may do at their car park; every other route naming the car park is for its owners.
STAFF_MAY = {"getCarPark", "listGateDevices", "listMemberships", "addMembership", "listMovements", "listTransactions",
             "listCarParkReservations", "listCarParkNotifications", "sendGateCommand",
             # the console (tests/api/test_console.py): day-to-day work; settings and the audit trail are the owners'
             "getOccupancy", "listCarsInside", "pollMovements", "createOverride", "listOverrides", "listAlerts", "acknowledgeAlert",
             "listBooks", "getStayProof", "getHistoryReport", "createExport", "listMembers", "addMember", "renewMember", "endMember",
             "listListedPlates", "addListedPlate", "removeListedPlate", "getCarParkSettings"}
# Staff routes about one record: the made-up id is not found (404), which is no refusal of the staff member
ABOUT_ONE = {"acknowledgeAlert", "getStayProof", "renewMember", "endMember", "removeListedPlate"}
BODIES = {**CONSOLE_BODIES, "inviteCarParkStaff": {"user_id": "someone"}, "registerGateDevice": {"name": "g"},
          "addMembership": {"plate": "ST4FF", "holder": "Member", "plan": "monthly"},
          "sendGateCommand": {"action": "open", "reason": "let out at the barrier"}}


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api)
    bootstrap.override(None)


def carpark_routes() -> list[Any]:
    return [op for op in REGISTRY.operations if "{carpark_id}" in op.path and not op.path.startswith("/me/")]


def params(cp: dict[str, Any], device: dict[str, Any], user_id: str) -> dict[str, str]:
    return {"carpark_id": cp["carpark_id"], "device_id": device["device_id"], "user_id": user_id, "space_id": "no-such-space",
            "membership_id": "no-such-member", "entry_id": "allow-none", "reservation_id": "no-such-stay"}


def invite(api: ApiClient, owner: User, cp: dict[str, Any], **who: str) -> Any:
    return api.post(f"/carparks/{cp['carpark_id']}/staff", owner, who)


def test_staff_count_only_once_they_accept_and_then_see_the_dashboard_but_manage_nothing(api: ApiClient, world: World) -> None:
    owner, person = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(owner)
    device = world.gate(owner, cp["carpark_id"])
    asked = invite(api, owner, cp, email=person.email.upper())
    assert asked.status == 201 and (asked.body["state"], asked.body["role"], asked.body["person"]) == ("invited", "staff", None)
    assert api.get(f"/carparks/{cp['carpark_id']}", person).status == 404  # invited is not yet staff
    [seen] = api.get("/me/staff-invitations", person).body["invitations"]
    assert (seen["carpark_id"], seen["carpark_name"], seen["role"]) == (cp["carpark_id"], "Central Garage", "staff")
    assert api.get("/me/notifications", person).body["notifications"][0]["kind"] == "staff_invitation"
    accepted = api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", person)
    assert accepted.status == 200 and accepted.body["state"] == "active"
    assert api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", person).status == 409
    assert [(c["role"], c["carpark"]["carpark_id"]) for c in api.get("/me/carparks", person).body["carparks"]] == [("staff", cp["carpark_id"])]
    listed = {m["user_id"]: m for m in api.get(f"/carparks/{cp['carpark_id']}/staff", owner).body["staff"]}
    assert listed[person.user_id]["person"]["email"] == person.email and listed[owner.user_id]["role"] == "owner"
    dev = {"device_id": device.device_id}
    routes = carpark_routes()
    for op in routes:
        path = op.path.format(**params(cp, dev, person.user_id))
        reply = api.call(op.method, path, person, body=BODIES.get(op.operation_id, {}) if op.method != "GET" else None)
        if op.operation_id in ABOUT_ONE:
            assert reply.status == 404, (op.operation_id, reply.status, reply.body)
        elif op.operation_id in STAFF_MAY:
            assert reply.status in (200, 201), (op.operation_id, reply.status, reply.body)
        else:
            assert (reply.status, reply.body["code"]) == (403, "owner_only"), (op.operation_id, reply.status, reply.body)
    assert STAFF_MAY < {op.operation_id for op in routes}


def test_one_person_works_at_two_car_parks_and_no_owner_can_move_them_silently(api: ApiClient, world: World) -> None:
    first_owner, second_owner, person = api.sign_up(), api.sign_up(), api.sign_up(roles=("parker",))
    a, b = world.carpark(first_owner), world.carpark(second_owner, name="North Garage")
    assert invite(api, first_owner, a, user_id=person.user_id).status == 201
    api.post(f"/me/staff-invitations/{a['carpark_id']}/accept", person)
    assert invite(api, second_owner, b, email=person.email).status == 201
    assert api.get(f"/carparks/{a['carpark_id']}", person).status == 200  # an invitation elsewhere ends nothing here
    assert api.get(f"/carparks/{b['carpark_id']}", person).status == 404
    api.post(f"/me/staff-invitations/{b['carpark_id']}/accept", person)
    mine = sorted(c["carpark"]["carpark_id"] for c in api.get("/me/carparks", person).body["carparks"])
    assert mine == sorted([a["carpark_id"], b["carpark_id"]])
    removed = api.post(f"/carparks/{b['carpark_id']}/staff/{person.user_id}/remove", second_owner)
    assert removed.status == 200 and (removed.body["state"], removed.body["ended_by"]) == ("removed", second_owner.user_id)
    assert api.get(f"/carparks/{b['carpark_id']}/movements", person).status == 404
    assert api.get(f"/carparks/{a['carpark_id']}/movements", person).status == 200
    # Owner B cannot end the membership at A, nor see it.
    assert api.post(f"/carparks/{a['carpark_id']}/staff/{person.user_id}/remove", second_owner).status == 404


def test_declining_leaving_reinviting_and_the_founding_owner(api: ApiClient, world: World) -> None:
    owner, person, co_owner = api.sign_up(), api.sign_up(roles=("parker",)), api.sign_up()
    cp = world.carpark(owner)
    invite(api, owner, cp, user_id=person.user_id)
    assert api.post(f"/me/staff-invitations/{cp['carpark_id']}/decline", person).body["state"] == "declined"
    assert api.get(f"/carparks/{cp['carpark_id']}", person).status == 404
    assert api.get("/me/staff-invitations", person).body["invitations"] == []
    again = invite(api, owner, cp, user_id=person.user_id)
    assert again.status == 201 and again.body["state"] == "invited"
    assert (invite(api, owner, cp, user_id=person.user_id).status, invite(api, owner, cp, user_id=person.user_id).body["code"]) == (
        409, "already_invited")
    api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", person)
    assert invite(api, owner, cp, email=person.email).body["code"] == "already_staff"
    assert api.post(f"/me/carparks/{cp['carpark_id']}/leave", person).body["state"] == "removed"
    assert api.get(f"/carparks/{cp['carpark_id']}", person).status == 404
    # A co-owner manages devices and staff; nobody removes the founding owner, who cannot leave either.
    invite(api, owner, cp, user_id=co_owner.user_id, role="owner")
    api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", co_owner)
    assert api.post(f"/carparks/{cp['carpark_id']}/devices", co_owner, {"name": "south gate"}).status == 201
    founder = api.post(f"/carparks/{cp['carpark_id']}/staff/{owner.user_id}/remove", co_owner)
    assert (founder.status, founder.body["code"]) == (422, "founding_owner")
    assert api.post(f"/me/carparks/{cp['carpark_id']}/leave", owner).body["code"] == "founding_owner"
    assert [c["role"] for c in api.get("/me/carparks", owner).body["carparks"]] == ["owner"]


def test_invitations_name_an_existing_open_account(api: ApiClient, world: World) -> None:
    owner = api.sign_up()
    cp = world.carpark(owner)
    nobody = invite(api, owner, cp, email="nobody-at-all@example.com")
    assert (nobody.status, nobody.body["code"], nobody.body["field"]) == (404, "no_account", "email")
    assert invite(api, owner, cp, user_id="no-such-user").body["code"] == "no_account"
    both = invite(api, owner, cp, user_id=owner.user_id, email=owner.email)
    assert both.status == 400
    assert invite(api, owner, cp, user_id=owner.user_id).body["code"] == "already_staff"  # the owner works here already


def test_the_car_parks_staff_see_a_claim_shared_with_the_car_park_and_former_staff_do_not(api: ApiClient, world: World) -> None:
    owner, parker, person = api.sign_up(), api.sign_up(roles=("parker",)), api.sign_up(roles=("parker",))
    cp = world.carpark(owner)
    space = api.approved_space(owner, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    booked = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "CL41M", "start": at(2), "end": at(4)})
    claim = api.post(f"/orders/{booked.body['reservation_id']}/claims", parker, {"share_with": ["carpark"], "description": "dent"})
    assert claim.status == 201, claim.body
    cid = claim.body["claim_id"]
    invite(api, owner, cp, user_id=person.user_id)
    assert api.get(f"/claims/{cid}", person).status == 404  # invited only
    api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", person)
    assert api.get(f"/claims/{cid}", person).status == 200
    api.post(f"/carparks/{cp['carpark_id']}/staff/{person.user_id}/remove", owner)
    assert api.get(f"/claims/{cid}", person).status == 404


def test_every_path_parameter_of_the_staff_routes_is_covered() -> None:
    names = {n for op in REGISTRY.operations if op.tag == "staff" for n in re.findall(r"{(\w+)}", op.path)}
    assert names <= {"carpark_id", "user_id"}
