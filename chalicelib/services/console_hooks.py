"""What the console adds to the gate and to the order's life, called from services/gate.py and services/orders.py.

Each hook does nothing when the console's stores are not configured (the order services' own tests build Orders
without them). Every write is conditional and keyed by what it is about, so a retried event or a redelivered
webhook records nothing twice:

- the gate: plate lists screen the decision, a member's presence (entry, then exit) is kept, each car inside is
  counted, each decided event joins the movements feed, an unknown or blocked plate raises an alert;
- the order: a paid stay, a no-show, a paid fee enter the books (aggregates for the reports), a failed payment raises
  an alert.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..domain import alerts as rules
from ..domain.books import fee_entry, no_show_entry, stay_entries, visit_entry
from ..domain.carparks import CarPark, Membership, local_day
from ..domain.errors import NotFoundError
from ..domain.gate import DENY, ENTRY, OPEN, Decision
from ..domain.plate_lists import screen_entry as screen_listed_entry
from ..domain.plate_lists import screen_exit as screen_listed_exit
from ..domain.presence import ALLOWED, MEMBER, RESERVATION, Presence, presence_key
from ..domain.reservations import Reservation
from ..domain.timeutil import format_instant
from .carpark_ports import GateEventRecord
from .console_ports import Console, Movement
from .order_ports import Notification

if TYPE_CHECKING:
    from .gate import GateEvent

log = logging.getLogger(__name__)
UNMATCHED = frozenset({"unknown_plate", "ambiguous_plate", "low_confidence", "no_entry_recorded"})


def _carpark(c: Console, carpark_id: str | None) -> CarPark | None:
    """The reservation's car park, or None when it has none or it is gone: a hook never fails the order's own step
    (one reservation naming a removed car park made the whole no-show sweep raise)."""
    if not carpark_id:
        return None
    try:
        return c.carparks.get(carpark_id)
    except NotFoundError:
        log.warning("console: car park %s of an order is gone; nothing to book for it", carpark_id)
        return None


# ---------------------------------------------------------------- the gate


def screen_entry(c: Console | None, carpark: CarPark, event: GateEvent, decision: Decision, reservations: list[Reservation],
                 members: list[Membership], min_confidence_pct: int) -> Decision:
    """Plate lists first (a blocked plate is refused whatever it holds), then the member's presence: a member already
    inside is refused at the entry (`already_inside`), so the count of cars inside stays true."""
    if c is None:
        return decision
    today = local_day(event.occurred_at, carpark.timezone)
    known = {r.plate for r in reservations} | {m.plate for m in members}
    listed = c.lists.for_plate(carpark.carpark_id, event.plate)
    screened = screen_listed_entry(decision, event.plate, event.confidence_pct, min_confidence_pct, listed, known, today)
    if screened.reason == "blocked":
        _tell_parker_refused(c, carpark, screened, event)
        return screened
    plate = screened.plate or event.plate
    if screened.action == OPEN and screened.membership_id:
        inside = Presence(carpark.carpark_id, MEMBER, c.presence.tag(carpark.carpark_id, plate), plate, event.occurred_at,
                          membership_id=screened.membership_id)
        if not c.presence.enter(inside) and not _entered_by(c, inside):
            return Decision(DENY, "already_inside", membership_id=screened.membership_id, plate=plate)
    elif screened.reason == "allowed":
        c.presence.enter(Presence(carpark.carpark_id, ALLOWED, c.presence.tag(carpark.carpark_id, plate), plate, event.occurred_at))
    return screened


def _entered_by(c: Console, inside: Presence) -> bool:
    """The presence is this very entry's (the device sent the event again after a failure further on)."""
    held = c.presence.get(inside.carpark_id, inside.key)
    return held is not None and held.entered_at == inside.entered_at


def screen_exit(c: Console | None, carpark: CarPark, event: GateEvent, decision: Decision, reservations: list[Reservation],
                members: list[Membership], min_confidence_pct: int) -> Decision:
    """A member leaves only after an entry (a second exit is refused: `member_not_inside`); a member whose plan ended
    while the car was inside still leaves; an allowed plate leaves."""
    if c is None:
        return decision
    known = {r.plate for r in reservations} | {m.plate for m in members}
    listed = c.lists.for_plate(carpark.carpark_id, event.plate)
    today = local_day(event.occurred_at, carpark.timezone)
    screened = screen_listed_exit(decision, event.plate, event.confidence_pct, min_confidence_pct, listed, known, today)
    plate = screened.plate or event.plate
    tag = c.presence.tag(carpark.carpark_id, plate)
    if screened.action == OPEN and screened.membership_id:
        left = c.presence.leave(carpark.carpark_id, presence_key(MEMBER, tag))
        if left is None:
            return Decision(DENY, "member_not_inside", membership_id=screened.membership_id, plate=plate)
        _book_visit(c, carpark, left, event)
    elif screened.reason == "allowed_exit":
        c.presence.leave(carpark.carpark_id, presence_key(ALLOWED, tag))
    elif screened.action == DENY and screened.reason == "no_entry_recorded":
        return _member_inside_after_plan(c, carpark, event, screened)
    return screened


