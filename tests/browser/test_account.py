"""The account on a phone: a card saved through the provider's own card fields (the number reaches only the provider),
identity documents encrypted in the browser (no request body holds an image in any encoding; the reviewer sees the
very bytes, only while the case is open), notifications, and closing the account after a plain warning."""

from __future__ import annotations

import base64
import re
from datetime import datetime

from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from tests.photos import jpeg

from .conftest import check_screen
from .flows import ADMIN, CITY, Api, demo_gate, heading, parked, sign_in, tab
from .harness import PASSWORD, PHONE, Launcher, Watch, watched_context

CARD = "4242 4242 4242 4242"


def _bodies(context: BrowserContext) -> list[tuple[str, bytes]]:
    """Every request the context sends, with its body (frames included)."""
    seen: list[tuple[str, bytes]] = []

    def note(request: Request) -> None:
        seen.append((request.url, request.post_data_buffer or b""))

    context.on("request", note)
    return seen


def test_a_card_is_saved_through_the_providers_fields_and_never_reaches_carparker(phone_context: BrowserContext, phone: Page,
                                                                                 launcher: Launcher) -> None:
    api = Api(launcher)
    who, token = api.user()
    sent = _bodies(phone_context)
    sign_in(phone, launcher, who)
    tab(phone, "Account")
    heading(phone, "Account")
    check_screen(phone, "40-account", full_page=True)
    phone.get_by_role("link", name="Payment method").click()
    heading(phone, "Payment method")
    fields = phone.frame_locator("iframe[title='Card details (payment provider)']")
    fields.get_by_label("Card number").fill("4242 4242 4242 4241")
    fields.get_by_label("Expiry (MM/YY)").fill("12/31")
    fields.get_by_label("Security code").fill("123")
    fields.get_by_role("button", name="Save card").click()
    expect(fields.get_by_label("Card number")).to_have_accessible_description(re.compile("not a valid card number"))
    check_screen(phone, "41-payment-card-refused")
    fields.get_by_label("Card number").fill(CARD)
    fields.get_by_role("button", name="Save card").click()
    expect(phone.get_by_label("Saved card")).to_have_text("Visa ending 4242 is saved.")
    expect(phone.get_by_role("status").filter(has_text="Card saved")).to_be_visible()
    check_screen(phone, "42-payment-saved")
    assert api.ok("GET", "/me/payment-method", token)["last4"] == "4242"

    digits = CARD.replace(" ", "").encode()
    carrying = [url for url, body in sent if digits in body.replace(b" ", b"")]
    assert carrying and all(url.startswith(launcher.card_fields) for url in carrying), carrying
    assert not [url for url, body in sent if url.startswith((launcher.api, launcher.app)) and b"4242424242" in body.replace(b" ", b"")]
    tokens = [body for url, body in sent if url.startswith(f"{launcher.api}/me/payment-method") and body]
    assert tokens and all(re.fullmatch(rb'\{"token":"tok_[0-9a-f]{32}"\}', b) for b in tokens), tokens


