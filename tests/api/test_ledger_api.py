"""The ledger end to end on moto: record, cut with KMS-signed quorum certificates, read back with proofs,
export, and an evidence bundle that the offline verifier accepts in a subprocess."""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import bootstrap, verify
from chalicelib.domain.errors import SealError
from chalicelib.domain.ledger import Entry
from chalicelib.services.ledger import SEAL_PURPOSE, object_id
from tests.helpers import ApiClient, User

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch, api: ApiClient) -> Iterator[ApiClient]:
    monkeypatch.setenv("CP_LEDGER_BLOCK_SIZE", "2")
    bootstrap.override(None)
    yield api
    bootstrap.override(None)


def _paid(user: User, order: str) -> Any:
    return bootstrap.deps().ledger.record(log="parent", action="paid", user_id=user.user_id, order_id=order,
                                          sealed={"Fees": "450 EUR", "VehiclePlateNum": "AB-123-C"})


def settle() -> None:
    bootstrap.deps().ledger.cut_due(force=True)


def test_two_paid_orders_cut_a_certified_block_with_proofs(small_blocks: ApiClient) -> None:
    api = small_blocks
    parker, other = api.sign_up(), api.sign_up()
    order = uuid.uuid4().hex
    first = _paid(parker, order)
    _paid(parker, uuid.uuid4().hex)  # k = 2: a block is cut synchronously (with whatever earlier tests left queued)
    settle()
    got = api.get(f"/ledger/parent/entries/{first.seq}", parker)
    assert got.status == 200, got.body
    assert got.body["status"] == "committed" and got.body["inclusion_proof"] is not None
    assert "AB-123-C" not in json.dumps(got.body)  # sealed fields are ciphertext
    assert api.get(f"/ledger/parent/entries/{first.seq}", other).status == 404
    digest = api.get("/ledger/parent/digest", parker).body
    assert len(digest["certificate"]["signatures"]) >= 3
    assert api.get(f"/ledger/parent/blocks/{digest['height']}", parker).body["header_hash"] == digest["header_hash"]
    history = api.get(f"/ledger/orders/{order}/history", parker).body["entries"]
    assert [h["entry"]["seq"] for h in history] == [first.seq]
    assert api.get(f"/ledger/orders/{order}/history", other).status == 404
    mine = api.get("/ledger/users/me/history", parker).body["entries"]
    assert len(mine) == 2 and api.get(f"/ledger/users/me/history?user_id={parker.user_id}", other).status == 403


def test_the_owner_unseals_their_entry_and_the_read_is_logged(small_blocks: ApiClient) -> None:
    api = small_blocks
    parker, other = api.sign_up(), api.sign_up()
    receipt = _paid(parker, uuid.uuid4().hex)
    assert api.post(f"/ledger/parent/entries/{receipt.seq}/unseal", other).status == 404
    opened = api.post(f"/ledger/parent/entries/{receipt.seq}/unseal", parker)
    assert opened.status == 200, opened.body
    assert opened.body["fields"] == {"Fees": "450 EUR", "VehiclePlateNum": "AB-123-C"}
    log, seq = opened.body["retrieve_entry"].split(":")
    logged = api.get(f"/ledger/{log}/entries/{seq}", parker).body["entry"]
    assert logged["action"] == "retrieve" and logged["user_id"] == parker.user_id


def test_all_fields_of_an_entry_are_one_sealed_message_bound_to_that_entry(small_blocks: ApiClient) -> None:
    parker = small_blocks.sign_up()
    ledger = bootstrap.deps().ledger
    receipt = _paid(parker, uuid.uuid4().hex)
    entry = ledger.store.entry("parent", receipt.seq)
    assert entry is not None and list(entry.sealed) == ["fields"]
    message = base64.b64decode(entry.sealed["fields"])
    assert message[:1] == b"\x02" and b"AB-123-C" not in message  # an Encryption SDK v2 message
    moved = dataclasses.replace(entry, seq=receipt.seq + 1)  # the same message under another entry does not open
    with pytest.raises(SealError):
        ledger.open_fields(moved)


def test_entries_sealed_one_message_per_field_still_open(small_blocks: ApiClient) -> None:
    parker = small_blocks.sign_up()
    ledger = bootstrap.deps().ledger
    seal = ledger.enclave.seal
    sealed = {name: base64.b64encode(seal(parker.user_id, SEAL_PURPOSE, object_id("parent", 7, name), value)).decode()
              for name, value in {"Fees": b"450 EUR", "CarparkID": b"cp-1"}.items()}
    legacy = Entry(log="parent", seq=7, action="paid", user_id=parker.user_id, order_id="o-7",
                   recorded_at="2026-11-24T12:00:00Z", sealed=sealed)
    assert ledger.open_fields(legacy) == {"Fees": "450 EUR", "CarparkID": "cp-1"}


