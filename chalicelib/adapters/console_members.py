"""Membership plans, plate lists, car-park settings and stay facts on DynamoDB, for the console.

- A plate's plans live in one calendar item (`mcal#<car park>`, keyed by a blind index of the exact plate) with a
  version; adding or ending a plan writes the membership and the calendar in one TransactWriteItems, the calendar on
  the version it was checked against. A plate with plans from before the calendar existed gets its calendar built
  from those (one query of the gate's index) the first time, with a condition that none was written meanwhile.
- A listed plate is an entry (`pl#<car park>`) plus a guard keyed by a blind index of the exact plate (`plg#`), put
  together on condition that the guard is new: a plate is on one list of a car park at most.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.carpark_settings import CarParkSettings, settings_from, settings_to_dict
from ..domain.carparks import OpeningRule
from ..domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from ..domain.member_plans import PlanPeriod, PlateCalendar
from ..domain.plate_lists import ListedPlate
from ..domain.timeutil import format_instant, parse_instant
from ..services.console_ports import MemberRecord, Page, StayFacts
from .carparks import DynamoMembershipRepository
from .console_store import _Sealed, decode_cursor, page_of, stored_instant
from .dynamo import cancelled_by_condition, condition_failed
from .sealed_fields import ERASED, SealingEnclave
from .tables import OperationsModels

MEMBER_PLATE, LISTED_PLATE = "member-plate", "listed-plate"  # blind-index purposes of exact plates


def _transact(connection: Any, writes: list[tuple[Any, Any]], on_condition: Exception) -> None:
    try:
        with TransactWrite(connection=connection) as tx:
            for item, condition in writes:
                tx.save(item, condition=condition)
    except TransactWriteError as exc:
        if cancelled_by_condition(exc):
            raise on_condition from exc
        raise


class DynamoMemberPlans(_Sealed):
    def __init__(self, model: Any, om: OperationsModels, enclave: SealingEnclave) -> None:
        super().__init__(model, enclave)
        self.memberships = om.memberships
        self.repo = DynamoMembershipRepository(om, enclave)

    def _key(self, carpark_id: str, plate: str) -> tuple[str, str]:
        return f"mcal#{carpark_id}", self.sealer.tag(MEMBER_PLATE, f"{carpark_id}#{plate}")

    def calendar(self, carpark_id: str, plate: str) -> PlateCalendar:
        pk, sk = self._key(carpark_id, plate)
        try:
            item = self.model.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            known = [m for m in self.repo.for_plate(carpark_id, plate) if m.plate == plate]
            return PlateCalendar(tuple(PlanPeriod(m.membership_id, m.valid_from, m.valid_until) for m in known), 0)
        return PlateCalendar(tuple(PlanPeriod(p[0], date.fromisoformat(p[1]), date.fromisoformat(p[2])) for p in item.data["periods"]),
                             int(item.version))

    def _calendar_write(self, carpark_id: str, plate: str, cal: PlateCalendar) -> tuple[Any, Any]:
        pk, sk = self._key(carpark_id, plate)
        periods = [[p.membership_id, p.valid_from.isoformat(), p.valid_until.isoformat()] for p in cal.periods]
        was = cal.version - 1
        condition = self.model.pk.does_not_exist() if was == 0 else self.model.version == was
        return self.model(pk, sk, data={"periods": periods}, version=cal.version), condition

    def _extra(self, r: MemberRecord) -> dict[str, Any]:
        return {"price_minor": r.price_minor, "added_by": r.added_by, "renews": r.renews, "version": 1,
                "ended_at": format_instant(r.ended_at) if r.ended_at else None, "ended_by": r.ended_by}

    def add(self, record: MemberRecord, calendar: PlateCalendar) -> None:
        m = record.membership
        _transact(self.model._get_connection().connection,
                  [(self.repo.item(m, **self._extra(record)), self.memberships.membership_id.does_not_exist()),
                   self._calendar_write(m.carpark_id, m.plate, calendar)],
                  ConcurrentUpdateError("the plate's plans changed meanwhile", field="plate"))

    def end(self, record: MemberRecord, previous_until: date, calendar: PlateCalendar) -> None:
        m = record.membership
        _transact(self.model._get_connection().connection,
                  [(self.repo.item(m, **self._extra(record)), self.memberships.valid_until == previous_until.isoformat()),
                   self._calendar_write(m.carpark_id, m.plate, calendar)],
                  ConcurrentUpdateError("the membership changed meanwhile", field="membership_id"))

    def _record(self, i: Any) -> MemberRecord:
        price = i.price_minor
        return MemberRecord(self.repo.membership(i), int(price) if price is not None else None, i.added_by, stored_instant(i.ended_at),
                            i.ended_by, i.renews)

    def get(self, carpark_id: str, membership_id: str) -> MemberRecord:
        try:
            item = self.memberships.get(membership_id, consistent_read=True)
        except DoesNotExist:
            item = None
        if item is None or item.carpark_id != carpark_id:
            raise NotFoundError("no such membership at this car park", field="membership_id")
        return self._record(item)

    def page(self, carpark_id: str, until_from: date | None, until_to: date | None, limit: int, cursor: str | None,
             ascending: bool) -> Page[MemberRecord]:
        index = self.memberships.by_carpark
        cond = None
        if until_from is not None and until_to is not None:
            cond = self.memberships.valid_until.between(until_from.isoformat(), until_to.isoformat())
        elif until_from is not None:
            cond = self.memberships.valid_until >= until_from.isoformat()
        elif until_to is not None:
            cond = self.memberships.valid_until <= until_to.isoformat()
        start = decode_cursor(cursor, {"carpark_id": carpark_id}, ("membership_id", "carpark_id", "valid_until"))
        found = index.query(carpark_id, range_key_condition=cond, scan_index_forward=ascending, limit=limit, page_size=limit,
                            last_evaluated_key=start)
        return page_of(found, self._record, limit)


class DynamoPlateLists(_Sealed):
    def _guard(self, carpark_id: str, plate: str) -> tuple[str, str]:
        return f"plg#{carpark_id}", self.sealer.tag(LISTED_PLATE, f"{carpark_id}#{plate}")

    def add(self, e: ListedPlate) -> None:
        gpk, gsk = self._guard(e.carpark_id, e.plate)
        pk = f"pl#{e.carpark_id}"
        data = {"entry_id": e.entry_id, "kind": e.kind, "reason": e.reason, "added_by": e.added_by, "added_at": format_instant(e.added_at),
                "valid_until": e.valid_until.isoformat() if e.valid_until else None}
        entry = self.model(pk, e.entry_id, data=data, sealed=self.seal(e.carpark_id, pk, e.entry_id, {"plate": e.plate}),
                           gsi1pk=f"plate#{self.sealer.gate_tag(e.carpark_id, e.plate)}", gsi1sk=e.entry_id)
        guard = self.model(gpk, gsk, data={"entry_id": e.entry_id, "kind": e.kind})
        try:
            _transact(self.model._get_connection().connection,
                      [(guard, self.model.pk.does_not_exist()), (entry, self.model.pk.does_not_exist())],
                      ConflictError("listed", field="plate"))
        except ConflictError:
            held = self.model.get(gpk, gsk, consistent_read=True).data
            raise ConflictError(f"this plate is on the car park's {held['kind']} list already (entry {held['entry_id']})", field="plate",
                                code="plate_listed") from None

    def _entry(self, carpark_id: str, item: Any) -> ListedPlate:
        d = item.data
        return ListedPlate(carpark_id, d["entry_id"], d["kind"], self.open(carpark_id, item).get("plate", ERASED), d["reason"],
                           d["added_by"], parse_instant(d["added_at"], field="stored"),
                           date.fromisoformat(d["valid_until"]) if d.get("valid_until") else None)

    def get(self, carpark_id: str, entry_id: str) -> ListedPlate:
        try:
            return self._entry(carpark_id, self.model.get(f"pl#{carpark_id}", entry_id, consistent_read=True))
        except DoesNotExist:
            raise NotFoundError("no such list entry", field="entry_id") from None

    def remove(self, carpark_id: str, entry_id: str) -> ListedPlate:
        entry = self.get(carpark_id, entry_id)
        gpk, gsk = self._guard(carpark_id, entry.plate)
        try:
            with TransactWrite(connection=self.model._get_connection().connection) as tx:
                tx.delete(self.model(f"pl#{carpark_id}", entry_id), condition=self.model.pk.exists())
                tx.delete(self.model(gpk, gsk), condition=self.model.pk.exists())
        except TransactWriteError as exc:
            if cancelled_by_condition(exc):
                raise NotFoundError("no such list entry (removed meanwhile)", field="entry_id") from exc
            raise
        return entry

    def page(self, carpark_id: str, kind: str | None, limit: int, cursor: str | None, newest_first: bool) -> Page[ListedPlate]:
        pk = f"pl#{carpark_id}"
        cond = self.model.sk.startswith(f"{kind}-") if kind else None
        found = self.model.query(pk, range_key_condition=cond, scan_index_forward=not newest_first, limit=limit, page_size=limit,
                                 last_evaluated_key=decode_cursor(cursor, {"pk": pk}, ("pk", "sk")))
        return page_of(found, lambda i: self._entry(carpark_id, i), limit)

    def for_plate(self, carpark_id: str, read: str) -> list[ListedPlate]:
        found = self.model.gsi1.query(f"plate#{self.sealer.gate_tag(carpark_id, read)}", limit=50)
        return [self._entry(carpark_id, i) for i in found]


class DynamoCarParkSettings:
    """Lots, opening rules and the `settings` attribute (tariff, capacities) of the carparks item, under its version."""

    def __init__(self, carparks: Any) -> None:
        self.model = carparks

    def get(self, carpark_id: str, currency: str) -> CarParkSettings:
        try:
            i = self.model.get(carpark_id, consistent_read=True)
        except DoesNotExist:
            raise NotFoundError("no such car park", field="carpark_id") from None
        opening = tuple(OpeningRule(tuple(r["days"]), r["start_minute"], r["end_minute"]) for r in i.opening)
        return settings_from(i.settings, tuple(i.lots), opening, int(i.version), currency)

    def save(self, carpark_id: str, s: CarParkSettings, expected_version: int) -> None:
        actions = [self.model.lots.set([lot.name for lot in s.lots]), self.model.settings.set(settings_to_dict(s)),
                   self.model.opening.set([{"days": list(r.days), "start_minute": r.start_minute, "end_minute": r.end_minute} for r in s.opening]),
                   self.model.version.set(expected_version + 1)]
        try:
            self.model(carpark_id).update(actions=actions, condition=self.model.version == expected_version)
        except UpdateError as exc:
            if condition_failed(exc):
                raise ConflictError("the car park's settings changed since you read them; read them again", field="version",
                                    code="version_conflict") from exc
            raise


class DynamoStayLookup:
    """What a transactions page shows of each stay beside its row: its state, ledger entry and payment status."""

    def __init__(self, reservations: Any) -> None:
        self.model = reservations

    def facts(self, reservation_ids: list[str]) -> Mapping[str, StayFacts]:
        wanted = list(dict.fromkeys(reservation_ids))[:100]
        if not wanted:
            return {}
        found = self.model.batch_get(wanted, attributes_to_get=["reservation_id", "state", "ledger_entry", "payment_status"])
        return {i.reservation_id: StayFacts(i.state, i.ledger_entry, i.payment_status) for i in found}