def _encodings(image: bytes) -> list[bytes]:
    """How a body could carry (a slice of) the image: raw, hex either case, base64 and base64url at each alignment."""
    middle = image[len(image) // 3: len(image) // 3 + 300]
    found = [middle, middle.hex().encode(), middle.hex().upper().encode()]
    for shift in range(3):
        b64 = base64.b64encode(middle[shift:])[4:-4]
        found += [b64, b64.replace(b"+", b"-").replace(b"/", b"_")]
    return found


def _holds(body: bytes, image: bytes) -> bool:
    return any(form in body for form in _encodings(image))


def test_id_images_leave_the_browser_only_encrypted_and_open_for_the_reviewer_while_the_case_is_open(
        phone_context: BrowserContext, phone: Page, browser: Browser, launcher: Launcher) -> None:
    api = Api(launcher)
    who, token = api.user()
    images = {side: jpeg(datetime.now(CITY), colour=colour) for side, colour in
              (("front", (200, 30, 30)), ("back", (30, 200, 30)), ("selfie", (30, 30, 200)))}
    assert _holds(b'{"envelope":"' + base64.b64encode(images["front"]) + b'"}', images["front"])  # the detector is not blind
    assert _holds(images["back"].hex().encode(), images["back"])
    sent = _bodies(phone_context)
    sign_in(phone, launcher, who)
    tab(phone, "Account")
    phone.get_by_role("link", name="Identity verification").click()
    heading(phone, "Identity verification")
    labels = {"front": "Photograph the front of your ID", "back": "Photograph the back of your ID", "selfie": "Take a selfie holding your ID"}
    for side, label in labels.items():
        phone.get_by_label(label, exact=True).set_input_files({"name": f"{side}.jpg", "mimeType": "image/jpeg", "buffer": images[side]})
        expect(phone.get_by_label(f"{label} again")).to_be_visible()
    expect(phone.get_by_text("Encrypted on this device and uploaded.")).to_have_count(3)
    check_screen(phone, "43-identity-uploaded", full_page=True)
    phone.get_by_role("button", name="Submit for review").click()
    expect(phone.get_by_label("Status")).to_contain_text("Under review")

    uploads = [(url, body) for url, body in sent if "/me/identity/documents/" in url]
    assert len(uploads) == 3 and all(b'"envelope":"' in body for _, body in uploads)
    leaks = [(url, side) for url, body in sent for side, image in images.items() if _holds(body, image)]
    assert leaks == [], leaks

    watch = Watch()
    admin = watched_context(browser, watch, **PHONE)
    try:
        page = admin.new_page()
        sign_in(page, launcher, ADMIN)
        tab(page, "Review")
        page.get_by_role("link", name="Identity cases").click()
        heading(page, "Identity cases")
        user_id = api.ok("GET", "/me", token)["user_id"]
        page.get_by_role("listitem").filter(has_text=user_id).get_by_role("link").click()
        heading(page, "Identity case")
        page.get_by_role("button", name="Show the front").click()
        shown = page.get_by_role("img", name="Front of the ID document")
        expect(shown).to_be_visible()
        src = shown.get_attribute("src") or ""
        assert base64.b64decode(src.split(",", 1)[1]) == images["front"]  # the enclave opened the browser's envelope
        check_screen(page, "44-admin-identity-case", full_page=True)
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("status").filter(has_text="Approved. The case is closed to review.")).to_be_visible()
        page.get_by_role("button", name="Show the back").click()
        expect(page.get_by_role("alert")).to_contain_text(re.compile("open", re.I))
        assert not page.get_by_role("img", name="Back of the ID document").count()
    finally:
        admin.close()
    assert watch.external == [] and watch.errors == []
    phone.reload()
    expect(phone.get_by_label("Status")).to_contain_text("Verified")


def test_notifications_list_what_happened(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    car = parked(api, demo_gate(launcher))
    sign_in(phone, launcher, car["email"])
    phone.get_by_role("link", name="Notifications").click()
    heading(phone, "Notifications")
    item = phone.get_by_role("listitem").filter(has_text=car["plate"])
    expect(item.get_by_role("heading", name="Parked")).to_be_visible()
    expect(item).to_contain_text("CET")
    check_screen(phone, "45-notifications")
    item.get_by_role("link", name="The booking").click()
    expect(phone.get_by_text("Parked", exact=True)).to_be_visible()


def test_closing_the_account_says_what_is_erased_and_then_does_it(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    who, _ = api.user()
    sign_in(phone, launcher, who)
    tab(phone, "Account")
    phone.get_by_role("link", name="Close my account").click()
    heading(phone, "Close my account")
    warning = phone.get_by_role("region", name="What closing the account does")
    expect(warning).to_contain_text("This cannot be undone")
    expect(warning).to_contain_text("identity documents, the photos of your car")
    expect(warning).to_contain_text("signed out on every device")
    close = phone.get_by_role("button", name="Close my account for good")
    expect(close).to_be_disabled()
    check_screen(phone, "46-close-account", full_page=True)
    phone.get_by_label("I understand that closing my account erases my data for good").check()
    close.click()
    heading(phone, "Sign in")
    expect(phone.get_by_role("status")).to_contain_text("Your account is closed")
    phone.get_by_label("Email").fill(who)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    expect(phone.get_by_role("alert")).to_be_visible()


def test_a_parker_starts_sharing_from_the_profile(phone: Page, launcher: Launcher) -> None:
    api = Api(launcher)
    who, token = api.user(name="Petra Parker")
    sign_in(phone, launcher, who)
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="My spaces")).to_have_count(0)
    tab(phone, "Account")
    expect(phone.get_by_label("Your name")).to_have_value("Petra Parker")
    phone.get_by_label("Share my parking space").check()
    phone.get_by_role("button", name="Save the profile").click()
    expect(phone.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="My spaces")).to_be_visible()
    assert api.ok("GET", "/me", token)["roles"] == ["parker", "sharer"]
