"""Search covers are bounded before they are listed: at the poles, across the antimeridian, at the widest radius."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import geo
from chalicelib.domain.errors import RuleViolationError
from chalicelib.services.search import MAX_RADIUS_M

EDGES_LAT = (90.0, -90.0, 89.99, -89.99, 85.0, -85.0, 60.0, 0.0)
EDGES_LNG = (180.0, -180.0, 179.9999, -179.9999, 0.0)
RADII = (1, 50, 1000, 5000, MAX_RADIUS_M)


def destination(lat: float, lng: float, distance_m: float, bearing: float) -> tuple[float, float]:
    """The point distance_m from (lat, lng) along the great circle at this bearing (longitude wrapped)."""
    d, p1, l1 = distance_m / geo.EARTH_RADIUS_M, math.radians(lat), math.radians(lng)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def test_no_query_at_the_poles_or_the_antimeridian_touches_more_than_the_cap() -> None:
    touched, refused = [], 0
    for lat in EDGES_LAT:
        for lng in EDGES_LNG:
            for radius in RADII:
                center = geo.Point(lat, lng)
                band = geo.bounding_band(center, radius)
                try:
                    cells = geo.cover(center, radius)
                except RuleViolationError as exc:
                    assert exc.code == "search_area_too_large" and exc.field == "radius_m"
                    assert geo.cell_count(band, geo.INDEX_PRECISION) > geo.MAX_QUERY_CELLS
                    refused += 1
                    continue
                assert 1 <= len(cells) <= geo.MAX_QUERY_CELLS, (lat, lng, radius, len(cells))
                assert len(set(cells)) == len(cells) and all(len(c) >= geo.INDEX_PRECISION for c in cells)
                touched.append(len(cells))
    assert max(touched) <= geo.MAX_QUERY_CELLS and refused > 0
    # Small searches are answered even beside a pole and on the antimeridian.
    assert geo.cover(geo.Point(89.99, 180.0), 1) and geo.cover(geo.Point(-89.99, -180.0), 20)


def test_a_refusal_names_a_radius_that_is_then_accepted() -> None:
    for center in (geo.Point(89.99, 180.0), geo.Point(70.0, 19.0), geo.Point(-80.0, -179.99)):
        with pytest.raises(RuleViolationError) as refused:
            geo.cover(center, MAX_RADIUS_M)
        fits = geo.widest_radius_m(center, MAX_RADIUS_M)
        assert f"radius_m <= {fits}" in refused.value.message
        assert len(geo.cover(center, fits)) <= geo.MAX_QUERY_CELLS


def test_a_circle_across_the_antimeridian_is_covered_on_both_sides() -> None:
    cells = geo.cover(geo.Point(-17.0, 179.99), 5000)  # Fiji
    west = geo.encode(-17.0, -179.98)
    east = geo.encode(-17.0, 179.95)
    assert any(west.startswith(c) for c in cells) and any(east.startswith(c) for c in cells)


@given(st.floats(-84, 84), st.floats(-180, 180), st.integers(1, MAX_RADIUS_M), st.floats(0, 0.99), st.floats(0, 2 * math.pi))
def test_every_point_of_the_circle_is_in_its_cover_anywhere_on_earth(lat: float, lng: float, radius: int, frac: float,
                                                                     bearing: float) -> None:
    center = geo.Point(lat, lng)
    try:
        cells = geo.cover(center, radius)
    except RuleViolationError:
        assert geo.cell_count(geo.bounding_band(center, radius), geo.INDEX_PRECISION) > geo.MAX_QUERY_CELLS
        return
    assert len(cells) <= geo.MAX_QUERY_CELLS
    point = geo.encode(*destination(center.lat, center.lng, radius * frac, bearing))
    assert any(point.startswith(c) for c in cells)
