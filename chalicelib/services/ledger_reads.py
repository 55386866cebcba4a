"""What the ledger shows (QLDB parity and beyond): digests, blocks, entries with inclusion proofs,
consistency proofs, history by order and by user, the owner's unsealed view (itself logged), JSONL export,
evidence bundles and the published validator set. One function per user action."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..domain.accounts import Principal
from ..domain.canonical import canonical_bytes
from ..domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, RuleViolationError
from ..domain.ledger import LOGS, Entry, entry_leaf_hash, entry_to_dict, header_hash, header_to_dict, parse_timestamp
from ..domain.merkle import (
    ProofError,
    consistency_ranges,
    inclusion_ranges,
    perfect_cover,
    root_from_leaf_hashes,
    root_of_cover,
    verify_consistency,
    verify_inclusion,
)
from ..domain.quorum import ValidatorSet, public_key_der, validator_set_hash
from .ledger import STORED_SUBTREE_LEVEL, LedgerService, stamp
from .ledger_ports import ExportSink, LedgerStore, StoredBlock

HISTORY_LIMIT = 200
BUNDLE_FORMAT = "carparker.evidence/v1"


class LedgerIntegrityError(RuleViolationError):
    """What is stored does not hash to what was certified: the store was altered (run verify-ledger)."""

    code = "ledger_integrity"


def _log(log_name: str) -> str:
    if log_name not in LOGS:
        raise NotFoundError(f"no log {log_name!r} (parent, side)", field="log")
    return log_name


def _require_admin(principal: Principal, what: str) -> None:
    if not principal.is_admin:
        raise ForbiddenError(f"only admins may {what}")


def _certified(ledger: LedgerService, log_name: str) -> StoredBlock:
    block = ledger.certified_head(_log(log_name))
    if block is None:
        raise NotFoundError(f"the {log_name} log has no certified block yet", field="log")
    return block


def block_out(block: StoredBlock) -> dict[str, Any]:
    cert = block.certificate
    return {"header": header_to_dict(block.header), "header_hash": header_hash(block.header),
            "certificate": {"header_hash": cert.header_hash,
                            "signatures": [{"validator_id": s.validator_id, "signature": s.sig_der_b64} for s in cert.signatures]}}


def digest(ledger: LedgerService, log_name: str) -> dict[str, Any]:
    """The signed tree head: the latest certified header (root, tree size) and its quorum certificate."""
    block = _certified(ledger, log_name)
    return {"ledger_id": ledger.settings.ledger_id, "log": log_name, "tree_size": block.header.tree_size,
            "root": block.header.root, "height": block.header.height, **block_out(block)}


def get_block(ledger: LedgerService, log_name: str, height: int) -> dict[str, Any]:
    block = ledger.store.block(_log(log_name), height)
    if block is None:
        raise NotFoundError(f"no certified block {height} in the {log_name} log", field="height")
    return block_out(block)


def _own_entry(principal: Principal, ledger: LedgerService, log_name: str, seq: int) -> Entry:
    entry = ledger.store.entry(_log(log_name), seq)
    if entry is None or not (principal.is_admin or entry.user_id == principal.user_id):
        raise NotFoundError(f"no entry {seq} of yours in the {log_name} log", field="seq")
    return entry


def _containing_block(ledger: LedgerService, log_name: str, seq: int, last: StoredBlock) -> StoredBlock:
    """The certified block that holds ``seq``, by binary search over heights: O(log h) reads."""
    lo, hi = 0, last.header.height
    while lo < hi:
        mid = (lo + hi) // 2
        block = ledger.store.block(log_name, mid)
        if block is None:
            raise LedgerIntegrityError(f"certified block {mid} of the {log_name} log is missing")
        lo, hi = (mid + 1, hi) if block.header.tree_size <= seq else (lo, mid)
    found = ledger.store.block(log_name, lo) if lo != last.header.height else last
    if found is None:
        raise LedgerIntegrityError(f"certified block {lo} of the {log_name} log is missing")
    return found


def _proof(ledger: LedgerService, entry: Entry) -> tuple[StoredBlock, list[bytes]] | None:
    """The inclusion proof of a committed entry (None while queued) in the certified block that holds it, or in
    the log's newest block if the log was handed to another validator set since: O(log h) block reads, then
    the path from stored subtree roots and a few leaf hashes, checked against the block's certified root."""
    last = ledger.certified_head(entry.log)
    if last is None or entry.seq >= last.header.tree_size:
        return None
    block = _containing_block(ledger, entry.log, entry.seq, last)
    if block.header.validators_hash != last.header.validators_hash:
        block = last
    ranges = inclusion_ranges(entry.seq, block.header.tree_size)
    roots = range_roots(ledger.store, entry.log, ranges)
    path = [roots[r] for r in ranges]
    try:
        verify_inclusion(entry_leaf_hash(entry), entry.seq, block.header.tree_size, path, bytes.fromhex(block.header.root))
    except ProofError as exc:
        raise LedgerIntegrityError(f"the stored {entry.log} log does not prove entry {entry.seq} in its certified "
                                   f"block {block.header.height}: {exc}") from exc
    return block, path


