"""The ledger on moto: conditional head writes, watermarks, KMS signing, and verify-ledger finding tampering."""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap, cli, config
from chalicelib.adapters.ledger_tables import DynamoLedgerStore, DynamoWatermarks, ledger_models
from chalicelib.adapters.validators import KmsKeyDirectory, KmsSigner
from chalicelib.domain.ledger import header_hash, signing_payload
from chalicelib.domain.quorum import QuorumCertificate, signature_is_valid
from chalicelib.services.ledger import LedgerService
from chalicelib.services.ledger_ports import EquivocationError, HeadMovedError, StoredBlock


@pytest.fixture
def ledger(stack: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[LedgerService]:
    monkeypatch.setenv("CP_LEDGER_BLOCK_SIZE", "2")
    bootstrap.override(None)
    service = bootstrap.deps().ledger
    for _ in range(2):
        service.record(log="parent", action="paid", user_id="u-store", order_id=uuid.uuid4().hex, sealed={"Fees": "1 EUR"})
    yield service
    bootstrap.override(None)


def test_kms_signatures_verify_under_the_published_key(stack: object) -> None:
    arn = config.validator_key_arns()[0]
    key = KmsKeyDirectory([arn], config.region()).public_keys()[0][1]
    from chalicelib.domain.quorum import load_p256_public_key

    signature = base64.b64encode(KmsSigner(arn, config.region()).sign(b"payload")).decode()
    assert signature_is_valid(load_p256_public_key(key), b"payload", signature)


def test_two_writers_can_never_commit_two_blocks_at_one_height(ledger: LedgerService) -> None:
    store = DynamoLedgerStore(ledger_models())
    last = ledger.certified_head("parent")
    assert last is not None
    with pytest.raises(HeadMovedError):  # the same height again, as a slower second writer would try
        store.commit(last)
    forked = replace(last.header, cut_at="2099-01-01T00:00:00Z")
    with pytest.raises(HeadMovedError):
        store.commit(StoredBlock(forked, QuorumCertificate(header_hash(forked), ()), last.frontier))
    assert store.block("parent", last.header.height) == last


def test_a_second_proposal_at_one_height_loses(ledger: LedgerService) -> None:
    store = DynamoLedgerStore(ledger_models())
    head = store.head("parent")
    assert head.proposal is None
    nxt = replace(ledger.certified_head("parent").header, height=head.height + 1)  # type: ignore[union-attr]
    store.propose("parent", nxt)
    with pytest.raises(HeadMovedError):
        store.propose("parent", replace(nxt, cut_at="2099-01-01T00:00:00Z"))
    with pytest.raises(HeadMovedError):
        store.propose("side", replace(nxt, log="side", height=9999))
    table = boto3.client("dynamodb").update_item
    table(TableName=config.table_name("ledger-heads"), Key={"log": {"S": "parent"}}, UpdateExpression="REMOVE proposal")


def test_watermarks_on_dynamodb_refuse_a_second_block_at_a_height(stack: object) -> None:
    marks = DynamoWatermarks(ledger_models())
    marks.raise_to("validator-x", "parent", 5, "a" * 64)
    marks.raise_to("validator-x", "parent", 5, "a" * 64)
    for height, digest in ((5, "b" * 64), (4, "c" * 64)):
        with pytest.raises(EquivocationError):
            marks.raise_to("validator-x", "parent", height, digest)
    marks.raise_to("validator-x", "parent", 6, "d" * 64)


def run_verify_ledger() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["verify-ledger", "--quiet"])
    return code, out.getvalue(), err.getvalue()


def _item(table: str, key: dict[str, Any]) -> dict[str, Any]:
    return boto3.client("dynamodb").get_item(TableName=config.table_name(table), Key=key, ConsistentRead=True)["Item"]


def _put(table: str, item: dict[str, Any]) -> None:
    boto3.client("dynamodb").put_item(TableName=config.table_name(table), Item=item)


def _flip(text: str, at: int) -> str:
    return text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1:]


def test_an_untouched_ledger_verifies(ledger: LedgerService) -> None:
    code, out, err = run_verify_ledger()
    assert code == 0, err
    assert out.startswith(f"OK: ledger {config.ledger_id()}: parent ")


@pytest.mark.parametrize("target", ["entry", "header", "signature"])
def test_one_changed_byte_in_dynamodb_is_found_and_named(ledger: LedgerService, target: str) -> None:
    block = ledger.certified_head("parent")
    assert block is not None
    height, seq = block.header.height, block.header.first_seq
    if target == "entry":
        table, key, attr = "ledger-entries", {"log": {"S": "parent"}, "seq": {"N": str(seq)}}, "body"
        at = _item(table, key)[attr]["S"].index('"recorded_at":') + 20
        named = f"parent entry {seq} (block {height})"
    else:
        table, key = "ledger-blocks", {"log": {"S": "parent"}, "height": {"N": str(height)}}
        attr = "header" if target == "header" else "certificate"
        text = _item(table, key)[attr]["S"]
        at = text.index('"root":"') + 12 if target == "header" else text.index('"signature":"') + 30
        named = f"parent block {height}"
    original = _item(table, key)
    altered = {**original, attr: {"S": _flip(original[attr]["S"], at)}}
    _put(table, altered)
    try:
        code, _, err = run_verify_ledger()
    finally:
        _put(table, original)
    assert code == 1 and err.startswith(f"FAIL: {named}:"), err
    assert run_verify_ledger()[0] == 0


def test_the_signed_payload_is_what_kms_signed(ledger: LedgerService) -> None:
    block = ledger.certified_head("parent")
    assert block is not None
    vset = ledger.validator_set()
    for sig in block.certificate.signatures:
        key = vset.public_key(sig.validator_id)
        assert key is not None and signature_is_valid(key, signing_payload(block.header), sig.sig_der_b64)
    assert json.loads(json.dumps(block.certificate.header_hash)) == header_hash(block.header)
