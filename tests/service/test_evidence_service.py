"""Evidence use cases on fakes: photo sets, recording, the offline-verifiable zip, claims."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from chalicelib.adapters.images import inspect
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import ForbiddenError, NotFoundError, RuleViolationError
from chalicelib.domain.reservations import ENTERED
from chalicelib.services import evidence as svc
from chalicelib.verify import VerificationError, read_evidence_zip, verify_evidence, write_evidence_zip
from tests.fakes import (
    FakeBlobStore,
    FakeClaimRepository,
    FakeEnclave,
    FakeEvidenceSource,
    FakeExportLog,
    FakeLedger,
    FakePhotoSetRepository,
    FakeReservationRepository,
    FakeSpaceRepository,
    FixedClock,
)
from tests.integration.test_repository_contract import a_reservation, a_space
from tests.photos import jpeg

NOW = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
PARKER = Principal("parker-1", "p@example.com", frozenset(), frozenset({"parker"}))
SHARER = Principal("owner-1", "s@example.com", frozenset(), frozenset({"sharer"}))
STRANGER = Principal("x", "x@example.com", frozenset(), frozenset({"parker"}))
VIEWS = ("front", "rear", "left", "right")
counter = itertools.count()


@pytest.fixture
def st() -> svc.EvidenceStores:
    spaces = FakeSpaceRepository()
    space = a_space()
    spaces.add(space)
    reservations = FakeReservationRepository(spaces)
    r = replace(a_reservation(space, start_h=-1), state=ENTERED, entered_at=NOW - timedelta(minutes=30))
    reservations.items[r.reservation_id] = r
    ledger = FakeLedger()
    return svc.EvidenceStores(reservations, spaces, FakePhotoSetRepository(), FakeClaimRepository(), FakeBlobStore(), FakeEnclave(),
                              ledger, FakeEvidenceSource(ledger), inspect, FixedClock(NOW), os.urandom, lambda: f"id{next(counter)}",
                              FakeExportLog())


def order_id(st: svc.EvidenceStores) -> str:
    return next(iter(st.reservations.items))  # type: ignore[attr-defined]


def take(st: svc.EvidenceStores, phase: str, taken: datetime, views: tuple[str, ...] = VIEWS, tamper: str | None = None) -> Any:
    oid = order_id(st)
    photos = {v: jpeg(taken, colour=(10 * i, 40, 90)) for i, v in enumerate(views)}
    declared = [svc.DeclaredPhoto(v, hashlib.sha256(d).hexdigest(), len(d)) for v, d in photos.items()]
    tickets = svc.request_uploads(PARKER, oid, phase, declared, st)
    for view, ticket in tickets:
        st.blobs.put(ticket.key, photos[view] + (b"x" if view == tamper else b""), "image/jpeg")
    return svc.complete_set(PARKER, oid, phase, st), photos


def test_a_recorded_set_is_sealed_on_the_ledger_and_leaves_no_plain_copy(st: svc.EvidenceStores) -> None:
    done, photos = take(st, "arrival", NOW - timedelta(minutes=1))
    assert done.status == "recorded" and all(p.entry_id for p in done.photos)
    uploads = st.ledger.entries  # type: ignore[attr-defined]
    assert [e.action for e in uploads] == ["upload"] * 4 and all(e.log == "side" for e in uploads)
    stored = st.blobs.objects  # type: ignore[attr-defined]
    assert not any(k.startswith("incoming/") for k in stored)
    for data in photos.values():
        assert all(data not in blob for blob in stored.values())  # only ciphertext remains
    assert all(hashlib.sha256(photos[e.sealed["Viewpoint"]]).hexdigest() not in str(e.digests) for e in uploads)


def test_departure_without_arrival_and_three_views_are_refused(st: svc.EvidenceStores) -> None:
    with pytest.raises(RuleViolationError) as err:
        take(st, "departure", NOW)
    assert err.value.code == "arrival_missing"
    with pytest.raises(RuleViolationError) as err:
        take(st, "arrival", NOW, views=("front", "rear", "left"))
    assert err.value.code == "views_missing"


def test_a_photo_whose_bytes_differ_from_its_digest_records_nothing(st: svc.EvidenceStores) -> None:
    with pytest.raises(RuleViolationError) as err:
        take(st, "arrival", NOW - timedelta(minutes=1), tamper="left")
    assert err.value.code == "digest_mismatch"
    assert st.ledger.entries == []  # type: ignore[attr-defined]
    assert st.photo_sets.get(order_id(st), "arrival").status == "requested"


@pytest.mark.parametrize("taken,code", [(NOW - timedelta(hours=2), "capture_time_old"), (NOW + timedelta(hours=1), "capture_time_future")])
def test_library_and_future_photos_are_refused(st: svc.EvidenceStores, taken: datetime, code: str) -> None:
    with pytest.raises(RuleViolationError) as err:
        take(st, "arrival", taken)
    assert err.value.code == code


def test_evidence_zip_verifies_offline_and_the_retrieval_is_logged(st: svc.EvidenceStores) -> None:
    take(st, "arrival", NOW - timedelta(minutes=1))
    take(st, "departure", NOW - timedelta(minutes=1))
    out = svc.export_for_parker(PARKER, order_id(st), st)
    assert out["photos"] == 8 and st.ledger.entries[-1].action == "retrieve"  # type: ignore[attr-defined]
    data = st.blobs.objects[out["url"].removeprefix("memory://")]  # type: ignore[attr-defined]
    assert verify_evidence(data).attachments_checked == 8
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # any zip tool reads it
        assert z.namelist()[0] == "bundle.json" and all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
    bundle, members = read_evidence_zip(data)
    swapped = dict(members)
    front = next(n for n in swapped if n.endswith("arrival-front.jpg"))
    rear = next(n for n in swapped if n.endswith("arrival-rear.jpg"))
    swapped[front], swapped[rear] = swapped[rear], swapped[front]
    with pytest.raises(VerificationError, match="sha256"):
        verify_evidence(write_evidence_zip(bundle, swapped.items()))

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hst.integers(0, len(data) * 8 - 1))
    def flipped_fails(bit: int) -> None:
        altered = bytearray(data)
        altered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VerificationError):
            verify_evidence(bytes(altered))

    flipped_fails()


def test_claims_share_evidence_only_while_open_and_record_who_saw_it(st: svc.EvidenceStores) -> None:
    take(st, "arrival", NOW - timedelta(minutes=1))
    oid = order_id(st)
    with pytest.raises(NotFoundError):
        svc.export_for_parker(SHARER, oid, st)
    claim = svc.open_claim(PARKER, oid, ("sharer",), "scratch on the rear bumper", st)
    with pytest.raises(NotFoundError):
        svc.claim_evidence(STRANGER, claim.claim_id, st)
    svc.claim_evidence(SHARER, claim.claim_id, st)
    seen = st.claims.get(claim.claim_id)
    assert [(who, role) for who, role, _ in seen.access_log] == [("owner-1", "sharer")]
    with pytest.raises(ForbiddenError):
        svc.close_claim(SHARER, claim.claim_id, st)
    svc.close_claim(PARKER, claim.claim_id, st)
    with pytest.raises(ForbiddenError):
        svc.claim_evidence(SHARER, claim.claim_id, st)


def test_an_expired_claim_no_longer_shares(st: svc.EvidenceStores) -> None:
    take(st, "arrival", NOW - timedelta(minutes=1))
    claim = svc.open_claim(PARKER, order_id(st), ("sharer",), "dent", st)
    st.clock.moment = NOW + timedelta(days=31)  # type: ignore[attr-defined]
    with pytest.raises(ForbiddenError):
        svc.claim_evidence(SHARER, claim.claim_id, st)


def test_an_evidence_zip_is_deleted_after_its_download_window_and_not_before(st: svc.EvidenceStores) -> None:
    take(st, "arrival", NOW - timedelta(minutes=1))
    oid = order_id(st)
    out = svc.export_for_parker(PARKER, oid, st)
    claim = svc.open_claim(PARKER, oid, ("sharer",), "dent", st)
    st.clock.moment = NOW + timedelta(minutes=2)  # type: ignore[attr-defined]
    shared = svc.claim_evidence(SHARER, claim.claim_id, st)
    zips = {k for k in st.blobs.objects if k.startswith("exports/")}  # type: ignore[attr-defined]
    assert zips == {out["url"].removeprefix("memory://"), shared["url"].removeprefix("memory://")}
    st.clock.moment = NOW + timedelta(seconds=svc.EXPORT_TTL_S - 1)  # type: ignore[attr-defined]
    assert svc.expire_exports(st) == [] and zips <= set(st.blobs.objects)  # type: ignore[attr-defined]
    st.clock.moment = NOW + timedelta(seconds=svc.EXPORT_TTL_S)  # type: ignore[attr-defined]
    assert len(svc.expire_exports(st)) == 1  # the parker's; the sharer's, two minutes younger, still downloadable
    st.clock.moment = NOW + timedelta(minutes=2, seconds=svc.EXPORT_TTL_S)  # type: ignore[attr-defined]
    assert len(svc.expire_exports(st)) == 1
    assert not any(k.startswith("exports/") for k in st.blobs.objects)  # type: ignore[attr-defined]
    assert st.exports.items == {}  # type: ignore[attr-defined]


def test_closing_an_account_deletes_the_zips_of_its_photos_and_those_it_fetched_at_once(st: svc.EvidenceStores) -> None:
    take(st, "arrival", NOW - timedelta(minutes=1))
    oid = order_id(st)
    svc.export_for_parker(PARKER, oid, st)
    claim = svc.open_claim(PARKER, oid, ("sharer",), "dent", st)
    svc.claim_evidence(SHARER, claim.claim_id, st)
    assert svc.erase_exports_of(SHARER.user_id, st) == 1  # what the sharer fetched
    assert len([k for k in st.blobs.objects if k.startswith("exports/")]) == 1  # type: ignore[attr-defined]
    assert svc.erase_exports_of(PARKER.user_id, st) == 1
    assert not any(k.startswith("exports/") for k in st.blobs.objects)  # type: ignore[attr-defined]


def test_a_claims_access_log_is_bounded_so_the_claim_stays_writable(st: svc.EvidenceStores) -> None:
    take(st, "arrival", NOW - timedelta(minutes=1))
    claim = svc.open_claim(PARKER, order_id(st), ("sharer",), "dent", st)
    st.claims.items[claim.claim_id] = replace(claim, access_log=(("owner-1", "sharer", "t"),) * svc.MAX_CLAIM_VIEWS)  # type: ignore[attr-defined]
    with pytest.raises(RuleViolationError) as refused:
        svc.claim_evidence(SHARER, claim.claim_id, st)
    assert refused.value.code == "view_limit" and not any(k.startswith("exports/") for k in st.blobs.objects)  # type: ignore[attr-defined]
