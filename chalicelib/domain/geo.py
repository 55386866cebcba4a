"""Geodesy for search: geohash cells, circle cover, great-circle distance, navigation links."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote

from .errors import InvalidInputError, RuleViolationError

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_M = 6_371_008.8
INDEX_PRECISION = 5  # the GSI partition key is the 5-character cell (~4.9 km x 4.9 km)
STORED_PRECISION = 9
MAX_COVER_CELLS = 24  # a finer cover is used while it needs no more cells than this
MAX_QUERY_CELLS = 64  # the most cells (one query each) any search may touch: bench figure search_max_cells
COORD_DECIMALS = 7


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float

    def __post_init__(self) -> None:
        check_coordinates(self.lat, self.lng)
        # 7 decimals is ~1 cm; it also keeps values DynamoDB can store (1e-200 would underflow).
        object.__setattr__(self, "lat", round(float(self.lat), COORD_DECIMALS) + 0.0)
        object.__setattr__(self, "lng", round(float(self.lng), COORD_DECIMALS) + 0.0)


def check_coordinates(lat: float, lng: float) -> None:
    if not isinstance(lat, (int, float)) or not -90.0 <= lat <= 90.0 or math.isnan(lat):
        raise InvalidInputError("latitude must be a number between -90 and 90", field="lat")
    if not isinstance(lng, (int, float)) or not -180.0 <= lng <= 180.0 or math.isnan(lng):
        raise InvalidInputError("longitude must be a number between -180 and 180", field="lng")


def encode(lat: float, lng: float, precision: int = STORED_PRECISION) -> str:
    lat_lo, lat_hi, lng_lo, lng_hi = -90.0, 90.0, -180.0, 180.0
    chars: list[str] = []
    bits, value, even = 0, 0, True
    while len(chars) < precision:
        if even:
            mid = (lng_lo + lng_hi) / 2
            value = (value << 1) | (lng >= mid)
            lng_lo, lng_hi = (mid, lng_hi) if lng >= mid else (lng_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            value = (value << 1) | (lat >= mid)
            lat_lo, lat_hi = (mid, lat_hi) if lat >= mid else (lat_lo, mid)
        even = not even
        bits += 1
        if bits == 5:
            chars.append(_BASE32[value])
            bits, value = 0, 0
    return "".join(chars)


def cell_size_deg(precision: int) -> tuple[float, float]:
    """(height in degrees of latitude, width in degrees of longitude) of a cell."""
    total_bits = 5 * precision
    lng_bits = (total_bits + 1) // 2
    lat_bits = total_bits // 2
    return 180.0 / (1 << lat_bits), 360.0 / (1 << lng_bits)


def distance_m(a: Point, b: Point) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lng - a.lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Band:
    """The circle's bounding box: a latitude band and the longitude ranges (one, or two across the antimeridian)."""

    lat_lo: float
    lat_hi: float
    lngs: tuple[tuple[float, float], ...]  # each within [-180, 180]; ((-180, 180),) when every longitude is in


def bounding_band(center: Point, radius_m: float) -> Band:
    """The latitude band is clamped to the poles; the longitude span is the circle's real widest extent
    (asin(sin(d) / cos(lat))), every longitude once the circle reaches a pole, and split at the antimeridian."""
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    lat_lo, lat_hi = max(-90.0, center.lat - dlat), min(90.0, center.lat + dlat)
    coslat = math.cos(math.radians(center.lat))
    ratio = math.sin(angular) / coslat if coslat > 0 else math.inf
    if lat_hi >= 90.0 or lat_lo <= -90.0 or ratio >= 1.0:
        return Band(lat_lo, lat_hi, ((-180.0, 180.0),))
    dlng = math.degrees(math.asin(ratio))
    lo, hi = center.lng - dlng, center.lng + dlng
    if lo < -180.0:
        return Band(lat_lo, lat_hi, ((-180.0, hi), (lo + 360.0, 180.0)))
    if hi > 180.0:
        return Band(lat_lo, lat_hi, ((-180.0, hi - 360.0), (lo, 180.0)))
    return Band(lat_lo, lat_hi, ((lo, hi),))


def _bits(precision: int) -> tuple[int, int]:
    """(latitude bits, longitude bits) of a geohash of this many characters."""
    total = 5 * precision
    return total // 2, (total + 1) // 2


def _index(value: float, low: float, size: float, bits: int) -> int:
    return min(int((value - low) // size), (1 << bits) - 1)


def _spans(band: Band, precision: int) -> tuple[range, list[range]]:
    """The rows and the column ranges of the cells that meet the band, as index ranges: nothing is listed yet."""
    lat_bits, lng_bits = _bits(precision)
    h, w = cell_size_deg(precision)
    rows = range(_index(band.lat_lo, -90.0, h, lat_bits), _index(band.lat_hi, -90.0, h, lat_bits) + 1)
    cols = [range(_index(lo, -180.0, w, lng_bits), _index(hi, -180.0, w, lng_bits) + 1) for lo, hi in band.lngs]
    return rows, cols


def cell_count(band: Band, precision: int) -> int:
    """How many cells of this precision a cover of the band has, computed without listing them."""
    rows, cols = _spans(band, precision)
    return len(rows) * sum(len(c) for c in cols)


def _cells(band: Band, precision: int) -> list[str]:
    h, w = cell_size_deg(precision)
    rows, cols = _spans(band, precision)
    return sorted({encode(-90.0 + (r + 0.5) * h, -180.0 + (c + 0.5) * w, precision) for r in rows for span in cols for c in span})


def cover(center: Point, radius_m: float) -> list[str]:
    """Geohash cells (precision >= INDEX_PRECISION) that together cover the circle; each is one query.

    Picks the finest precision whose cover has at most MAX_COVER_CELLS cells, so the area read is a small
    multiple of the circle's own area whatever the size of the city. Every count is computed before a
    single cell is listed, and a circle that would need more than MAX_QUERY_CELLS index partitions (a wide
    radius near a pole, where meridians converge) is refused, so no search does unbounded work.
    """
    band = bounding_band(center, radius_m)
    for precision in range(STORED_PRECISION - 1, INDEX_PRECISION, -1):
        if cell_count(band, precision) <= MAX_COVER_CELLS:
            return _cells(band, precision)
    needed = cell_count(band, INDEX_PRECISION)
    if needed > MAX_QUERY_CELLS:
        fits = widest_radius_m(center, radius_m)
        hint = f"use radius_m <= {fits} here" if fits else "search a little away from the pole"
        raise RuleViolationError(f"a search this wide here needs {needed} index cells (at most {MAX_QUERY_CELLS}); {hint}",
                                 field="radius_m", code="search_area_too_large")
    return _cells(band, INDEX_PRECISION)


def widest_radius_m(center: Point, below_m: float) -> int:
    """The largest whole-metre radius under below_m whose cover stays within MAX_QUERY_CELLS (0 if none): a bisection
    over cell_count, 25 steps of constant work."""
    lo, hi = 0.0, float(below_m)
    for _ in range(25):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cell_count(bounding_band(center, mid), INDEX_PRECISION) <= MAX_QUERY_CELLS else (lo, mid)
    return int(lo)


def navigation_links(point: Point, label: str) -> dict[str, str]:
    coords = f"{point.lat:.6f},{point.lng:.6f}"
    return {
        "geo": f"geo:{coords}?q={coords}({quote(label)})",
        "google_maps": f"https://www.google.com/maps/dir/?api=1&destination={coords}",
        "apple_maps": f"https://maps.apple.com/?daddr={coords}",
        "openstreetmap": f"https://www.openstreetmap.org/directions?to={quote(coords)}",
    }
