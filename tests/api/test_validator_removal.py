"""Removing a validator (revoking its node certificate) keeps it out of the quorum on the live ledger."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib import bootstrap
from tests.helpers import ApiClient


def record_paid(user_id: str) -> Any:
    return bootstrap.deps().ledger.record(log="parent", action="paid", user_id=user_id, order_id=f"o-{uuid.uuid4().hex}",
                                          sealed={"Fees": "100 EUR"})


def signers_of_cut(api: ApiClient, admin: Any) -> list[list[str]]:
    r = api.post("/admin/ledger/cut", admin)
    assert r.status == 200, r.body
    return [b["signers"] for b in r.body["blocks"] if b["log"] == "parent"]


def reregister(api: ApiClient, admin: Any, node_id: str) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = bootstrap.deps().ledger.validator_set().public_keys()[node_id]
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    r = api.post("/admin/validators", admin, {"node_id": node_id, "public_key_pem": pem})
    assert r.status in (200, 201), r.body


def test_a_removed_validator_no_longer_counts_and_f_plus_one_removed_stops_the_ledger(api: ApiClient) -> None:
    admin = api.sign_up(group="admin")
    try:
        _remove_one_then_two(api, admin)
    finally:  # the moto stack is shared with later tests: put both nodes back and certify what is queued
        for node in ("validator-1", "validator-2"):
            reregister(api, admin, node)
        bootstrap.deps().ledger.forget_admissions()
        assert signers_of_cut(api, admin)


def _remove_one_then_two(api: ApiClient, admin: Any) -> None:
    record_paid(admin.user_id)
    assert signers_of_cut(api, admin)  # every validator enrolled with a certificate on first use

    assert api.post("/admin/validators/validator-1/revoke", admin).status == 200
    record_paid(admin.user_id)
    blocks = signers_of_cut(api, admin)
    assert blocks and all("validator-1" not in signers and len(signers) >= 3 for signers in blocks)

    assert api.post("/admin/validators/validator-2/revoke", admin).status == 200
    receipt = record_paid(admin.user_id)
    cut = api.post("/admin/ledger/cut", admin)
    assert cut.status in (200, 422, 503), cut.body
    parent = next(log for log in api.get("/ledger/status", admin).body["logs"] if log["log"] == "parent")
    assert parent["queued"] >= 1 and parent["tree_size"] <= receipt.seq
    refusals = parent["last_failure"]["refusals"]
    assert "not admitted" in refusals["validator-1"] and "not admitted" in refusals["validator-2"]
