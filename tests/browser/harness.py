"""The browser harness, shared by tests/browser and bench/bench_web.py: the real `make run` launcher on free ports,
Debian's Chromium, contexts that refuse (and record) every request off the machine, axe-core, screenshots."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Frame, Page, Playwright, Route

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-gpu"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# The browser sits in another zone than the demo city, so a time shown in the browser's zone would be caught.
BROWSER_ZONE = "America/New_York"
PASSWORD = "Demo-password-1"
# An evidence export seals and proves every photo before the download starts: on the shared machine under load that
# took longer than Playwright's 30 s default for a download. A bound, not a timing.
EXPORT_MS = 120_000


@dataclass
class Launcher:
    app: str
    console: str
    api: str
    log: Path
    moto: str = ""
    card_fields: str = ""


def _wait_until_serving(urls: list[str], proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    """Poll until each URL answers (the first run also installs and builds web/, so the bound is generous)."""
    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending:
        if proc.poll() is not None:
            raise RuntimeError(f"make run exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"make run did not serve {pending[0]} within {timeout_s:.0f}s:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(pending[0], timeout=2):
                pending.pop(0)
        except OSError:
            time.sleep(0.3)


@contextmanager
def launched(workdir: Path) -> Iterator[Launcher]:
    """infra/run_local.py (what `make run` runs) on free ports, with nothing kept between runs; stopped by its PID."""
    from infra.localstack import free_port

    api_port, web_port, moto_port, pay_port = free_port(), free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CP_", "AWS_"))}
    env.update(PORT=str(api_port), WEB_PORT=str(web_port), MOTO_PORT=str(moto_port), PAY_PORT=str(pay_port), PERSIST="0", RUN_DIR=str(workdir / "run"))
    log = workdir / "make-run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "infra/run_local.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    api, app = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{web_port}/"
    try:
        _wait_until_serving([f"{api}/health", app], proc, log, timeout_s=300)
        yield Launcher(app=app, console=f"{app}console/", api=api, log=log, moto=f"http://127.0.0.1:{moto_port}",
                       card_fields=f"http://127.0.0.1:{pay_port}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def launch_chromium(playwright: Playwright) -> Browser:
    chromium = shutil.which("chromium")
    if not chromium:
        raise RuntimeError("Debian's chromium is needed for the browser tests (.ci/run installs it: apt-get install chromium)")
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)


@dataclass
class Watch:
    """What a context did that a test must not allow: requests off the machine, console errors."""

    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0


def watched_context(browser: Browser, watch: Watch, **options: Any) -> BrowserContext:
    """A context whose every request is routed: local ones go on, any other is refused and recorded."""
    context = browser.new_context(locale="en-GB", timezone_id=BROWSER_ZONE, **options)

    def guard(route: Route) -> None:
        watch.requests += 1
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    context.on("page", lambda page: _listen(page, watch))
    return context


def _listen(page: Page, watch: Watch) -> None:
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" and not _expected(m.text) else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))


def _expected(text: str) -> bool:
    """Chromium logs failed fetches itself; the tests that cause them (offline, refusals) check what the app shows."""
    return bool(re.search(r"Failed to load resource|net::ERR_|status of 4\d\d", text))


def axe_violations(page: Page | Frame) -> list[dict[str, Any]]:
    """axe-core (from web/node_modules) on the page (or a frame of it) as it is now: the serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;undefined")  # evaluated over CDP: the page's own CSP still holds for the app
    # target-size (WCAG 2.2: 24 px targets, or room around them) is off in axe by default; on a phone it matters. The
    # sticky tab bar is laid in the flow while axe looks, or whatever scrolls under it would count as too small.
    found: list[dict[str, Any]] = page.evaluate("""async () => {
        const bar = document.querySelector('nav[aria-label="Main"]');
        if (bar) bar.style.position = 'static';
        const found = (r) => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        try {
          // Price pins may crowd on the map; the result list below it holds each as a full-size link, which is
          // WCAG 2.5.8's "equivalent" exception, so target size is measured on everything but Leaflet's pins.
          return [...found(await axe.run(document, {resultTypes: ['violations'], iframes: false})),
                  ...found(await axe.run({exclude: [['.leaflet-marker-pane']]}, {resultTypes: ['violations'], iframes: false,
                                         runOnly: ['target-size']}))];
        } finally {
          if (bar) bar.style.position = '';
        }
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.wait_for_load_state("networkidle")
    if not full_page:
        page.screenshot(path=str(SHOTS / f"{name}.png"))
        return
    # A phone shows the tab bar at the bottom of the screen: grow the screen to the whole page for the picture, so it is
    # drawn where a person scrolling to the end would see it, not across the middle.
    size = page.viewport_size
    height = page.evaluate("() => { window.scrollTo(0, 0); return document.documentElement.scrollHeight; }")
    if size:
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        page.screenshot(path=str(SHOTS / f"{name}.png"))
    finally:
        if size:
            page.set_viewport_size(size)


def sign_in(page: Page, launcher: Launcher, email: str, password: str = PASSWORD) -> None:
    page.goto(launcher.app)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Find a parking space").wait_for()
