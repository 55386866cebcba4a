"""Items DynamoDB reads for one typical search, in a city of 1,000 and of 50,000 spaces.

Both cities have the same density (the larger one covers 50x the area), so a search that depends
on the neighbourhood and not on the city reads about the same number of items in both. The
baseline is what a table scan would read.
"""

from __future__ import annotations

import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.awscount import AwsCallCounter  # noqa: E402
from infra import localstack  # noqa: E402

DENSITY_PER_KM2 = 40
CENTER = (52.3731, 4.8926)
SEARCHES = 12
RADIUS_M = 800


def build_city(prefix: str, n: int) -> None:
    from chalicelib.adapters import codec
    from chalicelib.adapters.tables import models
    from chalicelib.domain import geo
    from chalicelib.domain.availability import Calendar, WindowSpec, make_window
    from chalicelib.domain.geo import Point
    from chalicelib.domain.spaces import Space, SpaceAttributes

    side_km = math.sqrt(n / DENSITY_PER_KM2)
    dlat = side_km / 111.0
    dlng = side_km / (111.0 * math.cos(math.radians(CENTER[0])))
    rng = random.Random(n)
    now = datetime.now(UTC).replace(microsecond=0)
    window = make_window(WindowSpec("weekly", 200, days=tuple(range(7)), start_time="00:00", end_time="24:00"), "w", now)
    model = models().spaces
    with model.batch_write() as batch:
        for i in range(n):
            point = Point(CENTER[0] + rng.uniform(-dlat / 2, dlat / 2), CENTER[1] + rng.uniform(-dlng / 2, dlng / 2))
            space = Space(f"s{i}", "owner", "Spot", "Street 1", point, SpaceAttributes(), "approved",
                          Calendar("Europe/Amsterdam", (window,)), 1, now, "EUR")
            values = codec.space_values(space, geo.encode(point.lat, point.lng))
            batch.save(model(values.pop("space_id"), **values))
    del prefix


def typical_search_reads(counter: AwsCallCounter) -> float:
    from chalicelib.adapters.spaces import DynamoSpaceRepository
    from chalicelib.adapters.tables import models
    from chalicelib.domain.geo import Point
    from chalicelib.domain.spaces import SpaceFilter
    from chalicelib.services.search import search

    repo = DynamoSpaceRepository(models())
    rng = random.Random(99)
    now = datetime.now(UTC)
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    counter.attach_pynamodb(models().spaces)
    counter.reset()
    found = 0
    for _ in range(SEARCHES):  # points in the inner kilometre, which both cities contain
        center = Point(CENTER[0] + rng.uniform(-0.004, 0.004), CENTER[1] + rng.uniform(-0.006, 0.006))
        result = search(center=center, place=None, start=start, end=start + timedelta(hours=2), radius_m=RADIUS_M,
                        wanted=SpaceFilter(), sort="distance", limit=20, now=now, spaces=repo)
        found += len(result.hits)
    assert found > 0, "the benchmark searches found nothing"
    return counter.items_read / SEARCHES


def max_cells() -> tuple[int, int]:
    """The most geohash cells (one GSI query each) any search touched over a sweep of centres from pole to pole, on and
    beside the antimeridian, at every radius step up to the maximum; and how many of those searches were refused."""
    from chalicelib.domain import geo
    from chalicelib.domain.errors import RuleViolationError
    from chalicelib.services.search import MAX_RADIUS_M

    lats = [x / 2 for x in range(-180, 181)] + [89.99, -89.99, 89.9999, -89.9999]
    lngs = (-180.0, -179.9999, -90.0, 0.0, 4.89, 179.9999, 180.0)
    most, refused = 0, 0
    for lat in lats:
        for lng in lngs:
            for radius in (1, 100, 1000, 2500, 5000, 7500, MAX_RADIUS_M):
                try:
                    most = max(most, len(geo.cover(geo.Point(lat, lng), radius)))
                except RuleViolationError:
                    refused += 1
    return most, refused


def measure(n: int) -> float:
    stack = localstack.start(prefix=f"bench{n}")
    try:
        from chalicelib.adapters import tables

        tables._build.cache_clear()
        build_city(f"bench{n}", n)
        return typical_search_reads(AwsCallCounter())
    finally:
        stack.stop()


def main() -> None:
    small, large = measure(1_000), measure(50_000)
    most, refused = max_cells()
    print(json.dumps({
        "search_max_cells": most,
        "search_refused_too_wide_of_sweep": refused,
        "search_items_read_1k": round(small, 1),
        "search_items_read_50k": round(large, 1),
        "search_items_read_ratio": round(large / small, 3),
        "search_items_read_vs_scan_50k": round(large / 50_000, 5),
    }))


if __name__ == "__main__":
    main()
