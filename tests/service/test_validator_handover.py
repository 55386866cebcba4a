"""Handing a log over to a new validator set: replacing a validator's key (a compromised validator-2, say) without
stopping the ledger or losing any evidence. The first block under the new set is certified by 2f+1 of the new set
and 2f+1 of the old one; validators sign only under the set they were deployed with; verify-ledger follows the
handover and refuses one the old set did not endorse."""

from __future__ import annotations

import base64
import json
import types
import uuid
from dataclasses import dataclass, field

import pytest

from chalicelib import verify
from chalicelib.adapters.ledger_tables import certificate_to_dict
from chalicelib.adapters.memory import LocalSigner, MemoryLedgerStore, MemoryWatermarks, StaticKeys
from chalicelib.adapters.validators import InProcessValidators
from chalicelib.audit import AuditError, Auditor
from chalicelib.domain.canonical import canonical_bytes
from chalicelib.domain.chain import next_header
from chalicelib.domain.errors import RuleViolationError
from chalicelib.domain.ledger import entry_bytes, header_bytes, header_hash, header_to_dict, signing_payload
from chalicelib.domain.merkle import leaf_hash
from chalicelib.domain.quorum import (
    QuorumCertificate,
    Signature,
    ValidatorSet,
    validator_set_hash,
    validator_set_to_dict,
    verify_certificate,
)
from chalicelib.services import ledger_reads
from chalicelib.services.ledger import LedgerService, LedgerSettings, QuorumNotReachedError, validator_set_of
from chalicelib.services.ledger_ports import StoredBlock
from chalicelib.services.validator import ValidatorNode, validate_block
from tests.fakes import FakeEnclave, FixedClock
from tests.ledger_helpers import IDS, LEDGER_ID

K = 3


@dataclass
class Deployment:
    """The store and watermarks that outlive deployments, and the validators' signing keys by slot."""

    store: MemoryLedgerStore = field(default_factory=MemoryLedgerStore)
    marks: MemoryWatermarks = field(default_factory=MemoryWatermarks)
    signers: dict[str, LocalSigner] = field(default_factory=lambda: {vid: LocalSigner() for vid in IDS})

    def keys(self) -> StaticKeys:
        return StaticKeys([(vid, self.signers[vid].public_key_der()) for vid in IDS])

    def deploy(self, configured: dict[str, ValidatorSet] | None = None) -> LedgerService:
        """A proposer and four validators, all configured with the current keys unless ``configured`` gives a
        validator another set (one not redeployed yet)."""
        keys = self.keys()
        vset = validator_set_of(keys)
        nodes = {vid: ValidatorNode(vid, LEDGER_ID, self.store, self.marks, self.signers[vid],
                                    (configured or {}).get(vid, vset)) for vid in IDS}
        validators = InProcessValidators({vid: (lambda req, n=nodes[vid]: validate_block(n, req)) for vid in IDS})
        return LedgerService(self.store, FakeEnclave(), validators, keys, FixedClock(), LedgerSettings(LEDGER_ID, K, 60))


def record(ledger: LedgerService, n: int = K) -> list[int]:
    return [ledger.record(log="parent", action="paid", user_id="u1", order_id=uuid.uuid4().hex,
                          sealed={"Fees": "100 EUR"}).seq for _ in range(n)]


def audit(d: Deployment, trusted: ValidatorSet) -> None:
    def stored_blocks(log: str) -> list[types.SimpleNamespace]:
        return [types.SimpleNamespace(height=b.header.height, header=header_bytes(b.header).decode(),
                                      certificate=canonical_bytes(certificate_to_dict(b.certificate)).decode(),
                                      validators=canonical_bytes(validator_set_to_dict(b.validator_set)).decode()
                                      if b.validator_set else None)
                for b in d.store.blocks(log)]

    def stored_entries(log: str) -> list[types.SimpleNamespace]:
        return [types.SimpleNamespace(seq=e.seq, body=entry_bytes(e).decode(), leaf=leaf_hash(entry_bytes(e)).hex(),
                                      user_id=e.user_id, order_id=e.order_id, recorded_at=e.recorded_at)
                for e in d.store.entries(log, 0, 10**6)]

    Auditor(trusted, LEDGER_ID, blocks_of=lambda log: iter(stored_blocks(log)),
            entries_of=lambda log: iter(stored_entries(log)), head_of=d.store.head).audit()


