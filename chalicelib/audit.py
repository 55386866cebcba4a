"""`verify-ledger`: audit a whole stored ledger, every block, link, root, certificate and entry, reading the
raw stored text (the exact bytes that were hashed) and naming the first block or entry that is wrong.

One pass per log, O(n) hashes in all: entries are streamed in seq order next to the blocks and folded into a
compact range, so memory stays O(log n) whatever the size of the ledger.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from .domain.canonical import CanonicalJSONError, parse_canonical
from .domain.chain import header_from_leaves, require_entry_rules, require_same_header, require_time_runs_forward
from .domain.errors import DomainError
from .domain.ledger import LOGS, SIGNING_CONTEXT, BlockHeader, EntryFacts, entry_facts_of_text, header_from_dict, header_hash
from .domain.quorum import Signature, ValidatorSet, validator_set_hash, validator_set_of_text, verify_certificate

_sha256 = hashlib.sha256


class AuditError(Exception):
    """The stored ledger does not verify; ``where`` names the first bad block or entry."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where


@dataclass
class LogSummary:
    log: str
    blocks: int = 0
    entries: int = 0


def _strict(text: str, what: str) -> Any:
    """Parse a stored header or certificate and require its canonical spelling. (Entries are not re-encoded: their
    exact bytes are hashed into the certified root, so any other spelling fails there.)"""
    try:
        return parse_canonical(text)
    except CanonicalJSONError as exc:
        raise AuditError(what, f"stored text is not canonical JSON (altered): {exc}") from exc
    except ValueError as exc:
        raise AuditError(what, f"unreadable: {exc}") from exc


def _entry(item: Any | None, log: str, seq: int, height: int) -> tuple[EntryFacts, bytes]:
    """One stored entry: strict JSON, every rule of the entry format, its leaf hash and its index attributes.

    The leaf is the hash of the stored bytes themselves, never of a re-encoding: the certified root then pins
    those exact bytes, so any other spelling of the same entry fails there."""
    if item is None or int(item.seq) != seq:
        raise AuditError(_where(log, seq, height), "missing" + ("" if item is None else f"; found seq {int(item.seq)} instead"))
    text = item.body
    try:
        facts = entry_facts_of_text(text)
    except DomainError as exc:
        raise AuditError(_where(log, seq, height), str(exc)) from exc
    leaf = _sha256(b"\x00" + text.encode("utf-8")).digest()
    if leaf.hex() != item.leaf:
        raise AuditError(_where(log, seq, height), "its bytes do not hash to its stored leaf hash (entry altered)")
    if (item.user_id, item.order_id or "", item.recorded_at, facts.log, facts.seq) != (*facts[3:], log, seq):
        raise AuditError(_where(log, seq, height), "its index attributes disagree with its body (altered)")
    return facts, leaf


def _where(log: str, seq: int, height: int) -> str:
    return f"{log} entry {seq} (block {height})"


def _header(item: Any, log: str, height: int) -> tuple[BlockHeader, bytes, list[Signature], str]:
    """The block's header (parsed, and its stored bytes, which _strict has shown to be its canonical bytes),
    the certificate's signatures and the header hash the certificate names."""
    where = f"{log} block {height}"
    if int(item.height) != height:
        raise AuditError(where, f"missing; found height {int(item.height)} instead")
    try:
        header = header_from_dict(_strict(item.header, where))
        cert = _strict(item.certificate, where + " certificate")
        sigs = [Signature(str(s["validator_id"]), str(s["signature"])) for s in cert["signatures"]]
        return header, item.header.encode("utf-8"), sigs, str(cert["header_hash"])
    except (DomainError, KeyError, TypeError) as exc:
        raise AuditError(where, f"malformed: {exc}") from exc


