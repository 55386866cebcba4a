"""The console's records that people keep: membership plans (no overlapping plans per plate; renew, end, expiring
soon), allow and block lists of plates, and the car park's tariff, lots, capacities and opening rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..domain.accounts import Principal
from ..domain.carpark_settings import CarParkSettings
from ..domain.carparks import Membership, local_day, membership_end
from ..domain.errors import ConflictError, InvalidInputError
from ..domain.member_plans import PlanPeriod, ended_on, renewal, state_on
from ..domain.plate_lists import LIST_KINDS, ListedPlate
from ..domain.plates import normalise_plate
from . import audit_log, carparks
from .console_ports import MemberRecord, Page

if TYPE_CHECKING:
    from .carparks import CarParks

MAX_SPACES = 2000


# ---------------------------------------------------------------- memberships


@dataclass(frozen=True)
class MemberView:
    record: MemberRecord
    state: str  # upcoming, active, expiring (soon), expired, ended


def _view(record: MemberRecord, today: date) -> MemberView:
    return MemberView(record, state_on(record.membership, today, record.ended_at is not None))


def add_member(principal: Principal, carpark_id: str, *, plate: str, holder: str, plan: str, valid_from: date | None, o: CarParks,
               renews: str | None = None) -> MemberView:
    """A new plan for a plate; refused (409 membership_overlap) if the plate holds a plan on any of its days. The
    plate's calendar is written in the same transaction, on the version it was checked against."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    plate = normalise_plate(plate)
    if not 1 <= len(holder.strip()) <= 120:
        raise InvalidInputError("the holder's name is 1 to 120 characters", field="holder")
    today = local_day(o.clock.now(), carpark.timezone)
    start = valid_from or today
    m = Membership(o.new_id(), carpark.carpark_id, plate, holder.strip(), plan, start, membership_end(plan, start), o.clock.now())
    calendar = c.plans.calendar(carpark.carpark_id, plate).with_period(PlanPeriod(m.membership_id, m.valid_from, m.valid_until))
    price = c.settings.get(carpark.carpark_id, c.currency).plan_price(plan)
    record = MemberRecord(m, price, principal.user_id, renews=renews)
    c.plans.add(record, calendar)
    action = "membership.renewed" if renews else "membership.added"
    audit_log.record(o, principal, carpark, action, f"membership:{m.membership_id}",
                     f"{plan} plan from {m.valid_from.isoformat()} to {m.valid_until.isoformat()}", {"renews": renews, "price_minor": price})
    return _view(record, today)


def renew_member(principal: Principal, carpark_id: str, membership_id: str, *, plan: str | None, o: CarParks) -> MemberView:
    """The next period of the same plate and holder, from the day after its latest plan ends (or today)."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    current = c.plans.get(carpark.carpark_id, membership_id).membership
    latest = c.plans.calendar(carpark.carpark_id, current.plate).latest()
    start, _ = renewal(latest or PlanPeriod(current.membership_id, current.valid_from, current.valid_until), plan or current.plan,
                       local_day(o.clock.now(), carpark.timezone))
    return add_member(principal, carpark_id, plate=current.plate, holder=current.holder, plan=plan or current.plan, valid_from=start, o=o,
                      renews=membership_id)


def end_member(principal: Principal, carpark_id: str, membership_id: str, *, o: CarParks) -> MemberView:
    """Ended today: the gate no longer admits the plate from today on; a car inside still leaves."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    record = c.plans.get(carpark.carpark_id, membership_id)
    if record.ended_at is not None:
        raise ConflictError("this membership was ended already", field="membership_id", code="membership_ended")
    today = local_day(o.clock.now(), carpark.timezone)
    m = ended_on(record.membership, today)
    calendar = c.plans.calendar(carpark.carpark_id, m.plate).with_period(PlanPeriod(m.membership_id, m.valid_from, m.valid_until))
    done = replace(record, membership=m, ended_at=o.clock.now(), ended_by=principal.user_id)
    c.plans.end(done, record.membership.valid_until, calendar)
    audit_log.record(o, principal, carpark, "membership.ended", f"membership:{membership_id}", f"ended; last valid day {m.valid_until.isoformat()}")
    return _view(done, today)


