"""Incremental Merkle roots and the rules a validator checks on a proposed block, as pure functions.

A *compact range* (transparency-dev/merkle ``compact/range.go``) of the leaves 0..n-1 is the list of
roots of the perfect subtrees that n's binary decomposition names, largest first: at most log2(n)+1
hashes. Appending a leaf and computing the root each cost O(log n), so cutting a block of k entries
onto a log of n costs O(k + log n) hashes instead of the O(n) of ``root_from_leaf_hashes``.

The range is stored next to each certified block. A validator never trusts it: it recomputes the root
from the range and requires it to equal the root the previous (certified) block names. Because the
shape of the range is fixed by n, and SHA-256 is collision resistant, only the true range passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from .errors import RuleViolationError
from .ledger import (
    GENESIS_PREV_HASH,
    BlockHeader,
    BlockMismatchError,
    Entry,
    entry_leaf_hash,
    header_hash,
    parse_timestamp,
)
from .merkle import HASH_SIZE, node_hash, root_of_cover

# Which log each action belongs to (the seed: orders on the parent chain, photos on the side chain;
# reads of sealed data are logged on the side chain next to the photos they concern).
ACTION_LOG = {"paid": "parent", "upload": "side", "retrieve": "side"}


class Placed(Protocol):
    """What the entry rules look at: an Entry, or an auditor's EntryFacts."""

    @property
    def log(self) -> str: ...

    @property
    def seq(self) -> int: ...

    @property
    def action(self) -> str: ...


class CompactRangeError(RuleViolationError):
    code = "bad_compact_range"


def range_size_ok(frontier: Sequence[bytes], size: int) -> bool:
    return len(frontier) == size.bit_count() and all(len(h) == HASH_SIZE for h in frontier)


def append_leaf(frontier: list[bytes], size: int, leaf: bytes) -> None:
    """Append one leaf hash to the compact range of ``size`` leaves, in place."""
    node = leaf
    while size & 1:
        node = node_hash(frontier.pop(), node)
        size >>= 1
    frontier.append(node)


def extend(frontier: Sequence[bytes], size: int, leaves: Iterable[bytes]) -> tuple[list[bytes], int]:
    """append_leaf for each leaf, with the node hash inlined: this loop is the audit's and the cutter's hot path."""
    out = list(frontier)
    sha256 = hashlib.sha256
    for leaf in leaves:
        node, carry = leaf, size
        while carry & 1:
            node = sha256(b"\x01" + out.pop() + node).digest()
            carry >>= 1
        out.append(node)
        size += 1
    return out, size


def range_root(frontier: Sequence[bytes], size: int) -> bytes:
    """The RFC 9162 root of the ``size`` leaves the range summarises (right fold of its subtrees)."""
    if not range_size_ok(frontier, size):
        raise CompactRangeError(f"a compact range of {size} leaves has {size.bit_count()} hashes, got {len(frontier)}")
    return root_of_cover(frontier)


def completed_subtrees(frontier: Sequence[bytes], size: int, leaves: Iterable[bytes],
                       min_level: int) -> list[tuple[int, int, bytes]]:
    """(level, index, root) of each perfect subtree of at least 2**min_level leaves that appending ``leaves`` to
    the compact range of ``size`` leaves completes: the subtree of leaves [index * 2**level, (index + 1) * 2**level).

    A proof server that keeps these answers any proof from O(log n) of them and fewer than 2**min_level leaves
    near each end, instead of reading the log's every leaf. (extend does the same merges without recording them.)"""
    out = list(frontier)
    done: list[tuple[int, int, bytes]] = []
    for leaf in leaves:
        node, carry, level = leaf, size, 0
        while carry & 1:
            node = node_hash(out.pop(), node)
            carry >>= 1
            level += 1
            if level >= min_level:
                done.append((level, size >> level, node))
        out.append(node)
        size += 1
    return done


def require_entry_rules(entries: Sequence[Placed], log: str, first_seq: int) -> None:
    """Entries of a block: this log, contiguous from first_seq, each action on the log it belongs to."""
    for offset, entry in enumerate(entries):
        if entry.log != log:
            raise BlockMismatchError("log", expected=log, computed=entry.log)
        if entry.seq != first_seq + offset:
            raise BlockMismatchError("seq", expected=first_seq + offset, computed=entry.seq)
        if ACTION_LOG[entry.action] != log:
            raise BlockMismatchError("action", expected=f"{entry.action} on {ACTION_LOG[entry.action]}", computed=log)


def next_header(*, ledger_id: str, log: str, prev: BlockHeader | None, prev_frontier: Sequence[bytes],
                entries: Sequence[Entry], cut_at: str, validators_hash: str) -> tuple[BlockHeader, list[bytes]]:
    """The header that follows ``prev`` with ``entries``, and the compact range after it.

    ``prev_frontier`` must be the compact range of ``prev`` (checked against ``prev.root``)."""
    require_entry_rules(entries, log, prev.tree_size if prev else 0)
    return header_from_leaves(ledger_id=ledger_id, log=log, prev=prev, prev_frontier=prev_frontier,
                              leaves=[entry_leaf_hash(e) for e in entries], cut_at=cut_at, validators_hash=validators_hash)


def header_from_leaves(*, ledger_id: str, log: str, prev: BlockHeader | None, prev_frontier: Sequence[bytes],
                       leaves: Sequence[bytes], cut_at: str, validators_hash: str) -> tuple[BlockHeader, list[bytes]]:
    """As next_header, from the new entries' leaf hashes (an auditor hashes the stored bytes directly)."""
    size = prev.tree_size if prev else 0
    if prev is not None and range_root(prev_frontier, size).hex() != prev.root:
        raise BlockMismatchError("frontier", expected=prev.root, computed=range_root(prev_frontier, size).hex())
    if not leaves:
        raise BlockMismatchError("counts", expected="at least one entry", computed=0)
    frontier, tree_size = extend(prev_frontier if prev else [], size, leaves)
    header = BlockHeader(ledger_id=ledger_id, log=log, height=prev.height + 1 if prev else 0, first_seq=size,
                         entry_count=len(leaves), tree_size=tree_size, root=range_root(frontier, tree_size).hex(),
                         prev_hash=header_hash(prev) if prev else GENESIS_PREV_HASH, validators_hash=validators_hash,
                         cut_at=cut_at)
    return header, frontier


def require_same_header(proposed: BlockHeader, computed: BlockHeader) -> None:
    """The validator's own header must equal the proposal in every field but the cut time, which it adopts
    only if time does not run backwards (checked by the caller's link check)."""
    for name in ("ledger_id", "log", "height", "first_seq", "entry_count", "tree_size", "root", "prev_hash", "validators_hash"):
        if getattr(proposed, name) != getattr(computed, name):
            raise BlockMismatchError(name, expected=getattr(computed, name), computed=getattr(proposed, name))


def require_time_runs_forward(prev: BlockHeader | None, header: BlockHeader) -> None:
    """Time may stand still (two blocks in one millisecond) but never run backwards."""
    if prev is not None and parse_timestamp(header.cut_at) < parse_timestamp(prev.cut_at):
        raise BlockMismatchError("time", expected=f">= {prev.cut_at}", computed=header.cut_at)
