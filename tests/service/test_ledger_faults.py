"""The ledger service on in-memory storage with four real P-256 validators, up to f (and then f+1) of them faulty."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from chalicelib.adapters.memory import LocalSigner, MemoryLedgerStore, MemoryWatermarks, StaticKeys
from chalicelib.adapters.validators import InProcessValidators
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.ledger import header_hash, signing_payload
from chalicelib.domain.quorum import verify_certificate
from chalicelib.services import ledger_reads
from chalicelib.services.ledger import LedgerService, LedgerSettings, QuorumNotReachedError, validator_set_of
from chalicelib.services.ledger_ports import EquivocationError
from chalicelib.services.validator import ValidatorNode, validate_block
from tests.fakes import FakeEnclave, Fault, FaultyValidators, FixedClock

LEDGER_ID = "carparker-test"
IDS = [f"validator-{i}" for i in range(4)]


@dataclass
class World:
    ledger: LedgerService
    store: MemoryLedgerStore
    validators: FaultyValidators
    clock: FixedClock


@pytest.fixture
def world() -> Iterator[World]:
    store, marks = MemoryLedgerStore(), MemoryWatermarks()
    signers = {vid: LocalSigner() for vid in IDS}
    keys = StaticKeys([(vid, signers[vid].public_key_der()) for vid in IDS])
    vset = validator_set_of(keys)
    nodes = {vid: ValidatorNode(vid, LEDGER_ID, store, marks, signers[vid], vset) for vid in IDS}
    honest = InProcessValidators({vid: (lambda req, n=nodes[vid]: validate_block(n, req)) for vid in IDS})
    faulty = FaultyValidators(honest, signers, marks)
    clock = FixedClock()
    ledger = LedgerService(store, FakeEnclave(), faulty, keys, clock, LedgerSettings(LEDGER_ID, 3, 60, deadline_s=0.3))
    yield World(ledger, store, faulty, clock)
    faulty.released.set()


def record(w: World, n: int, user: str = "u1") -> None:
    for i in range(n):
        w.ledger.record(log="parent", action="paid", user_id=user, order_id=f"o{i}", sealed={"Fees": "100 EUR"})


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
