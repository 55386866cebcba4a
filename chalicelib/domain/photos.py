"""Accident evidence: photo sets of a parked car on arrival and before departure, and their rules."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .accounts import ERASED
from .errors import InvalidInputError, RuleViolationError

ARRIVAL, DEPARTURE = "arrival", "departure"
PHASES = (ARRIVAL, DEPARTURE)
REQUIRED_VIEWS = ("front", "rear", "left", "right")
MAX_PHOTOS_PER_SET = 12
MAX_PHOTO_BYTES = 15 * 1024 * 1024
MIN_PIXELS = (640, 480)
MAX_CAPTURE_AGE = timedelta(minutes=5)  # a photo must be this fresh when its upload completes
CLOCK_SKEW = timedelta(minutes=1)  # a camera clock may run this far ahead of ours
_VIEW = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
COMMITMENT_TAG = b"carparker-photo-commitment-v1"


@dataclass(frozen=True)
class ImageFacts:
    """What the server itself read from the uploaded bytes."""

    format: str
    width: int
    height: int
    sha256: str
    captured_at: datetime | None  # EXIF DateTimeOriginal, made timezone-aware


def check_set(phase: str, views: list[str], existing_phases: set[str]) -> None:
    """A set has each required viewpoint once (more allowed); departure needs an arrival set first."""
    if phase not in PHASES:
        raise InvalidInputError(f"phase must be one of {PHASES}", field="phase")
    for view in views:
        if not _VIEW.match(view):
            raise InvalidInputError(f"viewpoint {view!r} must be lower-case letters, digits or dashes", field="photos")
    if len(set(views)) != len(views):
        raise InvalidInputError("each viewpoint may appear once per set", field="photos")
    missing = [v for v in REQUIRED_VIEWS if v not in views]
    if missing:
        raise RuleViolationError(f"a photo set needs at least the views {', '.join(REQUIRED_VIEWS)}; missing {', '.join(missing)}",
                                 field="photos", code="views_missing")
    if len(views) > MAX_PHOTOS_PER_SET:
        raise InvalidInputError(f"at most {MAX_PHOTOS_PER_SET} photos per set", field="photos")
    if phase in existing_phases:
        raise RuleViolationError(f"the {phase} set was already taken", field="phase", code="set_exists")
    if phase == DEPARTURE and ARRIVAL not in existing_phases:
        raise RuleViolationError("take the arrival set before the departure set", field="phase", code="arrival_missing")


def check_declared(sha256_hex: str, size: int, content_type: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256_hex):
        raise InvalidInputError("sha256 must be 64 lower-case hex digits", field="sha256")
    if not 0 < size <= MAX_PHOTO_BYTES:
        raise InvalidInputError(f"size must be 1 to {MAX_PHOTO_BYTES} bytes", field="size")
    if content_type != "image/jpeg":
        raise InvalidInputError("photos must be image/jpeg (the camera's own file, with its EXIF data)", field="content_type")


def check_photo(facts: ImageFacts, declared_sha256: str, *, now: datetime, session_start: datetime, view: str) -> datetime:
    """The server-side checks on the uploaded bytes; returns the capture time they prove."""
    field = f"photos.{view}"
    if facts.sha256 != declared_sha256:
        raise RuleViolationError(f"{view}: the uploaded bytes do not match the declared sha256", field=field, code="digest_mismatch")
    if facts.format != "JPEG":
        raise RuleViolationError(f"{view}: the upload is not a JPEG image", field=field, code="not_an_image")
    if facts.width * facts.height < MIN_PIXELS[0] * MIN_PIXELS[1]:
        raise RuleViolationError(f"{view}: the image is smaller than {MIN_PIXELS[0]}x{MIN_PIXELS[1]}", field=field, code="too_small")
    taken = facts.captured_at
    if taken is None:
        raise RuleViolationError(f"{view}: the photo has no capture time (EXIF DateTimeOriginal); take it with the camera now",
                                 field=field, code="capture_time_missing")
    if taken > now + CLOCK_SKEW:
        raise RuleViolationError(f"{view}: the capture time is in the future", field=field, code="capture_time_future")
    if now - taken > MAX_CAPTURE_AGE:
        raise RuleViolationError(f"{view}: the photo was taken more than {MAX_CAPTURE_AGE.seconds // 60} minutes ago; "
                                 "take a live photo", field=field, code="capture_time_old")
    if taken < session_start - CLOCK_SKEW:
        raise RuleViolationError(f"{view}: the photo was taken before the car entered", field=field, code="capture_before_entry")
    return taken


def commitment(salt: bytes, photo_sha256_hex: str) -> str:
    """A hiding commitment to a photo's digest: the ledger shows this, never the digest itself."""
    if len(salt) != 32:
        raise InvalidInputError("salt must be 32 bytes", field="salt")
    return hashlib.sha256(COMMITMENT_TAG + salt + bytes.fromhex(photo_sha256_hex)).hexdigest()


@dataclass(frozen=True)
class Photo:
    view: str
    sha256: str
    size: int
    incoming_key: str
    sealed_key: str | None = None
    entry_id: str | None = None  # the ledger entry that records it, once recorded


@dataclass(frozen=True)
class PhotoSet:
    order_id: str
    phase: str
    parker_id: str
    status: str  # "requested" (upload URLs issued) or "recorded" (checked, sealed, on the ledger)
    photos: tuple[Photo, ...]
    requested_at: datetime
    version: int = 1
    sealed_meta: str | None = None  # enclave-sealed JSON: per view, capture time and commitment salt


def attachment_name(order_id: str, phase: str, view: str) -> str:
    return f"{order_id}-{phase}-{view}.jpg"


OPEN, CLOSED = "open", "closed"
SHARE_TARGETS = ("sharer", "carpark")
CLAIM_DAYS = 30


@dataclass(frozen=True)
class Claim:
    claim_id: str
    order_id: str
    parker_id: str
    sharer_id: str
    carpark_id: str | None
    share_with: tuple[str, ...]
    description: str
    status: str
    opened_at: datetime
    expires_at: datetime
    version: int = 1
    closed_at: datetime | None = None
    access_log: tuple[tuple[str, str, str], ...] = ()  # (who, role, when) of every evidence view

    def is_open(self, now: datetime) -> bool:
        return self.status == OPEN and now < self.expires_at

    def parker_closed(self, now: datetime) -> Claim:
        """The parker closed their account: the evidence cannot be opened any more (it was sealed to them), so the claim
        closes; its free-text description (their words) is erased; who saw the evidence, and when, stays."""
        return replace(self, status=CLOSED, closed_at=self.closed_at or now, description=ERASED, version=self.version + 1)

    def role_of(self, user_id: str, *, works_at_carpark: bool) -> str | None:
        """How the caller may see this claim's evidence, if at all (works_at_carpark: an active owner or staff
        membership of this claim's car park)."""
        if user_id == self.parker_id:
            return "parker"
        if "sharer" in self.share_with and user_id == self.sharer_id:
            return "sharer"
        if "carpark" in self.share_with and works_at_carpark and self.carpark_id is not None:
            return "carpark"
        return None


@dataclass(frozen=True)
class EvidenceExport:
    """An evidence zip in the bucket: it holds decrypted photos and their salts, so it lives only for its download
    window (a scheduled sweep deletes it) and goes at once when the parker or the viewer closes their account."""

    export_id: str
    object_key: str
    parker_id: str  # whose photos it holds
    viewer_id: str  # who asked for it (the parker, or a party of a claim)
    order_id: str
    created_at: datetime
    expires_at: datetime

    def is_due(self, now: datetime) -> bool:
        return self.expires_at <= now
