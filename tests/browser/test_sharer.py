"""The sharer's screens and the admin's review on a phone: a new space placed on the map, its deed uploaded with
progress, the admin opening the deed and approving (or rejecting with a reason), weekly and one-off windows with the
week view showing what is booked, bookings on my spaces, and the earnings with the platform fee."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import requests
from playwright.sync_api import Browser, Page, expect

from .conftest import check_screen
from .flows import ADMIN, CITY, DEED, SAM, Api, demo_gate, go, heading, parked, plate, sign_in, sign_up, tab
from .harness import PHONE, Launcher, Watch, watched_context

PROGRESS = """() => {
    window.__progress = [];
    new MutationObserver(() => document.querySelectorAll('progress').forEach(p => window.__progress.push(Number(p.value))))
        .observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['value']});
}"""


def add_space(page: Page, title: str, *, carpark: str | None = None) -> None:
    """Through the sharer's form: the position is a tap on the map."""
    tab(page, "My spaces")
    heading(page, "My spaces")
    page.get_by_role("link", name="Add a space").click()
    heading(page, "Add a space")
    page.get_by_label("Name of the space").fill(title)
    page.get_by_label("Address").fill("Damrak 1, Amsterdam")
    the_map = page.get_by_role("region", name="Map: tap where the space is")
    expect(the_map.get_by_text("Dam Square")).to_be_visible()
    box = the_map.bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the map opens on the city's centre
    expect(page.get_by_label("Latitude")).to_have_value(re.compile(r"^52\.37\d*"))
    expect(page.get_by_label("Longitude")).to_have_value(re.compile(r"^4\.89\d*"))
    page.get_by_label("Lot or bay number (optional)").fill("A2" if carpark else "7")
    if carpark:
        page.get_by_label("Car park code (optional)").fill(carpark)
    page.get_by_label("Covered").check()
    page.get_by_label("Headroom in cm (optional)").fill("210")


def upload_deed(page: Page) -> list[float]:
    page.evaluate(PROGRESS)
    page.get_by_label("Choose the ownership document").set_input_files({"name": "deed.pdf", "mimeType": "application/pdf", "buffer": DEED})
    expect(page.get_by_role("status").filter(has_text="Document uploaded (4 KB). It is waiting for review.")).to_be_visible()
    return list(page.evaluate("() => window.__progress"))


def approve_in_admin_area(browser: Browser, launcher: Launcher, title: str, *, shot: str | None = None) -> None:
    watch = Watch()
    context = watched_context(browser, watch, **PHONE)
    try:
        page = context.new_page()
        sign_in(page, launcher, ADMIN)
        tab(page, "Review")
        heading(page, "Spaces to review")
        page.get_by_role("link", name=title).click()
        heading(page, f"Review: {title}")
        page.get_by_role("button", name="Get a link to the document").click()
        link = page.get_by_role("link", name="Open the ownership document")
        got = requests.get(link.get_attribute("href") or "", timeout=30)
        assert got.status_code == 200 and got.content == DEED
        if shot:
            check_screen(page, shot, full_page=True)
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("status").filter(has_text="Approved: the sharer can now offer it.")).to_be_visible()
    finally:
        context.close()
    assert watch.external == [] and watch.errors == []


