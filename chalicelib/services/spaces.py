"""Sharers register spaces, prove ownership, post availability; admins review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..domain.accounts import SHARER, Principal
from ..domain.availability import MAX_WINDOWS, Calendar, Window, WindowSpec, make_window, zone
from ..domain.errors import ConflictError, ForbiddenError, NotFoundError, RuleViolationError
from ..domain.geo import Point
from ..domain.spaces import APPROVED, LINK_ACCEPTED, PENDING, OwnershipDocument, Space, SpaceAttributes
from .ports import BlobStore, Clock, SpaceRepository, UploadTicket
from .retry import on_conflict

DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def register_space(
    principal: Principal,
    *,
    title: str,
    address: str,
    location: Point,
    attributes: SpaceAttributes,
    timezone: str,
    currency: str,
    carpark_id: str | None,
    lot: str | None,
    spaces: SpaceRepository,
    clock: Clock,
    new_id: Callable[[], str],
    link_for: Callable[[str, str | None], str] | None = None,
) -> Space:
    """`link_for(carpark_id, lot)` checks the named car park and lot and tells the link's first state: accepted when
    the caller owns the car park, pending (its owners decide) otherwise."""
    if not principal.has(SHARER):
        raise ForbiddenError("only sharers can register spaces; add the sharer role to your profile", field="roles")
    zone(timezone)
    link_state = None
    if carpark_id is not None:
        if link_for is None:
            raise RuleViolationError("spaces cannot name a car park here", field="carpark_id")
        link_state = link_for(carpark_id, lot)
    now = clock.now()
    space = Space(
        space_id=new_id(),
        owner_id=principal.user_id,
        title=title,
        address=address,
        location=location,
        attributes=attributes,
        status=PENDING,
        calendar=Calendar(timezone),
        version=1,
        created_at=now,
        currency=currency,
        carpark_id=carpark_id,
        lot=lot,
        link_state=link_state,
        link_decided_at=now if link_state == LINK_ACCEPTED else None,
        link_decided_by=principal.user_id if link_state == LINK_ACCEPTED else None,
    )
    spaces.add(space)
    return space


def own_space(principal: Principal, space_id: str, spaces: SpaceRepository) -> Space:
    """The caller's own space; someone else's is reported as missing, not as forbidden."""
    space = spaces.get(space_id)
    if space.owner_id != principal.user_id and not principal.is_admin:
        raise NotFoundError("no such space", field="space_id")
    return space


def my_spaces(principal: Principal, spaces: SpaceRepository, limit: int) -> list[Space]:
    """The spaces the caller registered, newest first."""
    return spaces.by_owner(principal.user_id, limit)


def visible_space(principal: Principal, space_id: str, spaces: SpaceRepository) -> tuple[Space, bool]:
    """(space, owner_view): its owner and admins see all of it; anyone else an approved space's public detail; a space
    not yet approved is missing to them, not forbidden."""
    space = spaces.get(space_id)
    if space.owner_id == principal.user_id or principal.is_admin:
        return space, True
    if space.status != APPROVED:
        raise NotFoundError("no such space", field="space_id")
    return space, False


def pending_review(principal: Principal, spaces: SpaceRepository, limit: int) -> list[Space]:
    """The admins' review queue, oldest first."""
    if not principal.is_admin:
        raise ForbiddenError("admins only")
    return spaces.pending(limit)


def request_document_upload(
    principal: Principal, space_id: str, content_type: str, size: int, *, spaces: SpaceRepository, blobs: BlobStore
) -> UploadTicket:
    if content_type not in DOCUMENT_TYPES:
        raise RuleViolationError(f"content_type must be one of {sorted(DOCUMENT_TYPES)}", field="content_type")
    if not 0 < size <= MAX_DOCUMENT_BYTES:
        raise RuleViolationError(f"size must be 1 to {MAX_DOCUMENT_BYTES} bytes", field="size")

    def attempt() -> UploadTicket:
        space = own_space(principal, space_id, spaces)
        if space.status != PENDING:
            raise RuleViolationError(f"space is {space.status}; its ownership document can no longer change", field="space_id")
        key = f"ownership/{space.space_id}/document"
        ticket = blobs.upload_ticket(key, content_type, size)
        doc = OwnershipDocument(key=key, status="requested", content_type=content_type, size=size)
        spaces.save(replace(space, document=doc, version=space.version + 1), space.version)
        return ticket

    return on_conflict(attempt)


