"""Find approved spaces that are free for a whole window, near a point or a named place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import geo
from ..domain.availability import Interval
from ..domain.errors import InvalidInputError, NotFoundError
from ..domain.geo import Point
from ..domain.pricing import price_for_minutes
from ..domain.spaces import APPROVED, LINK_PENDING, Space, SpaceFilter
from ..domain.timeutil import minutes_between
from .ports import Geocoder, SpaceRepository

MAX_RADIUS_M = 10_000
MAX_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class Hit:
    space: Space
    distance_m: float
    total_price_minor: int
    rate_minor: int
    window_id: str


@dataclass(frozen=True)
class SearchResult:
    center: Point
    place: str | None
    hits: list[Hit]
    items_read: int


def resolve_center(lat: float | None, lng: float | None, query: str | None, geocoder: Geocoder) -> tuple[Point, str | None]:
    if lat is not None and lng is not None:
        return Point(lat, lng), None
    if query:
        place = geocoder.lookup(query)
        if place is None:
            hints = geocoder.suggest(query)
            hint = f"; did you mean {', '.join(hints)}?" if hints else ""
            raise NotFoundError(f"no place called {query!r} in the gazetteer{hint}", field="q", code="unknown_place")
        return place.point, place.name
    raise InvalidInputError("give lat and lng, or a destination q", field="lat" if lat is None else "lng")


def _hit(space: Space, center: Point, wanted: Interval, radius_m: float) -> Hit | None:
    distance = geo.distance_m(center, space.location)
    if distance > radius_m or space.status != APPROVED or space.link_state == LINK_PENDING or not space.calendar.is_free(wanted):
        return None
    for window in space.calendar.windows:
        if window.occurrence_containing(wanted, space.calendar.tz):
            price = price_for_minutes(minutes_between(wanted.start, wanted.end), window.tariff)
            return Hit(space, distance, price, window.tariff.rate_minor, window.window_id)
    return None


def search(
    *,
    center: Point,
    place: str | None,
    start: datetime,
    end: datetime,
    radius_m: int,
    wanted: SpaceFilter,
    sort: str,
    limit: int,
    now: datetime,
    spaces: SpaceRepository,
) -> SearchResult:
    if end <= start:
        raise InvalidInputError("end must be after start", field="end")
    if end <= now:
        raise InvalidInputError("the window must not be in the past", field="end")
    if end - start > MAX_WINDOW:
        raise InvalidInputError("search at most 31 days at once", field="end")
    if not 1 <= radius_m <= MAX_RADIUS_M:
        raise InvalidInputError(f"radius_m must be 1 to {MAX_RADIUS_M}", field="radius_m")
    candidates, items_read = spaces.in_cells(geo.cover(center, radius_m))
    window = Interval(start, end)
    hits = [h for s in candidates if s.attributes.satisfies(wanted) and (h := _hit(s, center, window, radius_m))]
    if wanted.max_price_minor is not None:
        hits = [h for h in hits if h.total_price_minor <= wanted.max_price_minor]
    key = (lambda h: (h.total_price_minor, h.distance_m)) if sort == "price" else (lambda h: (h.distance_m, h.total_price_minor))
    hits.sort(key=key)
    return SearchResult(center, place, hits[:limit], items_read)