def test_a_new_sharer_adds_a_space_the_admin_approves_it_and_the_sharer_offers_it(phone: Page, browser: Browser,
                                                                                   launcher: Launcher) -> None:
    api = Api(launcher)
    who = sign_up(phone, launcher, "Sofia Sharer", share=True)
    title = f"Sofia's driveway {plate()}"
    add_space(phone, title)
    check_screen(phone, "50-new-space", full_page=True)
    phone.get_by_role("button", name="Register the space").click()
    heading(phone, title)
    expect(phone.get_by_label("Review status")).to_have_text("Waiting for review")
    progress = upload_deed(phone)
    assert progress and progress[-1] == 100, progress
    check_screen(phone, "51-space-document", full_page=True)

    approve_in_admin_area(browser, launcher, title, shot="52-admin-space-review")
    phone.reload()
    expect(phone.get_by_label("Review status")).to_have_text("Approved")

    offered = phone.get_by_role("region", name="When it is offered")
    expect(offered.get_by_text("Not offered yet")).to_be_visible()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        expect(phone.get_by_label(day)).to_be_checked()
    phone.get_by_label("Price per hour (EUR)").fill("two fifty")
    phone.get_by_role("button", name="Offer this time").click()
    expect(phone.get_by_label("Price per hour (EUR)")).to_have_accessible_description("Enter the price per hour, e.g. 3.50.")
    phone.get_by_label("Price per hour (EUR)").fill("2.50")
    phone.get_by_label("Most a day may cost (EUR, optional)").fill("15")
    phone.get_by_role("button", name="Offer this time").click()
    weekly = "Mon–Fri 08:00–18:00 · €2.50/h, at most €15.00 a day"
    expect(offered.get_by_text(weekly)).to_be_visible()

    # A one-off window on Saturday next week, and a booking on Monday next week that the week view shows.
    today = datetime.now(CITY).date()
    monday = today + timedelta(days=7 - today.weekday())
    saturday = monday + timedelta(days=5)
    phone.get_by_role("button", name="Offer more time").click()
    phone.get_by_label("Once").check()
    phone.get_by_label("Starts").fill(f"{saturday.isoformat()}T10:00")
    phone.get_by_label("Ends").fill(f"{saturday.isoformat()}T14:00")
    phone.get_by_label("Price per hour (EUR)").fill("3")
    phone.get_by_role("button", name="Offer this time").click()
    expect(offered.get_by_text(re.compile(r"10:00 – 14:00, Europe/Amsterdam \(CE[S]?T\) · €3\.00/h"))).to_be_visible()

    space = next(s for s in api.ok("GET", "/spaces", api.token(who))["spaces"] if s["title"] == title)
    _, parker = api.user()
    start = datetime(monday.year, monday.month, monday.day, 10, tzinfo=CITY)
    api.book(parker, space["space_id"], start, start + timedelta(hours=2), plate())
    phone.reload()
    phone.get_by_role("button", name="Next week").click()
    week = phone.get_by_role("table", name=re.compile("Offered and booked time"))
    expect(week.get_by_role("row", name=re.compile(r"^Mon .*Offered 08:00–18:00; booked 10:00–12:00"))).to_be_visible()
    expect(week.get_by_role("row", name=re.compile(r"^Sat .*Offered 10:00–14:00$"))).to_be_visible()
    expect(week.get_by_role("row", name=re.compile(r"^Sun .*Not offered"))).to_be_visible()
    check_screen(phone, "53-space-windows", full_page=True)

    phone.get_by_role("button", name=f"Change: {weekly}").click()
    phone.get_by_label("Price per hour (EUR)").fill("3.00")
    phone.get_by_role("button", name="Save the window").click()
    expect(offered.get_by_text("Mon–Fri 08:00–18:00 · €3.00/h, at most €15.00 a day")).to_be_visible()
    # Withdrawing the weekly window would strand the booking: the API says so, on the screen.
    phone.get_by_role("button", name="Withdraw: Mon–Fri 08:00–18:00 · €3.00/h, at most €15.00 a day").click()
    expect(offered.get_by_role("alert")).to_contain_text(re.compile("book", re.I))

    expect(phone.get_by_role("region", name="Bookings").get_by_role("listitem")).to_have_count(1)
    tab(phone, "My spaces")
    phone.get_by_role("link", name="Bookings on my spaces").click()
    heading(phone, "Bookings on my spaces")
    expect(phone.get_by_role("region", name="Upcoming").get_by_role("link", name=title)).to_be_visible()
    check_screen(phone, "54-sharer-bookings")


def test_the_admin_rejects_a_space_with_a_reason_the_sharer_reads(phone: Page, browser: Browser, launcher: Launcher) -> None:
    api = Api(launcher)
    who, token = api.user(roles=("sharer",))
    space = api.ok("POST", "/spaces", token, {"title": f"Doubtful spot {plate()}", "address": "Dam 9, Amsterdam", "lat": 52.373, "lng": 4.893})
    api.document(token, space["space_id"])
    sign_in(phone, launcher, ADMIN)
    tab(phone, "Review")
    phone.get_by_role("link", name=space["title"]).click()
    phone.get_by_role("button", name="Reject…").click()
    phone.get_by_role("button", name="Reject with this reason").click()
    expect(phone.get_by_label("Reason for rejecting")).to_have_accessible_description("Say why, so they can put it right.")
    phone.get_by_label("Reason for rejecting").fill("The deed names another street.")
    phone.get_by_role("button", name="Reject with this reason").click()
    expect(phone.get_by_role("status").filter(has_text="Rejected: The deed names another street.")).to_be_visible()
    assert api.ok("GET", f"/spaces/{space['space_id']}", token)["reject_reason"] == "The deed names another street."

    tab(phone, "Account")
    phone.get_by_role("button", name="Sign out").click()
    sign_in(phone, launcher, who)
    go(phone, launcher, "/my-spaces")
    expect(phone.get_by_role("listitem").filter(has_text=space["title"])).to_contain_text("Rejected (The deed names another street.)")


def test_earnings_show_what_parkers_paid_the_platform_fee_and_the_payout(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    gate = demo_gate(launcher)
    car = parked(api, gate)  # on a new space of Sam's in the demo car park
    api.ok("PUT", "/me/payment-method", car["token"], {"token": "tok_visa"})
    assert gate.read("exit", car["plate"])["decision"] == "open"
    for _ in range(60):
        if api.ok("GET", f"/reservations/{car['order']}", car["token"])["state"] == "completed":
            break
        phone.wait_for_timeout(500)  # the local provider settles a moment after the charge (a real process, polled)
    paid = api.ok("GET", f"/reservations/{car['order']}", car["token"])
    assert paid["state"] == "completed", paid
    sign_in(phone, launcher, SAM)
    tab(phone, "My spaces")
    phone.get_by_role("link", name="Earnings").click()
    heading(phone, "Earnings")
    totals = phone.get_by_role("definition")
    expect(phone.get_by_text("Platform fee (15%)")).to_be_visible()
    row = phone.get_by_role("row").filter(has=phone.get_by_role("link", name=car["space"]["title"]))
    due = paid["amount_due_minor"]
    fee = (due * 1500 + 5000) // 10000
    cells = [f"€{due / 100:.2f}", f"€{fee / 100:.2f}", f"€{(due - fee) / 100:.2f}"]
    expect(row.get_by_role("cell")).to_have_text(cells)
    expect(totals.first).to_be_visible()
    check_screen(phone, "55-earnings", full_page=True)