def _member_inside_after_plan(c: Console, carpark: CarPark, event: GateEvent, decision: Decision) -> Decision:
    left = c.presence.leave(carpark.carpark_id, presence_key(MEMBER, c.presence.tag(carpark.carpark_id, event.plate)))
    if left is None:
        return decision
    _book_visit(c, carpark, left, event)
    return Decision(OPEN, "member_exit", membership_id=left.membership_id, plate=left.plate)


def _book_visit(c: Console, carpark: CarPark, left: Presence, event: GateEvent) -> None:
    ref = f"{left.ref}@{format_instant(left.entered_at)}"
    c.books.record([visit_entry(carpark.carpark_id, ref, left.plate, left.entered_at, event.occurred_at, c.currency, carpark.timezone)])


def _tell_parker_refused(c: Console, carpark: CarPark, decision: Decision, event: GateEvent) -> None:
    """The parker whose reservation a block refused learns why, on the reservation's notifications."""
    if decision.reservation_id is None:
        return
    r = c.reservations.get(decision.reservation_id)
    c.notifications.add(Notification(r.parker_id, f"{r.reservation_id}:refused:{event.event_id}", "gate_refused", "Refused at the gate",
                                     f"{r.plate} is not admitted at {carpark.name}: the car park has blocked this plate. Please contact "
                                     "the car park; your reservation is unchanged", event.occurred_at, r.reservation_id))


def stay_started(c: Console | None, r: Reservation) -> None:
    if c is None or r.carpark_id is None or r.entered_at is None:
        return
    c.presence.enter(Presence(r.carpark_id, RESERVATION, r.reservation_id, r.plate, r.entered_at, r.lot, r.reservation_id, due=r.end))


def stay_ended(c: Console | None, r: Reservation) -> None:
    if c is not None and r.carpark_id is not None:
        c.presence.leave(r.carpark_id, presence_key(RESERVATION, r.reservation_id))


def gate_recorded(c: Console | None, record: GateEventRecord, body: dict[str, Any]) -> None:
    """A decided event joins the live feed; an unknown or a blocked plate at the entry raises an alert."""
    if c is None:
        return
    try:
        _feed_and_alert(c, record, body)
    except Exception:  # the decision is recorded and the device must have its answer; the feed misses one line
        log.exception("gate event %s not added to the console's feed", record.event_key)


def _feed_and_alert(c: Console, record: GateEventRecord, body: dict[str, Any]) -> None:
    reason = str(body["reason"])
    matched = None if reason in UNMATCHED else body.get("plate")
    c.feed.add(Movement(record.carpark_id, f"{format_instant(c.clock.now())}#{record.event_key}", "gate", str(body["direction"]),
                        record.plate, matched, str(body["decision"]), reason, record.occurred_at, record.device_id,
                        body.get("reservation_id"), body.get("membership_id"), str(body["event_id"])))
    if body["direction"] == ENTRY and reason in ("unknown_plate", "blocked"):
        kind = rules.UNKNOWN_PLATE if reason == "unknown_plate" else rules.BLOCKED_PLATE
        raise_alert(c, rules.gate_refusal(record.carpark_id, record.event_key, kind, record.plate or "", record.device_id,
                                          c.clock.now(), body.get("reservation_id")))


# ---------------------------------------------------------------- the order


def stay_paid(c: Console | None, r: Reservation) -> None:
    """Before the order completes, so a crash in between is repaired by the redelivery (counted once, by its row)."""
    carpark = _carpark(c, r.carpark_id) if c is not None else None
    if carpark is not None and c is not None:
        c.books.record(stay_entries(r, carpark.timezone))


def no_show(c: Console | None, r: Reservation) -> None:
    carpark = _carpark(c, r.carpark_id) if c is not None else None
    if carpark is None or c is None:
        return
    try:
        c.books.record([no_show_entry(r, carpark.timezone)])
    except Exception:  # the sweep goes on with the next reservation; docs/console-api.md says what this loses
        log.exception("no-show %s not counted in the books", r.reservation_id)


def fee_paid(c: Console | None, r: Reservation) -> None:
    carpark = _carpark(c, r.carpark_id) if c is not None else None
    if carpark is not None and c is not None and r.fee_minor > 0:
        c.books.record([fee_entry(r, carpark.timezone)])


def payment_failed(c: Console | None, r: Reservation) -> None:
    if c is None or r.carpark_id is None or r.charge_id is None:
        return
    raise_alert(c, rules.payment_failed(r.carpark_id, r.reservation_id, r.charge_id, r.plate, r.amount_due_minor, r.currency,
                                        c.clock.now()))


# ---------------------------------------------------------------- alerts: recorded once, told to the owners and staff


def raise_alert(c: Console | None, alert: rules.Alert) -> bool:
    if c is None or not c.alerts.raise_alert(alert):
        return False
    people = [m.user_id for m in c.staff.by_carpark(alert.carpark_id, 200) if m.is_active]
    for feed in [f"carpark:{alert.carpark_id}", *people]:
        c.notifications.add(Notification(feed, f"alert:{alert.alert_id}", f"alert_{alert.kind}", alert.title, alert.body, alert.raised_at,
                                         alert.reservation_id))
    return True


def erase_plate(c: Console | None, carpark_id: str, plate: str) -> None:
    """Account closure: the console's copies of a closed account's plate (books, cars inside, feed, overrides, alerts)."""
    if c is not None:
        c.eraser.erase_plate(carpark_id, plate)
