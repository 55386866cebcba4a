"""The ledger service: records entries (sealed through the enclave), cuts blocks, has them certified by a
quorum of validators and commits them with a conditional write on the log head.

Ordering comes from that conditional write (one block per height, first writer wins); the validators give
Byzantine *certification* of each block, not consensus on the order (docs/ledger.md).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .. import observability
from ..domain.canonical import canonical_bytes
from ..domain.certs import admit_validators
from ..domain.chain import ACTION_LOG, completed_subtrees, header_from_leaves, require_entry_rules
from ..domain.errors import (
    ConcurrentUpdateError,
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
)
from ..domain.ledger import (
    LOGS,
    BlockHeader,
    Entry,
    entry_leaf_hash,
    header_hash,
    header_to_dict,
    parse_timestamp,
    signing_payload,
)
from ..domain.quorum import (
    QuorumCertificate,
    QuorumError,
    Signature,
    Validator,
    ValidatorSet,
    public_key_der,
    same_key_members,
    signature_is_valid,
    validator_set_hash,
    verify_certificate,
)
from .ledger_ports import (
    CertifiedBlock,
    DuplicateEntryError,
    Head,
    HeadMovedError,
    KeyDirectory,
    LedgerStore,
    StoredBlock,
    ValidatorTransport,
)
from .ports import CertificateAuthority, Clock, Enclave, LedgerReceipt

log = logging.getLogger("carparker.ledger")

SEAL_PURPOSE = "ledger"
ADMISSION_TTL_S = 60  # how late a removal reaches another warm container
# The one member of a recorded entry's `sealed`: all of its fields in one sealed message (docs/ledger-format.md, 4).
SEALED_MEMBER = "fields"
MAX_APPEND_TRIES = 8
# Roots of perfect subtrees of 2**7 = 128 leaves or more are stored as blocks complete them (about 1.6 per block of
# 100): a proof then reads O(log n) of them and under 128 leaf hashes near each end, whatever the log's size.
STORED_SUBTREE_LEVEL = 7


class QuorumNotReachedError(RuleViolationError):
    """Fewer than 2f+1 validators signed the proposed block; nothing was committed."""

    code = "quorum_not_reached"

    def __init__(self, height: int, refusals: dict[str, str], counted: int, needed: int) -> None:
        super().__init__(f"block {height}: {counted} valid signatures, {needed} needed; refusals {refusals}")
        self.height, self.refusals = height, refusals


@dataclass(frozen=True)
class LedgerSettings:
    ledger_id: str
    block_size: int = 100
    block_timeout_s: float = 60.0
    deadline_s: float = 5.0


def stamp(moment: datetime) -> str:
    """RFC 3339 UTC with millisecond precision when there is a fraction (the format's time rule)."""
    moment = moment.astimezone(UTC)
    millis = moment.microsecond // 1000
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis:03d}" if millis else "") + "Z"


def object_id(log_name: str, seq: int, name: str) -> str:
    """What each sealed field is bound to (the enclave's encryption context): its entry and field."""
    return f"{log_name}:{seq}:{name}"


