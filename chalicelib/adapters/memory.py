"""In-memory ledger storage, watermarks and signers: the same contracts as the DynamoDB and KMS adapters,
for service tests and for benchmarks that must not measure moto (docs/ledger.md)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ..domain.ledger import BlockHeader, Entry, entry_leaf_hash, header_hash
from ..domain.quorum import public_key_der
from ..services.ledger_ports import DuplicateEntryError, EquivocationError, Head, HeadMovedError, StoredBlock, SubtreeRoot
from ..verify import low_s_signature


@dataclass
class MemoryLedgerStore:
    logs: dict[str, list[Entry]] = field(default_factory=lambda: {"parent": [], "side": []})
    heads: dict[str, Head] = field(default_factory=dict)
    stored: dict[tuple[str, int], StoredBlock] = field(default_factory=dict)
    once: dict[str, int] = field(default_factory=dict)
    subtrees: dict[tuple[str, int, int], bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def last_seq(self, log: str) -> int:
        return len(self.logs[log]) - 1

    def put_entry(self, entry: Entry, once: str | None = None) -> None:
        with self.lock:
            if entry.seq != len(self.logs[entry.log]):
                raise HeadMovedError(f"seq {entry.seq} of {entry.log} is taken")
            if once is not None and once in self.once:
                raise DuplicateEntryError(f"{once} was recorded before", self.once[once])
            if once is not None:
                self.once[once] = entry.seq
            self.logs[entry.log].append(entry)

    def entry(self, log: str, seq: int) -> Entry | None:
        entries = self.logs[log]
        return entries[seq] if 0 <= seq < len(entries) else None

    def entries(self, log: str, first: int, count: int) -> list[Entry]:
        return list(self.logs[log][first:first + count])

    def leaf_hashes(self, log: str, first: int, count: int) -> list[bytes]:
        return [entry_leaf_hash(e) for e in self.logs[log][first:first + count]]

    def subtree_roots(self, log: str, nodes: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {node: self.subtrees[(log, *node)] for node in nodes if (log, *node) in self.subtrees}

    def by_user(self, user_id: str, limit: int) -> list[Entry]:
        return [e for log in sorted(self.logs) for e in self.logs[log] if e.user_id == user_id][:limit]

    def by_order(self, order_id: str, limit: int) -> list[Entry]:
        return [e for log in sorted(self.logs) for e in self.logs[log] if e.order_id == order_id][:limit]

    def head(self, log: str) -> Head:
        return self.heads.get(log, Head(log))

    def propose(self, log: str, header: BlockHeader) -> BlockHeader:
        with self.lock:
            head = self.head(log)
            if head.proposal is not None or head.height != header.height - 1:
                raise HeadMovedError(f"{log}: another proposal or block is at height {header.height}")
            self.heads[log] = replace(head, proposal=header)
            return header

    def record_failure(self, log: str, failure: dict[str, Any]) -> None:
        with self.lock:
            self.heads[log] = replace(self.head(log), failure=failure)

    def commit(self, block: StoredBlock, subtrees: Sequence[SubtreeRoot] = ()) -> None:
        h = block.header
        with self.lock:
            if self.head(h.log).height != h.height - 1 or (h.log, h.height) in self.stored:
                raise HeadMovedError(f"{h.log}: the head is no longer at height {h.height - 1}")
            if any((h.log, level, index) in self.subtrees for level, index, _ in subtrees):
                raise HeadMovedError(f"{h.log}: a subtree root of block {h.height} is stored already")
            self.stored[(h.log, h.height)] = block
            self.subtrees.update(((h.log, level, index), root) for level, index, root in subtrees)
            self.heads[h.log] = Head(h.log, h.height, h.tree_size, header_hash(h))

    def block(self, log: str, height: int) -> StoredBlock | None:
        return self.stored.get((log, height))

    def blocks(self, log: str) -> Iterator[StoredBlock]:
        height = 0
        while (log, height) in self.stored:
            yield self.stored[(log, height)]
            height += 1


@dataclass
class MemoryWatermarks:
    marks: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def raise_to(self, validator_id: str, log: str, height: int, header_hash: str) -> None:
        with self.lock:
            current = self.marks.get((validator_id, log))
            if current is not None and (current[0] > height or (current[0] == height and current[1] != header_hash)):
                raise EquivocationError(f"{validator_id} already signed {log} height {current[0]} ({current[1][:12]}...)")
            self.marks[(validator_id, log)] = (height, header_hash)


class LocalSigner:
    """A P-256 key in memory (tests, benchmarks); KmsSigner on AWS and moto."""

    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self.key = key or ec.generate_private_key(ec.SECP256R1())

    def sign(self, payload: bytes) -> bytes:
        return low_s_signature(self.key.sign(payload, ec.ECDSA(hashes.SHA256())))  # low S, as KmsSigner

    def public_key_der(self) -> bytes:
        return public_key_der(self.key.public_key())


@dataclass(frozen=True)
class StaticKeys:
    pairs: Sequence[tuple[str, bytes]]

    def public_keys(self) -> Sequence[tuple[str, bytes]]:
        return self.pairs