@pytest.fixture
def rotated() -> tuple[Deployment, ValidatorSet, ValidatorSet, list[int]]:
    """Two blocks under the first set; validator-2's key replaced; a handover block and one more after it."""
    d = Deployment()
    first = d.deploy()
    old_seqs = record(first, 2 * K)
    old = first.validator_set()
    d.signers["validator-2"] = LocalSigner()  # the new key of slot 2
    second = d.deploy()
    record(second, 2 * K)
    return d, old, second.validator_set(), old_seqs


def test_the_first_block_under_a_new_set_is_certified_by_both_sets(rotated: tuple[Deployment, ValidatorSet, ValidatorSet,
                                                                               list[int]]) -> None:
    d, old, new, _ = rotated
    blocks = list(d.store.blocks("parent"))
    assert [b.header.validators_hash for b in blocks] == [validator_set_hash(old)] * 2 + [validator_set_hash(new)] * 2
    handover = blocks[2]
    payload = signing_payload(handover.header)
    assert len(verify_certificate(new, payload, handover.certificate.signatures)) >= 3
    assert len(verify_certificate(old, payload, handover.certificate.signatures)) >= 3  # 0, 1 and 3 count for both
    assert [b.validator_set for b in blocks] == [old, old, new, new]
    audit(d, new)  # verify-ledger follows the handover, trusting the current set...
    audit(d, old)  # ...or the one it began with


def test_evidence_from_before_the_handover_verifies_under_the_current_set(rotated: tuple[Deployment, ValidatorSet,
                                                                                       ValidatorSet, list[int]]) -> None:
    d, _, new, old_seqs = rotated
    ledger = d.deploy()
    bundle = ledger_reads.LedgerEvidence(ledger).bundle([f"parent:{old_seqs[0]}"])
    assert bundle["items"][0]["block"]["height"] == 3  # proven in the newest block, which the current set certified
    published = ledger_reads.published_validators(ledger)
    summary = verify.verify_evidence(json.dumps(bundle).encode(), trusted_validator_set=published)
    assert summary.entries == 1 and summary.validator_set_pinned


def test_replacing_more_than_f_validators_at_once_is_refused_before_anything_is_proposed() -> None:
    d = Deployment()
    record(d.deploy())
    d.signers["validator-1"], d.signers["validator-2"] = LocalSigner(), LocalSigner()
    ledger = d.deploy()
    seqs = record(ledger)  # the cut after k entries fails quietly; the entries stay queued
    with pytest.raises(RuleViolationError, match="replace at most f = 1 validators at a time"):
        ledger.cut("parent", force=True)
    head = d.store.head("parent")
    assert head.height == 0 and head.proposal is None and seqs[-1] >= head.tree_size
    assert "replace at most f" in head.failure["reason"]  # type: ignore[index]  # GET /ledger/status shows it


def test_validators_not_yet_deployed_with_the_new_set_hold_the_handover_until_they_are() -> None:
    d = Deployment()
    old = d.deploy().validator_set()
    record(d.deploy())
    d.signers["validator-2"] = LocalSigner()
    ledger = d.deploy(configured={"validator-0": old, "validator-1": old})  # two still run the old configuration
    record(ledger)
    with pytest.raises(QuorumNotReachedError):
        ledger.cut("parent", force=True)
    refusals = d.store.head("parent").failure["refusals"]  # type: ignore[index]
    assert "validators" in refusals["validator-0"] and "validators" in refusals["validator-1"]
    parked = d.store.head("parent").proposal
    redeployed = d.deploy()
    block = redeployed.cut("parent", force=True)
    assert block is not None and block.header == parked and block.header.validators_hash == validator_set_hash(
        redeployed.validator_set())


