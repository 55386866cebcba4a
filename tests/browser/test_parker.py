"""The parker's screens on a phone: reserving (the price first, one booking per attempt however often it is sent),
the bookings list, a booking's countdown, directions, extension and cancellation (each priced before confirming)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import BrowserContext, Page, Request, Route, expect

from .conftest import check_screen
from .flows import SAM, Api, demo_gate, go, heading, parked, plate, sign_in, tab, tomorrow
from .harness import Launcher


def _reservation_posts(page: Page) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def note(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/reservations"):
            seen.append({"key": request.headers.get("idempotency-key"), "body": request.post_data_json})

    page.on("request", note)
    return seen


def _mine_on(api: Api, token: str, space_id: str) -> list[dict[str, Any]]:
    return [r for r in api.ok("GET", "/reservations", token)["reservations"] if r["space_id"] == space_id]


def test_the_price_is_shown_before_confirming_and_a_double_click_books_once(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    space = api.space(SAM, rate_minor=400)
    who, token = api.user()
    sign_in(phone, launcher, who)
    go(phone, launcher, f"/spaces/{space['space_id']}")
    heading(phone, space["title"])
    day = tomorrow().isoformat()
    phone.get_by_label("Arrive").fill(f"{day}T10:00")
    phone.get_by_label("Leave").fill(f"{day}T13:00")
    phone.get_by_label("Number plate").fill("nl-01 ab")
    price = phone.get_by_label("Price before you confirm")
    expect(price).to_contain_text("€12.00 in total")
    expect(price).to_contain_text("10:00 – 13:00, Europe/Amsterdam (CET)")
    expect(phone.get_by_text("Times are in Europe/Amsterdam (CET), the space's time zone.")).to_be_visible()
    check_screen(phone, "20-reserve", full_page=True)
    posts = _reservation_posts(phone)
    phone.get_by_role("button", name="Reserve for €12.00").dblclick()
    expect(phone.get_by_role("status").filter(has_text="Reserved. The gate will recognise the plate NL01AB.")).to_be_visible()
    heading(phone, space["title"])
    assert len(_mine_on(api, token, space["space_id"])) == 1
    assert posts and len({p["key"] for p in posts}) == 1 and posts[0]["key"]
    check_screen(phone, "21-booked")


def test_a_lost_answer_is_sent_again_with_the_same_key_and_books_once(phone_context: BrowserContext, phone: Page,
                                                                       launcher: Launcher) -> None:
    api = Api(launcher)
    space = api.space(SAM)
    who, token = api.user()
    sign_in(phone, launcher, who)
    go(phone, launcher, f"/spaces/{space['space_id']}")
    phone.get_by_label("Number plate").fill("GH-404-K")
    expect(phone.get_by_label("Price before you confirm")).to_be_visible()
    posts = _reservation_posts(phone)
    lost: list[int] = []

    def lose_the_answer(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)  # the API books it; the phone never hears back
            route.abort("connectionreset")
        else:
            route.continue_()

    phone_context.route(f"{launcher.api}/reservations", lose_the_answer)
    phone.get_by_role("button", name=re.compile(r"^Reserve for")).click()
    expect(phone.get_by_role("alert")).to_contain_text("We could not reach CarParker")
    expect(phone.get_by_label("Number plate")).to_have_value("GH-404-K")
    check_screen(phone, "22-reserve-network-failure")
    phone.get_by_role("button", name="Try again").click()
    expect(phone.get_by_role("status").filter(has_text="Reserved.")).to_be_visible()
    assert lost == [201]
    assert len(_mine_on(api, token, space["space_id"])) == 1
    assert len(posts) == 2 and posts[0]["key"] == posts[1]["key"]

    # The next booking offers the plate again.
    other = api.space(SAM)
    go(phone, launcher, f"/spaces/{other['space_id']}")
    expect(phone.get_by_label("Number plate")).to_have_value("GH404K")
    expect(phone.get_by_role("group", name="Plates you used before").get_by_role("button", name="GH404K")).to_have_attribute("aria-pressed", "true")


def test_a_refusal_is_shown_beside_the_field_it_names(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    space = api.space(SAM)
    who, token = api.user()
    day = tomorrow()
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    api.book(api.user()[1], space["space_id"], start, start + timedelta(hours=3), plate())  # 10:00-13:00 in Amsterdam is taken
    sign_in(phone, launcher, who)
    go(phone, launcher, f"/spaces/{space['space_id']}")
    phone.get_by_label("Arrive").fill(f"{day.isoformat()}T11:00")
    phone.get_by_label("Leave").fill(f"{day.isoformat()}T12:00")
    expect(phone.get_by_label("Arrive")).to_have_accessible_description(re.compile("already booked"))
    expect(phone.get_by_role("button", name="Reserve", exact=True)).to_be_disabled()
    phone.get_by_label("Leave").fill(f"{day.isoformat()}T10:30")
    expect(phone.get_by_label("Leave")).to_have_accessible_description("The end must be after the start.")
    assert _mine_on(api, token, space["space_id"]) == []


def test_bookings_are_grouped_and_one_is_extended_then_cancelled_each_priced_first(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    gate = demo_gate(launcher)
    car = parked(api, gate)  # a booking whose car is in: "now"
    token = car["token"]
    space = api.space(SAM, rate_minor=400)
    day = tomorrow()
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)  # 10:00 in Amsterdam (CET)
    upcoming = api.book(token, space["space_id"], start, start + timedelta(hours=2), car["plate"])
    gone = api.book(token, space["space_id"], start + timedelta(hours=5), start + timedelta(hours=6), car["plate"])
    api.ok("POST", f"/reservations/{gone['reservation_id']}/cancel", token)

    sign_in(phone, launcher, car["email"])
    tab(phone, "Bookings")
    heading(phone, "My bookings")
    now = phone.get_by_role("region", name="Now")
    expect(now.get_by_role("link", name=car["space"]["title"])).to_be_visible()
    expect(phone.get_by_role("region", name="Upcoming").get_by_role("listitem")).to_have_count(1)
    expect(phone.get_by_role("region", name="Past").get_by_role("listitem").filter(has_text="Cancelled")).to_have_count(1)
    check_screen(phone, "23-bookings", full_page=True)

    now.get_by_role("link", name=car["space"]["title"]).click()
    expect(phone.get_by_text("Parked", exact=True)).to_be_visible()
    expect(phone.get_by_role("timer")).to_contain_text(re.compile(r"\d+ (h|min).* left"))
    directions = phone.get_by_role("list", name=re.compile("Directions to"))
    expect(directions.get_by_role("link", name="Google Maps")).to_have_attribute("href", re.compile(r"destination=52\.376500,4\.898000"))
    expect(directions.get_by_role("link", name="Open in your maps app")).to_have_attribute("href", re.compile(r"^geo:52\.376500,4\.898000"))
    expect(phone.get_by_role("button", name=re.compile("Cancel the booking"))).to_have_count(0)  # the car is in: nothing to cancel
    check_screen(phone, "24-booking-active", full_page=True)

    go(phone, launcher, f"/bookings/{upcoming['reservation_id']}")
    expect(phone.get_by_role("timer")).to_contain_text("Starts in")
    expect(phone.get_by_text(re.compile(r"10:00 – 12:00, Europe/Amsterdam \(CET\)"))).to_be_visible()
    phone.get_by_label("New end").fill(f"{day.isoformat()}T13:00")
    expect(phone.get_by_label("Price of the extension")).to_contain_text("€4.00 more")
    expect(phone.get_by_label("Price of the extension")).to_contain_text("€12.00 in total")
    check_screen(phone, "25-booking-extend", full_page=True)
    phone.get_by_role("button", name="Extend for €4.00 more").click()
    expect(phone.get_by_role("status").filter(has_text="Extended")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"10:00 – 13:00, Europe/Amsterdam \(CET\)"))).to_be_visible()
    assert api.ok("GET", f"/reservations/{upcoming['reservation_id']}", token)["price_minor"] == 1200

    phone.get_by_role("button", name="Cancel the booking…").click()
    expect(phone.get_by_label("What cancelling costs")).to_have_text("Cancelling now is free: you pay nothing, and the €12.00 is not charged.")
    check_screen(phone, "26-booking-cancel")
    phone.get_by_role("button", name="Yes, cancel the booking").click()
    expect(phone.get_by_role("status").filter(has_text="Cancelled. The time is free again.")).to_be_visible()
    expect(phone.get_by_text("Cancelled", exact=True)).to_be_visible()
    assert api.ok("GET", f"/reservations/{upcoming['reservation_id']}", token)["state"] == "cancelled"
