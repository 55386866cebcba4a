"""One validator node: re-derive a proposed block from the stored entries, check it, and sign it once.

Runs as its own Lambda function (app.py validator_<i>) with its own KMS key; it trusts nothing the
proposer sends but the header it is asked to sign. It reads the previous certified block and the
block's entries itself, checks the previous block's quorum certificate, the compact range, the chain
link, seq contiguity and which log each action belongs on, recomputes the root and header, raises its
high-watermark (a conditional write: never two different blocks at one height), and only then signs.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

from .. import observability
from ..domain.chain import next_header, require_same_header
from ..domain.errors import DomainError
from ..domain.ledger import (
    BlockHeader,
    BlockMismatchError,
    header_from_dict,
    header_hash,
    parse_timestamp,
    signing_payload,
)
from ..domain.quorum import ValidatorSet, same_key_members, validator_set_hash, verify_certificate
from .ledger_ports import LedgerStore, Signer, StoredBlock, Watermarks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidatorNode:
    validator_id: str
    ledger_id: str
    store: LedgerStore
    watermarks: Watermarks
    signer: Signer
    vset: ValidatorSet


def validate_block(node: ValidatorNode, request: dict[str, Any]) -> dict[str, Any]:
    """The validator's reply: {"validator_id", "signature"} or {"validator_id", "error"}; never raises on bad input."""
    try:
        header = header_from_dict(request.get("header") if isinstance(request, dict) else None)
        check_proposal(node, header)
        node.watermarks.raise_to(node.validator_id, header.log, header.height, header_hash(header))
        signature = node.signer.sign(signing_payload(header))
    except DomainError as exc:
        log.warning("%s refused a block: %s: %s", node.validator_id, exc.code, exc.message)
        observability.count("ValidatorRefusals", validator=node.validator_id, reason=exc.code)
        return {"validator_id": node.validator_id, "error": f"{exc.code}: {exc.message}"}
    return {"validator_id": node.validator_id, "signature": base64.b64encode(signature).decode("ascii")}


def check_proposal(node: ValidatorNode, header: BlockHeader) -> None:
    if header.ledger_id != node.ledger_id:
        raise BlockMismatchError("ledger_id", expected=node.ledger_id, computed=header.ledger_id)
    prev = _previous(node, header)
    entries = node.store.entries(header.log, header.first_seq, header.entry_count)
    if len(entries) != header.entry_count:
        raise BlockMismatchError("counts", expected=header.entry_count, computed=len(entries))
    computed, _ = next_header(ledger_id=node.ledger_id, log=header.log, prev=prev.header if prev else None,
                              prev_frontier=prev.frontier if prev else (), entries=entries, cut_at=header.cut_at,
                              validators_hash=_set_to_sign_for(node, header, prev))
    require_same_header(header, computed)
    if prev is not None and parse_timestamp(header.cut_at) < parse_timestamp(prev.header.cut_at):
        raise BlockMismatchError("time", expected=f">= {prev.header.cut_at}", computed=header.cut_at)


def _set_to_sign_for(node: ValidatorNode, header: BlockHeader, prev: StoredBlock | None) -> str:
    """The validators hash this validator certifies a block under: its own configured set, or the set of the
    previous block (a proposal parked before this validator was deployed with a new set). Any other set fails
    require_same_header, so a validator only ever hands a log over to the set it was itself deployed with."""
    if prev is not None and header.validators_hash == prev.header.validators_hash:
        return prev.header.validators_hash
    return validator_set_hash(node.vset)


def _previous(node: ValidatorNode, header: BlockHeader) -> StoredBlock | None:
    """The previous block, which must itself be certified by the set that its header names."""
    if header.height == 0:
        return None
    prev = node.store.block(header.log, header.height - 1)
    if prev is None:
        raise BlockMismatchError("link", expected=f"a certified block at height {header.height - 1}", computed=None)
    if prev.certificate.header_hash != header_hash(prev.header):
        raise BlockMismatchError("link", expected=header_hash(prev.header), computed=prev.certificate.header_hash)
    prev_set = prev.validator_set or node.vset  # blocks stored before sets were kept with them: the configured set
    if validator_set_hash(prev_set) != prev.header.validators_hash:
        raise BlockMismatchError("validators", expected=prev.header.validators_hash, computed=validator_set_hash(prev_set))
    counted = verify_certificate(prev_set, signing_payload(prev.header), prev.certificate.signatures)
    _require_vouched_for(node, prev_set, counted)
    return prev


def _require_vouched_for(node: ValidatorNode, prev_set: ValidatorSet, counted: list[str]) -> None:
    """A previous block certified by another set (the log is being handed to this validator's set) is trusted only
    if at least f+1 of its signers are members of this validator's own set with the same key: one of them at least
    is honest, and it checked that block's own predecessor. A set read from the store and nothing else could be
    anybody's keys; a handover that replaces at most f members always meets this."""
    if validator_set_hash(prev_set) == validator_set_hash(node.vset):
        return
    ours = same_key_members(prev_set, node.vset)
    vouching = [vid for vid in counted if vid in ours]
    if len(vouching) < node.vset.f + 1:
        raise BlockMismatchError("validators", expected=f"at least {node.vset.f + 1} signers from this validator's set",
                                 computed=len(vouching))
