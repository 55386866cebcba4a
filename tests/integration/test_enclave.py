"""The KMS enclave on moto: round trips, refusals, per-user keys, KMS call counts and erasure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib import bootstrap, config
from chalicelib.adapters.enclave import KmsEnclave
from chalicelib.domain.errors import InvalidInputError, KeyErasedError, SealError

SECRET = b"NL-ID 123456789 Jan Jansen 1980-01-01"


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def enclave(stack: object) -> Iterator[KmsEnclave]:
    yield bootstrap.build_enclave(FixedClock())


def fresh(stack: object) -> KmsEnclave:
    """Another container: same tables and KMS key, cold cache."""
    return bootstrap.build_enclave(FixedClock())


def uid() -> str:
    return str(uuid.uuid4())


def test_seal_then_unseal_returns_the_plaintext_in_another_container(enclave: KmsEnclave, stack: object) -> None:
    user = uid()
    sealed = enclave.seal(user, "id-document", "front", SECRET)
    assert fresh(stack).unseal(user, "id-document", "front", sealed) == SECRET


def test_sealed_bytes_hide_the_plaintext_and_differ_each_time(enclave: KmsEnclave) -> None:
    user = uid()
    one, two = enclave.seal(user, "plate", "o1", SECRET), enclave.seal(user, "plate", "o1", SECRET)
    assert SECRET not in one and b"Jansen" not in one and one != two
    assert len(one) > len(SECRET) + 32  # header, IVs and tags: a pass-through could not produce this


@pytest.mark.parametrize("who, purpose, obj", [("other", "id-document", "front"), ("owner", "plate", "front"),
                                               ("owner", "id-document", "back")])
def test_unseal_with_another_owner_purpose_or_object_is_refused(enclave: KmsEnclave, who: str, purpose: str, obj: str) -> None:
    owner, other = uid(), uid()
    enclave.seal(other, "warm-up", "x", b"x")  # the other user has a key of their own
    sealed = enclave.seal(owner, "id-document", "front", SECRET)
    with pytest.raises(SealError):
        enclave.unseal(owner if who == "owner" else other, purpose, obj, sealed)


def test_any_altered_byte_is_refused_and_never_returns_plaintext(enclave: KmsEnclave) -> None:
    user = uid()
    sealed = enclave.seal(user, "id-document", "front", SECRET)
    for position in range(0, len(sealed), max(1, len(sealed) // 40)):
        altered = bytearray(sealed)
        altered[position] ^= 0x01
        with pytest.raises(SealError):
            enclave.unseal(user, "id-document", "front", bytes(altered))
    for broken in (sealed[:-1], sealed[:40], b"\x01" + sealed[1:], b"not sealed at all"):
        with pytest.raises(SealError):
            enclave.unseal(user, "id-document", "front", broken)


def test_an_edited_encryption_context_in_the_header_is_refused(enclave: KmsEnclave) -> None:
    user = uid()
    sealed = enclave.seal(user, "id-document", "front", SECRET)
    assert sealed.count(b"front") == 1  # the context travels in the header, authenticated
    with pytest.raises(SealError):
        enclave.unseal(user, "id-document", "front", sealed.replace(b"front", b"back_"))
    with pytest.raises(SealError):
        enclave.unseal(user, "id-document", "back_", sealed.replace(b"front", b"back_"))


def test_reserved_names_and_empty_context_values_are_refused(enclave: KmsEnclave) -> None:
    for args in (("_enclave", "ca", "v1"), (uid(), "user-key", "k"), (uid(), "", "x"), ("", "p", "x")):
        with pytest.raises(InvalidInputError):
            enclave.seal(*args, b"x")


def test_many_seals_for_one_user_cost_one_kms_call(enclave: KmsEnclave) -> None:
    user = uid()
    before = enclave.stats.calls
    sealed = [enclave.seal(user, "ledger-field", f"entry-{i}", b"AB123C") for i in range(40)]
    assert [enclave.unseal(user, "ledger-field", f"entry-{i}", s) for i, s in enumerate(sealed)] == [b"AB123C"] * 40
    assert enclave.stats.calls - before == 1  # GenerateDataKey for the new user key; the unwrapped key is cached


def test_a_cold_container_unwraps_a_user_key_with_one_kms_decrypt(enclave: KmsEnclave, stack: object) -> None:
    user = uid()
    sealed = [enclave.seal(user, "p", str(i), b"v") for i in range(10)]
    cold = fresh(stack)
    assert all(cold.unseal(user, "p", str(i), s) == b"v" for i, s in enumerate(sealed))
    assert cold.stats.calls == 1


def test_stored_user_key_items_hold_only_kms_wrapped_keys(enclave: KmsEnclave) -> None:
    user = uid()
    enclave.seal(user, "p", "o", SECRET)
    item = boto3.client("dynamodb").get_item(TableName=config.table_name("user-keys"), Key={"user_id": {"S": user}})["Item"]
    assert item["state"]["S"] == "active" and len(item["wrapped"]["B"]) > 100  # an Encryption SDK message, not 32 raw bytes


def test_after_erasure_nothing_of_that_user_opens_and_others_still_do(enclave: KmsEnclave, stack: object) -> None:
    closing, staying = uid(), uid()
    theirs = [enclave.seal(closing, "id-document", side, SECRET) for side in ("front", "back", "selfie")]
    mine = enclave.seal(staying, "id-document", "front", SECRET)
    enclave.erase_user(closing)
    for container in (enclave, fresh(stack)):
        for side, sealed in zip(("front", "back", "selfie"), theirs, strict=True):
            with pytest.raises(KeyErasedError):
                container.unseal(closing, "id-document", side, sealed)
        assert container.unseal(staying, "id-document", "front", mine) == SECRET
    with pytest.raises(KeyErasedError):
        enclave.seal(closing, "id-document", "front", SECRET)  # no new key is ever made for a closed account
    item = boto3.client("dynamodb").get_item(TableName=config.table_name("user-keys"), Key={"user_id": {"S": closing}})["Item"]
    assert item["state"]["S"] == "erased" and "wrapped" not in item


def test_erasing_twice_or_a_user_who_never_sealed_anything_is_fine(enclave: KmsEnclave) -> None:
    user = uid()
    enclave.erase_user(user)
    enclave.erase_user(user)
    with pytest.raises(KeyErasedError):
        enclave.seal(user, "p", "o", b"x")


def test_unseal_for_a_user_without_a_key_is_refused(enclave: KmsEnclave) -> None:
    with pytest.raises(SealError):
        enclave.unseal(uid(), "p", "o", enclave.seal(uid(), "p", "o", b"x"))


def test_containers_racing_to_create_a_users_first_key_end_up_sharing_one(stack: object) -> None:
    from concurrent.futures import ThreadPoolExecutor

    user = uid()
    containers = [fresh(stack) for _ in range(6)]
    with ThreadPoolExecutor(len(containers)) as pool:
        sealed = list(pool.map(lambda c: c.seal(user, "p", "race", SECRET), containers))
    cold = fresh(stack)
    assert all(cold.unseal(user, "p", "race", s) == SECRET for s in sealed)


def test_blind_indexes_are_stable_across_containers_and_reveal_nothing(enclave: KmsEnclave, stack: object) -> None:
    tag = enclave.blind_index("gate-plate", "cp1|AB123C")
    assert tag == fresh(stack).blind_index("gate-plate", "cp1|AB123C") and len(tag) == 64 and "AB123C" not in tag
    assert len({tag, enclave.blind_index("gate-plate", "cp1|AB123D"), enclave.blind_index("membership-plate", "cp1|AB123C")}) == 3


def test_after_erasure_the_ledger_still_verifies_but_only_the_others_entries_open(enclave: KmsEnclave, stack: object) -> None:
    import base64

    from chalicelib.domain.ledger import Entry, build_block, check_block, entry_leaf_hash
    from chalicelib.domain.merkle import inclusion_proof, verify_inclusion

    closing, staying = uid(), uid()

    def entry(seq: int, user: str) -> Entry:
        sealed = {"plate": base64.b64encode(enclave.seal(user, "ledger-field", f"parent:{seq}/plate", b"AB123C")).decode()}
        return Entry("parent", seq, "paid", user, f"order-{seq}", "2026-11-24T12:00:00Z", sealed)

    entries = [entry(i, closing if i % 2 else staying) for i in range(6)]
    block = build_block("ledger", "parent", 0, None, [], entries, "2026-11-24T12:01:00Z", validators_hash="0" * 64)
    enclave.erase_user(closing)
    leaves = [entry_leaf_hash(e) for e in entries]  # the stored entries are untouched by erasure
    check_block(block, None, leaves)
    opened = fresh(stack)
    for e in entries:
        verify_inclusion(leaves[e.seq], e.seq, block.tree_size, inclusion_proof(e.seq, leaves), bytes.fromhex(block.root))
        ciphertext = base64.b64decode(e.sealed["plate"])
        if e.user_id == closing:
            with pytest.raises(KeyErasedError):
                opened.unseal(e.user_id, "ledger-field", f"parent:{e.seq}/plate", ciphertext)
        else:
            assert opened.unseal(e.user_id, "ledger-field", f"parent:{e.seq}/plate", ciphertext) == b"AB123C"
