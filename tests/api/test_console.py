"""The car-park console's API (issue 14): the live view and its since-cursor feed, overrides as device commands with
who, why and what they bill, alerts, transactions with proofs, the history report from aggregates and its CSV,
members without overlapping plans or double exits, plate lists honoured by the gate, settings, the audit trail; and
another car park's people see none of it."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.api.http import REGISTRY
from chalicelib.domain.signing import gate_request
from chalicelib.services import console_reports
from chalicelib.services.console_ports import Console
from tests.console_bodies import CONSOLE_BODIES
from tests.helpers import ApiClient, Reply, User
from tests.order_helpers import Gate, World, make_world


@dataclass
class Shift:
    world: World
    owner: User
    staff: User
    parker: User
    cp: str
    gate: Gate
    space: dict[str, Any]

    @property
    def api(self) -> ApiClient:
        return self.world.api

    def get(self, path: str, who: User | None = None) -> Reply:
        return self.api.get(f"/carparks/{self.cp}{path}", who or self.staff)

    def post(self, path: str, body: Any = None, who: User | None = None) -> Reply:
        return self.api.post(f"/carparks/{self.cp}{path}", who or self.staff, body)

    def reserve(self, plate: str, start_h: float = 1, end_h: float = 3) -> str:
        w = self.world
        r = self.api.post("/reservations", self.parker, {"space_id": self.space["space_id"], "plate": plate,
                                                        "start": w.at(start_h).isoformat(), "end": w.at(end_h).isoformat()})
        assert r.status == 201, r.body
        return str(r.body["reservation_id"])

    def read(self, direction: str, plate: str) -> dict[str, Any]:
        r = self.world.send(self.gate, self.gate.event(direction, plate))
        assert r.status == 200, r.body
        return dict(r.body)

    def beat(self, acks: list[str] | None = None) -> dict[str, Any]:
        raw, headers = gate_request(self.gate.device_id, self.gate.secret.encode(), {"firmware": "cam-1", "acks": acks or []},
                                    int(self.world.clock.now().timestamp()))
        r = self.world.raw("/gate/heartbeat", raw, headers)
        assert r.status == 200, r.body
        return dict(r.body)


@pytest.fixture
def shift(api: ApiClient) -> Iterator[Shift]:
    world = make_world(api)
    owner, staff, parker = api.sign_up(), api.sign_up(roles=("parker",)), api.sign_up(roles=("parker",))
    cp = world.carpark(owner)
    assert api.post(f"/carparks/{cp['carpark_id']}/staff", owner, {"email": staff.email}).status == 201
    assert api.post(f"/me/staff-invitations/{cp['carpark_id']}/accept", staff).status == 200
    gate = world.gate(owner, cp["carpark_id"])
    space = api.approved_space(owner, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    assert api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"}).status == 200
    yield Shift(world, owner, staff, parker, cp["carpark_id"], gate, space)
    bootstrap.override(None)


def small_inline(world: World) -> Console:
    """The graph again with every export too large for the response (so it goes through a presigned download)."""
    d = world.deps
    assert d.carparks.console is not None
    console = replace(d.carparks.console, inline_export_rows=0)
    bootstrap.override(replace(d, carparks=replace(d.carparks, console=console)))
    return console


def feed(s: Shift, since: str | None = None) -> dict[str, Any]:
    r = s.get("/feed" + (f"?since={since}" if since else ""))
    assert r.status == 200, r.body
    return dict(r.body)


def paid_stay(s: Shift, plate: str = "AB123C") -> str:
    rid = s.reserve(plate)
    s.world.clock.set(s.world.at(1) + timedelta(minutes=5))
    assert s.read("entry", plate)["decision"] == "open"
    s.world.clock.set(s.world.at(2) + timedelta(minutes=50))
    assert s.read("exit", plate)["decision"] == "open"
    s.world.clock.advance(seconds=20)
    s.world.settle_payments()
    assert s.world.reservation(s.parker, rid)["state"] == "completed"
    return rid


def test_the_live_view_counts_cars_and_the_feed_gives_each_movement_once_on_the_next_poll(shift: Shift) -> None:
    s = shift
    rid = s.reserve("AB123C")
    first = feed(s)
    assert first["movements"] == [] and first["more"] is False
    s.world.clock.set(s.world.at(1) + timedelta(minutes=5))
    assert s.read("entry", "AB 123 C")["reservation_id"] == rid
    polled = feed(s, first["next"])
    [m] = polled["movements"]
    assert (m["source"], m["direction"], m["read"], m["matched"], m["decision"], m["reason"]) == \
        ("gate", "entry", "AB123C", "AB123C", "open", "reservation")
    assert m["reservation_id"] == rid and m["device_id"] == s.gate.device_id
    assert feed(s, polled["next"])["movements"] == []  # nothing new: nothing again
    occ = s.get("/occupancy").body
    assert occ["occupied"] == 1 and {"lot": "A1", "capacity": 1, "occupied": 1, "free": 0} in occ["lots"]
    s.world.clock.advance(minutes=30)
    [car] = s.get("/inside").body["inside"]
    assert (car["kind"], car["plate"], car["lot"], car["stay_min"], car["reservation_id"]) == ("reservation", "AB123C", "A1", 30, rid)
    unknown = s.read("entry", "ZZ999Z")
    assert (unknown["decision"], unknown["reason"]) == ("deny", "unknown_plate")
    s.read("exit", "AB123C")
    later = feed(s, polled["next"])
    assert [(x["read"], x["matched"], x["decision"], x["reason"]) for x in later["movements"]] == \
        [("ZZ999Z", None, "deny", "unknown_plate"), ("AB123C", "AB123C", "open", "goodbye")]
    assert s.get("/occupancy").body["occupied"] == 0 and s.get("/inside").body["inside"] == []
    bad = s.get("/feed?since=not-a-cursor")
    assert (bad.status, bad.body["code"], bad.body["field"]) == (400, "invalid_cursor", "since")


def test_an_unknown_plate_raises_an_alert_and_staff_let_it_out_by_a_command_recorded_with_who_and_why(shift: Shift) -> None:
    s = shift
    s.read("entry", "ZZ999Z")
    alerts = [a for a in s.get("/alerts").body["alerts"] if a["kind"] != "quiet_device"]  # this gate never sent a heartbeat
    assert [(a["kind"], a["state"]) for a in alerts] == [("unknown_plate", "open")] and "ZZ999Z" in alerts[0]["body"]
    assert "alert_unknown_plate" in [n["kind"] for n in s.api.get("/me/notifications", s.staff).body["notifications"]]
    s.read("entry", "ZZ999Z")  # a second read is a second event, the same car: its own alert
    short = s.post("/overrides", {"action": "let_out", "plate": "ZZ999Z", "reason": "x", "device_id": s.gate.device_id})
    assert (short.status, short.body["field"]) == (400, "reason")
    made = s.post("/overrides", {"action": "let_out", "plate": "zz 999 z", "reason": "camera cannot read; driver had no ticket",
                                 "device_id": s.gate.device_id})
    assert made.status == 201, made.body
    o = made.body
    assert (o["action"], o["plate"], o["by"], o["flagged"]) == ("let_out", "ZZ999Z", s.staff.user_id, True)
    assert o["billed"].startswith("nothing")
    [cmd] = s.beat()["commands"]  # the gate gets it in the reply to its signed heartbeat
    assert (cmd["command_id"], cmd["action"]) == (o["command_id"], "open") and "driver had no ticket" in cmd["reason"]
    s.world.clock.advance(seconds=5)
    assert s.beat([cmd["command_id"]])["commands"] == []
    assert [x["override_id"] for x in s.get("/overrides").body["overrides"]] == [o["override_id"]]
    kinds = [a["kind"] for a in s.get("/alerts").body["alerts"]]
    assert "unbilled_exit" in kinds
    [entry] = [e for e in s.get("/audit", s.owner).body["entries"] if e["action"] == "override.let_out"]
    assert (entry["actor"], entry["role"], entry["target"]) == (s.staff.user_id, "staff", f"override:{o['override_id']}")
    assert "ZZ999Z" not in str(entry)  # no plate in the audit trail
    assert s.get("/audit").status == 403  # the trail is the owners'
    alert_id = next(a["alert_id"] for a in s.get("/alerts").body["alerts"] if a["kind"] == "unknown_plate")
    done = s.post("/alerts/acknowledge", {"alert_id": alert_id})
    assert done.status == 200 and (done.body["state"], done.body["acknowledged_by"]) == ("acknowledged", s.staff.user_id)
    assert s.post("/alerts/acknowledge", {"alert_id": alert_id}).status == 409
    assert alert_id not in [a["alert_id"] for a in s.get("/alerts").body["alerts"]]


def test_a_let_out_for_a_stay_whose_exit_read_failed_bills_the_stay_at_the_override_time(shift: Shift) -> None:
    s = shift
    rid = s.reserve("CD456E")
    s.world.clock.set(s.world.at(1))
    s.read("entry", "CD456E")
    s.world.clock.set(s.world.at(2))
    made = s.post("/overrides", {"action": "let_out", "plate": "CD456E", "reason": "exit camera fogged", "device_id": s.gate.device_id})
    assert made.status == 201 and made.body["reservation_id"] == rid and made.body["flagged"] is False, made.body
    r = s.world.reservation(s.parker, rid)
    assert r["state"] == "billed" and r["exited_at"] == s.world.at(2).isoformat().replace("+00:00", "Z")
    assert s.get("/inside").body["inside"] == []
    mark = s.post("/overrides", {"action": "mark_left", "plate": "CD456E", "reason": "seen leaving on foot"})
    assert mark.status == 201 and mark.body["command_id"] is None and mark.body["flagged"] is True


def test_a_member_cannot_hold_overlapping_plans_nor_exit_twice_without_an_entry(shift: Shift) -> None:
    s = shift
    s.world.clock.set(s.world.at(0))
    m = s.post("/members", {"plate": "ME-111", "holder": "Ann Member", "plan": "monthly"})
    assert m.status == 201 and m.body["state"] == "active", m.body
    twice = s.post("/members", {"plate": "me111", "holder": "Ann Member", "plan": "annual"})
    assert (twice.status, twice.body["code"], twice.body["field"]) == (409, "membership_overlap", "valid_from")
    old_route = s.post("/memberships", {"plate": "ME111", "holder": "Ann", "plan": "monthly"})
    assert (old_route.status, old_route.body["code"]) == (409, "membership_overlap")  # the earlier route keeps the rule too
    renewed = s.post(f"/members/{m.body['membership_id']}/renew", {})
    assert renewed.status == 201, renewed.body
    assert renewed.body["valid_from"] > m.body["valid_until"] and renewed.body["renews"] == m.body["membership_id"]
    assert s.read("exit", "ME111")["reason"] == "member_not_inside"  # no entry: no exit
    assert s.read("entry", "ME111")["decision"] == "open"
    s.world.clock.advance(minutes=1)
    assert s.read("entry", "ME111")["reason"] == "already_inside"
    assert s.get("/occupancy").body["occupied"] == 1
    assert s.read("exit", "ME111")["reason"] == "member_exit"
    second = s.read("exit", "ME111")
    assert (second["decision"], second["reason"]) == ("deny", "member_not_inside")
    s.world.clock.set(s.world.at(24 * 20))
    listed = s.get("/members?expiring_within_days=14").body["memberships"]
    assert [(x["membership_id"], x["state"]) for x in listed] == [(m.body["membership_id"], "expiring")]
    ended = s.post(f"/members/{renewed.body['membership_id']}/end")
    assert ended.status == 200 and ended.body["state"] in ("ended", "upcoming"), ended.body
    actions = [e["action"] for e in s.get("/audit", s.owner).body["entries"]]
    assert {"membership.added", "membership.renewed", "membership.ended"} <= set(actions)


def test_a_blocked_plate_is_refused_even_with_a_reservation_and_the_parker_is_told(shift: Shift) -> None:
    s = shift
    rid = s.reserve("BL0CK1")
    added = s.post("/plate-lists", {"kind": "block", "plate": "bl0ck1", "reason": "damaged the barrier on 1 Dec"})
    assert added.status == 201, added.body
    again = s.post("/plate-lists", {"kind": "allow", "plate": "BL0CK1", "reason": "allowed after all"})
    assert (again.status, again.body["code"]) == (409, "plate_listed")
    s.world.clock.set(s.world.at(1))
    refused = s.read("entry", "BL0CK1")
    assert (refused["decision"], refused["reason"], refused["reservation_id"]) == ("deny", "blocked", rid)
    told = [n for n in s.api.get("/me/notifications", s.parker).body["notifications"] if n["kind"] == "gate_refused"]
    assert told and "blocked" in told[0]["body"]
    assert [a["kind"] for a in s.get("/alerts").body["alerts"] if a["kind"] != "quiet_device"] == ["blocked_plate"]
    assert s.post("/plate-lists", {"kind": "allow", "plate": "FL0R1ST", "reason": "the florist"}).status == 201
    assert s.read("entry", "FL0R1ST")["reason"] == "allowed"
    assert s.read("exit", "FL0R1ST")["reason"] == "allowed_exit"
    entries = s.get("/plate-lists?kind=block").body["entries"]
    assert [e["plate"] for e in entries] == ["BL0CK1"]
    assert s.post(f"/plate-lists/{entries[0]['entry_id']}/remove").status == 200
    assert s.read("entry", "BL0CK1")["reservation_id"] == rid and s.read("entry", "BL0CK1")["decision"] in ("open", "deny")


def test_transactions_link_each_paid_stay_to_its_proof_and_the_report_and_csv_agree(shift: Shift) -> None:
    s = shift
    rid = paid_stay(s)
    day = s.world.at(2).date().isoformat()
    books = s.get(f"/books?from={day}").body
    [row] = [t for t in books["transactions"] if t["kind"] == "paid"]
    assert (row["reservation_id"], row["state"], row["payment_status"]) == (rid, "completed", "succeeded")
    assert row["proof"] == f"/carparks/{s.cp}/stays/{rid}/proof" and row["ledger_entry"]
    assert books["totals"]["revenue_minor"] == row["amount_minor"] and books["totals"]["paid_stays"] == 1
    report = s.get(f"/report?from={day}&to={day}").body
    assert report["summary"]["revenue_minor"] == row["amount_minor"] and report["summary"]["paid_stays"] == 1
    assert report["summary"]["average_stay_min"] == row["stay_min"] > 0
    assert len(report["heatmap"]) == 7 and all(len(h) == 24 for h in report["heatmap"]) and sum(report["by_hour"]) > 0
    x = s.post("/exports", {"dataset": "series", "from": day, "to": day})
    assert x.status == 201 and x.body["url"] is None, x.body
    [line] = list(csv.DictReader(io.StringIO(x.body["csv"])))
    assert int(line["revenue_minor"]) == report["summary"]["revenue_minor"]
    # large exports go through a presigned download, not the response body
    small_inline(s.world)
    big = s.post("/exports", {"dataset": "transactions", "from": day, "to": day})
    assert big.status == 201 and big.body["csv"] is None and big.body["url"], big.body
    with urllib.request.urlopen(big.body["url"]) as got:  # noqa: S310 - the local S3's presigned URL
        rows = list(csv.DictReader(io.StringIO(got.read().decode())))
    assert sum(int(r["amount_minor"]) for r in rows if r["kind"] == "paid") == books["totals"]["revenue_minor"]


def test_settings_are_checked_whole_saved_on_their_version_and_only_by_owners(shift: Shift) -> None:
    s = shift
    got = s.get("/settings").body
    body = {**{k: got[k] for k in ("version", "currency", "tariff", "lots", "unassigned_capacity", "opening")}}
    body["tariff"] = {"hourly_rate_minor": 300, "daily_cap_minor": 200, "plans": {"monthly": 9000}}
    bad = s.api.call("PUT", f"/carparks/{s.cp}/settings", s.owner, body)
    assert (bad.status, bad.body["code"], bad.body["field"]) == (400, "cap_below_rate", "tariff.daily_cap_minor")
    body["tariff"]["daily_cap_minor"] = 2000
    body["lots"] = [{**lot, "capacity": 40} if lot["name"] == "A1" else lot for lot in got["lots"]]
    body["unassigned_capacity"] = 10
    assert s.api.call("PUT", f"/carparks/{s.cp}/settings", s.staff, body).status == 403
    saved = s.api.call("PUT", f"/carparks/{s.cp}/settings", s.owner, body)
    assert saved.status == 200 and saved.body["version"] == got["version"] + 1, saved.body
    stale = s.api.call("PUT", f"/carparks/{s.cp}/settings", s.owner, body)
    assert (stale.status, stale.body["code"]) == (409, "version_conflict")
    body["version"] = saved.body["version"]
    body["lots"] = [lot for lot in body["lots"] if lot["name"] != "A1"]
    in_use = s.api.call("PUT", f"/carparks/{s.cp}/settings", s.owner, body)
    assert (in_use.status, in_use.body["code"]) == (409, "lot_in_use")
    occ = s.get("/occupancy").body
    assert occ["capacity"] == 40 + 10 + 0 + 0 and {"lot": None, "capacity": 10, "occupied": 0, "free": 10} in occ["lots"]
    m = s.post("/members", {"plate": "PR1CE", "holder": "P", "plan": "monthly"})
    assert m.body["price_minor"] == 9000


def test_a_device_silent_for_five_minutes_raises_one_quiet_alert(shift: Shift) -> None:
    s = shift
    s.beat()
    assert [a for a in s.get("/alerts").body["alerts"] if a["kind"] == "quiet_device"] == []
    s.world.clock.advance(minutes=6)
    quiet = [a for a in s.get("/alerts").body["alerts"] if a["kind"] == "quiet_device"]
    assert len(quiet) == 1 and quiet[0]["device_id"] == s.gate.device_id
    assert len([a for a in s.get("/alerts").body["alerts"] if a["kind"] == "quiet_device"]) == 1


def console_routes() -> list[Any]:
    return [op for op in REGISTRY.operations if op.tag == "console"]


def test_another_car_parks_owner_and_staff_get_404_on_every_console_route(shift: Shift) -> None:
    s = shift
    other_owner, other_staff = s.api.sign_up(), s.api.sign_up(roles=("parker",))
    other = s.world.carpark(other_owner, name="North Garage")
    s.api.post(f"/carparks/{other['carpark_id']}/staff", other_owner, {"email": other_staff.email})
    assert s.api.post(f"/me/staff-invitations/{other['carpark_id']}/accept", other_staff).status == 200
    rid = paid_stay(s)
    m = s.post("/members", {"plate": "SECRET1", "holder": "Ann", "plan": "monthly"}).body
    entry = s.post("/plate-lists", {"kind": "allow", "plate": "SECRET2", "reason": "the florist"}).body
    ids = {"carpark_id": s.cp, "membership_id": m["membership_id"], "entry_id": entry["entry_id"], "reservation_id": rid}
    bodies = {**CONSOLE_BODIES, "createOverride": {"action": "mark_left", "plate": "AB123C", "reason": "nosy"}}
    routes = console_routes()
    assert len(routes) >= 20
    for who in (other_owner, other_staff):
        for op in routes:
            reply = s.api.call(op.method, op.path.format(**ids), who, body=bodies.get(op.operation_id, {}) if op.method != "GET" else None)
            assert (reply.status, reply.body["code"]) == (404, "not_found"), (op.operation_id, reply.status, reply.body)
            assert "SECRET" not in str(reply.body) and "AB123C" not in str(reply.body)
    assert s.get("/overrides").body["overrides"] == []  # nothing was done on their behalf


def test_closing_the_parkers_account_erases_the_plate_from_the_console_and_keeps_the_money(shift: Shift) -> None:
    s = shift
    rid = paid_stay(s, "ER4SE1")
    day = s.world.at(2).date().isoformat()
    before = s.get(f"/books?from={day}").body
    assert [t["plate"] for t in before["transactions"] if t["reservation_id"] == rid] == ["ER4SE1"]
    closed = s.api.post("/me/close", s.parker, {"confirm": True})
    assert closed.status in (200, 202), closed.body
    after = s.get(f"/books?from={day}").body
    assert "ER4SE1" not in str(after) and "ER4SE1" not in str(feed(s))
    assert after["totals"] == before["totals"]


def test_a_large_export_is_deleted_once_its_download_has_expired(shift: Shift) -> None:
    s = shift
    paid_stay(s)
    console = small_inline(s.world)
    big = s.post("/exports", {"dataset": "transactions", "from": s.world.at(2).date().isoformat()}).body
    early = console_reports.expire_exports(console, s.world.clock.now(), limit=1000)
    assert not any(g in big["url"] for g in early)  # not yet
    s.world.clock.advance(minutes=16)
    gone = console_reports.expire_exports(console, s.world.clock.now(), limit=1000)  # other tests' exports share the table
    assert any(g in big["url"] for g in gone)
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(big["url"])  # noqa: S310 - the local S3's presigned URL


def test_the_audit_view_lists_staff_and_device_changes_with_who_and_when(shift: Shift) -> None:
    s = shift
    assert s.post(f"/devices/{s.gate.device_id}/rotate", who=s.owner).status == 200
    assert s.post(f"/devices/{s.gate.device_id}/revoke", who=s.owner).status == 200
    assert s.post(f"/staff/{s.staff.user_id}/remove", who=s.owner).status == 200
    entries = s.get("/audit", s.owner).body["entries"]
    seen = [(e["action"], e["actor"], e["role"]) for e in entries]
    assert ("staff.invited", s.owner.user_id, "owner") in seen and ("staff.accepted", s.staff.user_id, "staff") in seen
    assert ("device.registered", s.owner.user_id, "owner") in seen and ("device.rotated", s.owner.user_id, "owner") in seen
    assert ("device.revoked", s.owner.user_id, "owner") in seen and ("staff.removed", s.owner.user_id, "owner") in seen
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    first = s.get("/audit?limit=2", s.owner).body
    rest = s.get(f"/audit?limit=50&next={first['next']}", s.owner).body
    assert [e["entry_id"] for e in first["entries"] + rest["entries"]] == [e["entry_id"] for e in entries]
    assert s.get("/occupancy").status == 404  # removed staff see nothing any more


def test_an_order_whose_car_park_is_gone_books_nothing_and_fails_nothing(shift: Shift) -> None:
    """The no-show sweep reads every ended reservation: one naming a car park that no longer exists made the console's
    hook raise NotFoundError, and the whole sweep with it."""
    from datetime import UTC, datetime

    from chalicelib.domain.reservations import Reservation
    from chalicelib.services import console_hooks

    console = shift.world.deps.carparks.console
    assert console is not None
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    gone = Reservation("r-" + "0" * 30, "space-x", "parker-x", "sharer-x", "AB123C", start, start + timedelta(hours=2), 400, "EUR",
                       "no_show", 2, start, "w1", carpark_id="cp-that-does-not-exist")
    console_hooks.no_show(console, gone)
    console_hooks.stay_paid(console, gone)
    console_hooks.fee_paid(console, replace(gone, fee_minor=400))
