"""The car park's audit trail: recording what people (and the platform) did, and the console's view of it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..domain.accounts import Principal
from ..domain.audit_trail import AuditEntry
from ..domain.carparks import CarPark
from ..domain.errors import InvalidInputError, UnavailableError
from . import carparks
from .console_ports import Console, Page

if TYPE_CHECKING:
    from .carparks import CarParks

PLATFORM = "platform"
MAX_PAGE = 200


def console_of(o: CarParks) -> Console:
    if o.console is None:
        raise UnavailableError("the console's stores are not configured on this stage", field="carpark_id")
    return o.console


def record(o: CarParks, actor: Principal | None, carpark: CarPark, action: str, target: str, summary: str,
           details: dict[str, str | int | bool | None] | None = None) -> None:
    """Append one entry (no-op without the console's stores: the order services' tests run without them)."""
    if o.console is None:
        return
    role = carparks.role_at(actor, carpark, o) if actor is not None else PLATFORM
    o.console.audit.append(AuditEntry(carpark.carpark_id, o.new_id()[:16], o.clock.now(), actor.user_id if actor else PLATFORM,
                                      role or "former", action, target, summary, details or {}))


def check_limit(limit: int, most: int = MAX_PAGE) -> int:
    if not 1 <= limit <= most:
        raise InvalidInputError(f"limit must be 1 to {most}", field="limit")
    return limit


def trail(principal: Principal, carpark_id: str, *, since: datetime | None, until: datetime | None, limit: int, cursor: str | None,
          o: CarParks) -> Page[AuditEntry]:
    """Who did what and when, newest first (owners and admins: staff get 403)."""
    carpark = carparks.managed(principal, carpark_id, o)
    if since is not None and until is not None and until < since:
        raise InvalidInputError("to must not be before from", field="to")
    return console_of(o).audit.page(carpark.carpark_id, since, until, check_limit(limit), cursor)
