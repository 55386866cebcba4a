"""The car-park console in the browser (issue 14's acceptance): a shift. The owner signs in and invites a staff member
who accepts; the gate drives a reserved car, a member's car and an unknown plate while the live view shows each on its
next poll (the poll runs on Playwright's clock: the test moves it on, it never waits for it); staff let the unknown car
out by override with a reason; the day's transactions show the paid stay with a proof verify-bundle accepts; the
history report draws its charts and its CSV has the same totals; a device is registered, heard, rotated (its old
secret refused) and one never heard is shown quiet. Every screen is screenshotted and checked with axe."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from playwright.sync_api import Browser, Page, expect

from chalicelib.domain.signing import gate_request

from .conftest import check_screen
from .flows import Api, Gate, heading, plate
from .harness import DESKTOP, PASSWORD, Launcher, Watch, watched_context
from .test_evidence import verify_bundle

POLL_MS = 3000  # the live view's feed poll (web/src/console/LiveScreen.tsx FEED_POLL_MS)


def console_page(browser: Browser, watch: Watch, launcher: Launcher, who: str) -> Page:
    page = watched_context(browser, watch, **DESKTOP).new_page()
    page.clock.install()
    page.goto(launcher.console)
    page.get_by_label("Email").fill(who)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    heading(page, "Your car parks")
    return page


def screen(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Car park").get_by_role("link", name=name, exact=True).click()


def next_poll(page: Page) -> None:
    page.clock.run_for(POLL_MS)


def beat(launcher: Launcher, device_id: str, secret: str) -> int:
    raw, headers = gate_request(device_id, secret.encode(), {"firmware": "cam-1"}, int(time.time()))
    return requests.post(f"{launcher.api}/gate/heartbeat", data=raw, headers=headers, timeout=30).status_code


def completed(api: Api, token: str, reservation_id: str) -> dict[str, object]:
    """The local payment provider settles a charge on its own a few seconds after billing: wait for it, generously."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        r = api.ok("GET", f"/reservations/{reservation_id}", token)
        if r["state"] == "completed":
            return dict(r)
        time.sleep(0.5)
    raise AssertionError(f"reservation {reservation_id} not completed: {r['state']}")


