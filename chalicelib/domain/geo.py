"""Geodesy for search: geohash cells, circle cover, great-circle distance, navigation links."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote

from .errors import InvalidInputError

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_M = 6_371_008.8
INDEX_PRECISION = 5  # the GSI partition key is the 5-character cell (~4.9 km x 4.9 km)
STORED_PRECISION = 9
MAX_COVER_CELLS = 24
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


def _bbox(center: Point, radius_m: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(math.cos(math.radians(center.lat)), 1e-6)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * coslat))
    return center.lat - dlat, center.lat + dlat, center.lng - dlng, center.lng + dlng


def _cells_for_bbox(bbox: tuple[float, float, float, float], precision: int) -> set[str]:
    lat_lo, lat_hi, lng_lo, lng_hi = bbox
    h, w = cell_size_deg(precision)
    cells: set[str] = set()
    lat = lat_lo
    while lat <= lat_hi + h:
        lng = lng_lo
        while lng <= lng_hi + w:
            cells.add(encode(min(lat, lat_hi), min(lng, lng_hi), precision))
            lng += w
        lat += h
    return cells


def cover(center: Point, radius_m: float) -> list[str]:
    """Geohash cells (precision >= INDEX_PRECISION) that together cover the circle.

    Picks the finest precision whose cover stays under MAX_COVER_CELLS, so the area read is
    a small multiple of the circle's own area whatever the size of the city.
    """
    bbox = _bbox(center, radius_m)
    best = sorted(_cells_for_bbox(bbox, INDEX_PRECISION))
    for precision in range(INDEX_PRECISION + 1, 9):
        cells = _cells_for_bbox(bbox, precision)
        if len(cells) > MAX_COVER_CELLS:
            break
        best = sorted(cells)
    return best


def navigation_links(point: Point, label: str) -> dict[str, str]:
    coords = f"{point.lat:.6f},{point.lng:.6f}"
    return {
        "geo": f"geo:{coords}?q={coords}({quote(label)})",
        "google_maps": f"https://www.google.com/maps/dir/?api=1&destination={coords}",
        "apple_maps": f"https://maps.apple.com/?daddr={coords}",
        "openstreetmap": f"https://www.openstreetmap.org/directions?to={quote(coords)}",
    }
