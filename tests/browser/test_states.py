"""The states around the main path, on a phone: what a newcomer's empty screens say and offer, what a link to something
that is not there (or not theirs) shows, and that a slow answer shows a loading state, then the screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

from .conftest import check_screen
from .flows import PAT, Api, demo_gate, go, heading, parked, sign_in
from .harness import SHOTS, Launcher, axe_violations


def test_a_newcomers_empty_screens_say_what_goes_there_and_where_to_start(phone: Page, launcher: Launcher) -> None:
    address, _ = Api(launcher).user(roles=("parker", "sharer"))
    sign_in(phone, launcher, address)

    go(phone, launcher, "/bookings")
    heading(phone, "My bookings")
    expect(phone.get_by_text("You have not booked a space yet.")).to_be_visible()
    phone.get_by_role("main").get_by_role("link", name="Find one").click()
    heading(phone, "Find a parking space")

    go(phone, launcher, "/notifications")
    expect(phone.get_by_text(re.compile("Nothing yet"))).to_be_visible()
    check_screen(phone, "70-empty-notifications")

    go(phone, launcher, "/my-spaces")
    expect(phone.get_by_text("You have not registered a space yet.")).to_be_visible()
    check_screen(phone, "71-empty-my-spaces")
    phone.get_by_role("link", name="Add your first space").click()
    heading(phone, "Add a space")

    go(phone, launcher, "/sharer/bookings")
    expect(phone.get_by_text("Nobody has booked your spaces yet.")).to_be_visible()
    go(phone, launcher, "/earnings")
    expect(phone.get_by_text("No paid orders yet.")).to_be_visible()
    expect(phone.get_by_role("definition").filter(has_text="€0.00")).to_have_count(3)
    check_screen(phone, "72-empty-earnings")


def test_a_link_to_something_missing_or_someone_elses_says_so_and_offers_the_way_back(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    car = parked(api, demo_gate(launcher))  # someone else's order
    sign_in(phone, launcher, PAT)

    go(phone, launcher, "/bookings/no-such-booking")
    expect(phone.get_by_role("alert")).to_have_text(re.compile(r"^[A-Z].*\.$"))  # a sentence, whatever the API wrote
    check_screen(phone, "73-booking-not-found")
    phone.get_by_role("link", name="All bookings").click()
    heading(phone, "My bookings")

    go(phone, launcher, "/spaces/no-such-space")
    expect(phone.get_by_role("alert")).to_be_visible()

    # The camera screen of an order that is not hers offers no camera: it says so.
    go(phone, launcher, f"/bookings/{car['order']}/photos/arrival")
    heading(phone, "Arrival photos")
    expect(phone.get_by_role("alert")).to_be_visible()
    expect(phone.get_by_label(re.compile("Take the front photo"))).to_have_count(0)
    check_screen(phone, "74-photos-not-yours")


def test_a_slow_answer_shows_a_loading_state_then_the_screen(phone: Page, launcher: Launcher) -> None:
    sign_in(phone, launcher, PAT)
    bookings = re.compile(r"/reservations(\?.*)?$")
    held: list[Route] = []
    holding = [True]

    def hold(route: Route) -> None:  # answered only when the test lets it through
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    phone.route(bookings, hold)
    go(phone, launcher, "/bookings")
    expect(phone.get_by_role("status")).to_have_text("Loading your bookings…")
    SHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SHOTS / "75-bookings-loading.png"))  # not check_screen: it waits for the network to go quiet
    assert axe_violations(phone) == []
    for _ in range(400):  # the request reaches the route handler in its own time; bounded, not timed
        if held:
            break
        phone.wait_for_timeout(50)
    holding[0] = False
    for route in held:
        route.continue_()
    expect(phone.get_by_role("main")).not_to_contain_text("Loading")
    expect(phone.get_by_role("main")).to_contain_text(re.compile("Now|Upcoming|Past|You have not booked"))
