"""One set of ledger-storage tests, run against the in-memory store (service tests, benchmarks) and DynamoDB on
moto, so the fake stays honest. The DynamoDB store gets ledger tables of its own (a fresh prefix per test)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.memory import MemoryLedgerStore
from chalicelib.domain.chain import next_header
from chalicelib.domain.ledger import Entry, header_hash
from chalicelib.domain.quorum import QuorumCertificate, Signature
from chalicelib.services.ledger_ports import DuplicateEntryError, HeadMovedError, StoredBlock

VHASH = "ab" * 32
TABLES = ("LedgerEntriesTable", "LedgerBlocksTable", "LedgerHeadsTable", "LedgerWatermarksTable", "LedgerUniqueTable",
          "LedgerSubtreesTable")


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: Any) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryLedgerStore()
        return
    request.getfixturevalue("stack")
    from chalicelib.adapters.ledger_tables import DynamoLedgerStore, ledger_models
    from infra import apply_local, localstack

    template = apply_local.load_template()
    template = {**template, "Resources": {k: template["Resources"][k] for k in TABLES}, "Outputs": {}}
    prefix = f"contract-{uuid.uuid4().hex[:8]}"
    apply_local.apply(prefix, localstack.REGION, template)
    monkey = request.getfixturevalue("monkeypatch")
    monkey.setenv("CP_RESOURCE_PREFIX", prefix)
    yield DynamoLedgerStore(ledger_models())


def entry(seq: int, log: str = "parent", user: str = "u1", order: str = "o1") -> Entry:
    return Entry(log=log, seq=seq, action="paid" if log == "parent" else "upload", user_id=user, order_id=order,
                 recorded_at="2026-11-24T12:00:00Z", sealed={"Fees": base64.b64encode(b"x").decode()})


def block_of(store: Any, entries: list[Entry]) -> StoredBlock:
    head = store.head("parent")
    prev = store.block("parent", head.height) if head.height >= 0 else None
    header, frontier = next_header(ledger_id="l", log="parent", prev=prev.header if prev else None,
                                   prev_frontier=prev.frontier if prev else (), entries=entries,
                                   cut_at="2026-11-24T12:00:01Z", validators_hash=VHASH)
    return StoredBlock(header, QuorumCertificate(header_hash(header), (Signature("v0", "c2ln"),)), tuple(frontier))


def test_entries_are_put_once_per_seq_and_read_back_in_order(store: Any) -> None:
    assert store.last_seq("parent") == -1
    for seq in range(3):
        store.put_entry(entry(seq, order=f"o{seq}"))
    with pytest.raises(HeadMovedError):
        store.put_entry(entry(1, user="someone-else"))
    assert store.last_seq("parent") == 2 and store.last_seq("side") == -1
    assert store.entries("parent", 1, 5) == [entry(1, order="o1"), entry(2, order="o2")]
    assert store.entry("parent", 0) == entry(0, order="o0") and store.entry("parent", 7) is None
    assert [e.seq for e in store.by_order("o1", 10)] == [1] and len(store.by_user("u1", 10)) == 3
    assert len(store.leaf_hashes("parent", 0, 2)) == 2 and store.leaf_hashes("parent", 1, 5) == store.leaf_hashes("parent", 0, 3)[1:]


def test_a_block_commits_once_after_its_proposal(store: Any) -> None:
    for seq in range(2):
        store.put_entry(entry(seq))
    block = block_of(store, store.entries("parent", 0, 2))
    store.propose("parent", block.header)
    with pytest.raises(HeadMovedError):
        store.propose("parent", replace(block.header, cut_at="2026-11-24T12:00:02Z"))
    store.record_failure("parent", {"height": 0, "reason": "test"})
    assert store.head("parent").proposal == block.header and store.head("parent").failure == {"height": 0, "reason": "test"}
    store.commit(block)
    with pytest.raises(HeadMovedError):
        store.commit(block)
    head = store.head("parent")
    assert (head.height, head.tree_size, head.header_hash, head.proposal, head.failure) == (0, 2, header_hash(block.header), None, None)
    assert store.block("parent", 0) == block and list(store.blocks("parent")) == [block]


def test_a_block_cannot_skip_a_height(store: Any) -> None:
    store.put_entry(entry(0))
    block = block_of(store, [entry(0)])
    with pytest.raises(HeadMovedError):
        store.commit(StoredBlock(replace(block.header, height=1, first_seq=1, tree_size=2, prev_hash="cd" * 32),
                                 block.certificate, block.frontier))
    assert store.head("parent").height == -1


def test_an_entry_keyed_once_is_stored_once_and_names_the_first(store: Any) -> None:
    store.put_entry(entry(0), once="paid:o1")
    with pytest.raises(DuplicateEntryError) as found:
        store.put_entry(entry(1), once="paid:o1")
    assert found.value.seq == 0 and store.last_seq("parent") == 0
    with pytest.raises(HeadMovedError):
        store.put_entry(entry(0), once="paid:o2")
    store.put_entry(entry(1), once="paid:o2")


def test_subtree_roots_commit_with_their_block_or_not_at_all(store: Any) -> None:
    for seq in range(2):
        store.put_entry(entry(seq))
    block = block_of(store, store.entries("parent", 0, 2))
    roots = [(7, 0, b"\x07" * 32), (8, 3, b"\x08" * 32)]
    skipping = StoredBlock(replace(block.header, height=1, first_seq=1, tree_size=3, prev_hash="cd" * 32),
                           block.certificate, block.frontier)
    with pytest.raises(HeadMovedError):
        store.commit(skipping, roots)  # the head condition fails: no subtree root is written either
    assert store.subtree_roots("parent", [(7, 0), (8, 3)]) == {}
    store.commit(block, roots)
    assert store.subtree_roots("parent", [(7, 0), (8, 3), (7, 1)]) == {(7, 0): b"\x07" * 32, (8, 3): b"\x08" * 32}
    assert store.subtree_roots("side", [(7, 0)]) == {}
    store.put_entry(entry(2))
    second = block_of(store, [entry(2)])
    with pytest.raises(HeadMovedError):
        store.commit(second, [(7, 0, b"\x00" * 32)])  # a subtree root is written once
    assert store.head("parent").height == 0 and store.subtree_roots("parent", [(7, 0)]) == {(7, 0): b"\x07" * 32}


def test_proofs_read_from_stored_subtree_roots_equal_the_proofs_over_every_leaf(store: Any) -> None:
    from chalicelib.domain.merkle import consistency_proof, consistency_ranges, root_from_leaf_hashes
    from chalicelib.services.ledger_reads import range_roots
    from tests.ledger_helpers import CountingReads, as_store, store_of

    _, leaves = store_of(300, 100, store)  # completes the subtrees [0, 128), [128, 256) and [0, 256)
    assert len(store.subtree_roots("parent", [(7, 0), (7, 1), (8, 0), (7, 2)])) == 3
    for first, second in [(1, 300), (129, 300), (255, 256), (300, 300), (200, 280)]:
        counted = CountingReads(store)
        ranges = consistency_ranges(first, second)
        roots = range_roots(as_store(counted), "parent", [(0, first), (0, second), *ranges])
        assert [roots[r] for r in ranges] == consistency_proof(first, leaves[:second])
        assert roots[(0, second)] == root_from_leaf_hashes(leaves[:second])
    assert counted.items < 280  # the last proof, (200, 280), reads fewer items than its 280 leaves: [0, 256) is stored


def test_a_block_keeps_the_validator_set_that_certified_it(store: Any) -> None:
    from chalicelib.adapters.memory import LocalSigner, StaticKeys
    from chalicelib.services.ledger import validator_set_of

    vset = validator_set_of(StaticKeys([(f"validator-{i}", LocalSigner().public_key_der()) for i in range(4)]))
    store.put_entry(entry(0))
    block = replace(block_of(store, [entry(0)]), validator_set=vset)
    store.commit(block)
    assert store.block("parent", 0) == block and store.block("parent", 0).validator_set == vset
    assert list(store.blocks("parent")) == [block]
