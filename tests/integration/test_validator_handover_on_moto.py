"""A validator's KMS key replaced on the real adapters: DynamoDB keeps each block's validator set, the handover block
commits with both quorums, verify-ledger's DynamoDB audit follows it, and a bundle of an entry from before the
handover verifies offline under the newly published set."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from chalicelib import bootstrap, config, verify
from chalicelib.adapters.ledger_tables import DynamoLedgerStore, ledger_models
from chalicelib.adapters.validators import KmsKeyDirectory, ValidatorNodes
from chalicelib.audit import dynamo_auditor
from chalicelib.domain.ledger import signing_payload
from chalicelib.domain.quorum import validator_set_hash, verify_certificate
from chalicelib.services.ledger import LedgerService, LedgerSettings
from chalicelib.services.ledger_reads import LedgerEvidence, published_validators
from tests.fakes import FixedClock


def deployment() -> LedgerService:
    """A proposer and its in-process validators, built from this process's settings as a fresh deployment would."""
    clock = FixedClock()
    keys = KmsKeyDirectory(config.validator_key_arns(), config.region())
    transport = bootstrap.build_transport(ValidatorNodes(keys))
    return LedgerService(DynamoLedgerStore(ledger_models()), bootstrap.build_enclave(clock), transport, keys, clock,
                         LedgerSettings(config.ledger_id(), 2, 60, config.validator_deadline_s()))


def record(ledger: LedgerService, n: int = 2) -> list[int]:
    return [ledger.record(log="parent", action="paid", user_id="u-1", order_id=uuid.uuid4().hex,
                          sealed={"Fees": "100 EUR"}).seq for _ in range(n)]


def test_replacing_a_validator_key_hands_the_ledger_over_on_dynamodb(own_stack: dict[str, str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = deployment()
    before = record(first)  # k = 2: block 0 under the first set
    old = first.validator_set()

    kms = boto3.client("kms", region_name=config.region())
    new_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    arns = config.validator_key_arns()
    arns[2] = new_key
    monkeypatch.setenv("CP_VALIDATOR_KEY_ARNS", ",".join(arns))  # the redeploy
    second = deployment()
    record(second)  # block 1: the handover

    store = DynamoLedgerStore(ledger_models())
    handover = store.block("parent", 1)
    assert handover is not None and handover.validator_set == second.validator_set() != old
    assert store.block("parent", 0).validator_set == old  # type: ignore[union-attr]
    payload = signing_payload(handover.header)
    assert len(verify_certificate(old, payload, handover.certificate.signatures)) >= 3
    assert handover.header.validators_hash == validator_set_hash(second.validator_set())

    dynamo_auditor(second.validator_set(), config.ledger_id(), progress=None).audit()
    dynamo_auditor(old, config.ledger_id(), progress=None).audit()

    bundle = LedgerEvidence(second).bundle([f"parent:{before[0]}"])
    assert bundle["items"][0]["block"]["height"] == 1
    verify.verify_evidence(json.dumps(bundle).encode(), trusted_validator_set=published_validators(second))
