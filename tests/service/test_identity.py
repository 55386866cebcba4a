"""Identity verification with fakes: sealed uploads, the review window, logged reads, the reservation gate."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import envelope
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import ConflictError, ForbiddenError, KeyErasedError, RuleViolationError
from chalicelib.domain.identity import SIDES
from chalicelib.services import identity, reservations
from tests.fakes import NOON, FakeBlobStore, FakeEnclave, FakeIdentityCases, FixedClock, Ids, InMemoryLedger

ALICE = Principal("alice", "a@example.com", frozenset(), frozenset({"parker"}))
VERIFIER = Principal("vera", "v@example.com", frozenset({"admin"}), frozenset())
MALLORY = Principal("mallory", "m@example.com", frozenset(), frozenset({"parker"}))


def image(side: str) -> bytes:
    return f"ID {side} of ALICE EXAMPLE NL-ID-99887766".encode()


@dataclass
class World:
    cases: FakeIdentityCases
    enclave: FakeEnclave
    documents: FakeBlobStore
    ledger: InMemoryLedger
    clock: FixedClock

    def device_envelope(self, who: Principal, side: str) -> bytes:
        public = serialization.load_pem_public_key(self.enclave.device_public_key_pem().encode())
        assert isinstance(public, ec.EllipticCurvePublicKey)
        return envelope.seal_on_device(public, who.user_id, "id-document", side, image(side),
                                       ephemeral=ec.generate_private_key(ec.SECP256R1()), nonce=os.urandom(12))

    def upload_all(self, who: Principal = ALICE) -> None:
        ids = Ids("case")
        for side in SIDES:
            identity.upload_document(who, side, "image/jpeg", self.device_envelope(who, side), cases=self.cases,
                                     device=self.enclave, documents=self.documents, clock=self.clock, new_id=ids)

    def review(self, who: Principal, side: str) -> bytes:
        return identity.review_document(who, "alice", side, cases=self.cases, documents=self.documents, enclave=self.enclave,
                                        ledger=self.ledger, clock=self.clock)[0]


@pytest.fixture
def world() -> World:
    return World(FakeIdentityCases(), FakeEnclave(), FakeBlobStore(), InMemoryLedger(), FixedClock(NOON))


def test_uploaded_documents_are_stored_sealed_to_their_owner(world: World) -> None:
    world.upload_all()
    case = world.cases.get("alice")
    assert case is not None and case.status == "collecting" and sorted(case.documents) == sorted(SIDES)
    for side in SIDES:
        stored = world.documents.objects[case.documents[side].key]
        assert b"ALICE" not in stored
        assert world.enclave.unseal("alice", "id-document", f"case1/{side}", stored) == image(side)


def test_a_verifier_sees_documents_only_while_the_case_is_open_and_each_view_is_logged(world: World) -> None:
    world.upload_all()
    with pytest.raises(ForbiddenError):
        world.review(VERIFIER, "front")  # still collecting
    identity.submit(ALICE, cases=world.cases, clock=world.clock)
    assert world.review(VERIFIER, "front") == image("front")
    assert world.review(VERIFIER, "selfie") == image("selfie")
    assert [(e.log, e.action, e.user_id, e.order_id, e.sealed["viewer"], e.sealed["document"]) for e in world.ledger.entries] == [
        ("side", "retrieve", "alice", "identity:case1", "vera", "front"),
        ("side", "retrieve", "alice", "identity:case1", "vera", "selfie")]
    identity.decide(VERIFIER, "alice", True, None, cases=world.cases, clock=world.clock)
    with pytest.raises(ForbiddenError):
        world.review(VERIFIER, "back")
    assert len(world.ledger.entries) == 2 and len(world.enclave.unsealed) == 2


def test_other_users_cannot_review_and_nobody_verifies_themselves(world: World) -> None:
    world.upload_all()
    identity.submit(ALICE, cases=world.cases, clock=world.clock)
    with pytest.raises(ForbiddenError):
        world.review(MALLORY, "front")
    with pytest.raises(ForbiddenError):
        identity.decide(Principal("alice", "a", frozenset({"admin"}), frozenset()), "alice", True, None, cases=world.cases,
                        clock=world.clock)
    assert world.ledger.entries == [] and world.enclave.unsealed == []


def test_the_owner_can_always_download_and_that_is_logged_too(world: World) -> None:
    world.upload_all()
    identity.submit(ALICE, cases=world.cases, clock=world.clock)
    identity.decide(VERIFIER, "alice", False, "blurry photo", cases=world.cases, clock=world.clock)
    data, content_type, entry = identity.read_own_document(ALICE, "back", cases=world.cases, documents=world.documents,
                                                           enclave=world.enclave, ledger=world.ledger, clock=world.clock)
    assert data == image("back") and content_type == "image/jpeg" and entry == "side:0"
    assert world.ledger.entries[0].sealed["viewer"] == "alice"


def test_submission_needs_all_three_sides_and_a_rejection_starts_a_new_case(world: World) -> None:
    identity.upload_document(ALICE, "front", "image/png", world.device_envelope(ALICE, "front"), cases=world.cases,
                             device=world.enclave, documents=world.documents, clock=world.clock, new_id=Ids("case"))
    with pytest.raises(RuleViolationError):
        identity.submit(ALICE, cases=world.cases, clock=world.clock)
    world.cases.items.clear()
    world.upload_all()
    identity.submit(ALICE, cases=world.cases, clock=world.clock)
    with pytest.raises(ConflictError):
        world.upload_all()  # under review
    identity.decide(VERIFIER, "alice", False, "expired card", cases=world.cases, clock=world.clock)
    ids = Ids("again")
    identity.upload_document(ALICE, "front", "image/jpeg", world.device_envelope(ALICE, "front"), cases=world.cases,
                             device=world.enclave, documents=world.documents, clock=world.clock, new_id=ids)
    case = world.cases.get("alice")
    assert case is not None and case.case_id == "again1" and case.status == "collecting" and list(case.documents) == ["front"]


def test_after_erasure_the_owner_gets_key_erased_not_plaintext(world: World) -> None:
    world.upload_all()
    world.enclave.erase_user("alice")
    with pytest.raises(KeyErasedError):
        identity.read_own_document(ALICE, "front", cases=world.cases, documents=world.documents, enclave=world.enclave,
                                   ledger=world.ledger, clock=world.clock)


class _NoSpaces:
    """Reached only if the identity check let the request through."""

    def get(self, space_id: str) -> object:
        raise AssertionError("the identity gate should have refused first")


def test_reserving_requires_a_verified_identity_when_the_stage_says_so(world: World) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    with pytest.raises(RuleViolationError) as err:
        reservations.reserve(ALICE, "s1", "AB-123-C", start, start + timedelta(hours=1),
                             spaces=_NoSpaces(), reservations=None, clock=world.clock, new_id=Ids(),  # type: ignore[arg-type]
                             identity=world.cases)
    assert err.value.code == "identity_not_verified"
