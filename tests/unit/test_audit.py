"""The auditor behind verify-ledger, on in-memory items: a long ledger draws a progress bar; a missing entry
and a reordered block are named."""

from __future__ import annotations

import base64
import io
import types
from typing import Any

import pytest

from chalicelib.adapters.memory import LocalSigner, StaticKeys
from chalicelib.audit import AuditError, Auditor
from chalicelib.domain.canonical import canonical_bytes
from chalicelib.domain.chain import next_header
from chalicelib.domain.ledger import BlockHeader, Entry, entry_bytes, header_bytes, header_hash, signing_payload
from chalicelib.domain.merkle import leaf_hash
from chalicelib.domain.quorum import validator_set_hash
from chalicelib.services.ledger import validator_set_of

SIGNERS = [LocalSigner() for _ in range(4)]
VSET = validator_set_of(StaticKeys([(f"validator-{i}", s.public_key_der()) for i, s in enumerate(SIGNERS)]))


def ledger(blocks: int, k: int = 2, cut_at: Any = lambda height: "2026-11-24T12:00:00Z") -> tuple[list[Any], list[Any], Any]:
    stored, items = [], []
    prev: BlockHeader | None = None
    frontier: list[bytes] = []
    for height in range(blocks):
        entries = [Entry(log="parent", seq=height * k + i, action="paid", user_id="u", order_id=f"o{height * k + i}",
                         recorded_at="2026-11-24T12:00:00Z") for i in range(k)]
        prev, frontier = next_header(ledger_id="l", log="parent", prev=prev, prev_frontier=frontier, entries=entries,
                                     cut_at=cut_at(height), validators_hash=validator_set_hash(VSET))
        sigs = [{"validator_id": f"validator-{i}", "signature": base64.b64encode(SIGNERS[i].sign(signing_payload(prev))).decode()}
                for i in range(3)]
        stored.append(types.SimpleNamespace(height=height, header=header_bytes(prev).decode(),
                                            certificate=canonical_bytes({"header_hash": header_hash(prev), "signatures": sigs}).decode()))
        for e in entries:
            body = entry_bytes(e)
            items.append(types.SimpleNamespace(seq=e.seq, body=body.decode(), leaf=leaf_hash(body).hex(), user_id="u",
                                               order_id=e.order_id, recorded_at=e.recorded_at))
    assert prev is not None
    return stored, items, types.SimpleNamespace(height=prev.height, tree_size=prev.tree_size, header_hash=header_hash(prev))


def auditor(stored: list[Any], items: list[Any], head: Any, progress: io.StringIO | None = None) -> Auditor:
    empty = types.SimpleNamespace(height=-1, tree_size=0, header_hash="")
    return Auditor(VSET, "l", blocks_of=lambda log: iter(stored if log == "parent" else []),
                   entries_of=lambda log: iter(items if log == "parent" else []),
                   head_of=lambda log: head if log == "parent" else empty, progress=progress)


def test_a_long_ledger_verifies_with_a_progress_bar() -> None:
    stored, items, head = ledger(25)
    bar = io.StringIO()
    summaries = auditor(stored, items, head, bar).audit()
    assert [(s.log, s.blocks, s.entries) for s in summaries] == [("parent", 25, 50), ("side", 0, 0)]
    assert "25/25 blocks" in bar.getvalue()


def test_a_missing_entry_is_named() -> None:
    stored, items, head = ledger(3)
    with pytest.raises(AuditError, match="parent entry 3 \\(block 1\\)"):
        auditor(stored, items[:3] + items[4:], head).audit()


def test_swapped_blocks_are_named() -> None:
    stored, items, head = ledger(3)
    stored[1], stored[2] = stored[2], stored[1]
    with pytest.raises(AuditError, match="parent block 1"):
        auditor(stored, items, head).audit()


def test_a_certified_block_whose_time_runs_backwards_is_named() -> None:
    stored, items, head = ledger(3, cut_at=lambda height: "2026-11-24T11:00:00Z" if height == 2 else "2026-11-24T12:00:00Z")
    with pytest.raises(AuditError, match="parent block 2: block time mismatch"):
        auditor(stored, items, head).audit()
