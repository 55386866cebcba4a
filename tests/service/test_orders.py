"""Order services on in-memory fakes: every step is safe to repeat, and money moves once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.accounts import Principal
from chalicelib.domain.availability import Booking, Calendar, Interval, Window
from chalicelib.domain.billing import BillingPolicy
from chalicelib.domain.carparks import CarPark
from chalicelib.domain.errors import ConflictError, ForbiddenError, NotFoundError, RuleViolationError, UnauthenticatedError
from chalicelib.domain.geo import Point
from chalicelib.domain.pricing import Tariff
from chalicelib.domain.signing import gate_request
from chalicelib.domain.spaces import APPROVED, Space, SpaceAttributes
from chalicelib.domain.staff import founding_membership, invitation
from chalicelib.services import carparks, gate
from chalicelib.services.orders import (
    OrderLifecycle,
    charge_uncharged,
    complete,
    expire_no_shows,
    finish_stay,
    payment_settled,
    settle_cancellation,
    start_stay,
)
from tests.fakes import (
    FakeBalances,
    FakeCarParks,
    FakeClock,
    FakeDevices,
    FakeGateEvents,
    FakeLedger,
    FakeMemberships,
    FakeNotifications,
    FakePayments,
    FakeReservations,
    FakeSecretBox,
    FakeSpaces,
    FakeStaff,
    fake_reservation,
)

START = datetime(2026, 12, 1, 9, tzinfo=UTC)
SETTINGS = gate.GateSettings(max_skew_s=300, grace_min=15, min_confidence_pct=80)
OWNER = Principal("sharer", "s@example.com", frozenset(), frozenset({"sharer"}))


@dataclass
class Scene:
    """The order lifecycle, the car-park services and the gate over one set of fakes."""

    o: OrderLifecycle
    desk: carparks.CarParks
    gate: gate.Gate


def make_scene(rate: int = 200, ledger: FakeLedger | None = None) -> Scene:
    spaces = FakeSpaces()
    window = Window("w1", "weekly", Tariff(rate, None, 15), days=tuple(range(7)), start_minute=0, end_minute=1440)
    r = fake_reservation(price_minor=2 * rate)
    spaces.add(Space("s1", "sharer", "Lot A1", "Dam 2", Point(52.37, 4.89), SpaceAttributes(), APPROVED,
                     Calendar("Europe/Amsterdam", (window,), (Booking("r1", Interval(r.start, r.end)),)), 1, START, "EUR",
                     carpark_id="cp1", lot="A1", link_state="accepted"))
    reservations = FakeReservations(spaces)
    reservations.items["r1"] = r
    clock, notifications = FakeClock(START), FakeNotifications()
    o = OrderLifecycle(reservations, spaces, FakePayments(), FakeBalances(), notifications, clock, BillingPolicy(), 1500,
                       ledger if ledger is not None else FakeLedger())
    desk = carparks.CarParks(FakeCarParks(), FakeStaff(), FakeDevices(), FakeSecretBox(), FakeMemberships(), spaces, reservations,
                             FakeGateEvents(), notifications, clock, lambda: "id" + str(len(reservations.items)))
    desk.carparks.add(CarPark("cp1", "sharer", "Central", "public", "Dam 2", ("A1",), "Europe/Amsterdam", (), START))
    desk.staff.add(founding_membership("cp1", "sharer", START))
    return Scene(o, desk, gate.Gate(desk.devices, desk.secrets, desk.gate_events, desk.carparks, reservations, desk.memberships, clock, o))


def make_orders(rate: int = 200, ledger: FakeLedger | None = None) -> OrderLifecycle:
    return make_scene(rate, ledger).o


def settle(o: OrderLifecycle, status: str = "succeeded", amount: int | None = None) -> object:
    r = o.reservations.get("r1")
    assert r.charge_id is not None
    return payment_settled(o, kind="charge", status=status, charge_id=r.charge_id, reference="r1",
                           amount_minor=r.amount_due_minor if amount is None else amount, currency="EUR", failure=None)


def drive_to_billed(o: OrderLifecycle, exit_after: timedelta = timedelta(hours=2)) -> None:
    start_stay(o, "r1", START + timedelta(minutes=3))
    finish_stay(o, "r1", START + exit_after)


def test_exit_bills_releases_the_space_and_charges_once() -> None:
    o = make_orders()
    drive_to_billed(o, timedelta(hours=2, minutes=30))
    r = o.reservations.get("r1")
    assert (r.state, r.amount_due_minor, r.payment_status) == ("billed", 550, "pending")
    assert o.spaces.get("s1").calendar.bookings == ()
    with pytest.raises(ConflictError):
        finish_stay(o, "r1", START + timedelta(hours=3))
    assert len(o.payments.charges()) == 1  # type: ignore[attr-defined]


def test_a_redelivered_payment_webhook_pays_out_and_records_once() -> None:
    ledger = FakeLedger()
    o = make_orders(ledger=ledger)
    drive_to_billed(o)
    settle(o)
    settle(o)
    assert o.reservations.get("r1").state == "completed"
    assert len(ledger.entries) == 1 and o.balances.balance("sharer") == (340, "EUR")
    assert [n.kind for n in o.notifications.feed("carpark:cp1", 10)] == ["order_completed"]


def test_without_a_ledger_the_order_waits_in_paid_and_completes_later() -> None:
    o = replace(make_orders(), ledger=None)
    drive_to_billed(o)
    settle(o)
    assert o.reservations.get("r1").state == "paid" and o.balances.balance("sharer")[0] == 340
    o = replace(o, ledger=FakeLedger())
    settle(o)  # the provider redelivers; now the order can be recorded
    done = o.reservations.get("r1")
    assert done.state == "completed" and done.ledger_entry == "parent:0" and o.balances.balance("sharer")[0] == 340


def test_a_free_stay_is_paid_without_a_charge() -> None:
    o = make_orders(rate=0)
    drive_to_billed(o)
    assert o.reservations.get("r1").state == "completed" and o.payments.charges() == []  # type: ignore[attr-defined]


def test_settlement_with_another_amount_is_refused() -> None:
    o = make_orders()
    drive_to_billed(o)
    with pytest.raises(RuleViolationError) as refused:
        settle(o, amount=1)
    assert refused.value.code == "amount_mismatch" and o.reservations.get("r1").state == "billed"


def test_failed_payment_keeps_the_order_billed() -> None:
    o = make_orders()
    drive_to_billed(o)
    settle(o, status="failed")
    r = o.reservations.get("r1")
    assert (r.state, r.payment_status) == ("billed", "failed") and o.balances.balance("sharer") == (0, None)


def test_complete_does_nothing_before_payment() -> None:
    o = make_orders()
    drive_to_billed(o)
    assert complete(o, o.reservations.get("r1")).state == "billed"


def test_no_show_sweep_expires_once_and_charges_the_fee() -> None:
    o = make_orders()
    o.clock.set(START + timedelta(hours=2, minutes=10))  # type: ignore[attr-defined]
    assert [r.reservation_id for r in expire_no_shows(o)] == ["r1"]
    assert expire_no_shows(o) == []
    r = o.reservations.get("r1")
    assert (r.state, r.fee_minor, r.payment_status) == ("no_show", 400, "pending") and o.spaces.get("s1").calendar.bookings == ()


def gate_device(s: Scene) -> tuple[str, str]:
    made = carparks.register_device(OWNER, "cp1", "north", o=s.desk)
    return made.device.device_id, made.secret


def send(s: Scene, device_id: str, secret: str, event: dict[str, object], ts: datetime | None = None) -> gate.GateReply:
    body, h = gate_request(device_id, secret.encode(), event, int((ts or s.o.clock.now()).timestamp()))
    return gate.receive(h["X-Gate-Device"], h["X-Gate-Timestamp"], h["X-Gate-Signature"], body, o=s.gate, settings=SETTINGS)


def test_gate_replay_answers_the_same_and_changes_nothing() -> None:
    s = make_scene()
    device, secret = gate_device(s)
    event = {"event_id": "e1", "direction": "entry", "plate": "AB-123-C"}
    first = send(s, device, secret, event)
    writes = s.o.reservations.writes  # type: ignore[attr-defined]
    again = send(s, device, secret, event, START + timedelta(seconds=40))
    assert again.body == first.body and again.replayed and s.o.reservations.writes == writes  # type: ignore[attr-defined]
    with pytest.raises(ConflictError):
        send(s, device, secret, event | {"plate": "ZZ999"})


def test_gate_refusals_leave_no_trace() -> None:
    s = make_scene()
    device, secret = gate_device(s)
    event = {"event_id": "e2", "direction": "entry", "plate": "AB123C"}
    with pytest.raises(UnauthenticatedError):
        send(s, device, secret, event, START - timedelta(minutes=6))
    with pytest.raises(ForbiddenError):
        send(s, device, secret, event | {"carpark_id": "elsewhere"})
    assert s.desk.gate_events.items == {} and s.o.reservations.get("r1").state == "reserved"  # type: ignore[attr-defined]


def test_staff_of_another_car_park_cannot_see_this_one() -> None:
    s = make_scene()
    o, desk = s.o, s.desk
    desk.carparks.add(CarPark("cp2", "other-owner", "Elsewhere", "public", "Dam 9", (), "Europe/Amsterdam", (), START))
    desk.staff.add(replace(invitation("cp2", "x", "staff", "other-owner", START), state="active"))
    stranger = Principal("x", "x@example.com", frozenset({"staff"}), frozenset())  # the old Cognito group grants nothing
    with pytest.raises(NotFoundError):
        carparks.devices(stranger, "cp1", o=desk)
    desk.staff.add(invitation("cp1", "x", "staff", "sharer", START))
    with pytest.raises(NotFoundError):  # invited is not yet staff
        carparks.devices(stranger, "cp1", o=desk)
    carparks.answer_invitation(stranger, "cp1", True, o=desk)
    mine = stranger
    drive_to_billed(o)
    settle(o)
    report = carparks.transactions(mine, "cp1", START.date(), START.date(), o=desk)
    assert report["total_minor"] == 400 and report["days"] == {"2026-12-01": {"orders": 1, "total_minor": 400}}


def test_an_exit_during_a_provider_outage_is_billed_and_charged_by_the_sweep() -> None:
    o = make_orders()
    o.payments.outage = True  # type: ignore[attr-defined]
    drive_to_billed(o)
    assert (o.reservations.get("r1").state, o.reservations.get("r1").charge_id) == ("billed", None)
    assert charge_uncharged(o) == []  # still down: nothing charged, nothing lost
    assert o.reservations.get("r1").charge_id is None
    o.payments.outage = False  # type: ignore[attr-defined]
    [charged] = charge_uncharged(o)
    assert charged.payment_status == "pending" and charged.charge_id is not None
    assert charge_uncharged(o) == []


def test_a_captured_payment_is_refunded_through_the_port_when_the_sharer_cancels() -> None:
    o = make_orders()
    paid_ahead = replace(o.reservations.get("r1"), state="cancelled", refund_minor=400, cancelled_by="sharer", charge_id="ch_pre",
                         payment_status="succeeded")
    o.reservations.items["r1"] = paid_ahead  # type: ignore[attr-defined]
    settle_cancellation(o, paid_ahead)
    settle_cancellation(o, paid_ahead)  # a retry
    [refund] = o.payments.charges()  # type: ignore[attr-defined]
    assert (refund.kind, refund.amount_minor, refund.reference) == ("refund", 400, "r1")
    payment_settled(o, kind="refund", status="succeeded", charge_id=refund.charge_id, reference="r1", amount_minor=400,
                    currency="EUR", failure=None)
    assert o.notifications.feed("parker", 5)[0].kind == "refund_succeeded"
    with pytest.raises(NotFoundError):
        payment_settled(o, kind="refund", status="succeeded", charge_id="re_x", reference="r1", amount_minor=999,
                        currency="EUR", failure=None)
