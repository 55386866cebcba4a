"""The parker/sharer app and the console, driven as people use them: by role and accessible name, on a phone
(390x844, touch) unless a screen is desktop-first. Each context fails its test if a request leaves the machine."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from .conftest import check_screen
from .harness import PASSWORD, PHONE, Launcher, Watch, sign_in, watched_context

CITY = ZoneInfo("Europe/Amsterdam")
PAT, SAM, ADMIN = "pat.parker@carparker.test", "sam.sharer@carparker.test", "admin@carparker.test"
POSITION = {"geolocation": {"latitude": 52.3731, "longitude": 4.8926}, "permissions": ["geolocation"]}


def tomorrow() -> date:
    return datetime.now(CITY).date() + timedelta(days=1)


def fill_window(page: Page, day: date, start: str = "10:00", end: str = "13:00") -> None:
    page.get_by_label("From").fill(f"{day.isoformat()}T{start}")
    page.get_by_label("Until").fill(f"{day.isoformat()}T{end}")


def search_for(page: Page, destination: str, day: date) -> None:
    page.get_by_label("Destination").fill(destination)
    fill_window(page, day)
    page.get_by_role("button", name="Search", exact=True).click()


def results(page: Page) -> Locator:
    page.get_by_role("heading", name=re.compile(r"free spaces? near")).wait_for()
    return page.get_by_role("article")


def money(text: str) -> float:
    found = re.search(r"€(\d+(?:,\d{3})*\.\d\d)", text)
    assert found, text
    return float(found.group(1).replace(",", ""))


def cards(page: Page) -> list[dict[str, Any]]:
    out = []
    for card in results(page).all():
        out.append({"title": card.get_by_role("heading").inner_text(), "text": card.inner_text(),
                    "total": money(card.locator("strong").inner_text())})
    return out


def api_token(launcher: Launcher, email: str) -> str:
    r = requests.post(f"{launcher.api}/auth/signin", json={"email": email, "password": PASSWORD}, timeout=10)
    return str(r.json()["id_token"])


# ---------------------------------------------------------------- accounts


def test_a_new_parker_signs_up_and_lands_on_search(phone: Page, launcher: Launcher) -> None:
    phone.goto(launcher.app)
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    check_screen(phone, "01-sign-in")
    phone.get_by_role("link", name="Create an account").click()
    expect(phone.get_by_role("heading", name="Create an account")).to_be_visible()
    phone.get_by_label("Your name").fill("Nina Newcomer")
    phone.get_by_label("Email").fill(f"nina.{uuid.uuid4().hex[:8]}@example.com")
    phone.get_by_label("Password").fill("Nina-password-1")
    phone.get_by_label("Share my parking space").check()
    check_screen(phone, "02-sign-up")
    phone.get_by_role("button", name="Create account").click()
    expect(phone.get_by_role("heading", name="Find a parking space")).to_be_visible()
    expect(phone.get_by_role("link", name="My spaces")).to_be_visible()  # she chose to share too
    check_screen(phone, "03-search-form")


def test_refusals_are_shown_next_to_the_field_they_name(phone: Page, launcher: Launcher) -> None:
    phone.goto(launcher.app)
    phone.get_by_label("Email").fill(PAT)
    phone.get_by_label("Password").fill("Not-the-password-1")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_label("Password")).to_have_accessible_description(re.compile("wrong email or password", re.I))
    expect(phone.get_by_label("Email")).to_have_value(PAT)
    check_screen(phone, "04-sign-in-refused")

    phone.get_by_role("link", name="Create an account").click()
    phone.get_by_label("Your name").fill("Pat Again")
    phone.get_by_label("Email").fill(PAT)
    phone.get_by_label("Password").fill("short")
    phone.get_by_role("button", name="Create account").click()
    expect(phone.get_by_label("Password")).to_have_accessible_description(re.compile("at least 10 characters"))
    phone.get_by_label("Password").fill("Long-enough-password-1")
    phone.get_by_role("button", name="Create account").click()
    expect(phone.get_by_label("Email")).to_have_accessible_description(re.compile("already exists"))
    expect(phone.get_by_label("Your name")).to_have_value("Pat Again")


def test_search_refusals_name_the_destination_and_the_window(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    search_for(phone, "Atlantis", tomorrow())
    expect(phone.get_by_label("Destination")).to_have_accessible_description(re.compile("no place called 'Atlantis'", re.I))
    check_screen(phone, "05-search-unknown-place")
    yesterday = tomorrow() - timedelta(days=2)
    phone.get_by_label("Destination").fill("Dam Square")
    fill_window(phone, yesterday)
    phone.get_by_role("button", name="Search", exact=True).click()
    expect(phone.get_by_label("Until")).to_have_accessible_description(re.compile("must not be in the past"))
    fill_window(phone, tomorrow(), "13:00", "10:00")  # caught before asking the server
    phone.get_by_role("button", name="Search", exact=True).click()
    expect(phone.get_by_label("Until")).to_have_accessible_description("The end must be after the start.")


def test_sign_out_ends_the_session_and_a_reload_keeps_it_until_then(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    phone.reload()
    expect(phone.get_by_role("heading", name="Find a parking space")).to_be_visible()
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    assert phone.evaluate("() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage)") == "{}{}"
    phone.reload()
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()


# ---------------------------------------------------------------- search


def test_search_by_destination_shows_a_map_and_a_list_with_the_window_total(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    search_for(phone, "Anne Frank House", tomorrow())
    found = cards(phone)
    assert len(found) >= 5
    expect(phone.get_by_role("region", name="Map of the free spaces")).to_be_visible()
    expect(phone.get_by_role("button", name=re.compile(r"in total$")).first).to_be_visible()  # the map's pins
    # The window in the city's zone, named, although the browser is in New York.
    expect(phone.get_by_text(re.compile(r"10:00 – 13:00, Europe/Amsterdam \(CET\)"))).to_be_visible()
    check_screen(phone, "06-search-results")
    check_screen(phone, "06-search-results-full", full_page=True)

    start = datetime.combine(tomorrow(), datetime.min.time().replace(hour=10), CITY)
    answer = requests.get(f"{launcher.api}/search", timeout=10, headers={"Authorization": f"Bearer {api_token(launcher, PAT)}"},
                          params={"q": "Anne Frank House", "start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}).json()
    assert [(c["title"], c["total"]) for c in found] == [(h["title"], h["total_price_minor"] / 100) for h in answer["results"]]


def test_filters_and_sorting_narrow_and_order_the_results(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    search_for(phone, "Leidseplein", tomorrow())
    everything = len(cards(phone))
    phone.get_by_text("Filters").click()
    phone.get_by_label("Covered").check()
    phone.get_by_label("EV charger").check()
    check_screen(phone, "07-search-filters")
    phone.get_by_role("button", name="Search", exact=True).click()
    expect(phone.get_by_role("heading", name=re.compile(r"free spaces? near Leidseplein"))).to_be_visible()
    phone.wait_for_load_state("networkidle")
    narrowed = cards(phone)
    assert 0 < len(narrowed) < everything
    assert all("Covered" in c["text"] and "EV charger" in c["text"] for c in narrowed)

    phone.get_by_label("Covered").uncheck()
    phone.get_by_label("EV charger").uncheck()
    phone.get_by_label("My vehicle's height (cm)").fill("200")
    phone.get_by_label("Sort by").select_option(label="Cheapest first")
    phone.wait_for_load_state("networkidle")
    expect(phone).to_have_url(re.compile(r"sort=price"))
    ordered = cards(phone)
    assert [c["total"] for c in ordered] == sorted(c["total"] for c in ordered)
    for c in ordered:
        headroom = re.search(r"Headroom (\d+) cm", c["text"])
        assert headroom is None or int(headroom.group(1)) >= 200


@pytest.mark.parametrize("phone_context", [POSITION], indirect=True)
def test_search_by_current_position(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    fill_window(phone, tomorrow())
    phone.get_by_role("button", name="Use my current position").click()
    expect(phone.get_by_role("heading", name=re.compile(r"free spaces? near your position"))).to_be_visible()
    expect(phone.get_by_text("Near your position (52.3731, 4.8926)")).to_be_visible()
    check_screen(phone, "08-search-by-position")


def test_without_location_permission_the_app_says_so_and_offers_the_destination(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    phone.get_by_role("button", name="Use my current position").click()
    expect(phone.get_by_role("alert")).to_contain_text("Location is not allowed for CarParker. Type a destination instead")
    expect(phone.get_by_label("Destination")).to_be_focused()


def test_a_network_failure_offers_a_retry_and_keeps_what_was_typed(phone_context: BrowserContext, phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    phone_context.route(f"{launcher.api}/search**", lambda route: route.abort("internetdisconnected"))
    phone.get_by_text("Filters").click()
    phone.get_by_label("Accessible").check()
    search_for(phone, "Rijksmuseum", tomorrow())
    expect(phone.get_by_role("alert")).to_contain_text("We could not reach CarParker")
    check_screen(phone, "09-search-network-failure")
    expect(phone.get_by_label("Destination")).to_have_value("Rijksmuseum")
    expect(phone.get_by_label("Accessible")).to_be_checked()
    phone_context.unroute(f"{launcher.api}/search**")
    phone.get_by_role("button", name="Try again").click()
    assert all("Accessible" in c["text"] for c in cards(phone))


def test_a_space_opens_with_its_total_and_times_in_its_zone(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    search_for(phone, "Rembrandtplein", tomorrow())
    first = cards(phone)[0]
    phone.get_by_role("link", name=first["title"]).first.click()
    expect(phone.get_by_role("heading", level=1, name=first["title"])).to_be_visible()
    quote = phone.get_by_label("Price before you confirm")
    expect(quote).to_contain_text(f"€{first['total']:.2f} in total")
    expect(quote).to_contain_text("10:00 – 13:00, Europe/Amsterdam (CET)")
    expect(phone.get_by_text(re.compile(r"Times in Europe/Amsterdam"))).to_be_visible()
    expect(phone.get_by_role("heading", name="When it is offered")).to_be_visible()
    check_screen(phone, "10-space-detail")
    phone.get_by_role("link", name="Back to results").click()
    expect(phone.get_by_label("Destination")).to_have_value("Rembrandtplein")
    results(phone).first.wait_for()


# ---------------------------------------------------------------- sharer, admin, console


def test_a_sharer_sees_their_spaces_and_an_admin_the_review_queue(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, SAM)
    expect(phone.get_by_role("link", name="Review")).to_have_count(0)
    phone.get_by_role("link", name="My spaces").click()
    expect(phone.get_by_role("heading", name="My spaces")).to_be_visible()
    expect(phone.get_by_text("Status: Approved").first).to_be_visible()
    expect(phone.get_by_text("Status: Waiting for review")).to_have_count(1)
    check_screen(phone, "11-my-spaces")
    phone.get_by_role("link", name="Account").click()
    phone.get_by_role("button", name="Sign out").click()

    sign_in(phone, launcher, ADMIN)
    phone.get_by_role("link", name="Review").click()
    expect(phone.get_by_role("heading", name="Spaces to review")).to_be_visible()
    expect(phone.get_by_role("listitem").filter(has_text="document: uploaded").first).to_be_visible()
    check_screen(phone, "12-admin-review")


def test_the_console_signs_staff_in_to_its_shell(desktop: Page, launcher: Launcher) -> None:
    desktop.goto(launcher.console)
    expect(desktop.get_by_role("heading", name="Sign in to the console")).to_be_visible()
    expect(desktop.get_by_role("link", name="Create an account")).to_have_count(0)
    check_screen(desktop, "13-console-sign-in")
    desktop.get_by_label("Email").fill(SAM)
    desktop.get_by_label("Password").fill(PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    expect(desktop.get_by_role("heading", name="Your car parks")).to_be_visible()
    expect(desktop.get_by_text("Sam Sharer (sam.sharer@carparker.test)")).to_be_visible()
    expect(desktop.get_by_role("link", name="Central Garage")).to_be_visible()  # the demo car park Sam owns
    check_screen(desktop, "14-console-shell")
    desktop.get_by_role("button", name="Sign out").click()
    expect(desktop.get_by_role("heading", name="Sign in to the console")).to_be_visible()


# ---------------------------------------------------------------- the PWA


def test_the_app_is_installable(phone: Page, launcher: Launcher) -> None:
    phone.goto(launcher.app)
    manifest = phone.evaluate("""async () => {
        const link = document.querySelector('link[rel=manifest]');
        const m = await (await fetch(link.href)).json();
        const sizes = [];
        for (const icon of m.icons) { const r = await fetch(icon.src); sizes.push([icon.src, r.status, r.headers.get('content-type')]); }
        return {m, sizes};
    }""")
    assert manifest["m"]["display"] == "standalone" and manifest["m"]["start_url"] == "/"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["m"]["icons"]}
    assert all(status == 200 and kind.startswith("image/") for _, status, kind in manifest["sizes"])


def test_the_app_opens_offline_says_so_and_never_caches_api_answers(phone_context: BrowserContext, phone: Page,
                                                                     launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    search_for(phone, "Dam Square", tomorrow())
    results(phone).first.wait_for()
    phone.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        for (let i = 0; i < 200 && !navigator.serviceWorker.controller; i++) await new Promise(r => setTimeout(r, 50));
    }""")
    phone_context.set_offline(True)
    phone.reload()
    expect(phone.get_by_role("status").filter(has_text="You are offline")).to_be_visible()
    expect(phone.get_by_role("heading", name="Find a parking space")).to_be_visible()
    expect(phone.get_by_label("Destination")).to_have_value("Dam Square")  # the search lives in the URL
    check_screen(phone, "15-offline")
    phone.get_by_role("button", name="Search", exact=True).click()
    expect(phone.get_by_role("alert")).to_contain_text("We could not reach CarParker")
    cached: list[str] = phone.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(r.url);
        return urls;
    }""")
    phone_context.set_offline(False)
    assert cached and all(u.startswith(launcher.app) for u in cached)
    assert not [u for u in cached if launcher.api in u or "/search" in u or "/me" in u]
    assert {launcher.app, f"{launcher.app}config.json"} <= set(cached)


def test_the_guard_catches_a_request_that_would_leave_the_machine(browser: Browser, launcher: Launcher) -> None:
    """The no-external-requests check every context makes is not vacuous: a request to another host is refused and counted."""
    watch = Watch()
    context = watched_context(browser, watch, **PHONE)
    try:
        page = context.new_page()
        page.goto(launcher.app)
        # The app's own CSP already stops a fetch to another host; a navigation is what reaches the guard.
        assert page.evaluate("() => fetch('https://tiles.example.org/1/1/1.png').then(() => 'sent', () => 'refused')") == "refused"
        with pytest.raises(PlaywrightError):
            page.goto("https://tiles.example.org/1/1/1.png")
    finally:
        context.close()
    assert watch.external == ["https://tiles.example.org/1/1/1.png"]
    assert watch.requests > 1


def test_back_returns_to_the_previous_search_with_its_form(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    search_for(phone, "Vondelpark", tomorrow())
    expect(phone.get_by_role("heading", name=re.compile(r"free spaces? near Vondelpark"))).to_be_visible()
    search_for(phone, "Artis Zoo", tomorrow())
    expect(phone.get_by_role("heading", name=re.compile(r"free spaces? near Artis Zoo"))).to_be_visible()
    phone.go_back()
    expect(phone.get_by_role("heading", name=re.compile(r"free spaces? near Vondelpark"))).to_be_visible()
    expect(phone.get_by_label("Destination")).to_have_value("Vondelpark")
