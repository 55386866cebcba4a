"""Ledgers in memory for service tests and benchmarks: four honest in-process validators, and logs of any size
built straight into the store with the subtree roots their blocks complete."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.adapters.memory import LocalSigner, MemoryLedgerStore, MemoryWatermarks, StaticKeys
from chalicelib.adapters.validators import InProcessValidators
from chalicelib.domain.chain import completed_subtrees, next_header
from chalicelib.domain.ledger import Entry, entry_leaf_hash, header_hash
from chalicelib.domain.quorum import QuorumCertificate
from chalicelib.services.ledger import STORED_SUBTREE_LEVEL, validator_set_of
from chalicelib.services.ledger_ports import StoredBlock
from chalicelib.services.validator import ValidatorNode, validate_block

LEDGER_ID = "carparker-test"
IDS = [f"validator-{i}" for i in range(4)]


def honest_validators(store: MemoryLedgerStore, marks: MemoryWatermarks) -> tuple[InProcessValidators, StaticKeys,
                                                                                 dict[str, LocalSigner]]:
    """Four validators with their own P-256 keys, each checking blocks against ``store``."""
    signers = {vid: LocalSigner() for vid in IDS}
    keys = StaticKeys([(vid, signers[vid].public_key_der()) for vid in IDS])
    vset = validator_set_of(keys)
    nodes = {vid: ValidatorNode(vid, LEDGER_ID, store, marks, signers[vid], vset) for vid in IDS}
    handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        vid: functools.partial(validate_block, nodes[vid]) for vid in IDS}
    return InProcessValidators(handlers), keys, signers


def store_of(n: int, k: int, store: Any = None) -> tuple[Any, list[bytes]]:
    """n paid entries in blocks of k in ``store`` (a new MemoryLedgerStore by default), each block committed with
    the subtree roots it completes, as LedgerService.cut commits them (the certificates are empty: reading proofs
    does not need them)."""
    store = MemoryLedgerStore() if store is None else store
    prev: StoredBlock | None = None
    leaves: list[bytes] = []
    for first in range(0, n, k):
        entries = [Entry(log="parent", seq=s, action="paid", user_id="u", order_id=f"o{s}", recorded_at="2026-11-24T12:00:00Z")
                   for s in range(first, min(n, first + k))]
        for e in entries:
            store.put_entry(e)
        header, frontier = next_header(ledger_id=LEDGER_ID, log="parent", prev=prev.header if prev else None,
                                       prev_frontier=prev.frontier if prev else (), entries=entries,
                                       cut_at="2026-11-24T12:00:01Z", validators_hash="ab" * 32)
        new = [entry_leaf_hash(e) for e in entries]
        subtrees = completed_subtrees(prev.frontier if prev else (), first, new, STORED_SUBTREE_LEVEL)
        prev = StoredBlock(header, QuorumCertificate(header_hash(header), ()), tuple(frontier))
        store.commit(prev, subtrees)
        leaves += new
    return store, leaves


class CountingReads:
    """The two reads services.ledger_reads.range_roots makes, counted in calls and in stored items (one leaf hash
    or one subtree root is one item)."""

    def __init__(self, store: Any) -> None:
        self.store, self.items = store, 0
        self.calls: list[str] = []

    def leaf_hashes(self, log: str, first: int, count: int) -> list[bytes]:
        found = self.store.leaf_hashes(log, first, count)
        self.items += len(found)
        self.calls.append("leaf_hashes")
        return found

    def subtree_roots(self, log: str, nodes: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        self.items += len(nodes)
        self.calls.append("subtree_roots")
        return self.store.subtree_roots(log, nodes)


def as_store(reads: CountingReads) -> Any:
    """range_roots takes a LedgerStore; these two methods are all it calls."""
    return reads
