"""Accident evidence: live photo sets recorded on the ledger, evidence bundles, and claims.

Photos go straight to S3 under incoming/ (presigned PUT, SSE-KMS, checksum). Completion reads the
bytes back, checks them (type, digest, EXIF capture time inside the session), seals each photo to
the parker with the enclave, deletes the incoming copy, and records one side-chain `upload` entry
per photo whose digest is a salted commitment. Nobody gets a photo without an explicit unseal,
and every unseal is a `retrieve` entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from ..domain.accounts import Principal
from ..domain.errors import ForbiddenError, NotFoundError, RuleViolationError
from ..domain.photos import (
    CLAIM_DAYS,
    CLOSED,
    MAX_PHOTO_BYTES,
    OPEN,
    SHARE_TARGETS,
    Claim,
    EvidenceExport,
    Photo,
    PhotoSet,
    attachment_name,
    check_declared,
    check_photo,
    check_set,
    commitment,
)
from ..domain.reservations import ENTERED, Reservation
from ..domain.timeutil import format_instant
from ..verify import write_evidence_zip
from .ports import (
    BlobStore,
    Clock,
    Enclave,
    EvidenceSource,
    ExportLog,
    ImageInspector,
    Ledger,
    ReservationRepository,
    SpaceRepository,
    UploadTicket,
)
from .retry import on_conflict

PHOTO_PURPOSE = "photo"
EXPORT_TTL_S = 300  # the download URL's life; the sweep deletes the zip at its next run after that
SWEEP_LIMIT = 500
MAX_CLAIM_VIEWS = 200


@dataclass(frozen=True)
class DeclaredPhoto:
    view: str
    sha256: str
    size: int
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class EvidenceStores:
    """What the evidence use cases work on, passed together since nearly all of them need all of it."""

    reservations: ReservationRepository
    spaces: SpaceRepository
    photo_sets: Any  # PhotoSetRepository (adapters/evidence_store.py; fake in tests/fakes.py)
    claims: Any  # ClaimRepository
    blobs: BlobStore
    enclave: Enclave
    ledger: Ledger
    evidence: EvidenceSource
    inspect: ImageInspector
    clock: Clock
    random_bytes: Callable[[int], bytes]
    new_id: Callable[[], str]
    exports: ExportLog
    works_at: Callable[[str, str], bool] = lambda carpark_id, user_id: False  # (car park, user): an active membership?


def _parked_order(principal: Principal, order_id: str, st: EvidenceStores) -> Reservation:
    r = st.reservations.get(order_id)
    if r.parker_id != principal.user_id:
        raise NotFoundError("no such order", field="order_id")
    if r.state != ENTERED or r.entered_at is None:
        raise RuleViolationError(f"photos are taken while the car is parked; this order is {r.state}", field="order_id",
                                 code="not_parked")
    return r


def request_uploads(principal: Principal, order_id: str, phase: str, declared: list[DeclaredPhoto],
                    st: EvidenceStores) -> list[tuple[str, UploadTicket]]:
    r = _parked_order(principal, order_id, st)
    recorded = {s.phase for s in st.photo_sets.for_order(order_id) if s.status == "recorded"}
    check_set(phase, [d.view for d in declared], recorded)
    for d in declared:
        check_declared(d.sha256, d.size, d.content_type)
    photos = tuple(Photo(d.view, d.sha256, d.size, f"incoming/{order_id}/{phase}/{d.view}.jpg") for d in declared)
    st.photo_sets.put_requested(PhotoSet(order_id, phase, r.parker_id, "requested", photos, st.clock.now()))
    return [(p.view, st.blobs.upload_ticket(p.incoming_key, "image/jpeg", MAX_PHOTO_BYTES, p.sha256)) for p in photos]


def _check_uploaded(photo: Photo, r: Reservation, st: EvidenceStores, tz: Any) -> tuple[bytes, str]:
    data = st.blobs.read(photo.incoming_key, MAX_PHOTO_BYTES)
    if data is None:
        raise RuleViolationError(f"{photo.view}: not uploaded yet (or larger than allowed)", field=f"photos.{photo.view}",
                                 code="upload_missing")
    assert r.entered_at is not None
    taken = check_photo(st.inspect(data, tz), photo.sha256, now=st.clock.now(), session_start=r.entered_at, view=photo.view)
    return data, format_instant(taken)


def complete_set(principal: Principal, order_id: str, phase: str, st: EvidenceStores) -> PhotoSet:
    r = _parked_order(principal, order_id, st)
    photo_set = st.photo_sets.get(order_id, phase)
    if photo_set.status != "requested":
        raise RuleViolationError(f"the {phase} set is already recorded", field="phase", code="set_exists")
    tz = st.spaces.get(r.space_id).calendar.tz
    checked = [(p, *_check_uploaded(p, r, st, tz)) for p in photo_set.photos]  # all pass before anything is written
    meta: dict[str, dict[str, str]] = {}
    recorded: list[Photo] = []
    for photo, data, taken in checked:
        object_id = f"{order_id}/{phase}/{photo.view}"
        sealed_key = f"photos/{object_id}.sealed"
        st.blobs.put(sealed_key, st.enclave.seal(r.parker_id, PHOTO_PURPOSE, object_id, data), "application/octet-stream")
        salt = st.random_bytes(32)
        name = attachment_name(order_id, phase, photo.view)
        receipt = st.ledger.record(
            log="side", action="upload", user_id=r.parker_id, order_id=order_id,
            sealed={"PhotoTakenTime": taken, "Photo": photo.sha256, "PhotoSalt": salt.hex(), "Viewpoint": photo.view, "Phase": phase},
            digests={name: commitment(salt, photo.sha256)},
        )
        meta[photo.view] = {"taken": taken, "salt": salt.hex()}
        recorded.append(replace(photo, sealed_key=sealed_key, entry_id=receipt.entry_id))
    sealed_meta = st.enclave.seal(r.parker_id, PHOTO_PURPOSE, f"{order_id}/{phase}/meta", json.dumps(meta).encode())
    done = replace(photo_set, status="recorded", photos=tuple(recorded), sealed_meta=sealed_meta.hex(), version=photo_set.version + 1)
    st.photo_sets.save(done, photo_set.version)
    for photo, _, _ in checked:
        st.blobs.delete(photo.incoming_key)
    return done


def list_sets(principal: Principal, order_id: str, st: EvidenceStores) -> list[PhotoSet]:
    r = st.reservations.get(order_id)
    if r.parker_id != principal.user_id:
        raise NotFoundError("no such order", field="order_id")
    return st.photo_sets.for_order(order_id)


def _evidence_zip(r: Reservation, st: EvidenceStores) -> tuple[bytes, int]:
    sets = [s for s in st.photo_sets.for_order(r.reservation_id) if s.status == "recorded"]
    if not sets:
        raise RuleViolationError("this order has no recorded photos", field="order_id", code="no_evidence")
    files: dict[str, bytes] = {}
    attachments: dict[str, dict[str, str]] = {}
    for s in sets:
        assert s.sealed_meta is not None
        meta = json.loads(st.enclave.unseal(r.parker_id, PHOTO_PURPOSE, f"{r.reservation_id}/{s.phase}/meta", bytes.fromhex(s.sealed_meta)))
        for p in s.photos:
            assert p.sealed_key is not None and p.entry_id is not None
            sealed = st.blobs.read(p.sealed_key, 2 * MAX_PHOTO_BYTES)
            if sealed is None:
                raise NotFoundError(f"{p.view}: the sealed photo is gone", field="order_id")
            name = attachment_name(r.reservation_id, s.phase, p.view)
            files[name] = st.enclave.unseal(r.parker_id, PHOTO_PURPOSE, f"{r.reservation_id}/{s.phase}/{p.view}", sealed)
            attachments[p.entry_id] = {"name": name, "sha256": p.sha256, "salt": meta[p.view]["salt"]}
    bundle = st.evidence.bundle(list(attachments))
    for item, entry_id in zip(bundle["items"], attachments, strict=True):  # type: ignore[call-overload]
        item["attachments"] = [attachments[entry_id]]
    # The one zip layout the format allows (docs/ledger-format.md section 9): files in the order of the items.
    bundle_json = json.dumps(bundle, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return write_evidence_zip(bundle_json, files.items()), len(files)


def _export(r: Reservation, viewer: str, role: str, st: EvidenceStores) -> dict[str, Any]:
    data, count = _evidence_zip(r, st)
    export_id, now = st.new_id(), st.clock.now()
    key = f"exports/{export_id}.zip"
    # Recorded before it is written: a zip can never be in the bucket without the record that gets it deleted.
    st.exports.add(EvidenceExport(export_id, key, r.parker_id, viewer, r.reservation_id, now, now + timedelta(seconds=EXPORT_TTL_S)))
    st.blobs.put(key, data, "application/zip")
    receipt = st.ledger.record(log="side", action="retrieve", user_id=r.parker_id, order_id=r.reservation_id,
                               sealed={"Viewer": viewer, "Role": role, "What": "photo evidence", "At": format_instant(st.clock.now())})
    url = st.blobs.download_url(key, f"evidence-{r.reservation_id}.zip", EXPORT_TTL_S)
    return {"url": url, "expires_in": EXPORT_TTL_S, "photos": count, "retrieve_entry": receipt.entry_id}


def export_for_parker(principal: Principal, order_id: str, st: EvidenceStores) -> dict[str, Any]:
    r = st.reservations.get(order_id)
    if r.parker_id != principal.user_id:
        raise NotFoundError("no such order", field="order_id")
    return _export(r, principal.user_id, "parker", st)


def open_claim(principal: Principal, order_id: str, share_with: tuple[str, ...], description: str, st: EvidenceStores) -> Claim:
    r = st.reservations.get(order_id)
    if r.parker_id != principal.user_id:
        raise NotFoundError("no such order", field="order_id")
    if not share_with or not set(share_with) <= set(SHARE_TARGETS):
        raise RuleViolationError(f"share_with must name some of {SHARE_TARGETS}", field="share_with")
    if "carpark" in share_with and not r.carpark_id:
        raise RuleViolationError("this space is not in a car park", field="share_with")
    now = st.clock.now()
    claim = Claim(st.new_id(), order_id, r.parker_id, r.sharer_id, r.carpark_id, tuple(sorted(set(share_with))), description,
                  OPEN, now, now + timedelta(days=CLAIM_DAYS))
    st.claims.add(claim)
    return claim


def claims_for_order(principal: Principal, order_id: str, st: EvidenceStores) -> list[Claim]:
    """The order's claims, for its parker (others reach a claim by its id, which they are told)."""
    r = st.reservations.get(order_id)
    if r.parker_id != principal.user_id:
        raise NotFoundError("no such order", field="order_id")
    return sorted(st.claims.for_order(order_id), key=lambda c: c.opened_at, reverse=True)


