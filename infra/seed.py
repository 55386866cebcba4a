"""Demo data for `make run`: three people and a few hundred approved spaces around Amsterdam."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from chalicelib import bootstrap
from chalicelib.adapters.gazetteer import AMSTERDAM
from chalicelib.domain.accounts import ACTIVE, User
from chalicelib.domain.availability import Calendar, WindowSpec, make_window
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.geo import Point
from chalicelib.domain.spaces import APPROVED, PENDING, OwnershipDocument, Space, SpaceAttributes

PASSWORD = "Demo-password-1"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    roles: tuple[str, ...]
    group: str | None = None


DEMO_USERS = (
    DemoUser("admin@carparker.test", "Ada Admin", ("parker",), "admin"),
    DemoUser("sam.sharer@carparker.test", "Sam Sharer", ("sharer", "parker")),
    DemoUser("pat.parker@carparker.test", "Pat Parker", ("parker",)),
)
STREETS = ("Prinsengracht", "Keizersgracht", "Herengracht", "Singel", "Ferdinand Bolstraat", "Overtoom", "Czaar Peterstraat")


def _user(d: bootstrap.Deps, demo: DemoUser) -> User:
    user_id = d.idp.sign_up(demo.email, PASSWORD)
    user = User(user_id, demo.email, demo.name, demo.roles, ACTIVE, d.clock.now())
    try:
        d.users.add(user)
    except ConflictError:
        pass
    if demo.group:
        d.idp.add_to_group(user_id, demo.group)
    return user


def _space(d: bootstrap.Deps, owner: User, rng: random.Random, n: int, status: str) -> Space:
    name, lat, lng, _ = AMSTERDAM[n % len(AMSTERDAM)]
    now = d.clock.now()
    always = WindowSpec("weekly", rate_minor=rng.choice((150, 200, 250, 300, 400)), daily_cap_minor=rng.choice((None, 1500, 2500)),
                        days=tuple(range(7)), start_time="00:00", end_time="24:00")
    office = WindowSpec("weekly", rate_minor=rng.choice((100, 180, 220)), days=(0, 1, 2, 3, 4), start_time="08:00", end_time="18:00")
    window = make_window(always if n % 3 else office, d.new_id(), now)
    return Space(
        space_id=f"demo-{n:04d}", owner_id=owner.user_id, title=f"{'Garage' if n % 4 == 0 else 'Driveway'} near {name}",
        address=f"{STREETS[n % len(STREETS)]} {1 + n % 300}, Amsterdam",
        location=Point(round(lat + rng.uniform(-0.006, 0.006), 6), round(lng + rng.uniform(-0.009, 0.009), 6)),
        attributes=SpaceAttributes(covered=n % 4 == 0, ev_charger=n % 5 == 0, accessible=n % 7 == 0,
                                   max_height_cm=rng.choice((None, 190, 210)), vehicle_size=rng.choice(("small", "medium", "large"))),
        status=status, calendar=Calendar("Europe/Amsterdam", (window,) if status == APPROVED else ()), version=1,
        created_at=now - timedelta(days=n % 30), currency="EUR", lot=f"P{n % 40}",
        document=OwnershipDocument(f"ownership/demo-{n:04d}/document", "uploaded", "application/pdf", 1024),
    )


def seed(spaces: int = 240) -> dict[str, User]:
    d = bootstrap.deps()
    users = {demo.email: _user(d, demo) for demo in DEMO_USERS}
    sam = users["sam.sharer@carparker.test"]
    rng = random.Random(7)
    for n in range(spaces):
        d.spaces.add(_space(d, sam, rng, n, APPROVED))
    d.spaces.add(_space(d, sam, rng, spaces, PENDING))
    return users
