"""The seed's journey as people make it, on phones, through the UI only, except where a device acts (the gate) and
where the car park's owner accepts the space into the car park (the console's screen, issue 14, is not built yet):

a new sharer signs up, adds a space in the demo car park and uploads the deed; the admin approves it in the admin area;
the sharer offers it; a new parker signs up, saves a card, searches by destination and reserves; the gate lets the car
in; the parker takes the four arrival photos, later the four departure photos; the gate lets the car out; the parker
sees the paid receipt and downloads the evidence zip, which `verify-bundle` accepts; the sharer sees the payout."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from .conftest import check_screen
from .flows import CITY, SAM, Api, demo_gate, heading, local_input, plate, sign_up, tab
from .harness import EXPORT_MS, PHONE, Launcher, Watch, watched_context
from .test_evidence import take, verify_bundle
from .test_sharer import add_space, approve_in_admin_area, upload_deed


def test_the_whole_journey_from_a_new_sharer_to_verified_evidence(browser: Browser, launcher: Launcher, tmp_path: Path) -> None:
    api = Api(launcher)
    gate = demo_gate(launcher)
    watches = [Watch(), Watch()]
    sharer_context = watched_context(browser, watches[0], **PHONE)
    parker_context = watched_context(browser, watches[1], **PHONE)
    try:
        sharer, parker = sharer_context.new_page(), parker_context.new_page()
        title = f"Garage by the Damrak {plate()}"
        _sharer_adds_and_offers(sharer, browser, launcher, api, gate.carpark_id, title)
        car = _parker_reserves(parker, launcher, title)
        _parker_parks_and_leaves(parker, gate, car, tmp_path)
        tab(sharer, "My spaces")
        sharer.get_by_role("link", name="Earnings").click()
        row = sharer.get_by_role("row").filter(has=sharer.get_by_role("link", name=title))
        expect(row.get_by_role("cell").first).to_have_text(re.compile(r"€\d+\.\d\d"))
        check_screen(sharer, "69-journey-sharer-earnings")
    finally:
        sharer_context.close()
        parker_context.close()
    for watch in watches:
        assert watch.external == [] and watch.errors == []


def _sharer_adds_and_offers(page: Page, browser: Browser, launcher: Launcher, api: Api, carpark_id: str, title: str) -> None:
    sign_up(page, launcher, "Noor Sharer", share=True)
    add_space(page, title, carpark=carpark_id)
    page.get_by_role("button", name="Register the space").click()
    heading(page, title)
    expect(page.get_by_label("Car park")).to_contain_text("Waiting for the car park to accept the space")
    upload_deed(page)
    check_screen(page, "60-journey-deed")
    approve_in_admin_area(browser, launcher, title)
    space_id = page.url.split("/my-spaces/")[1].split("?")[0]
    api.ok("POST", f"/carparks/{carpark_id}/space-links/{space_id}/accept", api.token(SAM))  # the car park's owner
    page.reload()
    expect(page.get_by_label("Review status")).to_have_text("Approved")
    expect(page.get_by_label("Car park")).to_contain_text("In the car park")
    for day in ("Saturday", "Sunday"):
        page.get_by_label(day).check()
    page.get_by_label("From (HH:MM)").fill("00:00")
    page.get_by_label("Until (HH:MM)").fill("24:00")
    page.get_by_label("Price per hour (EUR)").fill("3.00")
    page.get_by_role("button", name="Offer this time").click()
    expect(page.get_by_text("Every day 00:00–24:00 · €3.00/h")).to_be_visible()
    check_screen(page, "61-journey-offered", full_page=True)


def _parker_reserves(page: Page, launcher: Launcher, title: str) -> str:
    sign_up(page, launcher, "Pim Parker")
    tab(page, "Account")
    page.get_by_role("link", name="Payment method").click()
    fields = page.frame_locator("iframe[title='Card details (payment provider)']")
    fields.get_by_label("Card number").fill("4242 4242 4242 4242")
    fields.get_by_label("Expiry (MM/YY)").fill("12/30")
    fields.get_by_label("Security code").fill("737")
    fields.get_by_role("button", name="Save card").click()
    expect(page.get_by_label("Saved card")).to_have_text("Visa ending 4242 is saved.")

    tab(page, "Search")
    start = (datetime.now(CITY) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.get_by_label("Destination").fill("Dam Square")
    page.get_by_label("From").fill(local_input(start))
    page.get_by_label("Until").fill(local_input(start + timedelta(hours=2)))
    page.get_by_role("button", name="Search", exact=True).click()
    found = page.get_by_role("article").filter(has=page.get_by_role("link", name=title))
    expect(found).to_contain_text("€6.00")
    check_screen(page, "62-journey-search")
    found.get_by_role("link", name=title).click()
    heading(page, title)
    car = plate()
    page.get_by_label("Number plate").fill(car)
    expect(page.get_by_label("Price before you confirm")).to_contain_text("€6.00 in total")
    page.get_by_role("button", name="Reserve for €6.00").click()
    expect(page.get_by_role("status").filter(has_text=f"Reserved. The gate will recognise the plate {car}.")).to_be_visible()
    check_screen(page, "63-journey-reserved", full_page=True)
    return car


def _parker_parks_and_leaves(page: Page, gate: object, car: str, tmp_path: Path) -> None:
    from .flows import Gate

    assert isinstance(gate, Gate)
    assert gate.read("entry", car)["decision"] == "open"  # the gate's camera reads the plate
    page.reload()
    expect(page.get_by_text("Parked", exact=True)).to_be_visible()
    page.get_by_role("link", name="Take the arrival photos").click()
    take(page, "arrival")
    page.get_by_role("button", name="Upload the 4 photos").click()
    expect(page.get_by_role("status").filter(has_text="4 photos are recorded on the ledger")).to_be_visible()
    check_screen(page, "64-journey-arrival-photos")
    page.get_by_role("link", name="Back to the booking").click()
    page.get_by_role("link", name="Take the departure photos").click()
    take(page, "departure")
    page.get_by_role("button", name="Upload the 4 photos").click()
    expect(page.get_by_role("status").filter(has_text="4 photos are recorded on the ledger")).to_be_visible()
    page.get_by_role("link", name="Back to the booking").click()

    assert gate.read("exit", car)["decision"] == "open"
    receipt = page.get_by_role("region", name="Receipt")
    expect(receipt).to_contain_text("Paid")
    expect(page.get_by_text("Completed", exact=True)).to_be_visible()
    expect(receipt.get_by_role("row", name=re.compile(r"Total €\d+\.\d\d"))).to_be_visible()
    check_screen(page, "65-journey-receipt", full_page=True)
    with page.expect_download(timeout=EXPORT_MS) as got:
        page.get_by_role("button", name="Download the evidence (zip)").click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(path)
    checked = verify_bundle(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