@dataclass
class Auditor:
    vset: ValidatorSet
    ledger_id: str
    blocks_of: Callable[[str], Iterator[Any]]
    entries_of: Callable[[str], Iterator[Any]]
    head_of: Callable[[str], Any]
    progress: TextIO | None = None

    @functools.cached_property
    def vset_hash(self) -> str:
        return validator_set_hash(self.vset)

    def audit(self) -> list[LogSummary]:
        return [self.audit_log(log) for log in sorted(LOGS)]

    def audit_log(self, log: str) -> LogSummary:
        summary = LogSummary(log)
        entries = self.entries_of(log)
        prev: tuple[BlockHeader, ValidatorSet] | None = None
        frontier: list[bytes] = []
        total = self.head_of(log).height + 1
        trusted_seen = False
        for height, item in enumerate(self.blocks_of(log)):
            header, frontier, vset = self._block(item, log, height, prev, frontier, entries)
            prev = header, vset
            trusted_seen = trusted_seen or header.validators_hash == self.vset_hash
            summary.blocks += 1
            summary.entries = header.tree_size
            self._tick(log, height + 1, total)
        if prev is not None and not trusted_seen:
            raise AuditError(f"{log} log", "no block is certified by the trusted validator set, so nothing anchors its "
                                           "chain (a handover to that set still pending?)")
        self._check_head(log, prev[0] if prev else None)
        return summary

    def _block(self, item: Any, log: str, height: int, prev: tuple[BlockHeader, ValidatorSet] | None,
               frontier: list[bytes], entries: Iterator[Any]) -> tuple[BlockHeader, list[bytes], ValidatorSet]:
        header, stored, sigs, certified_hash = _header(item, log, height)
        where = f"{log} block {height}"
        vset = self._set_of(item, header, where)
        prev_header = prev[0] if prev else None
        first = prev_header.tree_size if prev_header else 0
        checked = [_entry(next(entries, None), log, first + i, height) for i in range(header.entry_count)]
        try:
            require_entry_rules([e for e, _ in checked], log, first)
            computed, frontier = header_from_leaves(ledger_id=self.ledger_id, log=log, prev=prev_header,
                                                    prev_frontier=frontier, leaves=[leaf for _, leaf in checked],
                                                    cut_at=header.cut_at, validators_hash=header.validators_hash)
            require_same_header(header, computed)
            require_time_runs_forward(prev_header, header)
            # stored == header_bytes(header) (checked canonical), so hash and sign input need no re-encoding.
            if certified_hash != _sha256(stored).hexdigest():
                raise AuditError(where, "its certificate is for another header")
            valid = set(verify_certificate(vset, SIGNING_CONTEXT + stored, sigs))
            if prev is not None and prev[0].validators_hash != header.validators_hash:
                # A handover to another set: the set that certified the previous block must endorse it too.
                valid.update(verify_certificate(prev[1], SIGNING_CONTEXT + stored, sigs))
        except DomainError as exc:
            raise AuditError(where, str(exc)) from exc
        if len(valid) != len(sigs):
            raise AuditError(where, f"only {len(valid)} of its {len(sigs)} signatures are valid (signature altered)")
        return header, frontier, vset

    def _set_of(self, item: Any, header: BlockHeader, where: str) -> ValidatorSet:
        """The set stored with the block (checked against the hash its header names), or the trusted set for
        blocks stored before sets were kept with them."""
        text = getattr(item, "validators", None)
        if not text:
            if header.validators_hash != self.vset_hash:
                raise AuditError(where, f"names validator set {header.validators_hash}: not stored with the block, "
                                        "and not the trusted set")
            return self.vset
        try:
            vset = validator_set_of_text(text)
        except (ValueError, DomainError) as exc:
            raise AuditError(where, f"its stored validator set is unreadable: {exc}") from exc
        if vset.hash != header.validators_hash:
            raise AuditError(where, "its stored validator set is not the one its header names (altered)")
        return vset

    def _check_head(self, log: str, last: BlockHeader | None) -> None:
        head = self.head_of(log)
        expected = (last.height, last.tree_size, header_hash(last)) if last else (-1, 0, "")
        if (head.height, head.tree_size, head.header_hash) != expected:
            raise AuditError(f"{log} head", f"names {(head.height, head.tree_size, head.header_hash)}, the chain ends at {expected}")

    def _tick(self, log: str, done: int, total: int) -> None:
        if self.progress is None or total < 20:
            return
        width = 30
        filled = width * done // max(total, 1)
        self.progress.write(f"\r{log:6} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} blocks")
        if done >= total:
            self.progress.write("\n")
        self.progress.flush()


def dynamo_auditor(vset: ValidatorSet, ledger_id: str, progress: TextIO | None = sys.stderr) -> Auditor:
    from .adapters.ledger_tables import DynamoLedgerStore, ledger_models

    m = ledger_models()
    store = DynamoLedgerStore(m)
    return Auditor(vset, ledger_id,
                   blocks_of=lambda log: iter(m.blocks.query(log, consistent_read=True)),
                   entries_of=lambda log: iter(m.entries.query(log, consistent_read=True)),
                   head_of=store.head, progress=progress)