def test_a_shift_at_the_console(browser: Browser, launcher: Launcher, tmp_path: Path) -> None:  # noqa: PLR0915 - one journey
    api = Api(launcher)
    owner_email, owner_token = api.user(("parker", "sharer"), "Olive Owner")
    staff_email, _ = api.user(("parker",), "Stan Staff")
    cp = api.ok("POST", "/carparks", owner_token, {"name": "Harbour Garage", "kind": "public", "address": "Dam 5, Amsterdam",
                                                   "lots": ["A1", "A2"]})
    cid = cp["carpark_id"]
    device = api.ok("POST", f"/carparks/{cid}/devices", owner_token, {"name": "north gate"})
    gate = Gate(launcher, cid, device["device_id"], device["secret"])
    space = api.space(owner_email, carpark_id=cid)
    watch_owner, watch_staff = Watch(), Watch()

    # the owner signs in and invites a staff member, who accepts
    owner = console_page(browser, watch_owner, launcher, owner_email)
    check_screen(owner, "console-home")
    owner.get_by_role("link", name="Harbour Garage").click()
    heading(owner, "Live view")
    screen(owner, "Staff")
    heading(owner, "Staff")
    owner.get_by_label("Email").fill(staff_email)
    owner.get_by_role("button", name="Invite").click()
    expect(owner.get_by_role("cell", name="invited")).to_be_visible()
    staff = console_page(browser, watch_staff, launcher, staff_email)
    staff.get_by_role("button", name="Accept Harbour Garage").click()
    staff.get_by_role("link", name="Harbour Garage").click()
    heading(staff, "Live view")
    check_screen(owner, "console-staff")
    expect(staff.get_by_role("navigation", name="Car park").get_by_role("link", name="Staff")).to_have_count(0)  # staff manage no staff

    # a reserved car, a member's car and an unknown plate at the gate: each on the next poll
    _, parker_token = api.user(("parker",), "Pia Parker")
    api.ok("PUT", "/me/payment-method", parker_token, {"token": "tok_visa"})
    start = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    car, member, stranger = plate(), plate(), plate()
    order = api.book(parker_token, space["space_id"], start, start + timedelta(hours=2), car)
    assert gate.read("entry", car)["decision"] == "open"
    feed = staff.get_by_role("list", name="Movements, newest first")
    next_poll(staff)
    expect(feed.get_by_role("listitem").filter(has_text=car)).to_contain_text("Opened")
    api.ok("POST", f"/carparks/{cid}/members", owner_token, {"plate": member, "holder": "Mo Member", "plan": "monthly"})
    assert gate.read("entry", member)["reason"] == "member"
    next_poll(staff)
    expect(feed.get_by_role("listitem").filter(has_text=member)).to_contain_text("member")
    assert gate.read("entry", stranger)["reason"] == "unknown_plate"
    next_poll(staff)
    expect(feed.get_by_role("listitem").filter(has_text=stranger)).to_contain_text("Refused")
    expect(staff.get_by_test_id("occupied")).to_contain_text("2 of")
    check_screen(staff, "console-live", full_page=True)

    # staff let the unknown car out by override, with a reason; the gate gets the command
    staff.get_by_label("Plate").fill(stranger)
    staff.get_by_label("Reason").fill("x")
    staff.get_by_role("button", name="Send to the gate").click()
    expect(staff.locator(".field--invalid")).to_contain_text("Reason")  # the refusal sits under its field; the plate is kept
    expect(staff.get_by_label("Plate")).to_have_value(stranger)
    staff.get_by_label("Reason").fill("no ticket, camera could not read the plate at entry")
    staff.get_by_role("button", name="Send to the gate").click()
    expect(staff.get_by_role("status").filter(has_text="Billed: nothing")).to_be_visible()
    next_poll(staff)
    expect(feed.get_by_role("listitem").filter(has_text="Staff: let out")).to_contain_text(stranger)
    raw, headers = gate_request(gate.device_id, gate.secret.encode(), {"firmware": "cam-1"}, int(time.time()))
    commands = requests.post(f"{launcher.api}/gate/heartbeat", data=raw, headers=headers, timeout=30).json()["commands"]
    assert [c["action"] for c in commands] == ["open"] and "no ticket" in commands[0]["reason"]

    # the reserved car leaves and pays: the day's transactions show it with its proof
    assert gate.read("exit", car)["decision"] == "open"
    paid = completed(api, parker_token, order["reservation_id"])
    screen(staff, "Transactions")
    heading(staff, "Transactions")
    row = staff.get_by_role("row").filter(has_text=car)
    expect(row).to_contain_text("Paid stay")
    with staff.expect_download() as got:
        row.get_by_role("button", name=re.compile("Ledger proof")).click()
    proof = tmp_path / "proof.json"
    got.value.save_as(proof)
    checked = verify_bundle(proof)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    check_screen(staff, "console-transactions", full_page=True)

    # the history report draws its charts; its CSV has the same totals
    screen(staff, "Report")
    heading(staff, "History report")
    expect(staff.locator(".chart canvas")).to_have_count(2)
    revenue = staff.get_by_test_id("report-revenue")
    expect(revenue).to_contain_text(re.compile(r"\d"))
    with staff.expect_download() as got:
        staff.get_by_role("button", name="CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_text())))
    assert sum(int(r["revenue_minor"]) for r in rows) == paid["amount_due_minor"]
    assert sum(int(r["paid_stays"]) for r in rows) == 1
    check_screen(staff, "console-report", full_page=True)
    staff.emulate_media(media="print")
    expect(staff.get_by_role("navigation", name="Car park")).to_be_hidden()
    screenshot_print = tmp_path / "print.png"
    staff.screenshot(path=str(screenshot_print), full_page=True)
    staff.emulate_media(media="screen")

    # the other screens, as staff and as the owner
    for name, title in (("Members", "Members"), ("Lists", "Allow and block lists"), ("Alerts", "Alerts"), ("Tariff", "Tariff and opening")):
        screen(staff, name)
        heading(staff, title)
        check_screen(staff, f"console-{name.lower()}", full_page=True)
    screen(staff, "Alerts")
    expect(staff.get_by_role("row").filter(has_text=stranger).first).to_be_visible()

    # devices: one registered (its secret shown once) and never heard is quiet; heard, it is OK; rotated, the old secret fails
    screen(owner, "Devices")
    heading(owner, "Gate devices")
    owner.get_by_label("Name").fill("south gate")
    owner.get_by_role("button", name="Register").click()
    shown = owner.get_by_test_id("device-secret")
    expect(shown).to_contain_text("south gate")
    secret = shown.locator("code").inner_text()
    device_id = re.search(r"Device id (\S+)", shown.inner_text())
    assert device_id
    south = owner.get_by_role("row").filter(has_text="south gate")
    expect(south).to_contain_text("Quiet")
    assert beat(launcher, device_id.group(1), secret) == 200
    owner.reload()
    expect(owner.get_by_role("row").filter(has_text="south gate")).to_contain_text("OK")
    owner.get_by_role("button", name="Rotate secret of south gate").click()
    expect(owner.get_by_test_id("device-secret")).not_to_contain_text(secret)
    assert beat(launcher, device_id.group(1), secret) == 401
    check_screen(owner, "console-devices", full_page=True)
    screen(owner, "Audit")
    heading(owner, "Audit trail")
    expect(owner.get_by_role("cell", name="device.rotated")).to_be_visible()
    expect(owner.get_by_role("cell", name="override.let_out")).to_be_visible()
    check_screen(owner, "console-audit", full_page=True)
    assert watch_owner.external == [] and watch_staff.external == []
    assert watch_owner.errors == [] and watch_staff.errors == [], (watch_owner.errors, watch_staff.errors)
