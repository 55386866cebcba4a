"""Demo data for `make run`: three people and a few hundred approved spaces around Amsterdam."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace
from datetime import timedelta

from chalicelib import bootstrap
from chalicelib.adapters.gazetteer import AMSTERDAM
from chalicelib.domain.accounts import ACTIVE, Principal, User
from chalicelib.domain.availability import Calendar, WindowSpec, make_window
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.geo import Point
from chalicelib.domain.spaces import APPROVED, LINK_ACCEPTED, PENDING, OwnershipDocument, Space, SpaceAttributes

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


def seed_carpark(d: bootstrap.Deps, owner: User) -> dict[str, str]:
    """A demo car park with three lots offered around the clock, a gate device on HTTPS (its secret printed once) and,
    with the local broker, one on MQTT."""
    from chalicelib.services import carparks

    orders = d.carparks
    sam = Principal(owner.user_id, owner.email, frozenset(), frozenset(owner.roles))
    cp = carparks.create_carpark(sam, name="Central Garage", kind="public", address="Damrak 1, Amsterdam", lots=("A1", "A2", "A3"),
                                 timezone="Europe/Amsterdam", opening=(), o=orders)
    rng = random.Random(11)
    for n, lot in enumerate(cp.lots):
        space = _space(d, owner, rng, 1001 + 3 * n, APPROVED)  # n % 3 != 0: offered around the clock
        d.spaces.add(replace(space, space_id=f"demo-cp-{lot}", carpark_id=cp.carpark_id, lot=lot, link_state=LINK_ACCEPTED,
                             link_decided_at=cp.created_at, link_decided_by=owner.user_id,  # Sam owns the car park
                             title=f"Central Garage lot {lot}", location=Point(52.3765, 4.8980)))
    device = carparks.register_device(sam, cp.carpark_id, "main gate", o=orders)
    return {"carpark_id": cp.carpark_id, "device_id": device.device.device_id, "device_secret": device.secret,
            **_mqtt_gate(sam, cp.carpark_id)}


def _mqtt_gate(owner: Principal, carpark_id: str) -> dict[str, str]:
    """A second gate on MQTT (when make run's broker is up): its certificate and key written beside the local CA."""
    from pathlib import Path

    from chalicelib import config
    from chalicelib.services import carparks, gate_devices

    rt = bootstrap.devices()
    if rt.certificates is None:
        return {}
    made = carparks.register_device(owner, carpark_id, "exit gate (MQTT)", o=bootstrap.deps().carparks, mqtt=gate_devices.ThingIdentities(rt))
    assert made.certificate is not None
    ca_dir = Path(config.local_ca_dir())
    cert, key = ca_dir / "demo-gate.pem", ca_dir / "demo-gate.key"
    cert.write_text(made.certificate.certificate_pem)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(made.certificate.private_key_pem)
    return {"mqtt_device_id": made.device.device_id, "mqtt_thing": made.certificate.thing_name, "mqtt_cert": str(cert),
            "mqtt_key": str(key), "mqtt_ca": str(ca_dir / "ca.pem"), "mqtt_endpoint": config.mqtt_endpoint() or ""}