def members(principal: Principal, carpark_id: str, *, expiring_within_days: int | None, limit: int, cursor: str | None,
            o: CarParks) -> Page[MemberView]:
    """By last valid day, soonest first; `expiring_within_days` keeps those still valid today that end within it."""
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    today = local_day(o.clock.now(), carpark.timezone)
    if expiring_within_days is not None:
        page = c.plans.page(carpark.carpark_id, today, today + timedelta(days=expiring_within_days), audit_log.check_limit(limit), cursor,
                            True)
    else:
        page = c.plans.page(carpark.carpark_id, None, None, audit_log.check_limit(limit), cursor, False)
    return Page([_view(r, today) for r in page.items], page.next)


# ---------------------------------------------------------------- allow and block lists


def add_listed(principal: Principal, carpark_id: str, *, kind: str, plate: str, reason: str, valid_until: date | None,
               o: CarParks) -> ListedPlate:
    carpark = carparks.viewed(principal, carpark_id, o)
    if kind not in LIST_KINDS:
        raise InvalidInputError(f"kind must be one of {LIST_KINDS}", field="kind")
    if valid_until is not None and valid_until < local_day(o.clock.now(), carpark.timezone):
        raise InvalidInputError("valid_until must not be in the past", field="valid_until")
    entry = ListedPlate(carpark.carpark_id, f"{kind}-{o.new_id()[:16]}", kind, normalise_plate(plate), reason.strip(), principal.user_id,
                        o.clock.now(), valid_until)
    audit_log.console_of(o).lists.add(entry)
    audit_log.record(o, principal, carpark, "list.added", f"list:{entry.entry_id}", f"added to the {kind} list: {entry.reason}")
    return entry


def listed(principal: Principal, carpark_id: str, *, kind: str | None, limit: int, cursor: str | None, o: CarParks) -> Page[ListedPlate]:
    carpark = carparks.viewed(principal, carpark_id, o)
    if kind is not None and kind not in LIST_KINDS:
        raise InvalidInputError(f"kind must be one of {LIST_KINDS}", field="kind")
    return audit_log.console_of(o).lists.page(carpark.carpark_id, kind, audit_log.check_limit(limit), cursor, True)


def remove_listed(principal: Principal, carpark_id: str, entry_id: str, *, o: CarParks) -> ListedPlate:
    carpark = carparks.viewed(principal, carpark_id, o)
    entry = audit_log.console_of(o).lists.remove(carpark.carpark_id, entry_id)
    audit_log.record(o, principal, carpark, "list.removed", f"list:{entry_id}", f"removed from the {entry.kind} list")
    return entry


# ---------------------------------------------------------------- tariff, lots, capacities, opening rules


def settings(principal: Principal, carpark_id: str, *, o: CarParks) -> CarParkSettings:
    carpark = carparks.viewed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    return c.settings.get(carpark.carpark_id, c.currency)


def save_settings(principal: Principal, carpark_id: str, new: CarParkSettings, *, o: CarParks) -> CarParkSettings:
    """Owners only. Checked whole (every field named on error); a lot that spaces are accepted into cannot be removed;
    written on condition of the version read (409 version_conflict if someone saved meanwhile)."""
    carpark = carparks.managed(principal, carpark_id, o)
    c = audit_log.console_of(o)
    new.check()
    if new.currency != c.currency:
        raise InvalidInputError(f"the car park's currency is {c.currency}", field="currency")
    kept = {lot.name for lot in new.lots}
    for sp in o.spaces.linked_to(carpark.carpark_id, "accepted", MAX_SPACES):
        if sp.lot and sp.lot not in kept:
            raise ConflictError(f"lot {sp.lot} holds accepted spaces; end their links before removing it", field="lots",
                                code="lot_in_use")
    c.settings.save(carpark.carpark_id, new, new.version)
    audit_log.record(o, principal, carpark, "settings.changed", f"carpark:{carpark.carpark_id}", "tariff, lots or opening rules changed",
                     {"version": new.version + 1})
    return c.settings.get(carpark.carpark_id, c.currency)
