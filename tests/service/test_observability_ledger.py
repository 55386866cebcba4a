"""The ledger's metrics, read from the EMF lines it prints: BlocksCertified per committed block, QuorumFailures when
too few validators sign, ValidatorRefusals by the refusal's code (docs/observability.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

from chalicelib.adapters.memory import LocalSigner, MemoryLedgerStore, MemoryWatermarks
from chalicelib.domain.ledger import header_to_dict
from chalicelib.domain.quorum import validator_set_hash
from chalicelib.services.ledger import LedgerService, LedgerSettings
from chalicelib.services.validator import ValidatorNode, validate_block
from tests.fakes import FakeEnclave, Fault, FaultyValidators, FixedClock
from tests.ledger_helpers import LEDGER_ID, honest_validators
from tests.observability_helpers import Lines

Read = Callable[[], Lines]


def ledger() -> tuple[LedgerService, MemoryLedgerStore, FaultyValidators]:
    store, marks = MemoryLedgerStore(), MemoryWatermarks()
    honest, keys, signers = honest_validators(store, marks)
    faulty = FaultyValidators(honest, signers, marks)
    return LedgerService(store, FakeEnclave(), faulty, keys, FixedClock(), LedgerSettings(LEDGER_ID, 3, 60, deadline_s=0.3)), store, faulty


def record(service: LedgerService, n: int) -> None:
    for _ in range(n):
        service.record(log="parent", action="paid", user_id="u1", order_id=uuid.uuid4().hex, sealed={"Fees": "100 EUR"})


def test_a_block_without_quorum_is_a_quorum_failure_and_the_block_certified_later_is_counted(stdout: Read) -> None:
    service, store, validators = ledger()
    validators.faults = {"validator-0": Fault.CRASH, "validator-3": Fault.GARBAGE}
    try:
        stdout()
        record(service, 3)  # the cut at k = 3 finds two signatures of the three it needs
        assert store.head("parent").height == -1
        failed = stdout()
        assert failed.metric("QuorumFailures") == [(1.0, {"stage": "local", "log": "parent"})]
        assert failed.metric("BlocksCertified") == []
        [error] = [x for x in failed.logs if x["level"] == "ERROR"]
        assert "no quorum for block 0" in error["message"] and error["name"] == "carparker.ledger"
        validators.faults = {}
        assert len(service.cut_due(force=True)) == 1
        assert stdout().metric("BlocksCertified") == [(1.0, {"stage": "local", "log": "parent"})]
    finally:
        validators.released.set()


def test_a_validators_refusal_is_counted_by_its_reason(stdout: Read) -> None:
    service, store, validators = ledger()
    validators.faults = {"validator-0": Fault.CRASH, "validator-1": Fault.CRASH}  # keep the entries queued
    try:
        record(service, 3)
        header, _, _ = service._header("parent", None, store.entries("parent", 0, 3), "2026-11-24T12:00:00Z",
                                       validator_set_hash(service.validator_set()))
        node = ValidatorNode("validator-9", LEDGER_ID, store, MemoryWatermarks(), LocalSigner(), service.validator_set())
        stdout()
        reply = validate_block(node, {"header": header_to_dict(replace(header, root="ab" * 32))})
        assert reply["error"].startswith("block_mismatch:")
        assert "signature" in validate_block(node, {"header": header_to_dict(header)})  # a block it signs is no refusal
        lines = stdout()
        assert lines.metric("ValidatorRefusals") == [(1.0, {"stage": "local", "validator": "validator-9", "reason": "block_mismatch"})]
        [warning] = [x for x in lines.logs if x["level"] == "WARNING"]
        assert warning["message"].startswith("validator-9 refused a block: block_mismatch")
    finally:
        validators.released.set()
