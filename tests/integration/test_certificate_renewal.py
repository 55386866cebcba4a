"""Validator node certificates are renewed before they lapse, and evidence for blocks cut under an earlier
certificate still verifies. On its own stack (tables, keys and CA of a fresh prefix), since it moves time on by
weeks: 30-day certificates, renewed after 20 days, the first ones expired by day 40.

Without renewal, every validator would drop out of the quorum when its certificate expired, and the ledger would
stop certifying blocks for good."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap, config, verify
from chalicelib.adapters.enclave_ca import EnclaveCA
from chalicelib.adapters.enclave_tables import DynamoNodeCertificates, enclave_models
from chalicelib.adapters.ledger_tables import DynamoLedgerStore, ledger_models
from chalicelib.adapters.validators import KmsKeyDirectory, ValidatorNodes
from chalicelib.services.ledger import LedgerService, LedgerSettings
from chalicelib.services.ledger_reads import LedgerEvidence
from tests.fakes import FixedClock

T0 = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Renewing:
    ledger: LedgerService
    ca: EnclaveCA
    clock: FixedClock

    def cut_one(self, days: float) -> int:
        """Record a paid entry and cut it into a block, `days` after T0; returns the entry's seq."""
        self.clock.moment = T0 + timedelta(days=days)
        self.ledger.forget_admissions()
        receipt = self.ledger.record(log="parent", action="paid", user_id="u-1", order_id=uuid.uuid4().hex,
                                     sealed={"Fees": "100 EUR"})
        block = self.ledger.cut("parent", force=True)
        assert block is not None and len(block.signers) >= 3, block
        return receipt.seq


@pytest.fixture
def renewing(own_stack: dict[str, str]) -> Iterator[Renewing]:
    clock = FixedClock(T0)
    enclave = bootstrap.build_enclave(clock)
    ca = EnclaveCA(enclave, DynamoNodeCertificates(enclave_models()), clock, node_days=30)
    keys = KmsKeyDirectory(config.validator_key_arns(), config.region())
    transport = bootstrap.build_transport(ValidatorNodes(keys))
    ledger = LedgerService(DynamoLedgerStore(ledger_models()), enclave, transport, keys, clock,
                           LedgerSettings(config.ledger_id(), 100, 60, config.validator_deadline_s()), ca)
    yield Renewing(ledger, ca, clock)


def _bundle(r: Renewing, *seqs: int) -> dict[str, object]:
    return LedgerEvidence(r.ledger).bundle([f"parent:{seq}" for seq in seqs])


def test_certificates_are_renewed_before_they_lapse_and_old_evidence_still_verifies(renewing: Renewing) -> None:
    first = renewing.cut_one(days=1)  # every validator enrols: certificates valid until day 30
    assert renewing.ca.superseded_node_certificates() == {}
    renewing.cut_one(days=25)  # past two thirds of their life: renewed before admission
    assert sorted(renewing.ca.superseded_node_certificates()) == [f"validator-{i}" for i in range(4)]
    last = renewing.cut_one(days=40)  # the first certificates expired on day 30: the renewed ones certify

    both = _bundle(renewing, first, last)
    summary = verify.verify_evidence(json.dumps(both).encode())
    assert summary.entries == 2
    validators = both["validator_set"]["validators"]  # type: ignore[index]
    assert all(len(v["earlier_certificates"]) == 1 for v in validators)  # the day-1 block needs the first ones

    recent = _bundle(renewing, last)
    assert all("earlier_certificates" not in v for v in recent["validator_set"]["validators"])  # type: ignore[index]
    verify.verify_evidence(json.dumps(recent).encode())

    for v in validators:  # without the earlier certificates, the day-1 block has no valid certificate at its time
        del v["earlier_certificates"]
    with pytest.raises(verify.VerificationError, match="no certificate of validator-.* is valid at the block time"):
        verify.verify_evidence(json.dumps(both).encode())


def test_a_second_container_does_not_renew_what_the_first_renewed(renewing: Renewing) -> None:
    renewing.cut_one(days=1)
    renewing.clock.moment = T0 + timedelta(days=25)
    other = LedgerService(renewing.ledger.store, renewing.ledger.enclave, renewing.ledger.transport, renewing.ledger.keys,
                          renewing.clock, renewing.ledger.settings, renewing.ca)
    assert len(other.admitted()) == 4  # renews all four
    renewing.ledger.forget_admissions()
    assert len(renewing.ledger.admitted()) == 4  # sees them renewed: nothing to do
    assert all(len(history) == 1 for history in renewing.ca.superseded_node_certificates().values())
