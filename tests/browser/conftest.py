"""The browser tier: Debian's Chromium (Playwright for Python) against the real `make run` launcher.

One launcher per test process (infra/run_local.py on free ports: moto, the seeded demo city, chalice local and the
web server); each test gets a fresh browser context. Every context routes every request and fails the test if one
would leave the machine, and fails it on any console error (a CSP violation is one). Screenshots of the main screens
go to tests/browser/screenshots/ (ignored by git). The helpers live in harness.py, which bench/bench_web.py shares.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from .harness import DESKTOP, PHONE, Launcher, Watch, axe_violations, launch_chromium, launched, screenshot, watched_context

# Answers come from a real server on a shared machine: wait for what a person would see, generously (not 5 s).
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    reuse = os.environ.get("CP_BROWSER_LAUNCHER")  # while writing tests: "<api> <app> <card fields> <moto> <make run's log>"
    if reuse:
        api, app, fields, moto, log = reuse.split()
        yield Launcher(app=app, console=f"{app}console/", api=api, log=Path(log), moto=moto, card_fields=fields)
        return
    with launched(tmp_path_factory.mktemp("launcher")) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = launch_chromium(playwright)
    yield b
    b.close()


def _context(browser: Browser, request: pytest.FixtureRequest, options: dict[str, Any]) -> Iterator[BrowserContext]:
    watch = Watch()
    extra = getattr(request, "param", {}) or {}
    context = watched_context(browser, watch, **{**options, **extra})
    yield context
    context.close()
    assert watch.external == [], f"requests left the machine: {watch.external}"
    assert watch.errors == [], f"console errors: {watch.errors}"


@pytest.fixture
def phone_context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    yield from _context(browser, request, PHONE)


@pytest.fixture
def phone(phone_context: BrowserContext) -> Page:
    return phone_context.new_page()


@pytest.fixture
def desktop(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    for context in _context(browser, request, DESKTOP):
        yield context.new_page()


def check_screen(page: Page, name: str, *, full_page: bool = False) -> None:
    """Every main screen: a screenshot for people to look at, no serious or critical accessibility violation, and
    nothing wider than the screen (a phone would zoom the page out or scroll it sideways, and taps land off target)."""
    screenshot(page, name, full_page=full_page)
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    screen = (page.viewport_size or {"width": wide})["width"]
    assert wide <= screen, f"{name}: the page is {wide} px wide on a {screen} px screen"
    assert axe_violations(page) == [], name
    for frame in page.frames[1:]:  # the payment provider's card fields are a page of their own
        assert axe_violations(frame) == [], f"{name}: {frame.url}"
