"""One happy path per marketplace route and each error mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import ALWAYS, ApiClient, User, at


@pytest.fixture
def people(api: ApiClient) -> dict[str, User]:
    return {"admin": api.sign_up(group="admin"), "sharer": api.sign_up(), "parker": api.sign_up(roles=("parker",))}


def _reserve(api: ApiClient, parker: User, space: dict[str, Any], start: float, end: float, **headers: str) -> Any:
    body = {"space_id": space["space_id"], "plate": "NL-01-AB", "start": at(start), "end": at(end)}
    return api.post("/reservations", parker, body, headers=headers)


def test_sign_up_errors_name_the_field(api: ApiClient) -> None:
    r = api.post("/auth/signup", body={"email": "not-an-email", "password": "x" * 12, "display_name": "A"})
    assert r.status == 400 and r.body["field"] == "email"
    r = api.post("/auth/signup", body={"email": "weak@example.com", "password": "alllowercase1", "display_name": "A"})
    assert r.status == 400 and r.body["field"] == "password" and r.body["code"] == "weak_password"
    r = api.post("/auth/signin", body={"email": "nobody@example.com", "password": "Wrong-password-1"})
    assert r.status == 401 and r.body["code"] == "bad_credentials"


def test_duplicate_sign_up_is_a_conflict(api: ApiClient) -> None:
    user = api.sign_up()
    r = api.post("/auth/signup", body={"email": user.email, "password": "Test-password-1", "display_name": "Again"})
    assert r.status == 409 and r.body["field"] == "email"


def test_profile_roles_can_change(api: ApiClient) -> None:
    user = api.sign_up(roles=("parker",))
    assert api.post("/spaces", user, {"title": "x", "address": "Dam 3", "lat": 52.3, "lng": 4.9}).status == 403
    r = api.call("PATCH", "/me", user, body={"roles": ["parker", "sharer"]})
    assert r.status == 200 and r.body["roles"] == ["parker", "sharer"]
    assert api.post("/spaces", user, {"title": "x", "address": "Dam 3", "lat": 52.3, "lng": 4.9}).status == 201


def test_unknown_fields_and_bad_json_are_400_with_field(api: ApiClient, people: dict[str, User]) -> None:
    r = api.post("/spaces", people["sharer"], {"title": "x", "address": "Dam 3", "lat": 52.3, "lng": 4.9, "colour": "red"})
    assert r.status == 400 and r.body["field"] == "colour"
    r = api.post("/spaces", people["sharer"], "[1, 2]")
    assert r.status == 400 and r.body["field"] == "body"


def test_review_flow_pending_reject_with_reason(api: ApiClient, people: dict[str, User]) -> None:
    space = api.post("/spaces", people["sharer"], {"title": "x", "address": "Dam 3", "lat": 52.3, "lng": 4.9}).body
    r = api.post(f"/spaces/{space['space_id']}/windows", people["sharer"], ALWAYS)
    assert r.status == 422 and r.body["code"] == "space_not_approved"
    r = api.post(f"/admin/spaces/{space['space_id']}/approve", people["admin"])
    assert r.status == 422 and r.body["field"] == "document"
    pending = [s["space_id"] for s in api.get("/admin/spaces", people["admin"]).body["spaces"]]
    assert space["space_id"] in pending
    assert api.post(f"/admin/spaces/{space['space_id']}/reject", people["admin"], {}).body["field"] == "reason"
    r = api.post(f"/admin/spaces/{space['space_id']}/reject", people["admin"], {"reason": "no proof of ownership"})
    assert r.status == 200 and r.body["status"] == "rejected" and r.body["reject_reason"] == "no proof of ownership"
    again = api.post(f"/admin/spaces/{space['space_id']}/reject", people["admin"], {"reason": "twice"})
    assert again.status == 409


def test_document_must_really_be_uploaded(api: ApiClient, people: dict[str, User]) -> None:
    space = api.post("/spaces", people["sharer"], {"title": "x", "address": "Dam 3", "lat": 52.3, "lng": 4.9}).body
    sid = space["space_id"]
    assert api.post(f"/spaces/{sid}/document/complete", people["sharer"]).body["code"] == "no_upload_requested"
    assert api.post(f"/spaces/{sid}/document", people["sharer"], {"content_type": "text/html", "size": 5}).status == 400
    ticket = api.post(f"/spaces/{sid}/document", people["sharer"], {"content_type": "application/pdf", "size": 5})
    assert ticket.status == 201 and ticket.body["headers"]["x-amz-server-side-encryption"] == "aws:kms"
    assert api.post(f"/spaces/{sid}/document/complete", people["sharer"]).body["code"] == "upload_missing"


def test_windows_reject_past_and_inverted_and_edit_keeps_bookings(api: ApiClient, people: dict[str, User]) -> None:
    space = api.approved_space(people["sharer"], people["admin"], windows=[])
    sid, sharer = space["space_id"], people["sharer"]
    past = api.post(f"/spaces/{sid}/windows", sharer, {"kind": "once", "rate_minor": 100, "start": at(-50), "end": at(-48)})
    assert past.status == 400 and past.body["field"] == "start"
    inverted = api.post(f"/spaces/{sid}/windows", sharer, {"kind": "once", "rate_minor": 100, "start": at(5), "end": at(3)})
    assert inverted.status == 400 and inverted.body["field"] == "end"
    bad_days = api.post(f"/spaces/{sid}/windows", sharer, {**ALWAYS, "days": [7]})
    assert bad_days.status == 400 and bad_days.body["field"] == "days"
    once = api.post(f"/spaces/{sid}/windows", sharer, {"kind": "once", "rate_minor": 300, "daily_cap_minor": 500, "start": at(10), "end": at(40)})
    assert once.status == 201
    wid = once.body["windows"][0]["window_id"]
    booked = _reserve(api, people["parker"], space, 12, 14)
    assert booked.status == 201 and booked.body["price_minor"] == 500  # 2 h at 3.00 capped at 5.00
    shrink = api.call("PUT", f"/spaces/{sid}/windows/{wid}", sharer, body={"kind": "once", "rate_minor": 300, "start": at(13), "end": at(40)})
    assert shrink.status == 422 and shrink.body["code"] == "window_booked"
    assert api.call("DELETE", f"/spaces/{sid}/windows/{wid}", sharer).status == 422
    grow = api.call("PUT", f"/spaces/{sid}/windows/{wid}", sharer, body={"kind": "once", "rate_minor": 250, "start": at(11), "end": at(60)})
    assert grow.status == 200 and grow.body["windows"][0]["rate_minor"] == 250
    assert api.get(f"/reservations/{booked.body['reservation_id']}", people["parker"]).body["price_minor"] == 500


def test_reservation_outside_availability_is_422(api: ApiClient, people: dict[str, User]) -> None:
    office = {"kind": "weekly", "rate_minor": 100, "days": [0, 1, 2, 3, 4], "start_time": "08:00", "end_time": "18:00"}
    space = api.approved_space(people["sharer"], people["admin"], windows=[office])
    r = api.post("/reservations", people["parker"], {"space_id": space["space_id"], "plate": "AB1", "start": at(24), "end": at(24 + 30)})
    assert r.status == 422 and r.body["field"] == "start"


def test_bad_reservation_input_names_the_field(api: ApiClient, people: dict[str, User]) -> None:
    space = api.approved_space(people["sharer"], people["admin"])
    base = {"space_id": space["space_id"], "plate": "AB1", "start": at(5), "end": at(6)}
    for patch, field in (({"plate": "!!"}, "plate"), ({"start": "tomorrow"}, "start"), ({"end": at(4)}, "end"),
                         ({"start": at(-30), "end": at(-29)}, "start"), ({"space_id": "nope"}, "space_id")):
        r = api.post("/reservations", people["parker"], {**base, **patch})
        assert 400 <= r.status < 500 and r.body["field"] == field, (patch, r.body)
    assert api.get("/reservations", people["parker"]).body["reservations"] == []


def test_own_space_cannot_be_reserved(api: ApiClient, people: dict[str, User]) -> None:
    space = api.approved_space(people["sharer"], people["admin"])
    assert _reserve(api, people["sharer"], space, 3, 4).status == 422


def test_double_booking_is_409_and_extend_needs_free_time(api: ApiClient, people: dict[str, User]) -> None:
    space = api.approved_space(people["sharer"], people["admin"])
    first = _reserve(api, people["parker"], space, 10, 12)
    other = api.sign_up(roles=("parker",))
    clash = _reserve(api, other, space, 11, 13)
    assert clash.status == 409 and clash.body["code"] == "slot_taken"
    later = _reserve(api, other, space, 14, 16)
    assert later.status == 201
    r = api.post(f"/reservations/{first.body['reservation_id']}/extend", people["parker"], {"end": at(13)})
    assert r.status == 200 and r.body["end"] == at(13) and r.body["price_minor"] == 600
    r = api.post(f"/reservations/{first.body['reservation_id']}/extend", people["parker"], {"end": at(15)})
    assert r.status == 409 and r.body["code"] == "slot_taken"


def test_idempotency_key_books_once_and_refuses_reuse(api: ApiClient, people: dict[str, User]) -> None:
    space = api.approved_space(people["sharer"], people["admin"])
    first = _reserve(api, people["parker"], space, 30, 31, **{"Idempotency-Key": "k-1"})
    again = _reserve(api, people["parker"], space, 30, 31, **{"Idempotency-Key": "k-1"})
    assert first.status == 201 and again.status == 201 and again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    reused = _reserve(api, people["parker"], space, 32, 33, **{"Idempotency-Key": "k-1"})
    assert reused.status == 409 and reused.body["code"] == "idempotency_key_reused"
    assert len(api.get("/reservations", people["parker"]).body["reservations"]) == 1


def test_sharer_cancellation_refunds_the_parker_and_sharer_sees_bookings(api: ApiClient, people: dict[str, User]) -> None:
    space = api.approved_space(people["sharer"], people["admin"])
    r = _reserve(api, people["parker"], space, 20, 23)
    seen = api.get("/sharer/reservations", people["sharer"]).body["reservations"]
    assert [x["reservation_id"] for x in seen] == [r.body["reservation_id"]]
    on_space = api.get(f"/spaces/{space['space_id']}/reservations", people["sharer"]).body["reservations"]
    assert len(on_space) == 1
    c = api.post(f"/reservations/{r.body['reservation_id']}/cancel", people["sharer"])
    assert c.status == 200 and c.body["cancelled_by"] == "sharer" and c.body["refund_minor"] == 600 and c.body["fee_minor"] == 0
    twice = api.post(f"/reservations/{r.body['reservation_id']}/cancel", people["parker"])
    assert twice.status == 409 and twice.body["code"] == "invalid_transition"


def test_search_by_place_with_filters_and_price_sort(api: ApiClient, people: dict[str, User]) -> None:
    cheap = api.approved_space(people["sharer"], people["admin"], lat=52.3741, lng=4.9124, windows=[{**ALWAYS, "rate_minor": 100}])
    dear = api.approved_space(people["sharer"], people["admin"], lat=52.3742, lng=4.9125, windows=[{**ALWAYS, "rate_minor": 900}],
                              attributes={"covered": True, "ev_charger": True})
    url = f"/search?q=nemo&radius_m=300&start={at(40)}&end={at(42)}"
    r = api.get(url + "&sort=price", people["parker"])
    assert r.status == 200 and r.body["place"] == "NEMO Science Museum"
    ids = [h["space_id"] for h in r.body["results"]]
    assert ids.index(cheap["space_id"]) < ids.index(dear["space_id"])
    covered = [h["space_id"] for h in api.get(url + "&covered=true&ev_charger=true", people["parker"]).body["results"]]
    assert dear["space_id"] in covered and cheap["space_id"] not in covered
    capped = [h["space_id"] for h in api.get(url + "&max_price_minor=500", people["parker"]).body["results"]]
    assert cheap["space_id"] in capped and dear["space_id"] not in capped


def test_search_errors(api: ApiClient, people: dict[str, User]) -> None:
    r = api.get(f"/search?q=atlantis&start={at(1)}&end={at(2)}", people["parker"])
    assert r.status == 404 and r.body["field"] == "q"
    r = api.get(f"/search?start={at(1)}&end={at(2)}", people["parker"])
    assert r.status == 400 and r.body["field"] in ("lat", "lng")
    r = api.get(f"/search?lat=52.3&lng=4.9&start={at(2)}&end={at(1)}", people["parker"])
    assert r.status == 400 and r.body["field"] == "end"
    r = api.get(f"/search?lat=52.3&lng=4.9&start={at(1)}&end={at(2)}&radius_m=99999", people["parker"])
    assert r.status == 400 and r.body["field"] == "radius_m"


def test_coordinates_dynamodb_cannot_store_are_normalised_not_500(api: ApiClient, people: dict[str, User]) -> None:
    # Found by the schema fuzzer: 1e-200 underflowed DynamoDB's number range and gave a 500.
    r = api.post("/spaces", people["sharer"], {"title": "x", "address": "abc", "lat": 1e-200, "lng": -1e-150})
    assert r.status == 201 and r.body["lat"] == 0.0 and r.body["lng"] == 0.0


def test_search_across_the_antimeridian_and_beside_a_pole_is_bounded(api: ApiClient, people: dict[str, User]) -> None:
    west = api.approved_space(people["sharer"], people["admin"], lat=-17.0, lng=-179.995)
    window = f"&start={at(40)}&end={at(42)}"
    found = api.get("/search?lat=-17.0&lng=179.995&radius_m=2000" + window, people["parker"])
    assert found.status == 200 and west["space_id"] in [h["space_id"] for h in found.body["results"]], found.body
    for lat, lng in ((90, 0), (-90, 180), (89.99, -180), (-89.99, 180)):
        r = api.get(f"/search?lat={lat}&lng={lng}&radius_m=10000" + window, people["parker"])
        assert (r.status, r.body["code"], r.body["field"]) == (422, "search_area_too_large", "radius_m"), r.body
    assert api.get("/search?lat=89.99&lng=180&radius_m=20" + window, people["parker"]).status == 200


def test_an_overlapping_window_is_refused_naming_the_one_it_clashes_with(api: ApiClient, people: dict[str, User]) -> None:
    day = {"kind": "weekly", "rate_minor": 300, "days": [0, 1, 2, 3, 4, 5, 6], "start_time": "07:00", "end_time": "23:00"}
    space = api.approved_space(people["sharer"], people["admin"], windows=[day])
    sid, sharer, first = space["space_id"], people["sharer"], space["windows"][0]["window_id"]
    pricier = api.post(f"/spaces/{sid}/windows", sharer, {**day, "rate_minor": 900, "start_time": "10:00", "end_time": "12:00"})
    assert (pricier.status, pricier.body["code"], pricier.body["field"]) == (409, "window_overlap", "start_time"), pricier.body
    assert first in pricier.body["message"] and "07:00-23:00" in pricier.body["message"]
    noon = (datetime.now(UTC) + timedelta(days=2)).replace(hour=11, minute=0, second=0, microsecond=0)  # 12:00 or 13:00 local
    one_off = api.post(f"/spaces/{sid}/windows", sharer, {"kind": "once", "rate_minor": 900, "start": noon.isoformat(),
                                                          "end": (noon + timedelta(hours=2)).isoformat()})
    assert (one_off.status, one_off.body["field"]) == (409, "start")
    night = api.post(f"/spaces/{sid}/windows", sharer, {**day, "rate_minor": 100, "start_time": "23:00", "end_time": "24:00"})
    assert night.status == 201, night.body
    second = [w["window_id"] for w in night.body["windows"] if w["window_id"] != first][0]
    stretched = api.call("PUT", f"/spaces/{sid}/windows/{second}", sharer, body={**day, "start_time": "22:00", "end_time": "24:00"})
    assert stretched.status == 409 and first in stretched.body["message"]
    same = api.call("PUT", f"/spaces/{sid}/windows/{first}", sharer, body={**day, "rate_minor": 350})
    assert same.status == 200  # editing a window never clashes with its own old version
    shown = api.get(f"/spaces/{sid}", people["parker"]).body["windows"]
    assert sorted((w["start_time"], w["end_time"], w["rate_minor"]) for w in shown) == [("07:00", "23:00", 350), ("23:00", "24:00", 100)]
