"""The console's live view and gate actions: occupancy against capacity, the cars inside, the movements feed polled
with a since-cursor, staff overrides (let in, let out, mark as left) sent to the gate as device commands, and the
alerts that the live view checks for (quiet devices, overstays). docs/console.md says what each override bills.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain import alerts as rules
from ..domain import feed as feed_cursor
from ..domain.accounts import Principal
from ..domain.alerts import Alert
from ..domain.carpark_settings import capacities
from ..domain.carparks import ACTIVE, CarPark
from ..domain.errors import InvalidInputError, NotFoundError
from ..domain.gate import OPEN, decide_entry, decide_exit
from ..domain.plates import normalise_plate
from ..domain.presence import ALLOWED, MEMBER, OVERRIDE, RESERVATION, LotOccupancy, Presence, occupancy, presence_key
from ..domain.timeutil import format_instant
from . import audit_log, carparks, console_hooks, gate_devices
from .console_ports import Console, Movement, Override, Page
from .device_ports import DeviceRuntime
from .orders import OrderLifecycle, finish_stay, start_stay

if TYPE_CHECKING:
    from .carparks import CarParks
    from .gate import GateSettings

LET_IN, LET_OUT, MARK_LEFT = "let_in", "let_out", "mark_left"
OVERRIDE_ACTIONS = (LET_IN, LET_OUT, MARK_LEFT)
MAX_SPACES = 2000
MAX_CHECKED = 200  # cars inside and devices looked at by one alert check


# ---------------------------------------------------------------- occupancy and the cars inside


@dataclass(frozen=True)
class Occupancy:
    carpark: CarPark
    lots: list[LotOccupancy]
    at: datetime

    @property
    def capacity(self) -> int:
        return sum(lot.capacity for lot in self.lots)

    @property
    def occupied(self) -> int:
        return sum(lot.occupied for lot in self.lots)


def occupancy_now(principal: Principal, carpark_id: str, *, o: CarParks) -> Occupancy:
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    settings = c.settings.get(carpark.carpark_id, c.currency)
    per_lot = Counter(sp.lot for sp in o.spaces.linked_to(carpark.carpark_id, "accepted", MAX_SPACES) if sp.lot)
    lots = occupancy(c.presence.counts(carpark.carpark_id), capacities(settings, dict(per_lot)), settings.unassigned_capacity)
    return Occupancy(carpark, lots, o.clock.now())


def inside(principal: Principal, carpark_id: str, *, limit: int, cursor: str | None, oldest_first: bool, o: CarParks) -> Page[Presence]:
    carpark = carparks.viewed(principal, carpark_id, o)
    return audit_log.console_of(o).presence.page(carpark.carpark_id, audit_log.check_limit(limit), cursor, oldest_first)


# ---------------------------------------------------------------- the movements feed


@dataclass(frozen=True)
class FeedPage:
    movements: list[Movement]
    next: str  # the since-cursor for the next poll
    more: bool  # more movements are waiting: poll again at once


def poll(principal: Principal, carpark_id: str, *, since: str | None, limit: int, o: CarParks) -> FeedPage:
    """Without `since`: the newest movements (newest first) and a cursor from now on. With it: only what arrived since
    that cursor, oldest first, however late a write landed within the cursor's window."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    limit = audit_log.check_limit(limit)
    if since is None:
        page = c.feed.page(carpark.carpark_id, limit, None)
        cursor = feed_cursor.start_at(o.clock.now()).after([m.sort_key for m in page.items])
        return FeedPage(page.items, cursor.encode(), False)
    cursor = feed_cursor.decode(since)
    found = c.feed.since(carpark.carpark_id, cursor.window_start(), limit + len(cursor.seen))
    fresh = [m for m in found if not cursor.is_seen(m.sort_key)][:limit]
    more = len(found) == limit + len(cursor.seen) or len(fresh) == limit
    return FeedPage(fresh, cursor.after([m.sort_key for m in fresh]).encode(), more)


# ---------------------------------------------------------------- overrides


@dataclass(frozen=True)
class OverrideIn:
    action: str
    plate: str
    reason: str
    device_id: str | None
    reservation_id: str | None = None


