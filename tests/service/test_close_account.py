"""Account closure on fakes: what it refuses, cancels, settles, erases and keeps."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.images import inspect
from chalicelib.domain.accounts import ERASED, Principal
from chalicelib.domain.availability import Booking, Calendar, Interval, Window
from chalicelib.domain.billing import BillingPolicy
from chalicelib.domain.carparks import CarPark
from chalicelib.domain.errors import ConflictError, KeyErasedError, UnauthenticatedError
from chalicelib.domain.geo import Point
from chalicelib.domain.photos import Claim
from chalicelib.domain.pricing import Tariff
from chalicelib.domain.reservations import BILLED, ENTERED, RESERVED, Reservation
from chalicelib.domain.spaces import APPROVED, OwnershipDocument, Space, SpaceAttributes
from chalicelib.domain.staff import founding_membership, invitation
from chalicelib.services import accounts, closure
from chalicelib.services.carpark_ports import GateEventRecord
from chalicelib.services.evidence import EvidenceStores
from chalicelib.services.order_ports import Notification
from chalicelib.services.orders import OrderLifecycle
from tests.fakes import (
    FakeBalances,
    FakeBlobStore,
    FakeCarParks,
    FakeClaimRepository,
    FakeClock,
    FakeEnclave,
    FakeEvidenceSource,
    FakeExportLog,
    FakeGateEvents,
    FakeIdentityProvider,
    FakeLedger,
    FakeNotifications,
    FakePayments,
    FakePhotoSetRepository,
    FakeReservations,
    FakeSpaces,
    FakeStaff,
    FakeUserRepository,
    user,
)

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ALWAYS = Window("w1", "weekly", Tariff(200, None, 15), days=tuple(range(7)), start_minute=0, end_minute=1440)
ids = itertools.count()


@dataclass
class Scene:
    c: closure.Closure
    idp: FakeIdentityProvider
    enclave: FakeEnclave
    carparks: FakeCarParks

    @property
    def o(self) -> OrderLifecycle:
        return self.c.orders

    def space(self, owner: str, space_id: str, carpark_id: str | None = None) -> Space:
        sp = Space(space_id, owner, f"Spot of {owner}", "Home street 1", Point(52.371234, 4.891234), SpaceAttributes(), APPROVED,
                   Calendar("Europe/Amsterdam", (ALWAYS,)), 1, NOW, "EUR", carpark_id=carpark_id, lot="A1",
                   link_state="accepted" if carpark_id else None,
                   document=OwnershipDocument(f"ownership/{space_id}/document", "uploaded", "application/pdf", 9))
        self.o.spaces.add(sp)
        self.c.evidence.blobs.put(f"ownership/{space_id}/document", b"%PDF deed", "application/pdf")
        return sp

    def book(self, parker: str, space: Space, start_h: float, state: str = RESERVED, plate: str = "AB123C") -> Reservation:
        start = NOW + timedelta(hours=start_h)
        r = Reservation(f"r{next(ids)}", space.space_id, parker, space.owner_id, plate, start, start + timedelta(hours=2), 400, "EUR",
                        state, 1, NOW - timedelta(days=1), "w1", carpark_id=space.gate_carpark, lot=space.lot)
        self.o.reservations.items[r.reservation_id] = r  # type: ignore[attr-defined]
        current = self.o.spaces.get(space.space_id)
        self.o.spaces.items[space.space_id] = replace(  # type: ignore[attr-defined]
            current, calendar=current.calendar.with_booking(Booking(r.reservation_id, Interval(r.start, r.end))))
        return r


def scene() -> Scene:
    users, idp, enclave, clock = FakeUserRepository(), FakeIdentityProvider(), FakeEnclave(), FakeClock(NOW)
    spaces = FakeSpaces()
    reservations = FakeReservations(spaces)
    ledger = FakeLedger()
    o = OrderLifecycle(reservations, spaces, FakePayments(), FakeBalances(), FakeNotifications(), clock, BillingPolicy(), 1500, ledger)
    st = EvidenceStores(reservations, spaces, FakePhotoSetRepository(), FakeClaimRepository(), FakeBlobStore(), enclave, ledger,
                        FakeEvidenceSource(ledger), inspect, clock, os.urandom, lambda: f"e{next(ids)}", FakeExportLog())
    for who in ("alice", "bob", "carol"):
        users.add(user(who))
        idp.accounts.add(who)
    return Scene(closure.Closure(users, enclave, idp, o, FakeGateEvents(), FakeStaff(), st), idp, enclave, FakeCarParks())


def who(user_id: str) -> Principal:
    return Principal(user_id, f"{user_id}@example.com", frozenset(), frozenset({"parker", "sharer"}))


def test_closing_erases_the_key_deletes_the_sign_in_and_refuses_the_account() -> None:
    s = scene()
    sealed = s.enclave.seal("alice", "id-document", "front", b"ID")
    kept = s.enclave.seal("bob", "id-document", "front", b"ID-B")
    report = closure.close_account(who("alice"), c=s.c)
    closed = s.c.users.get("alice")
    assert report.user == closed and closed.status == "closed" and closed.closed_at == NOW
    assert (closed.email, closed.display_name) == (ERASED, ERASED)
    assert s.idp.deleted == ["alice"] and s.enclave.erased == {"alice"} and s.idp.find_user_id("alice") is None
    with pytest.raises(KeyErasedError):
        s.enclave.unseal("alice", "id-document", "front", sealed)
    assert s.enclave.unseal("bob", "id-document", "front", kept) == b"ID-B"
    with pytest.raises(UnauthenticatedError):
        accounts.principal_for({"sub": "alice"}, users=s.c.users)
    assert closure.close_account(who("alice"), c=s.c).user.version == closed.version  # again: nothing more to do


def test_open_bookings_are_cancelled_by_the_stated_rule_and_the_space_freed() -> None:
    s = scene()
    bobs = s.space("bob", "s-bob")
    future, begun = s.book("alice", bobs, 24), s.book("alice", bobs, -0.5)
    alices = s.space("alice", "s-alice")
    on_mine = s.book("carol", alices, 48)
    report = closure.close_account(who("alice"), c=s.c)
    assert set(report.cancelled) == {future.reservation_id, begun.reservation_id, on_mine.reservation_id}
    f, b, m = (s.o.reservations.get(r.reservation_id) for r in (future, begun, on_mine))
    assert (f.state, f.fee_minor, f.cancelled_by) == ("cancelled", 0, "parker")  # not started: free
    assert (b.state, b.fee_minor) == ("cancelled", 400) and b.charge_id is not None  # begun: the ordinary late rule
    assert (m.state, m.fee_minor, m.refund_minor, m.cancelled_by) == ("cancelled", 0, 400, "sharer")
    assert s.o.notifications.feed("carol", 5)[0].kind == "reservation_cancelled"
    assert s.o.spaces.get("s-bob").calendar.bookings == ()
    assert all(r.plate == ERASED for r in (f, b))


def test_closure_waits_while_a_car_is_parked_or_a_bill_is_being_paid() -> None:
    s = scene()
    bobs = s.space("bob", "s-bob")
    parked = s.book("alice", bobs, -1, ENTERED)
    with pytest.raises(ConflictError) as refused:
        closure.close_account(who("alice"), c=s.c)
    assert refused.value.code == "stay_in_progress" and s.c.users.get("alice").status == "active" and not s.enclave.erased
    s.o.reservations.items[parked.reservation_id] = replace(parked, state=BILLED)  # type: ignore[attr-defined]
    with pytest.raises(ConflictError) as unpaid:
        closure.close_account(who("alice"), c=s.c)
    assert unpaid.value.code == "order_unsettled"
    s.o.reservations.items[parked.reservation_id] = parked  # type: ignore[attr-defined]
    with pytest.raises(ConflictError) as in_use:
        closure.close_account(who("bob"), c=s.c)  # a car (alice's) is on bob's space
    assert in_use.value.code == "space_in_use"


def test_copies_of_the_plate_held_by_the_car_park_and_the_sharer_are_erased_and_nothing_else() -> None:
    s = scene()
    s.carparks.add(CarPark("cp1", "bob", "Central", "public", "Dam 2", ("A1",), "Europe/Amsterdam", (), NOW))
    bobs = s.space("bob", "s-bob", carpark_id="cp1")
    done = s.book("alice", bobs, -30, "completed")
    theirs = s.book("carol", s.space("bob", "s-bob-2", carpark_id="cp1"), -20, "completed", plate="ZZ999Z")
    events = [("e1", "AB123C", {"reservation_id": done.reservation_id, "plate": "AB123C"}),
              ("e2", "A8123C", {"reservation_id": done.reservation_id, "plate": "AB123C"}),  # a misread, tied to the stay
              ("e3", "AB123C", {"reservation_id": None, "plate": "AB123C", "reason": "too_early"}),
              ("e4", "AB123C", {"membership_id": "m1", "plate": "AB123C"}),  # a member's visit: the car park's record
              ("e5", "ZZ999Z", {"reservation_id": theirs.reservation_id, "plate": "ZZ999Z"})]
    for key, read, reply in events:
        s.c.gate_events.items[key] = GateEventRecord(key, "gd", "cp1", "h", "done", NOW, "entry", read, reply)  # type: ignore[attr-defined]
    for feed in ("bob", "carpark:cp1", "alice"):
        s.o.notifications.add(Notification(feed, f"{done.reservation_id}:completed", "order_completed", "Order completed",
                                           "AB123C: 400 EUR minor units paid", NOW, done.reservation_id))
    s.o.notifications.add(Notification("bob", f"{theirs.reservation_id}:completed", "order_completed", "Order completed",
                                       "ZZ999Z: 400 EUR minor units paid", NOW, theirs.reservation_id))
    closure.close_account(who("alice"), c=s.c)
    plates = {k: e.plate for k, e in s.c.gate_events.items.items()}  # type: ignore[attr-defined]
    assert plates == {"e1": ERASED, "e2": ERASED, "e3": ERASED, "e4": "AB123C", "e5": "ZZ999Z"}
    assert s.c.gate_events.items["e1"].response["plate"] == ERASED  # type: ignore[attr-defined]
    assert sorted(n.body for n in s.o.notifications.feed("bob", 5)) == ["ZZ999Z: 400 EUR minor units paid",
                                                                         "[erased]: 400 EUR minor units paid"]
    assert s.o.notifications.feed("carpark:cp1", 5)[0].body == "[erased]: 400 EUR minor units paid"
    kept = s.o.reservations.get(done.reservation_id)
    assert (kept.state, kept.price_minor, kept.plate) == ("completed", 400, ERASED)  # the bill stays, the plate goes
    assert s.o.reservations.get(theirs.reservation_id).plate == "ZZ999Z"


def test_evidence_memberships_spaces_and_claims_of_the_closed_account() -> None:
    s = scene()
    s.carparks.add(CarPark("cp9", "carol", "North", "public", "Dam 9", (), "Europe/Amsterdam", (), NOW))
    s.c.staff.add(founding_membership("cp9", "carol", NOW))
    s.c.staff.add(replace(invitation("cp9", "alice", "staff", "carol", NOW), state="active"))
    s.carparks.add(CarPark("cp8", "alice", "Own", "public", "Dam 8", (), "Europe/Amsterdam", (), NOW))
    s.c.staff.add(founding_membership("cp8", "alice", NOW))
    done = s.book("alice", s.space("bob", "s-bob"), -30, "completed")
    claim = Claim("c1", done.reservation_id, "alice", "bob", None, ("sharer",), "my name is Alice A. and I saw it", "open", NOW,
                  NOW + timedelta(days=30))
    s.c.evidence.claims.add(claim)
    s.space("alice", "s-alice")
    closure.close_account(who("alice"), c=s.c)
    assert {m.carpark_id: m.state for m in s.c.staff.by_user("alice", 10)} == {"cp9": "removed", "cp8": "removed"}
    assert s.c.staff.find("cp9", "carol").state == "active"  # type: ignore[union-attr]
    gone = s.o.spaces.get("s-alice")
    assert (gone.status, gone.title, gone.address, gone.document) == ("withdrawn", ERASED, ERASED, None)
    assert (gone.location.lat, gone.location.lng) == (52.37, 4.89)
    assert "ownership/s-alice/document" not in s.c.evidence.blobs.objects  # type: ignore[attr-defined]
    assert "ownership/s-bob/document" in s.c.evidence.blobs.objects  # type: ignore[attr-defined]
    closed_claim = s.c.evidence.claims.get("c1")
    assert (closed_claim.status, closed_claim.description) == ("closed", ERASED)
