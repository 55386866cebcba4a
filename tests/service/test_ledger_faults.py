"""The ledger service on in-memory storage with four real P-256 validators, up to f (and then f+1) of them faulty."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from chalicelib.adapters.memory import LocalSigner, MemoryLedgerStore, MemoryWatermarks
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.ledger import GENESIS_PREV_HASH, BlockHeader, Entry, entry_leaf_hash, header_hash, signing_payload
from chalicelib.domain.quorum import validator_set_hash, verify_certificate
from chalicelib.services import ledger_reads
from chalicelib.services.ledger import LedgerService, LedgerSettings, QuorumNotReachedError
from chalicelib.services.ledger_ports import EquivocationError
from chalicelib.services.validator import ValidatorNode, validate_block
from tests.fakes import FakeEnclave, Fault, FaultyValidators, FixedClock
from tests.ledger_helpers import IDS, LEDGER_ID, honest_validators


@dataclass
class World:
    ledger: LedgerService
    store: MemoryLedgerStore
    validators: FaultyValidators
    clock: FixedClock


@pytest.fixture
def world() -> Iterator[World]:
    store, marks = MemoryLedgerStore(), MemoryWatermarks()
    honest, keys, signers = honest_validators(store, marks)
    faulty = FaultyValidators(honest, signers, marks)
    clock = FixedClock()
    ledger = LedgerService(store, FakeEnclave(), faulty, keys, clock, LedgerSettings(LEDGER_ID, 3, 60, deadline_s=0.3))
    yield World(ledger, store, faulty, clock)
    faulty.released.set()


def record(w: World, n: int, user: str = "u1") -> None:
    for _ in range(n):
        w.ledger.record(log="parent", action="paid", user_id=user, order_id=uuid.uuid4().hex, sealed={"Fees": "100 EUR"})


def committed(w: World) -> int:
    return w.store.head("parent").height + 1


@pytest.mark.parametrize("fault", [Fault.CRASH, Fault.TIMEOUT, Fault.GARBAGE, Fault.OTHER_BLOCK, Fault.EQUIVOCATE])
def test_one_faulty_validator_of_four_cannot_stop_a_block(world: World, fault: str) -> None:
    world.validators.faults = {"validator-2": fault}
    record(world, 3)
    block = world.store.block("parent", 0)
    assert block is not None and "validator-2" not in [s.validator_id for s in block.certificate.signatures]
    assert len(verify_certificate(world.ledger.validator_set(), signing_payload(block.header), block.certificate.signatures)) >= 3


def test_f_plus_one_faulty_validators_commit_nothing_and_the_ledger_resumes(world: World) -> None:
    world.validators.faults = {"validator-0": Fault.CRASH, "validator-3": Fault.GARBAGE}
    record(world, 4)  # the cut at k = 3 fails quietly: the entries are recorded and queued
    assert committed(world) == 0 and world.store.last_seq("parent") == 3
    with pytest.raises(QuorumNotReachedError):
        world.ledger.cut("parent")
    status = {s["log"]: s for s in ledger_reads.status(world.ledger)["logs"]}["parent"]
    assert status["queued"] == 4 and status["last_failure"]["refusals"].keys() == {"validator-0", "validator-3"}
    proposal = world.store.head("parent").proposal
    world.validators.faults = {}
    assert [b.header for b in world.ledger.cut_due()] == [proposal]  # the same proposal: nobody signs two blocks
    assert committed(world) == 1 and world.store.head("parent").failure is None


def test_two_proposers_at_one_height_cannot_fork_the_log(world: World) -> None:
    world.validators.faults = {"validator-0": Fault.CRASH, "validator-1": Fault.CRASH}
    record(world, 3)
    first = world.store.head("parent").proposal
    world.validators.faults = {}
    record(world, 1)  # a second writer finds the parked proposal and certifies exactly that one
    block = world.store.block("parent", 0)
    assert block is not None and block.header == first and committed(world) == 1


def test_a_validator_refuses_a_second_block_at_a_height_it_signed() -> None:
    marks = MemoryWatermarks()
    marks.raise_to("validator-0", "parent", 5, "a" * 64)
    marks.raise_to("validator-0", "parent", 5, "a" * 64)  # the same block again: a retried request
    for height, digest in ((5, "b" * 64), (4, "c" * 64)):
        with pytest.raises(EquivocationError):
            marks.raise_to("validator-0", "parent", height, digest)
    marks.raise_to("validator-0", "parent", 6, "d" * 64)


def test_the_timeout_cutter_cuts_a_short_block_only_when_the_oldest_entry_is_stale(world: World) -> None:
    record(world, 2)
    assert world.ledger.cut_due() == [] and committed(world) == 0
    world.clock.moment += timedelta(seconds=61)
    blocks = world.ledger.cut_due()
    assert [b.header.entry_count for b in blocks] == [2]
    assert blocks[0].certificate.header_hash == header_hash(blocks[0].header)


def test_blocks_chain_and_their_roots_match_a_full_recomputation(world: World) -> None:
    from chalicelib.domain.ledger import check_block, entry_leaf_hash

    record(world, 10)
    world.ledger.cut_due(force=True)
    leaves = [entry_leaf_hash(e) for e in world.store.logs["parent"]]
    prev = None
    for block in world.store.blocks("parent"):
        check_block(block.header, prev, leaves[:block.header.tree_size])
        prev = block.header
    assert prev is not None and prev.tree_size == 10


def test_an_action_on_the_wrong_log_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputError):
        world.ledger.record(log="side", action="paid", user_id="u1", order_id="o1", sealed={})


def _proposal(w: World, **changes: object) -> dict[str, object]:
    from dataclasses import replace

    from chalicelib.domain.ledger import header_to_dict

    entries = w.store.entries("parent", 0, 3)
    header, _, _ = w.ledger._header("parent", None, entries, "2026-11-24T12:00:00Z",
                                    validator_set_hash(w.ledger.validator_set()))
    return {"log": "parent", "height": 0, "header": header_to_dict(replace(header, **changes))}  # type: ignore[arg-type]


def _node(w: World) -> ValidatorNode:
    signer = LocalSigner()
    return ValidatorNode("validator-9", LEDGER_ID, w.store, MemoryWatermarks(), signer, w.ledger.validator_set())


@pytest.mark.parametrize(("changes", "refusal"), [
    ({"root": "ab" * 32}, "root"),
    ({"entry_count": 4, "tree_size": 4}, "counts"),
    ({"ledger_id": "another-ledger"}, "ledger_id"),
    ({"validators_hash": "cd" * 32}, "validators_hash"),
])
def test_a_validator_refuses_a_proposal_that_does_not_follow_from_the_stored_entries(
        world: World, changes: dict[str, object], refusal: str) -> None:
    world.validators.faults = {v: Fault.CRASH for v in IDS[:2]}  # keep the entries queued
    record(world, 3)
    reply = validate_block(_node(world), _proposal(world, **changes))
    assert "signature" not in reply and refusal in str(reply["error"])
    assert "signature" in validate_block(_node(world), _proposal(world))


def test_a_validator_refuses_an_entry_on_the_wrong_log_and_a_block_without_a_certified_parent(world: World) -> None:
    from chalicelib.domain.ledger import header_to_dict

    world.store.logs["parent"].append(Entry(log="parent", seq=0, action="upload", user_id="u1", order_id="o1",
                                            recorded_at="2026-11-24T12:00:00Z"))
    header = BlockHeader(ledger_id=LEDGER_ID, log="parent", height=0, first_seq=0, entry_count=1, tree_size=1,
                         root=entry_leaf_hash(world.store.logs["parent"][0]).hex(), prev_hash=GENESIS_PREV_HASH,
                         validators_hash=validator_set_hash(world.ledger.validator_set()), cut_at="2026-11-24T12:00:00Z")
    assert "action" in str(validate_block(_node(world), {"header": header_to_dict(header)})["error"])
    orphan = {**header_to_dict(header), "height": 1, "first_seq": 1, "tree_size": 2, "prev_hash": "ab" * 32}
    assert "link" in str(validate_block(_node(world), {"header": orphan})["error"])
    assert "error" in validate_block(_node(world), {"header": "not a header"})


def test_a_retried_paid_order_gets_its_first_receipt_and_no_second_entry(world: World) -> None:
    first = world.ledger.record(log="parent", action="paid", user_id="u1", order_id="o-9", sealed={"Fees": "1 EUR"})
    again = world.ledger.record(log="parent", action="paid", user_id="u1", order_id="o-9", sealed={"Fees": "1 EUR"})
    assert again == first and world.store.last_seq("parent") == first.seq
    from chalicelib.services.ledger_ports import DuplicateEntryError

    with pytest.raises(DuplicateEntryError):
        world.ledger.record(log="parent", action="paid", user_id="someone-else", order_id="o-9", sealed={})


def test_every_committed_entry_is_proven_in_the_block_that_holds_it(world: World) -> None:
    from chalicelib.domain.accounts import Principal
    from chalicelib.domain.ledger import entry_from_dict
    from chalicelib.domain.merkle import verify_inclusion

    record(world, 10)
    world.ledger.cut_due(force=True)
    admin = Principal("admin-1", "a@example.com", frozenset({"admin"}), frozenset())
    for seq in range(10):
        got = ledger_reads.get_entry(admin, world.ledger, "parent", seq)
        block = world.store.block("parent", got["block_height"])
        assert block is not None and block.header.first_seq <= seq < block.header.tree_size
        verify_inclusion(entry_leaf_hash(entry_from_dict(got["entry"])), seq, got["tree_size"],
                         [bytes.fromhex(h) for h in got["inclusion_proof"]], bytes.fromhex(got["root"]))


class _KeysDown:
    def public_keys(self) -> list[tuple[str, bytes]]:
        from chalicelib.domain.errors import UnavailableError

        raise UnavailableError("KMS is not answering")


def test_a_recorded_entry_stays_recorded_when_cutting_fails(world: World) -> None:
    from dataclasses import replace as dc_replace

    ledger = LedgerService(world.store, world.ledger.enclave, world.validators, _KeysDown(), world.clock,
                           dc_replace(world.ledger.settings, block_size=1))
    receipt = ledger.record(log="parent", action="paid", user_id="u1", order_id="o-down", sealed={"Fees": "1 EUR"})
    assert world.store.entry("parent", receipt.seq) is not None and committed(world) == 0
    assert ledger.cut_due(force=True) == []
