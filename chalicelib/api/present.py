"""Domain objects → response dicts (and request models → domain values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..adapters.codec import attributes_to_dict, bill_to_dict
from ..domain.accounts import User
from ..domain.availability import Window, WindowSpec, format_clock
from ..domain.geo import navigation_links
from ..domain.reservations import Reservation
from ..domain.spaces import LINK_ACCEPTED, Space
from ..domain.timeutil import format_instant, parse_instant
from ..services.order_ports import Notification
from ..services.search import SearchResult
from .schemas.marketplace import WindowIn


def user_out(user: User, groups: frozenset[str]) -> dict[str, Any]:
    return {
        "user_id": user.user_id, "email": user.email, "display_name": user.display_name, "roles": list(user.roles),
        "groups": sorted(groups), "status": user.status, "created_at": format_instant(user.created_at),
    }


def window_out(w: Window) -> dict[str, Any]:
    out: dict[str, Any] = {"window_id": w.window_id, "kind": w.kind, "rate_minor": w.tariff.rate_minor,
                           "daily_cap_minor": w.tariff.daily_cap_minor, "increment_min": w.tariff.increment_min}
    if w.kind == "once":
        assert w.start and w.end
        out.update(start=format_instant(w.start), end=format_instant(w.end))
    else:
        out.update(days=list(w.days), start_time=format_clock(w.start_minute), end_time=format_clock(w.end_minute),
                   valid_from=w.valid_from.isoformat() if w.valid_from else None,
                   valid_until=w.valid_until.isoformat() if w.valid_until else None)
    return out


def link_out(space: Space) -> dict[str, Any] | None:
    if space.carpark_id is None or space.link_state is None:
        return None
    return {"carpark_id": space.carpark_id, "state": space.link_state,
            "decided_at": format_instant(space.link_decided_at) if space.link_decided_at else None, "decided_by": space.link_decided_by}


def space_out(space: Space, *, owner_view: bool, link_view: bool = False) -> dict[str, Any]:
    """owner_view: the space's owner or an admin (everything); link_view: the named car park's owners (the link in any
    state). Everyone else sees a car park only once it accepted the space."""
    doc = space.document
    link_shown = owner_view or link_view or space.link_state == LINK_ACCEPTED
    return {
        "space_id": space.space_id, "owner_id": space.owner_id, "title": space.title, "address": space.address,
        "lat": space.location.lat, "lng": space.location.lng, "status": space.status,
        "reject_reason": space.reject_reason if owner_view else None,
        "carpark_id": space.carpark_id if link_shown else None, "carpark_link": link_out(space) if link_shown else None, "lot": space.lot,
        "timezone": space.calendar.timezone, "currency": space.currency,
        "attributes": attributes_to_dict(space.attributes),
        "windows": [window_out(w) for w in space.calendar.windows],
        "document": {"status": doc.status, "content_type": doc.content_type, "size": doc.size} if doc and owner_view else None,
        # Others see only that time is taken, never by whom.
        "booked": [{"start": format_instant(b.interval.start), "end": format_instant(b.interval.end)} for b in space.calendar.bookings],
        "created_at": format_instant(space.created_at),
        "navigation": navigation_links(space.location, space.title),
    }


def reservation_out(r: Reservation) -> dict[str, Any]:
    return {
        "reservation_id": r.reservation_id, "space_id": r.space_id, "parker_id": r.parker_id, "sharer_id": r.sharer_id,
        "plate": r.plate, "start": format_instant(r.start), "end": format_instant(r.end), "price_minor": r.price_minor,
        "currency": r.currency, "state": r.state, "fee_minor": r.fee_minor, "refund_minor": r.refund_minor,
        "cancelled_by": r.cancelled_by, "carpark_id": r.carpark_id, "lot": r.lot, "created_at": format_instant(r.created_at),
        **order_progress(r), "cancellation": None,
    }


def order_progress(r: Reservation) -> dict[str, Any]:
    """The order after the reservation: gate times, the bill, payment and completion."""
    def when(t: datetime | None) -> str | None:
        return format_instant(t) if t else None

    return {
        "entered_at": when(r.entered_at), "exited_at": when(r.exited_at), "bill": bill_to_dict(r.bill),
        "amount_due_minor": r.amount_due_minor, "payment_status": r.payment_status, "paid_at": when(r.paid_at),
        "completed_at": when(r.completed_at), "ledger_entry": r.ledger_entry,
    }


def search_out(result: SearchResult, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "center": {"lat": result.center.lat, "lng": result.center.lng},
        "place": result.place,
        "start": format_instant(start),
        "end": format_instant(end),
        "items_read": result.items_read,
        "results": [
            {
                "space_id": h.space.space_id, "title": h.space.title, "address": h.space.address,
                "lat": h.space.location.lat, "lng": h.space.location.lng, "distance_m": round(h.distance_m),
                "rate_minor": h.rate_minor, "total_price_minor": h.total_price_minor, "currency": h.space.currency,
                "timezone": h.space.calendar.timezone,
                "attributes": attributes_to_dict(h.space.attributes),
                "navigation": navigation_links(h.space.location, h.space.title),
            }
            for h in result.hits
        ],
    }


def window_spec(req: WindowIn) -> WindowSpec:
    return WindowSpec(
        kind=req.kind, rate_minor=req.rate_minor, daily_cap_minor=req.daily_cap_minor,
        start=parse_instant(req.start, field="start") if req.start is not None else None,
        end=parse_instant(req.end, field="end") if req.end is not None else None,
        days=tuple(req.days), start_time=req.start_time, end_time=req.end_time,
        valid_from=req.valid_from, valid_until=req.valid_until,
    )


def notification_out(n: Notification) -> dict[str, Any]:
    return {"notification_id": n.notification_id, "kind": n.kind, "title": n.title, "body": n.body,
            "reservation_id": n.reservation_id, "created_at": format_instant(n.created_at)}