def get_entry(principal: Principal, ledger: LedgerService, log_name: str, seq: int) -> dict[str, Any]:
    entry = _own_entry(principal, ledger, log_name, seq)
    proven = _proof(ledger, entry)
    out: dict[str, Any] = {"entry": entry_to_dict(entry), "leaf_hash": entry_leaf_hash(entry).hex(),
                           "status": "committed" if proven else "queued", "inclusion_proof": None, "tree_size": None,
                           "root": None}
    if proven:
        block, path = proven
        out.update(inclusion_proof=[h.hex() for h in path], tree_size=block.header.tree_size, root=block.header.root,
                   block_height=block.header.height)
    return out


def consistency(ledger: LedgerService, log_name: str, first: int, second: int) -> dict[str, Any]:
    head = _certified(ledger, log_name).header
    if not 0 < first <= second <= head.tree_size:
        raise InvalidInputError(f"need 0 < from <= to <= {head.tree_size} (the certified tree size)", field="from")
    ranges = consistency_ranges(first, second)
    roots = range_roots(ledger.store, log_name, [(0, first), (0, second), *ranges])
    proof, root1, root2 = [roots[r] for r in ranges], roots[(0, first)], roots[(0, second)]
    try:
        verify_consistency(first, second, proof, root1, root2)
        if second == head.tree_size and root2.hex() != head.root:
            raise ProofError(f"the stored tree of {second} leaves does not have the certified root")
    except ProofError as exc:
        raise LedgerIntegrityError(f"the stored {log_name} log does not prove consistency: {exc}") from exc
    return {"log": log_name, "from": first, "to": second, "from_root": root1.hex(), "to_root": root2.hex(),
            "proof": [h.hex() for h in proof]}


