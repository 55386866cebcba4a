"""Photo entries commit to a salted digest; a bundle with the salt proves the image offline."""

from __future__ import annotations

import hashlib

import pytest

from chalicelib.domain.photos import commitment
from chalicelib.verify import VerificationError, verify_bundle
from tests.unit.bundle_factory import Ledger, _entry, make_bundle

IMAGE = b"\xff\xd8 a real photo would be here \xff\xd9"
SALT = bytes(range(32))


def salted_bundle() -> tuple[dict, str]:
    digest = hashlib.sha256(IMAGE).hexdigest()
    ledger = Ledger()
    ledger.append_block("side", [_entry("side", 0, {"order-1-front.jpg": commitment(SALT, digest)})], "2025-03-01T10:15:00Z")
    bundle = make_bundle(ledger, [("side", 0, 0)])
    bundle["items"][0]["attachments"] = [{"name": "order-1-front.jpg", "sha256": digest, "salt": SALT.hex()}]
    return bundle, digest


def test_salted_attachment_verifies_with_the_image() -> None:
    bundle, _ = salted_bundle()
    assert verify_bundle(bundle, {"order-1-front.jpg": IMAGE}).attachments_checked == 1


def test_the_ledger_entry_does_not_show_the_photo_digest() -> None:
    bundle, digest = salted_bundle()
    assert digest not in str(bundle["items"][0]["entry"])


@pytest.mark.parametrize("change", ["salt", "image", "digest"])
def test_wrong_salt_image_or_digest_fails(change: str) -> None:
    bundle, digest = salted_bundle()
    attachment = bundle["items"][0]["attachments"][0]
    image = IMAGE
    if change == "salt":
        attachment["salt"] = "00" * 32
    elif change == "image":
        image = IMAGE + b"\x00"
    else:
        attachment["sha256"] = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(VerificationError):
        verify_bundle(bundle, {"order-1-front.jpg": image})
