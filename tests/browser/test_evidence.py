"""Photos, the receipt, the evidence and claims, on a phone: the four arrival views through the camera's file input
(one upload fails and is retried), the four departure views, the gate lets the car out, the receipt, the evidence zip
(which the offline verifier accepts), a claim shared with the sharer, who downloads it, and closed by the parker."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from .conftest import check_screen
from .flows import SAM, VIEWS, Api, demo_gate, go, heading, parked, photo, sign_in
from .harness import EXPORT_MS, PHONE, Launcher, Watch, watched_context

ROOT = Path(__file__).resolve().parents[2]


def verify_bundle(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chalicelib.cli", "verify-bundle", str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)


def take(page: Page, phase: str) -> None:
    heading(page, f"{phase.capitalize()} photos")
    expect(page.get_by_role("status").filter(has_text="0 of 4 photos taken")).to_be_visible()
    for view in VIEWS:
        page.get_by_label(f"Take the {view if view in ('front', 'rear') else view + ' side'} photo").set_input_files(photo(view))
    expect(page.get_by_role("status").filter(has_text="4 of 4 photos taken")).to_be_visible()


def test_photos_receipt_evidence_and_a_claim(phone_context: BrowserContext, phone: Page, browser: Browser, launcher: Launcher,
                                             tmp_path: Path) -> None:
    api = Api(launcher)
    gate = demo_gate(launcher)
    car = parked(api, gate)
    api.ok("PUT", "/me/payment-method", car["token"], {"token": "tok_visa"})
    sign_in(phone, launcher, car["email"])
    go(phone, launcher, f"/bookings/{car['order']}")
    phone.get_by_role("link", name="Take the arrival photos").click()
    take(phone, "arrival")
    expect(phone.get_by_role("img", name="Your front photo")).to_be_visible()
    check_screen(phone, "30-photos-arrival", full_page=True)

    failed: list[str] = []

    def fail_rear_once(route: Route) -> None:
        if route.request.method == "PUT" and "/rear.jpg" in route.request.url and not failed:
            failed.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    phone_context.route(f"{launcher.moto}/**", fail_rear_once)
    phone.get_by_role("button", name="Upload the 4 photos").click()
    expect(phone.get_by_role("alert")).to_contain_text("The upload did not get through")
    expect(phone.get_by_text(re.compile(r"Not uploaded yet"))).to_have_count(1)
    check_screen(phone, "31-photos-upload-failed", full_page=True)
    phone.get_by_role("button", name="Try the upload again").click()
    expect(phone.get_by_role("status").filter(has_text="4 photos are recorded on the ledger")).to_be_visible()
    assert len(failed) == 1
    phone_context.unroute(f"{launcher.moto}/**")

    phone.get_by_role("link", name="Back to the booking").click()
    expect(phone.get_by_text("Arrival: recorded on the ledger")).to_be_visible()
    phone.get_by_role("link", name="Take the departure photos").click()
    take(phone, "departure")
    phone.get_by_role("button", name="Upload the 4 photos").click()
    expect(phone.get_by_role("status").filter(has_text="4 photos are recorded on the ledger")).to_be_visible()

    assert gate.read("exit", car["plate"])["decision"] == "open"
    phone.get_by_role("link", name="Back to the booking").click()
    receipt = phone.get_by_role("region", name="Receipt")
    expect(receipt.get_by_text("Paid", exact=False)).to_be_visible()
    expect(receipt.get_by_role("rowheader", name="Reserved time")).to_be_visible()
    expect(receipt.get_by_role("row", name=re.compile(r"Total €\d+\.\d\d"))).to_be_visible()
    expect(phone.get_by_text("Completed", exact=True)).to_be_visible()
    check_screen(phone, "32-receipt", full_page=True)

    with phone.expect_download(timeout=EXPORT_MS) as got:
        phone.get_by_role("button", name="Download the evidence (zip)").click()
    zip_path = tmp_path / got.value.suggested_filename
    got.value.save_as(zip_path)
    assert zip_path.name == f"evidence-{car['order']}.zip"
    checked = verify_bundle(zip_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    expect(phone.get_by_role("status").filter(has_text="8 photos")).to_be_visible()
    check_screen(phone, "34-evidence-saved")  # the zip's long name wraps: it once widened the page past the screen

    phone.get_by_role("button", name="Open a claim…").click()
    phone.get_by_role("button", name="Open the claim").click()
    expect(phone.get_by_label("What happened?")).to_have_accessible_description(re.compile("Say what happened"))
    phone.get_by_label("What happened?").fill("A scratch on the rear bumper that was not there on arrival.")
    phone.get_by_role("button", name="Open the claim").click()
    heading(phone, "Claim")
    expect(phone.get_by_text("Open", exact=True)).to_be_visible()
    expect(phone.get_by_text(re.compile(r"Shared with the sharer.* until .*CET"))).to_be_visible()
    claim_url = phone.url
    check_screen(phone, "33-claim", full_page=True)

    # The sharer downloads the shared evidence; the parker then sees who did, and closes the claim.
    watch = Watch()
    sharer = watched_context(browser, watch, **PHONE)
    try:
        page = sharer.new_page()
        sign_in(page, launcher, SAM)
        page.goto(claim_url)
        heading(page, "Claim")
        expect(page.get_by_role("button", name="Close the claim")).to_have_count(0)
        with page.expect_download(timeout=EXPORT_MS) as theirs:
            page.get_by_role("button", name="Download the evidence (zip)").click()
        assert theirs.value.suggested_filename == zip_path.name
    finally:
        sharer.close()
    assert watch.external == [] and watch.errors == []

    phone.reload()
    expect(phone.get_by_role("listitem").filter(has_text="The sharer")).to_be_visible()
    phone.get_by_role("button", name="Close the claim").click()
    expect(phone.get_by_role("status").filter(has_text="The claim is closed")).to_be_visible()
    expect(phone.get_by_text("Closed", exact=True)).to_be_visible()