def visible_claim(principal: Principal, claim_id: str, st: EvidenceStores) -> tuple[Claim, str]:
    claim = st.claims.get(claim_id)
    at_carpark = claim.carpark_id is not None and st.works_at(claim.carpark_id, principal.user_id)
    role = claim.role_of(principal.user_id, works_at_carpark=at_carpark)
    if role is None and not principal.is_admin:
        raise NotFoundError("no such claim", field="claim_id")
    return claim, role or "admin"


def claim_evidence(principal: Principal, claim_id: str, st: EvidenceStores) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        claim, role = visible_claim(principal, claim_id, st)
        if role != "parker" and not claim.is_open(st.clock.now()):
            raise ForbiddenError("the claim is closed or expired; its evidence is no longer shared", field="claim_id")
        if len(claim.access_log) >= MAX_CLAIM_VIEWS:  # the log lives in the claim's item, which must stay writable
            raise RuleViolationError(f"this claim's evidence was fetched {MAX_CLAIM_VIEWS} times; open a new claim",
                                     field="claim_id", code="view_limit")
        seen = replace(claim, access_log=claim.access_log + ((principal.user_id, role, format_instant(st.clock.now())),),
                       version=claim.version + 1)
        st.claims.save(seen, claim.version)  # who saw what is recorded before the evidence is released
        return _export(st.reservations.get(claim.order_id), principal.user_id, role, st)

    return on_conflict(attempt)