def _down(request: object) -> dict[str, object]:
    raise RuntimeError("down")


def test_a_proposal_parked_under_the_old_set_is_finished_by_it_then_handed_over() -> None:
    d = Deployment()
    first = d.deploy()
    record(first)
    old = first.validator_set()
    for vid in ("validator-0", "validator-1"):  # two validators are down: the block at height 1 is parked unsigned
        first.transport.handlers[vid] = _down  # type: ignore[attr-defined]
    record(first)
    with pytest.raises(QuorumNotReachedError):
        first.cut("parent", force=True)
    assert d.store.head("parent").proposal is not None
    d.signers["validator-2"] = LocalSigner()  # meanwhile slot 2 gets a new key, and everything is redeployed
    everyone_new = d.deploy()
    parked = everyone_new.cut("parent", force=True)  # finished under the set it names: 0, 1 and 3 still hold those keys
    assert parked is not None and parked.header.validators_hash == validator_set_hash(old)
    record(everyone_new)  # k entries: the next block is cut at once, the handover
    handover = everyone_new.certified_head("parent")
    assert handover is not None and handover.header.height == 2
    assert handover.header.validators_hash == validator_set_hash(everyone_new.validator_set())
    audit(d, everyone_new.validator_set())


def test_verify_ledger_refuses_a_handover_the_old_set_did_not_endorse(rotated: tuple[Deployment, ValidatorSet,
                                                                                   ValidatorSet, list[int]]) -> None:
    d, _, new, _ = rotated
    ledger = d.deploy()
    record(ledger, 1)  # queued entry for a forged block
    outsiders = {vid: LocalSigner() for vid in IDS}
    forged_set = validator_set_of(StaticKeys([(vid, s.public_key_der()) for vid, s in outsiders.items()]))
    head = d.store.head("parent")
    prev = d.store.block("parent", head.height)
    assert prev is not None
    header, frontier = next_header(ledger_id=LEDGER_ID, log="parent", prev=prev.header, prev_frontier=prev.frontier,
                                   entries=d.store.entries("parent", head.tree_size, 1), cut_at=prev.header.cut_at,
                                   validators_hash=validator_set_hash(forged_set))
    sigs = tuple(Signature(vid, base64.b64encode(s.sign(signing_payload(header))).decode()) for vid, s in outsiders.items())
    d.store.commit(StoredBlock(header, QuorumCertificate(header_hash(header), sigs), tuple(frontier), forged_set))
    with pytest.raises(AuditError, match=f"parent block {header.height}"):
        audit(d, new)


def test_a_validator_does_not_take_over_from_a_set_only_the_store_vouches_for(rotated: tuple[Deployment, ValidatorSet,
                                                                                          ValidatorSet, list[int]]) -> None:
    """A block written straight into the store, certified by a set of strangers' keys stored with it, must not
    become the predecessor an honest validator extends: fewer than f+1 of its signers are in its own set."""
    d, _, new, _ = rotated
    test_verify_ledger_refuses_a_handover_the_old_set_did_not_endorse(rotated)  # commits the strangers' block 4
    record(d.deploy(), 1)
    head = d.store.head("parent")
    prev = d.store.block("parent", head.height)
    assert prev is not None and head.height == 4
    header, _ = next_header(ledger_id=LEDGER_ID, log="parent", prev=prev.header, prev_frontier=prev.frontier,
                            entries=d.store.entries("parent", head.tree_size, 1), cut_at=prev.header.cut_at,
                            validators_hash=validator_set_hash(new))
    node = ValidatorNode("validator-0", LEDGER_ID, d.store, d.marks, d.signers["validator-0"], new)
    reply = validate_block(node, {"log": "parent", "height": header.height, "header": header_to_dict(header)})
    assert "signature" not in reply and "signers from this validator's set" in reply["error"]