def _check(req: OverrideIn) -> str:
    if req.action not in OVERRIDE_ACTIONS:
        raise InvalidInputError(f"action must be one of {OVERRIDE_ACTIONS}", field="action")
    if not 3 <= len(req.reason.strip()) <= 200:
        raise InvalidInputError("say why, in 3 to 200 characters", field="reason")
    if req.action != MARK_LEFT and not req.device_id:
        raise InvalidInputError("which gate should open? name its device", field="device_id")
    return normalise_plate(req.plate)


def override(principal: Principal, carpark_id: str, req: OverrideIn, *, o: CarParks, orders: OrderLifecycle, rt: DeviceRuntime,
             settings: GateSettings) -> Override:
    """A staff member lets a car in or out, or marks it as left, with a reason. The gate opens through a device
    command (delivered in the reply to its next heartbeat, or at once on MQTT); the stay is started or finished as
    the gate would have done at this moment, so it bills exactly what a read at this moment would have billed."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    plate = _check(req)
    now = o.clock.now()
    override_id = f"ovr_{now.strftime('%Y%m%dT%H%M%S')}_{o.new_id()[:10]}"
    command_id = None
    if req.device_id:
        command = gate_devices.enqueue_command(principal, carpark.carpark_id, req.device_id, action="open",
                                               reason=f"{req.action.replace('_', ' ')}: {req.reason.strip()}", o=o, rt=rt)
        command_id = command.command_id
    if req.action == LET_IN:
        done = _let_in(o, orders, c, carpark, plate, now, settings, req.reservation_id)
    else:
        done = _let_out(o, orders, c, carpark, plate, now, req.reservation_id)
    made = Override(carpark.carpark_id, override_id, req.action, plate, req.reason.strip(), principal.user_id, now, done.billed,
                    req.device_id, command_id, done.reservation_id, done.membership_id, done.flagged)
    c.overrides.add(made)
    c.feed.add(Movement(carpark.carpark_id, f"{format_instant(now)}#{override_id}", "override", req.action, plate, done.matched, "open",
                        req.reason.strip(), now, req.device_id, done.reservation_id, done.membership_id, override_id, principal.user_id))
    audit_log.record(o, principal, carpark, f"override.{req.action}", f"override:{override_id}", f"{req.action.replace('_', ' ')}: "
                     f"{req.reason.strip()}", {"billed": done.billed, "device_id": req.device_id, "command_id": command_id,
                                               "reservation_id": done.reservation_id, "flagged": done.flagged})
    if done.flagged:
        console_hooks.raise_alert(c, rules.unbilled_exit(carpark.carpark_id, override_id, plate, principal.user_id, now))
    return made


@dataclass(frozen=True)
class _Done:
    billed: str
    matched: str | None = None
    reservation_id: str | None = None
    membership_id: str | None = None
    flagged: bool = False


def _let_in(o: CarParks, orders: OrderLifecycle, c: Console, carpark: CarPark, plate: str, now: datetime, settings: GateSettings,
            reservation_id: str | None) -> _Done:
    reservations = o.reservations.for_plate(carpark.carpark_id, plate)
    if reservation_id is not None:
        reservations = [r for r in reservations if r.reservation_id == reservation_id]
    members = o.memberships.for_plate(carpark.carpark_id, plate)
    decision = decide_entry(plate, 100, now, carpark=carpark, reservations=reservations, members=members, grace_min=settings.grace_min,
                            min_confidence_pct=0)
    if decision.action == OPEN and decision.reservation_id:
        console_hooks.stay_started(c, start_stay(orders, decision.reservation_id, now))
        return _Done("stay started now: billed as the reservation when the car leaves", decision.plate, decision.reservation_id)
    tag = c.presence.tag(carpark.carpark_id, plate)
    if decision.action == OPEN and decision.membership_id:
        c.presence.enter(Presence(carpark.carpark_id, MEMBER, tag, plate, now, membership_id=decision.membership_id))
        return _Done("nothing: a member", decision.plate, membership_id=decision.membership_id)
    c.presence.enter(Presence(carpark.carpark_id, OVERRIDE, tag, plate, now))
    return _Done("nothing: no reservation or membership for this plate; collect at the barrier if due")


def _let_out(o: CarParks, orders: OrderLifecycle, c: Console, carpark: CarPark, plate: str, now: datetime,
             reservation_id: str | None) -> _Done:
    reservations = o.reservations.for_plate(carpark.carpark_id, plate)
    if reservation_id is not None:
        reservations = [r for r in reservations if r.reservation_id == reservation_id]
    members = o.memberships.for_plate(carpark.carpark_id, plate)
    decision = decide_exit(plate, now, carpark=carpark, reservations=reservations, members=members)
    if decision.action == OPEN and decision.reservation_id:
        console_hooks.stay_ended(c, finish_stay(orders, decision.reservation_id, now))
        return _Done("the stay, ended now: billed as a gate exit at this time", decision.plate, decision.reservation_id)
    tag = c.presence.tag(carpark.carpark_id, plate)
    for kind in (MEMBER, ALLOWED, OVERRIDE):
        left = c.presence.leave(carpark.carpark_id, presence_key(kind, tag))
        if left is not None:
            return _Done(f"nothing: {kind} car", plate, membership_id=left.membership_id)
    return _Done("nothing: no stay on record for this plate (an alert was raised)", flagged=True)


def overrides(principal: Principal, carpark_id: str, *, limit: int, cursor: str | None, o: CarParks) -> Page[Override]:
    carpark = carparks.viewed(principal, carpark_id, o)
    return audit_log.console_of(o).overrides.page(carpark.carpark_id, audit_log.check_limit(limit), cursor)


# ---------------------------------------------------------------- alerts


def check_alerts(o: CarParks, carpark: CarPark, rt: DeviceRuntime, grace_min: int) -> int:
    """Raise what is due now at this car park: devices quiet for longer than allowed, cars inside past their
    reservation's end and grace. Bounded (MAX_CHECKED of each); each alert is raised once (its id says what it is
    about). Run by the live view's poll and the alerts list, so a console open anywhere keeps them current."""
    c = audit_log.console_of(o)
    now = o.clock.now()
    raised = 0
    devices = [d for d in o.devices.by_carpark(carpark.carpark_id)[:MAX_CHECKED] if d.status == ACTIVE]
    beats = rt.state.heartbeats([d.device_id for d in devices]) if devices else {}
    for d in devices:
        health = gate_devices.health(d, beats.get(d.device_id), now, rt.quiet_after_s)
        if health["quiet"]:
            beat = beats.get(d.device_id)
            raised += console_hooks.raise_alert(c, rules.quiet_device(carpark.carpark_id, d.device_id, d.name, beat.at if beat else None, now))
    for p in c.presence.page(carpark.carpark_id, MAX_CHECKED, None, True).items:
        if p.kind == RESERVATION and (alert := rules.overstay(p, now, grace_min)) is not None:
            raised += console_hooks.raise_alert(c, alert)
    return raised


def alerts(principal: Principal, carpark_id: str, *, open_only: bool, limit: int, cursor: str | None, o: CarParks, rt: DeviceRuntime,
           grace_min: int) -> Page[Alert]:
    carpark = carparks.viewed(principal, carpark_id, o)
    if cursor is None:
        check_alerts(o, carpark, rt, grace_min)
    return audit_log.console_of(o).alerts.page(carpark.carpark_id, open_only, audit_log.check_limit(limit), cursor)


def acknowledge(principal: Principal, carpark_id: str, alert_id: str, *, o: CarParks) -> Alert:
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    try:
        alert = c.alerts.get(carpark.carpark_id, alert_id)
    except NotFoundError:
        raise NotFoundError("no such alert at this car park", field="alert_id") from None
    done = alert.acknowledged(principal.user_id, o.clock.now())
    c.alerts.acknowledge(done)
    audit_log.record(o, principal, carpark, "alert.acknowledged", f"alert:{alert_id}", f"acknowledged a {alert.kind} alert")
    return done