def close_claim(principal: Principal, claim_id: str, st: EvidenceStores) -> Claim:
    def attempt() -> Claim:
        claim, role = visible_claim(principal, claim_id, st)
        if role not in ("parker", "admin"):
            raise ForbiddenError("only the parker (or an admin) closes a claim", field="claim_id")
        if claim.status != OPEN:
            raise RuleViolationError("the claim is already closed", field="claim_id", code="claim_closed")
        closed = replace(claim, status=CLOSED, closed_at=st.clock.now(), version=claim.version + 1)
        st.claims.save(closed, claim.version)
        return closed

    return on_conflict(attempt)


def _delete(export: EvidenceExport, st: EvidenceStores) -> None:
    st.blobs.delete(export.object_key)  # the object first: a record is only removed once its zip is gone
    st.exports.remove(export.export_id)


def expire_exports(st: EvidenceStores, *, limit: int = SWEEP_LIMIT) -> list[str]:
    """The scheduled sweep: every evidence zip past its download window is deleted from the bucket, for real."""
    due = st.exports.due(st.clock.now(), limit)
    for export in due:
        _delete(export, st)
    return [e.export_id for e in due]


def erase_exports_of(user_id: str, st: EvidenceStores) -> int:
    """Account closure: every zip holding this user's photos, or fetched by them, is deleted at once."""
    erased = 0
    while found := st.exports.of_user(user_id, SWEEP_LIMIT):
        for export in found:
            _delete(export, st)
        erased += len(found)
    return erased