def test_consistency_status_export_and_admin_cut(small_blocks: ApiClient) -> None:
    api = small_blocks
    admin, parker = api.sign_up(group="admin"), api.sign_up()
    for _ in range(3):
        _paid(parker, uuid.uuid4().hex)
    assert api.post("/admin/ledger/cut", parker).status == 403
    cut = api.post("/admin/ledger/cut", admin)
    assert cut.status == 200, cut.body
    parent = next(s for s in cut.body["logs"] if s["log"] == "parent")
    assert parent["queued"] == 0 and parent["last_failure"] is None
    size = parent["tree_size"]
    proof = api.get(f"/ledger/parent/consistency?from=1&to={size}", parker)
    assert proof.status == 200, proof.body
    assert api.get(f"/ledger/parent/consistency?from=2&to={size + 5}", parker).status == 400
    assert api.post("/ledger/parent/export", parker).status == 403
    exported = api.post("/ledger/parent/export", admin)
    assert exported.status == 201 and exported.body["entries"] == size
    data = bootstrap.deps().blobs.get(exported.body["key"])
    assert len(data.splitlines()) == exported.body["blocks"] + size
    published = api.get("/ledger/validators").body
    assert len(published["validators"]) == 4 and published["f"] == 1


def _bundle(api: ApiClient) -> bytes:
    parker = api.sign_up()
    receipt = _paid(parker, uuid.uuid4().hex)
    settle()
    got = api.get(f"/ledger/parent/entries/{receipt.seq}/bundle", parker)
    assert got.status == 200, got.body
    return json.dumps(got.body, separators=(",", ":")).encode()


def test_a_bundle_from_the_api_verifies_offline_in_a_subprocess(small_blocks: ApiClient, tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(_bundle(small_blocks))
    published = tmp_path / "validators.json"
    published.write_text(json.dumps(small_blocks.get("/ledger/validators").body))
    done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "verify-bundle", str(path), "--validators", str(published)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 1 entry verified against 4 validators (quorum 3/4)")
    assert "ca_certificate" in json.loads(path.read_bytes())["validator_set"]  # the enclave CA's node certificates


def test_any_single_bit_flip_in_an_api_bundle_fails_verification(small_blocks: ApiClient) -> None:
    data = _bundle(small_blocks)
    verify.verify_evidence(data)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.integers(0, len(data) * 8 - 1))
    def flipped_fails(bit: int) -> None:
        altered = bytearray(data)
        altered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(verify.VerificationError):
            verify.verify_evidence(bytes(altered))

    flipped_fails()


def test_the_validator_functions_and_the_scheduled_cutter_are_wired(small_blocks: ApiClient) -> None:
    from chalice.test import Client

    import app as app_module

    parker = small_blocks.sign_up()
    _paid(parker, uuid.uuid4().hex)
    with Client(app_module.app, stage_name="local") as client:
        refused = client.lambda_.invoke("validator_1", {"log": "parent", "height": 0, "header": {"type": "x"}}).payload
        assert refused["validator_id"] == "validator-1" and "error" in refused
        cut = client.lambda_.invoke("ledger_cutter", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload
    assert isinstance(cut["blocks"], list)  # nothing is stale yet: a short block waits for the timeout


def test_a_validator_function_signs_on_its_own_without_building_the_api(small_blocks: ApiClient) -> None:
    """On AWS a validator runs under a role that may only read the ledger, write its own watermark and sign with its
    own key: it must work from ValidatorNodes alone, never from the API's whole dependency graph."""
    from chalice.test import Client

    import app as app_module
    from chalicelib.domain.ledger import header_to_dict, signing_payload
    from chalicelib.domain.quorum import signature_is_valid

    parker = small_blocks.sign_up()
    for _ in range(2):
        _paid(parker, uuid.uuid4().hex)  # k = 2: a block is cut and certified
    store = bootstrap.deps().ledger.store
    block = store.block("parent", store.head("parent").height)  # the newest: a validator never signs below its watermark
    vset = bootstrap.deps().ledger.validator_set()
    assert block is not None
    bootstrap.override(None)  # a fresh validator container: no graph
    try:
        with Client(app_module.app, stage_name="local") as client:
            again = client.lambda_.invoke("validator_2", {"log": "parent", "height": block.header.height,
                                                          "header": header_to_dict(block.header)}).payload
        assert bootstrap._deps is None  # the validator did not build the API's graph
    finally:
        bootstrap.override(None)
    key = vset.public_key("validator-2")
    assert again["validator_id"] == "validator-2" and key is not None
    assert signature_is_valid(key, signing_payload(block.header), again["signature"])  # the same block again: a retry


def test_unknown_logs_bad_numbers_and_queued_entries_map_to_http(small_blocks: ApiClient) -> None:
    api = small_blocks
    parker = api.sign_up()
    assert api.get("/ledger/nope/digest", parker).status == 404
    assert api.get("/ledger/parent/blocks/x1", parker).status == 400
    assert api.get("/ledger/parent/blocks/99999999", parker).status == 404
    bootstrap.deps().ledger.cut_due(force=True)
    receipt = _paid(parker, uuid.uuid4().hex)  # alone in the queue: k = 2 is not reached
    queued = api.get(f"/ledger/parent/entries/{receipt.seq}/bundle", parker)
    assert queued.status == 404 and queued.body["code"] == "entry_queued"
    assert api.get(f"/ledger/parent/entries/{receipt.seq}", parker).body["status"] == "queued"
    assert api.get("/ledger/status", parker).body["logs"][0]["queued"] >= 1
