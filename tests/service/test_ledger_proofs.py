"""Consistency proofs from stored subtree roots: the blocks store the roots of the perfect subtrees they complete,
and a proof reads O(log n) of them plus a few leaf hashes near its ends, yet equals RFC 9162's proof over all leaves."""

from __future__ import annotations

import random
import uuid

import pytest

from chalicelib.adapters.memory import MemoryLedgerStore, MemoryWatermarks
from chalicelib.domain.ledger import entry_leaf_hash
from chalicelib.domain.merkle import (
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
)
from chalicelib.services import ledger_reads
from chalicelib.services.ledger import STORED_SUBTREE_LEVEL, LedgerService, LedgerSettings
from tests.fakes import FakeEnclave, FixedClock
from tests.ledger_helpers import LEDGER_ID, CountingReads, as_store, honest_validators, store_of

STORED = 1 << STORED_SUBTREE_LEVEL


@pytest.fixture(scope="module")
def ledger() -> LedgerService:
    """700 paid entries in blocks of 37 (so block ends rarely meet subtree ends), certified by 4 real validators."""
    store = MemoryLedgerStore()
    validators, keys, _ = honest_validators(store, MemoryWatermarks())
    service = LedgerService(store, FakeEnclave(), validators, keys, FixedClock(), LedgerSettings(LEDGER_ID, 37, 60))
    for i in range(700):
        service.record(log="parent", action="paid", user_id=f"u{i % 7}", order_id=uuid.uuid4().hex, sealed={"Fees": "1 EUR"})
    service.cut_due(force=True)
    assert store.head("parent").tree_size == 700
    return service


def _leaves(ledger: LedgerService) -> list[bytes]:
    return [entry_leaf_hash(e) for e in ledger.store.entries("parent", 0, 10**6)]


def test_each_block_stores_the_roots_of_the_large_subtrees_it_completes(ledger: LedgerService) -> None:
    store = ledger.store
    assert isinstance(store, MemoryLedgerStore)
    leaves = _leaves(ledger)
    expected = {("parent", level, index): root_from_leaf_hashes(leaves[index << level:(index + 1) << level])
                for level in range(STORED_SUBTREE_LEVEL, 10) for index in range(700 >> level)}
    assert store.subtrees == expected and len(expected) == 5 + 2 + 1  # 128s, 256s and the 512


def test_inclusion_proofs_equal_the_path_over_every_leaf(ledger: LedgerService) -> None:
    leaves = _leaves(ledger)
    for seq in (0, 1, 127, 128, 255, 256, 300, 511, 512, 640, 699):
        item = ledger_reads.LedgerEvidence(ledger).bundle([f"parent:{seq}"])["items"][0]
        size = item["block"]["tree_size"]
        assert seq < size and item["inclusion_proof"] == [h.hex() for h in inclusion_proof(seq, leaves[:size])], seq


def test_consistency_proofs_equal_the_proof_over_every_leaf(ledger: LedgerService) -> None:
    leaves = _leaves(ledger)
    boundaries = [b.header.tree_size for b in ledger.store.blocks("parent")]
    pairs = [(m, n) for n in (*boundaries[-4:], 128, 129, 256, 511, 512, 513) for m in (1, 2, 127, 128, 255, 300, n)
             if m <= n] + [(m, 700) for m in range(1, 701, 23)]
    for m, n in pairs:
        got = ledger_reads.consistency(ledger, "parent", m, n)
        assert got["proof"] == [h.hex() for h in consistency_proof(m, leaves[:n])], (m, n)
        assert (got["from_root"], got["to_root"]) == (root_from_leaf_hashes(leaves[:m]).hex(),
                                                     root_from_leaf_hashes(leaves[:n]).hex())


def test_a_consistency_proof_reads_a_few_hundred_leaf_hashes_whatever_the_size_of_the_log() -> None:
    n = 20_000
    store, leaves = store_of(n, 100)
    rng = random.Random(7)
    for m, second in [(1, n), (n - 1, n), (4096, 8192), (37, 19_999), *((rng.randint(1, n), n) for _ in range(12))]:
        counted = CountingReads(store)
        ranges = consistency_ranges(m, second)
        roots = ledger_reads.range_roots(as_store(counted), "parent", [(0, m), (0, second), *ranges])
        verify_consistency(m, second, [roots[r] for r in ranges], root_from_leaf_hashes(leaves[:m]),
                           root_from_leaf_hashes(leaves[:second]))
        assert counted.items < 3 * 2 * STORED + 3 * second.bit_length(), (m, second, counted.items)
        assert counted.calls.count("subtree_roots") == 1 and counted.calls.count("leaf_hashes") <= 3


def test_a_missing_or_altered_subtree_root_is_read_around_or_refused(ledger: LedgerService) -> None:
    store = ledger.store
    assert isinstance(store, MemoryLedgerStore)
    expected = ledger_reads.consistency(ledger, "parent", 300, 700)
    saved = dict(store.subtrees)
    try:
        store.subtrees.clear()  # blocks committed before subtree roots were stored: the leaves answer
        assert ledger_reads.consistency(ledger, "parent", 300, 700) == expected
        store.subtrees.update(saved)
        store.subtrees[("parent", 9, 0)] = bytes(32)  # leaves 0..511, under the certified root of 700
        with pytest.raises(ledger_reads.LedgerIntegrityError):
            ledger_reads.consistency(ledger, "parent", 300, 700)
    finally:
        store.subtrees.clear()
        store.subtrees.update(saved)