def complete_document_upload(principal: Principal, space_id: str, *, spaces: SpaceRepository, blobs: BlobStore) -> Space:
    """Check in S3 that the declared document really arrived, encrypted under our key."""

    def attempt() -> Space:
        space = own_space(principal, space_id, spaces)
        doc = space.document
        if doc is None:
            raise RuleViolationError("request an upload URL first", field="document", code="no_upload_requested")
        stored = blobs.head(doc.key)
        if stored is None:
            raise RuleViolationError("the document has not been uploaded yet", field="document", code="upload_missing")
        if stored.sse != "aws:kms":
            raise RuleViolationError("the document must be stored with SSE-KMS", field="document", code="not_encrypted")
        if stored.content_type != doc.content_type or stored.size != doc.size or stored.size > MAX_DOCUMENT_BYTES:
            raise RuleViolationError(
                f"uploaded object ({stored.content_type}, {stored.size} bytes) does not match the declared "
                f"{doc.content_type}, {doc.size} bytes",
                field="document",
                code="upload_mismatch",
            )
        done = replace(space, document=replace(doc, status="uploaded"), version=space.version + 1)
        spaces.save(done, space.version)
        return done

    return on_conflict(attempt)


DOCUMENT_LINK_TTL_S = 300
DOCUMENT_FILES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def document_link(principal: Principal, space_id: str, *, spaces: SpaceRepository, blobs: BlobStore) -> tuple[OwnershipDocument, str]:
    """The uploaded ownership document and a short-lived URL to read it: for its owner and the reviewing admins."""
    space = own_space(principal, space_id, spaces)
    doc = space.document
    if doc is None or doc.status != "uploaded":
        raise RuleViolationError("no ownership document has been uploaded", field="document", code="upload_missing")
    name = f"ownership-{space.space_id}.{DOCUMENT_FILES.get(doc.content_type, 'bin')}"
    return doc, blobs.download_url(doc.key, name, DOCUMENT_LINK_TTL_S)


def review_space(principal: Principal, space_id: str, approve: bool, reason: str | None, *, spaces: SpaceRepository) -> Space:
    if not principal.is_admin:
        raise ForbiddenError("only admins review spaces")
    if not approve and not (reason and reason.strip()):
        raise RuleViolationError("a rejection needs a reason", field="reason")

    def attempt() -> Space:
        space = spaces.get(space_id)
        reviewed = space.reviewed(approve, reason)
        spaces.save(reviewed, space.version)
        return reviewed

    return on_conflict(attempt)


def add_window(
    principal: Principal, space_id: str, spec: WindowSpec, *, spaces: SpaceRepository, clock: Clock, new_id: Callable[[], str], increment_min: int
) -> Space:
    window = make_window(spec, new_id(), clock.now(), increment_min)

    def attempt() -> Space:
        space = own_space(principal, space_id, spaces)
        space.require_offerable()
        if len(space.calendar.windows) >= MAX_WINDOWS:
            raise RuleViolationError(f"a space has at most {MAX_WINDOWS} windows; withdraw one first", field="space_id",
                                     code="too_many_windows")
        _refuse_clash(space, window)
        changed = replace(space, calendar=space.calendar.with_windows(space.calendar.windows + (window,)), version=space.version + 1)
        spaces.save(changed, space.version)
        return changed

    return on_conflict(attempt)


def _refuse_clash(space: Space, window: Window) -> None:
    other = space.calendar.clash(window)
    if other is not None:
        raise ConflictError(
            f"this window ({window.describe()}) overlaps window {other.window_id} ({other.describe()} at {other.tariff.rate_minor}/h); "
            "a space has one price at a time: edit or withdraw that window, or offer only the time it does not cover",
            field="start" if window.kind == "once" else "start_time", code="window_overlap")


def replace_window(
    principal: Principal, space_id: str, window_id: str, spec: WindowSpec | None, *, spaces: SpaceRepository, clock: Clock, increment_min: int
) -> Space:
    """Edit (spec given) or withdraw (spec None) a window; time already booked cannot go."""
    replacement = make_window(spec, window_id, clock.now(), increment_min) if spec else None

    def attempt() -> Space:
        space = own_space(principal, space_id, spaces)
        if not any(w.window_id == window_id for w in space.calendar.windows):
            raise NotFoundError("no such window on this space", field="window_id")
        if replacement is not None:
            _refuse_clash(space, replacement)
        kept = tuple(
            replacement if w.window_id == window_id else w
            for w in space.calendar.windows
            if w.window_id != window_id or replacement is not None
        )
        changed = replace(space, calendar=space.calendar.with_windows(kept), version=space.version + 1)  # type: ignore[arg-type]
        spaces.save(changed, space.version)
        return changed

    return on_conflict(attempt)
