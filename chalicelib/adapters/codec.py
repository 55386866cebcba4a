"""Mapping between domain objects and the plain values stored in DynamoDB."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..domain.availability import Booking, Calendar, Interval, Window
from ..domain.billing import Bill
from ..domain.geo import Point
from ..domain.pricing import Tariff
from ..domain.reservations import BILLED, CANCELLED, NO_SHOW, RESERVED, Reservation
from ..domain.spaces import OwnershipDocument, Space, SpaceAttributes
from ..domain.timeutil import format_instant, parse_instant


def _when(text: str | None, field: str = "stored") -> Any:
    return None if text is None else parse_instant(text, field=field)


def window_to_dict(w: Window) -> dict[str, Any]:
    out: dict[str, Any] = {
        "window_id": w.window_id,
        "kind": w.kind,
        "rate_minor": w.tariff.rate_minor,
        "daily_cap_minor": w.tariff.daily_cap_minor,
        "increment_min": w.tariff.increment_min,
    }
    if w.kind == "once":
        assert w.start and w.end
        out.update(start=format_instant(w.start), end=format_instant(w.end))
    else:
        out.update(
            days=list(w.days),
            start_minute=w.start_minute,
            end_minute=w.end_minute,
            valid_from=w.valid_from.isoformat() if w.valid_from else None,
            valid_until=w.valid_until.isoformat() if w.valid_until else None,
        )
    return out


def window_from_dict(d: dict[str, Any]) -> Window:
    tariff = Tariff(d["rate_minor"], d.get("daily_cap_minor"), d.get("increment_min", 15))
    if d["kind"] == "once":
        return Window(d["window_id"], "once", tariff, start=_when(d["start"]), end=_when(d["end"]))
    return Window(
        d["window_id"],
        "weekly",
        tariff,
        days=tuple(d["days"]),
        start_minute=d["start_minute"],
        end_minute=d["end_minute"],
        valid_from=date.fromisoformat(d["valid_from"]) if d.get("valid_from") else None,
        valid_until=date.fromisoformat(d["valid_until"]) if d.get("valid_until") else None,
    )


def bookings_to_list(bookings: tuple[Booking, ...]) -> list[dict[str, str]]:
    return [
        {"id": b.reservation_id, "start": format_instant(b.interval.start), "end": format_instant(b.interval.end)}
        for b in bookings
    ]


def bookings_from_list(items: list[dict[str, str]]) -> tuple[Booking, ...]:
    return tuple(Booking(b["id"], Interval(_when(b["start"]), _when(b["end"]))) for b in items)


def attributes_to_dict(a: SpaceAttributes) -> dict[str, Any]:
    return {
        "covered": a.covered,
        "ev_charger": a.ev_charger,
        "accessible": a.accessible,
        "max_height_cm": a.max_height_cm,
        "vehicle_size": a.vehicle_size,
    }


def document_to_dict(doc: OwnershipDocument | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {"key": doc.key, "status": doc.status, "content_type": doc.content_type, "size": doc.size}


def space_from_item(item: Any) -> Space:
    doc = item.document
    return Space(
        space_id=item.space_id,
        owner_id=item.owner_id,
        title=item.title,
        address=item.address,
        location=Point(float(item.lat), float(item.lng)),
        attributes=SpaceAttributes(**item.attributes),
        status=item.status,
        calendar=Calendar(
            item.timezone,
            tuple(window_from_dict(w) for w in item.windows),
            bookings_from_list(item.bookings),
        ),
        version=int(item.version),
        created_at=_when(item.created_at),
        currency=item.currency,
        carpark_id=item.carpark_id,
        lot=item.lot,
        reject_reason=item.reject_reason,
        document=OwnershipDocument(**doc) if doc else None,
        link_state=item.link_state,
        link_decided_at=_when(item.link_decided_at),
        link_decided_by=item.link_decided_by,
    )


def space_values(space: Space, geohash: str) -> dict[str, Any]:
    approved = space.status == "approved"
    return {
        "space_id": space.space_id,
        "owner_id": space.owner_id,
        "created_at": format_instant(space.created_at),
        "title": space.title,
        "address": space.address,
        "lat": space.location.lat,
        "lng": space.location.lng,
        "geohash": geohash,
        "gh5": geohash[:5] if approved else None,
        "review_status": "pending" if space.status == "pending" else None,
        "status": space.status,
        "reject_reason": space.reject_reason,
        "attributes": attributes_to_dict(space.attributes),
        "carpark_id": space.carpark_id,
        "lot": space.lot,
        "currency": space.currency,
        "timezone": space.calendar.timezone,
        "windows": [window_to_dict(w) for w in space.calendar.windows],
        "bookings": bookings_to_list(space.calendar.bookings),
        "document": document_to_dict(space.document),
        "version": space.version,
        "link_state": space.link_state,
        "link_decided_at": format_instant(space.link_decided_at) if space.link_decided_at else None,
        "link_decided_by": space.link_decided_by,
        # the car park's link queue (GSI by_carpark_link): its spaces by link state, oldest request first
        "link_sort": f"{space.link_state}#{format_instant(space.created_at)}" if space.carpark_id and space.link_state else None,
    }


_RES_FIELDS = (
    "reservation_id", "space_id", "parker_id", "sharer_id", "currency", "state", "window_id", "carpark_id", "lot", "cancelled_by",
)
# The plate is stored only sealed: see the repository.
_RES_SEALED = ("plate",)


_RES_TIMES = ("entered_at", "exited_at", "paid_at", "completed_at")
_RES_OPTIONAL = ("charge_id", "payment_status", "ledger_entry")


def bill_to_dict(bill: Bill | None) -> dict[str, int] | None:
    if bill is None:
        return None
    return {
        "reserved_minor": bill.reserved_minor, "overstay_min": bill.overstay_min, "overstay_minor": bill.overstay_minor,
        "surcharge_minor": bill.surcharge_minor, "cap_discount_minor": bill.cap_discount_minor, "refund_minor": bill.refund_minor,
    }


def reservation_sealed_fields(r: Reservation) -> dict[str, Any]:
    return {name: getattr(r, name) for name in _RES_SEALED}


def reservation_values(r: Reservation, *, sealed: bytes | None, gate_tag: str | None) -> dict[str, Any]:
    """The stored attributes; `sealed` holds reservation_sealed_fields(r), `gate_tag` is the gate's blind index key."""
    values = {name: getattr(r, name) for name in _RES_FIELDS + _RES_OPTIONAL}
    values.update({name: format_instant(t) if (t := getattr(r, name)) else None for name in _RES_TIMES})
    values.update(
        start=format_instant(r.start),
        end=format_instant(r.end),
        created_at=format_instant(r.created_at),
        price_minor=r.price_minor,
        fee_minor=r.fee_minor,
        refund_minor=r.refund_minor,
        version=r.version,
        bill=bill_to_dict(r.bill),
        sealed=sealed,
        # sparse index keys: the gate's plate lookup, the no-show sweep, the car park's takings
        gate_key=gate_tag if r.carpark_id else None,
        awaiting=_awaiting(r),
        paid_carpark=r.carpark_id if r.carpark_id and r.paid_at else None,
    )
    return values


UNCHARGED = "uncharged"


def _awaiting(r: Reservation) -> str | None:
    """The sweeps' sparse index: reservations that may expire, and money due that no charge covers yet."""
    if r.state == RESERVED:
        return RESERVED
    if r.state in (BILLED, CANCELLED, NO_SHOW) and r.amount_due_minor > 0 and r.charge_id is None:
        return UNCHARGED
    return None


def reservation_from_item(item: Any, sealed_fields: dict[str, Any]) -> Reservation:
    values = {name: getattr(item, name) for name in _RES_FIELDS + _RES_OPTIONAL}
    values.update({name: sealed_fields[name] for name in _RES_SEALED})
    values.update({name: _when(getattr(item, name)) for name in _RES_TIMES})
    return Reservation(
        **values,
        start=_when(item.start),
        end=_when(item.end),
        created_at=_when(item.created_at),
        price_minor=int(item.price_minor),
        fee_minor=int(item.fee_minor or 0),
        refund_minor=int(item.refund_minor or 0),
        version=int(item.version),
        bill=Bill(**{k: int(v) for k, v in item.bill.items()}) if item.bill else None,
    )
