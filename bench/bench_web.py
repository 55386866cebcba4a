"""The web apps in a browser, against the real `make run` launcher (see tests/browser/harness.py):

- web_app_first_load_kb_gz / web_console_first_load_kb_gz: the gzipped JS + CSS a first visit loads before its first
  screen (sign-in) is shown, measured from the responses the browser received (goals <= 150 and <= 200);
- web_external_requests: requests to any host but this machine during the whole journey (goal 0);
- web_axe_serious_violations: axe-core's serious and critical violations summed over the main screens of the parker, the
  sharer and the admin, the payment provider's card fields included (goal 0).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, Page, Response, sync_playwright  # noqa: E402

from tests.browser.harness import (  # noqa: E402
    DESKTOP,
    PHONE,
    Launcher,
    Watch,
    axe_violations,
    launch_chromium,
    launched,
    sign_in,
    watched_context,
)


def first_load_kb_gz(browser: Browser, watch: Watch, url: str, heading: str, options: dict[str, Any]) -> tuple[float, Page]:
    """Open `url` in a fresh context and sum the gzipped size of every script and stylesheet until `heading` shows."""
    page = watched_context(browser, watch, **options).new_page()
    loaded: list[Response] = []
    page.on("response", lambda r: loaded.append(r) if r.request.resource_type in ("script", "stylesheet") else None)
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for()
    total = sum(len(gzip.compress(r.body(), compresslevel=9)) for r in loaded)
    return round(total / 1024, 1), page


def _axe(page: Page) -> int:
    return len(axe_violations(page)) + sum(len(axe_violations(f)) for f in page.frames[1:])


def _screens(page: Page, launcher: Launcher, screens: list[tuple[str, str | re.Pattern[str]]]) -> int:
    count = 0
    for route, heading in screens:
        page.goto(f"{launcher.app}#{route}")
        page.get_by_role("heading", level=1, name=heading).wait_for()
        page.wait_for_load_state("networkidle")
        count += _axe(page)
    return count


def _first_of(page: Page, launcher: Launcher, route: str, list_heading: str, heading: str | re.Pattern[str]) -> int:
    """The first item of a list screen, opened as a person would (by its link), with axe on it; 0 if the list is empty."""
    page.goto(f"{launcher.app}#{route}")
    page.get_by_role("heading", level=1, name=list_heading).wait_for()
    page.wait_for_load_state("networkidle")
    links = page.get_by_role("main").get_by_role("listitem").get_by_role("link")
    if links.count() == 0:
        return 0
    links.first.click()
    page.get_by_role("heading", level=1, name=heading).wait_for()
    page.wait_for_load_state("networkidle")
    return _axe(page)


def _sign_out(page: Page, launcher: Launcher) -> None:
    page.goto(f"{launcher.app}#/account")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def journey_violations(page: Page, launcher: Launcher) -> int:
    """The main screens of the app, as the browser tests walk them, with axe on each (and in the card fields' frame)."""
    count = len(axe_violations(page))  # sign-in
    sign_in(page, launcher, "pat.parker@carparker.test")
    count += len(axe_violations(page))
    day = (datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(days=1)).date().isoformat()
    page.get_by_label("Destination").fill("Anne Frank House")
    page.get_by_label("From").fill(f"{day}T10:00")
    page.get_by_label("Until").fill(f"{day}T13:00")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("article").first.wait_for()
    page.wait_for_load_state("networkidle")
    count += len(axe_violations(page))
    page.get_by_role("article").first.get_by_role("link").click()
    page.get_by_role("heading", name="When it is offered").wait_for()
    page.wait_for_load_state("networkidle")
    count += len(axe_violations(page))
    count += _screens(page, launcher, [("/bookings", "My bookings"), ("/account", "Account"), ("/account/payment", "Payment method"),
                                       ("/account/identity", "Identity verification"), ("/notifications", "Notifications"),
                                       ("/account/close", "Close my account")])
    count += _first_of(page, launcher, "/bookings", "My bookings", re.compile("."))  # a booking: countdown, receipt, evidence
    _sign_out(page, launcher)
    sign_in(page, launcher, "sam.sharer@carparker.test")
    count += _screens(page, launcher, [("/my-spaces", "My spaces"), ("/my-spaces/new", "Add a space"),
                                       ("/sharer/bookings", "Bookings on my spaces"), ("/earnings", "Earnings")])
    count += _first_of(page, launcher, "/my-spaces", "My spaces", re.compile("."))  # one space: deed, windows, week view
    _sign_out(page, launcher)
    sign_in(page, launcher, "admin@carparker.test")
    count += _screens(page, launcher, [("/admin", "Spaces to review"), ("/admin/identity", "Identity cases")])
    return count + _first_of(page, launcher, "/admin", "Spaces to review", re.compile("^Review"))


def main() -> None:
    watch = Watch()
    with tempfile.TemporaryDirectory() as workdir, launched(Path(workdir)) as launcher, sync_playwright() as pw:
        browser = launch_chromium(pw)
        app_kb, page = first_load_kb_gz(browser, watch, launcher.app, "Sign in", PHONE)
        violations = journey_violations(page, launcher)
        console_kb, console = first_load_kb_gz(browser, watch, launcher.console, "Sign in to the console", DESKTOP)
        violations += len(axe_violations(console))
        browser.close()
    print(f"app first load {app_kb} KB gz, console {console_kb} KB gz; {watch.requests} requests, "
          f"{len(watch.external)} external; {violations} serious/critical axe violations", file=sys.stderr)
    print(json.dumps({"web_app_first_load_kb_gz": app_kb, "web_console_first_load_kb_gz": console_kb,
                      "web_external_requests": len(watch.external), "web_axe_serious_violations": violations}))


if __name__ == "__main__":
    main()
