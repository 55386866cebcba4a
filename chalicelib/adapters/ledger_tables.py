"""The ledger on DynamoDB: entries, certified blocks, one head item per log, validator watermarks, and the
roots of the perfect subtrees of 128 or more leaves (so proofs read O(log n) items, not every leaf).

Entries and headers are stored as their canonical JSON text (the exact bytes that are hashed), so
`verify-ledger` audits what is stored, not a re-encoding of it. Invariants are conditions:
an entry's (log, seq) is put only if absent; a block commits in one TransactWrite with the head's
update conditioned on the head's height; a watermark rises only to a higher height or the same block.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .. import config
from ..domain.canonical import canonical_bytes
from ..domain.ledger import BlockHeader, Entry, entry_bytes, entry_from_dict, header_bytes, header_from_dict, header_hash
from ..domain.merkle import leaf_hash
from ..domain.quorum import QuorumCertificate, Signature, validator_set_of_text, validator_set_to_dict
from ..services.ledger_ports import DuplicateEntryError, EquivocationError, Head, HeadMovedError, StoredBlock, SubtreeRoot
from .tables import _meta


def _gsi(name: str, hash_key: str) -> Any:
    attrs: dict[str, Any] = {
        "Meta": type("Meta", (), {"index_name": name, "projection": AllProjection()}),
        hash_key: UnicodeAttribute(hash_key=True),
        "recorded_at": UnicodeAttribute(range_key=True),
    }
    return type(f"Index_{name}", (GlobalSecondaryIndex,), attrs)()


@dataclass(frozen=True)
class LedgerModels:
    entries: Any
    blocks: Any
    heads: Any
    watermarks: Any
    unique: Any
    subtrees: Any


@functools.lru_cache(maxsize=8)
def _build(prefix: str, region: str) -> LedgerModels:
    del prefix  # part of the cache key: config.table_name reads it

    class EntryItem(Model):
        Meta = _meta("ledger-entries", region)  # type: ignore[assignment]
        log = UnicodeAttribute(hash_key=True)
        seq = NumberAttribute(range_key=True)
        body = UnicodeAttribute()  # canonical JSON of the entry: the leaf data
        leaf = UnicodeAttribute()  # hex leaf hash, so proofs need not re-read every body
        user_id = UnicodeAttribute()
        order_id = UnicodeAttribute(null=True)  # absent when empty: a GSI key cannot be ""
        recorded_at = UnicodeAttribute()
        by_user = _gsi("by_user", "user_id")
        by_order = _gsi("by_order", "order_id")

    class BlockItem(Model):
        Meta = _meta("ledger-blocks", region)  # type: ignore[assignment]
        log = UnicodeAttribute(hash_key=True)
        height = NumberAttribute(range_key=True)
        header = UnicodeAttribute()  # canonical JSON of the header
        certificate = UnicodeAttribute()  # canonical JSON of the quorum certificate
        frontier = UnicodeAttribute()  # JSON list of hex: the compact range after this block
        validators = UnicodeAttribute(null=True)  # canonical JSON of the validator set that certified it

    class HeadItem(Model):
        Meta = _meta("ledger-heads", region)  # type: ignore[assignment]
        log = UnicodeAttribute(hash_key=True)
        height = NumberAttribute()
        tree_size = NumberAttribute(default=0)
        header_hash = UnicodeAttribute(default="")
        proposal = UnicodeAttribute(null=True)
        failure = UnicodeAttribute(null=True)

    class WatermarkItem(Model):
        Meta = _meta("ledger-watermarks", region)  # type: ignore[assignment]
        validator_id = UnicodeAttribute(hash_key=True)
        log = UnicodeAttribute(range_key=True)
        height = NumberAttribute()
        header_hash = UnicodeAttribute()

    class SubtreeItem(Model):
        Meta = _meta("ledger-subtrees", region)  # type: ignore[assignment]
        log = UnicodeAttribute(hash_key=True)
        node = UnicodeAttribute(range_key=True)  # "<level>/<index>": leaves [index * 2**level, (index + 1) * 2**level)
        root = UnicodeAttribute()  # hex RFC 9162 root of that perfect subtree

    class UniqueItem(Model):
        Meta = _meta("ledger-unique", region)  # type: ignore[assignment]
        unique_key = UnicodeAttribute(hash_key=True)  # e.g. "paid:<order_id>": recorded once
        log = UnicodeAttribute()
        seq = NumberAttribute()

    return LedgerModels(EntryItem, BlockItem, HeadItem, WatermarkItem, UniqueItem, SubtreeItem)


def ledger_models() -> LedgerModels:
    return _build(config.resource_prefix(), config.region())


def _failed_condition(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause in ("ConditionalCheckFailedException", "TransactionCanceledException")


def certificate_to_dict(cert: QuorumCertificate) -> dict[str, Any]:
    return {"header_hash": cert.header_hash,
            "signatures": [{"validator_id": s.validator_id, "signature": s.sig_der_b64} for s in cert.signatures]}


def certificate_from_dict(data: dict[str, Any]) -> QuorumCertificate:
    return QuorumCertificate(str(data["header_hash"]),
                             tuple(Signature(str(s["validator_id"]), str(s["signature"])) for s in data["signatures"]))


def block_from_item(item: Any) -> StoredBlock:
    vset = validator_set_of_text(item.validators) if item.validators else None
    return StoredBlock(header_from_dict(json.loads(item.header)), certificate_from_dict(json.loads(item.certificate)),
                       tuple(bytes.fromhex(h) for h in json.loads(item.frontier)), vset)


class DynamoLedgerStore:
    def __init__(self, models: LedgerModels) -> None:
        self.m = models

    # ------------------------------------------------------------------ entries

    def last_seq(self, log: str) -> int:
        for item in self.m.entries.query(log, scan_index_forward=False, limit=1, consistent_read=True,
                                         attributes_to_get=["seq"]):
            return int(item.seq)
        return -1

    def put_entry(self, entry: Entry, once: str | None = None) -> None:
        body = entry_bytes(entry)
        item = self.m.entries(entry.log, entry.seq, body=body.decode("utf-8"), leaf=leaf_hash(body).hex(),
                              user_id=entry.user_id, order_id=entry.order_id or None, recorded_at=entry.recorded_at)
        if once is not None:
            return self._put_once(item, entry, once)
        try:
            item.save(condition=self.m.entries.seq.does_not_exist())
        except PutError as exc:
            if _failed_condition(exc):
                raise HeadMovedError(f"{entry.log} seq {entry.seq} is taken") from exc
            raise

    def _put_once(self, item: Any, entry: Entry, once: str) -> None:
        """The entry and its unique key in one transaction: a retried `paid` can never be recorded twice."""
        u = self.m.unique
        try:
            with TransactWrite(connection=item._get_connection().connection) as tx:
                tx.save(item, condition=self.m.entries.seq.does_not_exist())
                tx.save(u(once, log=entry.log, seq=entry.seq), condition=u.unique_key.does_not_exist())
        except TransactWriteError as exc:
            if not _failed_condition(exc):
                raise
            reasons = [r.code if r else None for r in exc.cancellation_reasons]
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise DuplicateEntryError(f"{once} was recorded before", int(u.get(once, consistent_read=True).seq)) from exc
            raise HeadMovedError(f"{entry.log} seq {entry.seq} is taken") from exc

    def entry(self, log: str, seq: int) -> Entry | None:
        try:
            return entry_from_dict(json.loads(self.m.entries.get(log, seq, consistent_read=True).body))
        except DoesNotExist:
            return None

    def entries(self, log: str, first: int, count: int) -> list[Entry]:
        if count <= 0:
            return []
        items = self.m.entries.query(log, self.m.entries.seq.between(first, first + count - 1), consistent_read=True)
        return [entry_from_dict(json.loads(i.body)) for i in items]

    def leaf_hashes(self, log: str, first: int, count: int) -> list[bytes]:
        if count <= 0:
            return []
        items = self.m.entries.query(log, self.m.entries.seq.between(first, first + count - 1), consistent_read=True,
                                     attributes_to_get=["seq", "leaf"])
        return [bytes.fromhex(i.leaf) for i in items]

    def subtree_roots(self, log: str, nodes: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        keys = sorted({(log, f"{level}/{index}") for level, index in nodes})
        found: dict[tuple[int, int], bytes] = {}
        for item in self.m.subtrees.batch_get(keys, consistent_read=True, attributes_to_get=["node", "root"]):
            level, index = item.node.split("/")
            found[(int(level), int(index))] = bytes.fromhex(item.root)
        return found

    def by_user(self, user_id: str, limit: int) -> list[Entry]:
        return [entry_from_dict(json.loads(i.body)) for i in self.m.entries.by_user.query(user_id, limit=limit)]

    def by_order(self, order_id: str, limit: int) -> list[Entry]:
        if not order_id:
            return []
        return [entry_from_dict(json.loads(i.body)) for i in self.m.entries.by_order.query(order_id, limit=limit)]

    # ------------------------------------------------------------------ heads and blocks

    def head(self, log: str) -> Head:
        try:
            item = self.m.heads.get(log, consistent_read=True)
        except DoesNotExist:
            return Head(log)
        return Head(log, int(item.height), int(item.tree_size), item.header_hash,
                    header_from_dict(json.loads(item.proposal)) if item.proposal else None,
                    json.loads(item.failure) if item.failure else None)

    def propose(self, log: str, header: BlockHeader) -> BlockHeader:
        """Park the proposal on the head, if the head is where the proposer saw it and holds no other."""
        h = self.m.heads
        item = h(log)
        at_prev = h.height.does_not_exist() if header.height == 0 else h.height == header.height - 1
        try:
            item.update(actions=[h.height.set(h.height | -1), h.proposal.set(header_bytes(header).decode("utf-8"))],
                        condition=at_prev & h.proposal.does_not_exist())
        except UpdateError as exc:
            if _failed_condition(exc):
                raise HeadMovedError(f"{log}: another proposal or block is at height {header.height}") from exc
            raise
        return header

    def record_failure(self, log: str, failure: dict[str, Any]) -> None:
        h = self.m.heads
        h(log).update(actions=[h.height.set(h.height | -1), h.failure.set(json.dumps(failure, sort_keys=True))])

    def commit(self, block: StoredBlock, subtrees: Sequence[SubtreeRoot] = ()) -> None:
        """Block, head and the subtree roots the block completed in one transaction, conditioned on the head's
        height: one block per height, and each subtree root written once."""
        hd = block.header
        b, h, t = self.m.blocks, self.m.heads, self.m.subtrees
        item = b(hd.log, hd.height, header=header_bytes(hd).decode("utf-8"),
                 certificate=canonical_bytes(certificate_to_dict(block.certificate)).decode("utf-8"),
                 frontier=json.dumps([x.hex() for x in block.frontier]),
                 validators=canonical_bytes(validator_set_to_dict(block.validator_set)).decode() if block.validator_set else None)
        at_prev = (h.height == -1) | h.height.does_not_exist() if hd.height == 0 else h.height == hd.height - 1
        try:
            with TransactWrite(connection=item._get_connection().connection) as tx:
                tx.save(item, condition=b.height.does_not_exist())
                for level, index, root in subtrees:
                    tx.save(t(hd.log, f"{level}/{index}", root=root.hex()), condition=t.node.does_not_exist())
                tx.update(h(hd.log), actions=[h.height.set(hd.height), h.tree_size.set(hd.tree_size),
                                              h.header_hash.set(header_hash(hd)), h.proposal.remove(), h.failure.remove()],
                          condition=at_prev)
        except TransactWriteError as exc:
            if _failed_condition(exc):
                raise HeadMovedError(f"{hd.log}: the head is no longer at height {hd.height - 1}") from exc
            raise

    def block(self, log: str, height: int) -> StoredBlock | None:
        try:
            return block_from_item(self.m.blocks.get(log, height, consistent_read=True))
        except DoesNotExist:
            return None

    def blocks(self, log: str) -> Iterator[StoredBlock]:
        for item in self.m.blocks.query(log, consistent_read=True):
            yield block_from_item(item)


class DynamoWatermarks:
    def __init__(self, models: LedgerModels) -> None:
        self.m = models

    def raise_to(self, validator_id: str, log: str, height: int, header_hash: str) -> None:
        """Only upwards, or the very same block again (a retried request): never a second block at one height."""
        w = self.m.watermarks
        same = (w.height == height) & (w.header_hash == header_hash)
        try:
            w(validator_id, log, height=height, header_hash=header_hash).save(
                condition=w.height.does_not_exist() | (w.height < height) | same)
        except PutError as exc:
            if _failed_condition(exc):
                raise EquivocationError(f"{validator_id} already signed a different block at or above {log} height {height}") from exc
            raise
