"""What the browser tests share: the demo people, API calls for the steps a test only sets up (a booking to look at,
a car in a car park), the gate device's signed events, live photos, and the few UI steps every journey starts with."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import Locator, Page, expect

from chalicelib.domain.signing import gate_request
from tests.photos import jpeg

from .harness import PASSWORD, Launcher

CITY = ZoneInfo("Europe/Amsterdam")
PAT, SAM, ADMIN = "pat.parker@carparker.test", "sam.sharer@carparker.test", "admin@carparker.test"
VIEWS = ("front", "rear", "left", "right")
DEED = b"%PDF-1.4\n% a title deed for the browser tests\n" + b"0" * 4000 + b"\n%%EOF\n"


def tomorrow() -> date:
    return datetime.now(CITY).date() + timedelta(days=1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_input(moment: datetime) -> str:
    """What a datetime-local input in the city's zone shows for `moment`."""
    return moment.astimezone(CITY).strftime("%Y-%m-%dT%H:%M")


def email(who: str) -> str:
    return f"{who}.{uuid.uuid4().hex[:8]}@example.com"


# ---------------------------------------------------------------- the API, for set-up only


@dataclass
class Api:
    launcher: Launcher

    def call(self, method: str, path: str, token: str | None = None, body: Any = None, **headers: str) -> requests.Response:
        h = {**({"Authorization": f"Bearer {token}"} if token else {}), **headers}
        return requests.request(method, f"{self.launcher.api}{path}", json=body, headers=h, timeout=30)

    def ok(self, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        r = self.call(method, path, token, body)
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def token(self, who: str, password: str = PASSWORD) -> str:
        return str(self.ok("POST", "/auth/signin", body={"email": who, "password": password})["id_token"])

    def user(self, roles: tuple[str, ...] = ("parker",), name: str = "Test Person") -> tuple[str, str]:
        """A new account (email, token)."""
        address = email("t")
        self.ok("POST", "/auth/signup", body={"email": address, "password": PASSWORD, "display_name": name, "roles": list(roles)})
        return address, self.token(address)

    def document(self, token: str, space_id: str) -> None:
        ticket = self.ok("POST", f"/spaces/{space_id}/document", token, {"content_type": "application/pdf", "size": len(DEED)})
        assert requests.put(ticket["url"], data=DEED, headers=ticket["headers"], timeout=30).status_code == 200
        self.ok("POST", f"/spaces/{space_id}/document/complete", token)

    def space(self, owner: str, *, carpark_id: str | None = None, title: str = "Test garage", lat: float = 52.3765,
              lng: float = 4.898, rate_minor: int = 400) -> dict[str, Any]:
        """A space approved and offered around the clock (in the car park if named: its owner's link is accepted at once)."""
        token = self.token(owner)
        body = {"title": f"{title} {uuid.uuid4().hex[:4]}", "address": "Damrak 1, Amsterdam", "lat": lat, "lng": lng, "lot": "A1" if carpark_id else "T1",
                **({"carpark_id": carpark_id} if carpark_id else {})}
        space = self.ok("POST", "/spaces", token, body)
        self.document(token, space["space_id"])
        self.ok("POST", f"/admin/spaces/{space['space_id']}/approve", self.token(ADMIN))
        self.ok("POST", f"/spaces/{space['space_id']}/windows", token, {"kind": "weekly", "days": list(range(7)), "start_time": "00:00",
                                                                        "end_time": "24:00", "rate_minor": rate_minor})
        return dict(space)

    def book(self, token: str, space_id: str, start: datetime, end: datetime, plate: str) -> dict[str, Any]:
        return dict(self.ok("POST", "/reservations", token, {"space_id": space_id, "plate": plate, "start": iso(start), "end": iso(end)}))


# ---------------------------------------------------------------- the demo car park's gate (a device acts)


@dataclass
class Gate:
    launcher: Launcher
    carpark_id: str
    device_id: str
    secret: str

    def read(self, direction: str, plate: str) -> dict[str, Any]:
        event = {"event_id": f"browser-{uuid.uuid4().hex[:12]}", "direction": direction, "plate": plate, "confidence": 0.97}
        body, headers = gate_request(self.device_id, self.secret.encode(), event, int(time.time()))
        r = requests.post(f"{self.launcher.api}/gate/events", data=body, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return dict(r.json())


def demo_gate(launcher: Launcher) -> Gate:
    """The launcher's demo car park and gate device, as it printed them."""
    log = launcher.log.read_text()
    carpark = re.search(r"Demo car park (\w+)", log)
    device = re.search(r"--device-id (\S+) --secret (\S+)", log)
    assert carpark and device, "the launcher did not print its demo car park"
    return Gate(launcher, carpark.group(1), device.group(1), device.group(2))


def plate() -> str:
    return f"BT{uuid.uuid4().hex[:5].upper()}"


def parked(api: Api, gate: Gate, *, minutes: int = 120) -> dict[str, Any]:
    """A new parker whose car the demo gate let in, on a fresh space in the demo car park: {email, token, order, plate, space}."""
    space = api.space(SAM, carpark_id=gate.carpark_id)
    address, token = api.user()
    car = plate()
    start = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    order = api.book(token, space["space_id"], start, start + timedelta(minutes=minutes), car)
    assert gate.read("entry", car)["decision"] == "open"
    return {"email": address, "token": token, "order": order["reservation_id"], "plate": car, "space": space}


def photo(view: str) -> dict[str, Any]:
    """A live JPEG (EXIF capture time: now) as a file input takes it."""
    shade = 40 + 40 * VIEWS.index(view) if view in VIEWS else 120
    return {"name": f"{view}.jpg", "mimeType": "image/jpeg", "buffer": jpeg(datetime.now(CITY), colour=(shade, 90, 120))}


# ---------------------------------------------------------------- the UI


def sign_in(page: Page, launcher: Launcher, who: str, password: str = PASSWORD) -> None:
    page.goto(launcher.app)
    page.get_by_label("Email").fill(who)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Find a parking space").wait_for()


def sign_up(page: Page, launcher: Launcher, name: str, *, share: bool = False) -> str:
    address = email(name.split()[0].lower())
    page.goto(launcher.app)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    if share:
        page.get_by_label("Share my parking space").check()
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Find a parking space").wait_for()
    return address


def tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def go(page: Page, launcher: Launcher, route: str) -> None:
    page.goto(f"{launcher.app}#{route}")


def heading(page: Page, name: str | re.Pattern[str]) -> Locator:
    h = page.get_by_role("heading", level=1, name=name)
    expect(h).to_be_visible()
    return h


def wait_for_service_worker(page: Page) -> None:
    page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        for (let i = 0; i < 200 && !navigator.serviceWorker.controller; i++) await new Promise(r => setTimeout(r, 50));
    }""")