def range_roots(store: LedgerStore, log_name: str, ranges: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """MTH(D[lo:hi]) of each range RFC 9162 takes a root of, from the stored roots of the perfect subtrees that
    cover it and, for subtrees too small to be stored (or missing), the leaf hashes under them: a batch get of
    O(log n) subtree roots and a query of fewer than 2 * 128 leaf hashes near each end, whatever n is."""
    covers = {r: perfect_cover(*r) for r in ranges}
    wanted = {subtree for cover in covers.values() for subtree in cover}
    stored = store.subtree_roots(log_name, [(size.bit_length() - 1, start // size) for start, size in wanted
                                            if size >= 1 << STORED_SUBTREE_LEVEL])
    known = {(index << level, 1 << level): root for (level, index), root in stored.items()}
    for lo, hi in _windows(sorted(s for s in wanted if s not in known)):
        leaves = store.leaf_hashes(log_name, lo, hi - lo)
        known.update(((start, size), root_from_leaf_hashes(leaves[start - lo:start - lo + size]))
                     for start, size in wanted if lo <= start < hi and (start, size) not in known)
    return {r: root_of_cover([known[s] for s in cover]) for r, cover in covers.items()}


def _windows(subtrees: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (start, size) ranges, sorted by start, merged where they overlap or touch: one leaf query each."""
    windows: list[tuple[int, int]] = []
    for start, size in subtrees:
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], start + size))
        else:
            windows.append((start, start + size))
    return windows


def _history_out(ledger: LedgerService, entries: list[Entry]) -> dict[str, Any]:
    sizes = {log_name: ledger.store.head(log_name).tree_size for log_name in LOGS}
    return {"entries": [{"entry": entry_to_dict(e), "status": "committed" if e.seq < sizes[e.log] else "queued"}
                        for e in entries]}


def history_by_order(principal: Principal, ledger: LedgerService, order_id: str) -> dict[str, Any]:
    found = [e for e in ledger.store.by_order(order_id, HISTORY_LIMIT) if principal.is_admin or e.user_id == principal.user_id]
    if not found:
        raise NotFoundError("no ledger entries of yours for this order", field="order_id")
    return _history_out(ledger, found)


def history_by_user(principal: Principal, ledger: LedgerService, user_id: str | None) -> dict[str, Any]:
    who = user_id or principal.user_id
    if who != principal.user_id:
        _require_admin(principal, "read another user's ledger history")
    return _history_out(ledger, ledger.store.by_user(who, HISTORY_LIMIT))


def unseal_entry(principal: Principal, ledger: LedgerService, log_name: str, seq: int) -> dict[str, Any]:
    """The owner's plaintext view of their own entry; each such read is itself a `retrieve` entry."""
    entry = ledger.store.entry(_log(log_name), seq)
    if entry is None or entry.user_id != principal.user_id:
        raise NotFoundError(f"no entry {seq} of yours in the {log_name} log", field="seq")
    receipt = ledger.record(log="side", action="retrieve", user_id=entry.user_id, order_id=entry.order_id,
                            sealed={"viewer": principal.user_id, "entry": f"{log_name}:{seq}",
                                    "at": stamp(ledger.clock.now())})
    fields = ledger.open_fields(entry)
    return {"log": log_name, "seq": seq, "fields": fields, "retrieve_entry": receipt.entry_id}


def export_log(principal: Principal, ledger: LedgerService, log_name: str, sink: ExportSink) -> dict[str, Any]:
    """Every certified block of a log, each followed by its entries, as JSON lines in S3 (SSE-KMS)."""
    _require_admin(principal, "export the ledger")
    lines: list[bytes] = []
    blocks = entries = 0
    for block in ledger.store.blocks(_log(log_name)):
        lines.append(canonical_bytes({"block": block_out(block)}))
        for entry in ledger.store.entries(log_name, block.header.first_seq, block.header.entry_count):
            lines.append(canonical_bytes({"entry": entry_to_dict(entry)}))
            entries += 1
        blocks += 1
    key = f"ledger-exports/{ledger.settings.ledger_id}/{log_name}/{stamp(ledger.clock.now())}.jsonl"
    sink.put(key, b"\n".join(lines) + b"\n", "application/x-ndjson")
    return {"key": key, "blocks": blocks, "entries": entries}


def published_validators(ledger: LedgerService, at: Sequence[datetime] = (), vset: ValidatorSet | None = None) -> dict[str, Any]:
    """The validator set as evidence bundles carry it (docs/ledger-format.md section 9), with the enclave CA's
    node certificates when every validator has one for its key: the current one, and any earlier (renewed) one
    that was valid at one of the block times ``at``. ``vset`` is the configured set unless given: the set of a
    log not yet handed to the configured set is published with bare keys (its members' certificates now are for
    the configured keys)."""
    configured = ledger.validator_set()
    vset = vset or configured
    certs = ledger.certificates_at(at) if validator_set_hash(vset) == validator_set_hash(configured) else None
    items: list[dict[str, Any]] = []
    for v in vset.validators:
        item: dict[str, Any] = {"id": v.id, "public_key": base64.b64encode(public_key_der(vset.public_keys()[v.id])).decode()}
        if certs is not None:
            item["certificate"], *earlier = certs[1][v.id]
            if earlier:
                item["earlier_certificates"] = earlier
        items.append(item)
    out: dict[str, Any] = {"f": vset.f, "validators": items}
    if certs is not None:
        out["ca_certificate"] = certs[0]
    return out


def evidence_bundle(principal: Principal, ledger: LedgerService, log_name: str, seq: int) -> dict[str, Any]:
    entry = _own_entry(principal, ledger, log_name, seq)
    proven = _proof(ledger, entry)
    if proven is None:
        raise NotFoundError("the entry is not in a certified block yet; try again after the next cut", field="seq",
                            code="entry_queued")
    return _bundle(ledger, [_item(entry, *proven)])


def _item(entry: Entry, block: StoredBlock, path: list[bytes]) -> dict[str, Any]:
    return {"entry": entry_to_dict(entry), "inclusion_proof": [h.hex() for h in path],
            "block": header_to_dict(block.header), "certificate": block_out(block)["certificate"]}


def _bundle(ledger: LedgerService, items: list[dict[str, Any]]) -> dict[str, Any]:
    moments = [parse_timestamp(item["block"]["cut_at"]) for item in items]
    return {"format": BUNDLE_FORMAT, "ledger_id": ledger.settings.ledger_id,
            "validator_set": published_validators(ledger, moments, _set_of_items(ledger, items)), "items": items}


def _set_of_items(ledger: LedgerService, items: list[dict[str, Any]]) -> ValidatorSet:
    """The one set that certified every bundled block (each entry is proven under its log's newest set)."""
    hashes = {item["block"]["validators_hash"] for item in items}
    if len(hashes) != 1:
        raise ConflictError("these entries' logs are certified by different validator sets while a handover is under "
                            "way; ask again after the next block", field="entry_id", code="handover_pending")
    (wanted,) = hashes
    if wanted == validator_set_hash(ledger.validator_set()):
        return ledger.validator_set()
    head = ledger.certified_head(items[0]["entry"]["log"])
    if head is None:
        raise LedgerIntegrityError("a bundled entry's log has no certified block")
    return ledger.set_of(head)


class LedgerEvidence:
    """The EvidenceSource port on the ledger: one bundle for several entries ("<log>:<seq>"), cutting a block
    first when an entry is still queued, so evidence can be handed out right after it was recorded."""

    def __init__(self, ledger: LedgerService) -> None:
        self.ledger = ledger

    def _proven(self, entry_id: str) -> dict[str, Any]:
        log_name, _, seq = entry_id.partition(":")
        entry = self.ledger.store.entry(_log(log_name), int(seq))
        if entry is None:
            raise NotFoundError(f"no ledger entry {entry_id}", field="entry_id")
        proven = _proof(self.ledger, entry)
        if proven is None:
            self.ledger.cut(entry.log, force=True)
            proven = _proof(self.ledger, entry)
        if proven is None:
            raise ConflictError(f"entry {entry_id} is not certified yet (see GET /ledger/status); try again shortly",
                                field="entry_id", code="entry_queued")
        return _item(entry, *proven)

    def bundle(self, entry_ids: list[str]) -> dict[str, Any]:
        return _bundle(self.ledger, [self._proven(i) for i in entry_ids])


def status(ledger: LedgerService) -> dict[str, Any]:
    """Each log's head, queue and last failure; ``validators_hash`` is the configured set's and each log's the set
    that certified its last block (they differ while a handover to the configured set is pending)."""
    vset = ledger.validator_set()
    logs = []
    for log_name in sorted(LOGS):
        head = ledger.store.head(log_name)
        last = ledger.store.block(log_name, head.height) if head.height >= 0 else None
        logs.append({"log": log_name, "height": head.height, "tree_size": head.tree_size,
                     "queued": ledger.store.last_seq(log_name) + 1 - head.tree_size,
                     "pending_proposal": head.proposal.height if head.proposal else None,
                     "last_failure": head.failure, "validators_hash": last.header.validators_hash if last else None})
    return {"ledger_id": ledger.settings.ledger_id, "validators": vset.size, "f": vset.f, "quorum": vset.threshold,
            "validators_hash": validator_set_hash(vset), "block_size": ledger.settings.block_size,
            "block_timeout_s": ledger.settings.block_timeout_s, "logs": logs}


def force_cut(principal: Principal, ledger: LedgerService) -> dict[str, Any]:
    _require_admin(principal, "cut ledger blocks")
    blocks = ledger.cut_due(force=True)
    return {"blocks": [{"log": b.header.log, "height": b.header.height, "entry_count": b.header.entry_count,
                        "signers": list(b.signers)} for b in blocks], **status(ledger)}