def validator_set_of(keys: KeyDirectory) -> ValidatorSet:
    pairs = keys.public_keys()
    return ValidatorSet(tuple(Validator(vid, der) for vid, der in pairs), f=(len(pairs) - 1) // 3)


@dataclass
class LedgerService:
    """The Ledger port (record) plus block cutting and certification."""

    store: LedgerStore
    enclave: Enclave
    transport: ValidatorTransport
    keys: KeyDirectory
    clock: Clock
    settings: LedgerSettings
    ca: CertificateAuthority | None = None
    _certs: tuple[str, dict[str, str]] | None = field(default=None, init=False, repr=False)
    _vset: ValidatorSet | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _admitted: tuple[float, frozenset[str]] | None = field(default=None, init=False, repr=False)

    # ------------------------------------------------------------------ validator set

    def validator_set(self) -> ValidatorSet:
        with self._lock:
            if self._vset is None:
                self._vset = validator_set_of(self.keys)
                self._certs = self._node_certificates(self._vset)
            return self._vset

    def certificates(self) -> tuple[str, dict[str, str]] | None:
        """(CA certificate, validator id -> node certificate), or None when not every validator has one."""
        self.validator_set()
        return self._certs

    def _node_certificates(self, vset: ValidatorSet,
                           active: dict[str, str] | None = None) -> tuple[str, dict[str, str]] | None:
        """Each validator's key certified by the enclave CA, issued on first use. Issued before this container
        cuts its first block, so a certificate is valid at the cut time of every block it certifies."""
        if self.ca is None:
            return None
        try:
            active = self.ca.node_certificates() if active is None else active
            return self.ca.ca_certificate_pem(), {v.id: _certificate_for(self.ca, v.id, vset, active.get(v.id))
                                                  for v in vset.validators}
        except DomainError as exc:
            log.warning("validator certificates unavailable, publishing bare keys: %s", exc)
            return None

    def admitted(self) -> frozenset[str]:
        """The validators whose signatures count now: a valid node certificate from the enclave CA, for the
        validator's own key, not revoked (CRL) and not expired. Re-checked at most every ADMISSION_TTL_S."""
        vset = self.validator_set()
        if self.ca is None:
            return frozenset(v.id for v in vset.validators)
        with self._lock:
            if self._admitted is not None and time.monotonic() - self._admitted[0] < ADMISSION_TTL_S:
                return self._admitted[1]
        ca = self.ca
        active = ca.node_certificates()
        if self._renew_expiring(ca, vset, active):
            active = ca.node_certificates()
            with self._lock:
                self._certs = self._node_certificates(vset, active)
        nodes, _ = admit_validators(active.items(), ca.ca_certificate_pem(), at=self.clock.now(),
                                    crl_pem=ca.revocation_list_pem())
        keys = {vid: public_key_der(key) for vid, key in vset.public_keys().items()}
        ids = frozenset(n.node_id for n in nodes if keys.get(n.node_id) == n.public_key_der)
        with self._lock:
            self._admitted = (time.monotonic(), ids)
        return ids

    def _renew_expiring(self, ca: CertificateAuthority, vset: ValidatorSet, active: dict[str, str]) -> bool:
        """Renew each validator's certificate once two thirds of its life have passed. An expired certificate would
        take its validator out of the quorum, and f + 1 of them would stop the ledger; renewed this early, the old
        one stays valid long after every container has seen the new one. True if any was renewed here."""
        now, renewed = self.clock.now(), False
        for node_id, pem in active.items():
            if vset.public_key(node_id) is None:
                continue
            cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
            if cert.not_valid_after_utc - now >= (cert.not_valid_after_utc - cert.not_valid_before_utc) / 3:
                continue
            try:
                ca.renew_node_certificate(node_id)
            except (ConflictError, NotFoundError):
                continue  # another container renewed it, or an admin removed it, meanwhile
            log.info("ledger: renewed the node certificate of %s (it expires %s)", node_id, cert.not_valid_after_utc)
            renewed = True
        return renewed

    def certificates_at(self, moments: Sequence[datetime]) -> tuple[str, dict[str, list[str]]] | None:
        """As certificates(), each validator's current certificate first, followed by any earlier (renewed)
        certificate of its key that was valid at one of ``moments``: the evidence for blocks cut back then."""
        current = self.certificates()
        if current is None or self.ca is None:
            return None
        earlier = self.ca.superseded_node_certificates()
        out: dict[str, list[str]] = {}
        for vid, pem in current[1].items():
            needed = [old for old in earlier.get(vid, ()) if old != pem and _valid_at_any(old, moments)]
            out[vid] = [pem, *needed]
        return current[0], out

    def forget_admissions(self) -> None:
        """Re-check certificates on the next cut (after a validator was removed here)."""
        with self._lock:
            self._admitted = None

    # ------------------------------------------------------------------ recording

    def record(self, *, log: str, action: str, user_id: str, order_id: str, sealed: dict[str, str],
               digests: dict[str, str] | None = None) -> LedgerReceipt:
        if log not in LOGS or ACTION_LOG.get(action) != log:
            raise InvalidInputError(f"action {action!r} is not recorded on log {log!r}", field="action")
        once = f"paid:{order_id}" if action == "paid" and order_id else None
        try:
            entry = self._append(log, action, user_id, order_id, sealed, digests or {}, once)
        except DuplicateEntryError as exc:
            return self._earlier(log, user_id, exc)
        if entry.seq + 1 - self.store.head(log).tree_size >= self.settings.block_size:
            self._cut_quietly(log)
        return LedgerReceipt(log, entry.seq, f"{log}:{entry.seq}")

    def _earlier(self, log_name: str, user_id: str, exc: DuplicateEntryError) -> LedgerReceipt:
        """A retried `paid` (say, after a crash between recording and completing the order) gets the first receipt."""
        earlier = self.store.entry(log_name, exc.seq)
        if earlier is None or earlier.user_id != user_id:
            raise exc
        return LedgerReceipt(log_name, exc.seq, f"{log_name}:{exc.seq}")

    def _append(self, log_name: str, action: str, user_id: str, order_id: str, sealed: dict[str, str],
                digests: dict[str, str], once: str | None) -> Entry:
        for _ in range(MAX_APPEND_TRIES):
            seq = self.store.last_seq(log_name) + 1
            entry = Entry(log=log_name, seq=seq, action=action, user_id=user_id, order_id=order_id,
                          recorded_at=stamp(self.clock.now()), sealed=self._seal(user_id, log_name, seq, sealed),
                          digests=digests)
            try:
                self.store.put_entry(entry, once)
                return entry
            except HeadMovedError:
                continue  # another writer took this seq: seal again for the next one
        raise ConcurrentUpdateError("the ledger is busy; try again", code="ledger_busy")

    def _seal(self, user_id: str, log_name: str, seq: int, fields: dict[str, str]) -> dict[str, str]:
        """All of an entry's fields as ONE enclave message (their canonical JSON), bound to the entry. One message
        per field cost each field its own Encryption SDK header, wrapped data key, IV and tags (~390 bytes for a
        20-byte time): a paid entry of eight fields was ~4.5 KB, and is ~1.1 KB this way, for one seal, not eight."""
        if not fields:
            return {}
        sealed = self.enclave.seal(user_id, SEAL_PURPOSE, object_id(log_name, seq, SEALED_MEMBER), canonical_bytes(fields))
        return {SEALED_MEMBER: base64.b64encode(sealed).decode("ascii")}

    def open_fields(self, entry: Entry) -> dict[str, str]:
        """The plaintext fields of an entry, through the enclave (which refuses once the user's key is erased)."""
        def open_member(name: str) -> bytes:
            return self.enclave.unseal(entry.user_id, SEAL_PURPOSE, object_id(entry.log, entry.seq, name),
                                       base64.b64decode(entry.sealed[name]))

        if set(entry.sealed) == {SEALED_MEMBER}:
            opened = json.loads(open_member(SEALED_MEMBER))
            return {str(name): str(value) for name, value in opened.items()}
        # Entries recorded before the fields were sealed together hold one message per field.
        return {name: open_member(name).decode("utf-8") for name in entry.sealed}

    def _cut_quietly(self, log_name: str) -> None:
        """A recorded entry stays recorded: a failed cut leaves it queued for the next cut."""
        try:
            self.cut(log_name)
        except (QuorumNotReachedError, HeadMovedError) as exc:
            log.warning("ledger %s: block not cut now, entries stay queued: %s", log_name, exc)
        except DomainError as exc:  # e.g. validator keys unavailable, or a stored entry that no longer checks out
            log.error("ledger %s: cutting failed, entries stay queued: %s", log_name, exc)

    # ------------------------------------------------------------------ cutting and certification

    def cut_due(self, *, force: bool = False, max_blocks: int = 10) -> list[CertifiedBlock]:
        """Cut every log whose oldest queued entry waited longer than the timeout (or any queue, if forced)."""
        cut: list[CertifiedBlock] = []
        for log_name in sorted(LOGS):
            for _ in range(max_blocks):
                try:
                    block = self.cut(log_name, force=force)
                except DomainError as exc:
                    log.warning("ledger %s: cut failed, entries stay queued: %s", log_name, exc)
                    break
                if block is None:
                    break
                cut.append(block)
        return cut

    def cut(self, log_name: str, *, force: bool = False) -> CertifiedBlock | None:
        """Propose, certify and commit the next block of a log; None when nothing is due."""
        head = self.store.head(log_name)
        prev = self.store.block(log_name, head.height) if head.height >= 0 else None
        proposal = self._proposal(head, prev, force)
        if proposal is None:
            return None
        header, frontier, leaves = proposal
        vset = self._set_named_by(header, prev)
        cert = self._certify(header, vset, self._handover_from(prev, header))
        subtrees = completed_subtrees(prev.frontier if prev else (), header.first_seq, leaves, STORED_SUBTREE_LEVEL)
        self.store.commit(StoredBlock(header, cert, tuple(frontier), vset), subtrees)
        log.info("ledger %s: block %d committed (%d entries, tree size %d)", log_name, header.height,
                 header.entry_count, header.tree_size)
        observability.count("BlocksCertified", log=log_name)
        return CertifiedBlock(header, cert, tuple(s.validator_id for s in cert.signatures))

    def _proposal(self, head: Head, prev: StoredBlock | None,
                  force: bool) -> tuple[BlockHeader, list[bytes], list[bytes]] | None:
        """The pending proposal if there is one (validators that signed it will sign it again; a new one at
        the same height they would refuse), else a new one when enough entries wait or the oldest is stale."""
        if head.proposal is not None:  # rebuilt as it was parked, under the set it names
            entries = self.store.entries(head.log, head.proposal.first_seq, head.proposal.entry_count)
            return self._header(head.log, prev, entries, head.proposal.cut_at, head.proposal.validators_hash)
        entries = self.store.entries(head.log, head.tree_size, self.settings.block_size)
        if not entries or not (force or len(entries) >= self.settings.block_size or self._stale(entries[0])):
            return None
        cut_at = stamp(self.clock.now())
        if prev is not None and parse_timestamp(cut_at) < parse_timestamp(prev.header.cut_at):
            cut_at = prev.header.cut_at  # another container's clock ran ahead: time may not go backwards
        header, frontier, leaves = self._header(head.log, prev, entries, cut_at, validator_set_hash(self.validator_set()))
        self._require_possible_handover(head.log, prev, header)
        self.store.propose(head.log, header)
        return header, frontier, leaves

    def _header(self, log_name: str, prev: StoredBlock | None, entries: Sequence[Entry], cut_at: str,
                validators_hash: str) -> tuple[BlockHeader, list[bytes], list[bytes]]:
        """The header, the compact range after it, and the entries' leaf hashes."""
        require_entry_rules(entries, log_name, prev.header.tree_size if prev else 0)
        leaves = [entry_leaf_hash(e) for e in entries]
        header, frontier = header_from_leaves(ledger_id=self.settings.ledger_id, log=log_name,
                                              prev=prev.header if prev else None, prev_frontier=prev.frontier if prev else (),
                                              leaves=leaves, cut_at=cut_at, validators_hash=validators_hash)
        return header, frontier, leaves

    def _stale(self, oldest: Entry) -> bool:
        waited = self.clock.now() - parse_timestamp(oldest.recorded_at)
        return waited >= timedelta(seconds=self.settings.block_timeout_s)

    # ------------------------------------------------------------------ handing a log to a new validator set

    def set_of(self, block: StoredBlock) -> ValidatorSet:
        """The validator set that certified ``block``: stored with it, or (blocks stored before sets were kept with
        their blocks) the configured set, if that is the one its header names."""
        vset = block.validator_set or self.validator_set()
        if validator_set_hash(vset) != block.header.validators_hash:
            raise RuleViolationError(f"the validator set that certified {block.header.log} block {block.header.height} "
                                     "is not stored with it", field="validators")
        return vset

    def _set_named_by(self, header: BlockHeader, prev: StoredBlock | None) -> ValidatorSet:
        """The set that certifies ``header``: the configured one, or the previous block's (a proposal parked before
        this deployment's set changed is finished by the set it names; the next block hands over)."""
        if header.validators_hash == validator_set_hash(self.validator_set()):
            return self.validator_set()
        if prev is not None and header.validators_hash == prev.header.validators_hash:
            return self.set_of(prev)
        raise RuleViolationError(f"{header.log} block {header.height} names validator set {header.validators_hash}, "
                                 "neither the configured one nor the previous block's", field="validators")

    def _handover_from(self, prev: StoredBlock | None, header: BlockHeader) -> ValidatorSet | None:
        """The previous set, when ``header`` moves its log to another set (the configured one), else None."""
        if prev is None or prev.header.validators_hash == header.validators_hash:
            return None
        return self.set_of(prev)

    def _require_possible_handover(self, log_name: str, prev: StoredBlock | None, header: BlockHeader) -> None:
        """A handover block needs 2f+1 of the old set among its signers, all from the new set: so at most f members
        of the old set may be replaced at once. Refused before it is proposed, so no proposal is parked that could
        never be certified."""
        old = self._handover_from(prev, header)
        kept = len(same_key_members(old, self.validator_set())) if old is not None else 0
        if old is None or kept >= old.threshold:
            return
        reason = (f"the configured validator set keeps {kept} members of the "
                  f"set that certified block {header.height - 1} with their keys; a handover needs {old.threshold}: "
                  f"replace at most f = {old.f} validators at a time")
        self.store.record_failure(log_name, {"height": header.height, "at": stamp(self.clock.now()), "reason": reason})
        raise RuleViolationError(reason, field="validators")

    def _certify(self, header: BlockHeader, vset: ValidatorSet, old: ValidatorSet | None) -> QuorumCertificate:
        """2f+1 valid signatures of ``vset``, the set the header names; for a handover block also 2f+1 of ``old``,
        the set that certified the previous block (members of both with the same key count for both)."""
        payload = signing_payload(header)
        request = {"log": header.log, "height": header.height, "header": header_to_dict(header)}

        both = same_key_members(old, vset) if old is not None else frozenset()

        def enough(valid: list[Signature]) -> bool:
            return len(valid) >= vset.threshold and (old is None or sum(s.validator_id in both for s in valid) >= old.threshold)

        valid, refusals = self._fan_out(vset, payload, request, enough)
        try:
            verify_certificate(vset, payload, valid)
            if old is not None:
                verify_certificate(old, payload, valid)
        except QuorumError as exc:
            failure = {"height": header.height, "at": stamp(self.clock.now()), "counted": exc.counted,
                       "needed": exc.needed, "refusals": refusals}
            if old is not None:
                failure["handover_from"] = validator_set_hash(old)
            self.store.record_failure(header.log, failure)
            log.error("ledger %s: no quorum for block %d: %s", header.log, header.height, failure)
            observability.count("QuorumFailures", log=header.log)
            raise QuorumNotReachedError(header.height, refusals, exc.counted, exc.needed) from exc
        return QuorumCertificate(header_hash(header), tuple(sorted(valid, key=lambda s: s.validator_id)))

    def _fan_out(self, vset: ValidatorSet, payload: bytes, request: dict[str, Any],
                 enough: Callable[[list[Signature]], bool]) -> tuple[list[Signature], dict[str, str]]:
        """Ask every validator in parallel; stop at the deadline or as soon as the valid signatures are enough."""
        admitted = self.admitted()
        pool = ThreadPoolExecutor(max_workers=vset.size, thread_name_prefix="validator")
        pending: dict[Future[dict[str, Any]], str] = {
            pool.submit(self.transport.request, v.id, request): v.id for v in vset.validators if v.id in admitted}
        valid: list[Signature] = []
        refusals: dict[str, str] = {v.id: "not admitted: no valid, unrevoked node certificate"
                                    for v in vset.validators if v.id not in admitted}
        deadline = time.monotonic() + self.settings.deadline_s
        try:
            while pending and not enough(valid):
                done, _ = wait(pending, timeout=max(0.0, deadline - time.monotonic()), return_when=FIRST_COMPLETED)
                if not done:
                    break
                for future in done:
                    _judge(vset, payload, pending.pop(future), future, valid, refusals)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        refusals.update({vid: "timed out" for vid in pending.values()})
        return valid, refusals

    # ------------------------------------------------------------------ reads

    def certified_head(self, log_name: str) -> StoredBlock | None:
        head = self.store.head(log_name)
        return self.store.block(log_name, head.height) if head.height >= 0 else None


def _valid_at_any(pem: str, moments: Sequence[datetime]) -> bool:
    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return any(cert.not_valid_before_utc <= m <= cert.not_valid_after_utc for m in moments)


def _certificate_for(ca: CertificateAuthority, validator_id: str, vset: ValidatorSet, current: str | None) -> str:
    """``current``, the validator's active certificate, if it is for its key; on first use one is issued."""
    key_pem = vset.public_keys()[validator_id].public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    if current is None and validator_id in ca.revoked_nodes():
        raise RuleViolationError(f"{validator_id} was removed (its certificate revoked); an admin must register it again")
    if current is None:  # first use: enrol the node under its KMS key
        return ca.issue_node_certificate(validator_id, key_pem)
    cert_key = x509.load_pem_x509_certificate(current.encode()).public_key()
    if cert_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode() != key_pem:
        raise RuleViolationError(f"the active certificate of {validator_id} is for another key")
    return current


def _judge(vset: ValidatorSet, payload: bytes, validator_id: str, future: Future[dict[str, Any]],
           valid: list[Signature], refusals: dict[str, str]) -> None:
    exc = future.exception()
    if exc is not None:
        refusals[validator_id] = f"failed: {type(exc).__name__}: {exc}"
        return
    reply = future.result()
    if not isinstance(reply, dict) or "error" in reply:
        refusals[validator_id] = str(reply.get("error") if isinstance(reply, dict) else "malformed reply")
        return
    signature = reply.get("signature")
    key = vset.public_key(validator_id)
    if key is None or not isinstance(signature, str) or not signature_is_valid(key, payload, signature):
        refusals[validator_id] = "signature does not verify over this block"
        return
    valid.append(Signature(validator_id, signature))

