"""Accident evidence through the HTTP API on real parts: a gate entry, live photos PUT to S3, the ledger
with its validator quorum, and an evidence zip that the offline verifier accepts in a separate process."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.domain.signing import gate_request
from chalicelib.verify import read_evidence_zip, write_evidence_zip
from tests.helpers import ApiClient, User
from tests.photos import jpeg

VIEWS = ("front", "rear", "left", "right")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def parked(api: ApiClient) -> dict[str, Any]:
    """A parker whose car the gate has let in, on a sharer's space in a public car park."""
    admin, sharer, parker = api.sign_up(group="admin"), api.sign_up(), api.sign_up(roles=("parker",))
    carpark = api.post("/carparks", sharer, {"name": "Central", "kind": "public", "address": "Dam 5, Amsterdam", "lots": ["A1"]}).body
    device = api.post(f"/carparks/{carpark['carpark_id']}/devices", sharer, {"name": "north gate"}).body
    space = api.approved_space(sharer, admin, carpark_id=carpark["carpark_id"], lot="A1")
    start = (datetime.now(UTC) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    plate = f"EV{uuid.uuid4().hex[:5].upper()}"
    booking = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": plate, "start": iso(start),
                                                 "end": iso(start + timedelta(hours=2))})
    assert booking.status == 201, booking.body
    event = {"event_id": uuid.uuid4().hex, "carpark_id": carpark["carpark_id"], "direction": "entry", "plate": plate,
             "confidence": 0.98}
    body, headers = gate_request(device["device_id"], device["secret"].encode(), event, int(time.time()))
    opened = api.client.http.post("/gate/events", headers=headers, body=body)
    assert opened.status_code == 200 and json.loads(opened.body)["decision"] == "open", opened.body
    return {"sharer": sharer, "parker": parker, "order": booking.body["reservation_id"], "carpark": carpark, "device": device,
            "plate": plate}


def take_set(api: ApiClient, parker: User, order: str, phase: str, *, views: tuple[str, ...] = VIEWS,
             taken: datetime | None = None) -> Any:
    photos = {v: jpeg(taken or datetime.now(UTC), colour=(30 * i, 80, 120)) for i, v in enumerate(views)}
    declared = [{"view": v, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for v, d in photos.items()]
    tickets = api.post(f"/orders/{order}/photos/{phase}", parker, {"photos": declared})
    if tickets.status != 201:
        return tickets
    for upload in tickets.body["uploads"]:
        put = requests.put(upload["url"], data=photos[upload["view"]], headers=upload["headers"], timeout=10)
        assert put.status_code == 200, put.text
    return api.post(f"/orders/{order}/photos/{phase}/complete", parker)


def verify_cli(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"evidence-{uuid.uuid4().hex[:6]}.zip"
    path.write_bytes(data)
    return subprocess.run([sys.executable, "-m", "chalicelib.cli", "verify-bundle", str(path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60, check=False)


def test_photos_before_and_after_give_an_evidence_zip_that_verifies_offline(api: ApiClient, parked: dict[str, Any],
                                                                             tmp_path: Path) -> None:
    parker, order = parked["parker"], parked["order"]
    early = take_set(api, parker, order, "departure")
    assert early.status == 422 and early.body["code"] == "arrival_missing"
    arrival = take_set(api, parker, order, "arrival")
    assert arrival.status == 200 and arrival.body["status"] == "recorded", arrival.body
    assert take_set(api, parker, order, "departure").status == 200
    export = api.post(f"/orders/{order}/evidence", parker)
    assert export.status == 201 and export.body["photos"] == 8, export.body
    data = requests.get(export.body["url"], timeout=10).content
    ok = verify_cli(data, tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("OK") and "8 attachments" in ok.stdout, ok.stdout + ok.stderr

    bundle, members = read_evidence_zip(data)
    files = dict(members)
    front = next(n for n in files if n.endswith("arrival-front.jpg"))
    files[front] = jpeg(datetime.now(UTC), colour=(255, 0, 0))  # another picture under the same name
    bad = verify_cli(write_evidence_zip(bundle, files.items()), tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("FAIL") and "has sha256" in bad.stderr, bad.stderr

    history = api.get(f"/ledger/orders/{order}/history", parker).body
    actions = [e["entry"]["action"] if "entry" in e else e.get("action") for e in history["entries"]]
    assert actions.count("upload") == 8 and "retrieve" in actions


def test_upload_rules_through_the_api(api: ApiClient, parked: dict[str, Any]) -> None:
    parker, order = parked["parker"], parked["order"]
    three = take_set(api, parker, order, "arrival", views=("front", "rear", "left"))
    assert three.status == 422 and three.body["code"] == "views_missing"
    old = take_set(api, parker, order, "arrival", taken=datetime.now(UTC) - timedelta(hours=3))
    assert old.status == 422 and old.body["code"] in ("capture_time_old", "capture_before_entry")
    assert api.get(f"/orders/{order}/photos", parker).body["sets"][0]["status"] == "requested"


def test_claim_shares_evidence_with_the_sharer_only_while_open(api: ApiClient, parked: dict[str, Any]) -> None:
    parker, sharer, order = parked["parker"], parked["sharer"], parked["order"]
    assert take_set(api, parker, order, "arrival").status == 200
    stranger = api.sign_up(roles=("parker",))
    assert api.post(f"/orders/{order}/evidence", sharer).status == 404
    assert api.post(f"/orders/{order}/evidence", stranger).status == 404
    claim = api.post(f"/orders/{order}/claims", parker, {"share_with": ["sharer"], "description": "scratch on the left door"})
    assert claim.status == 201, claim.body
    cid = claim.body["claim_id"]
    assert api.post(f"/claims/{cid}/evidence", stranger).status == 404
    seen = api.post(f"/claims/{cid}/evidence", sharer)
    assert seen.status == 201 and seen.body["photos"] == 4
    log = api.get(f"/claims/{cid}", parker).body["access_log"]
    assert [(a["user_id"], a["role"]) for a in log] == [(sharer.user_id, "sharer")]
    assert api.post(f"/claims/{cid}/close", sharer).status == 403
    assert api.post(f"/claims/{cid}/close", parker).status == 200
    assert api.post(f"/claims/{cid}/evidence", sharer).status == 403


def _export_key(url: str) -> str:
    from urllib.parse import urlparse

    return "exports/" + urlparse(url).path.split("/exports/", 1)[1]


def _in_bucket(key: str) -> bool:
    import boto3
    from botocore.exceptions import ClientError

    from chalicelib import config

    try:
        boto3.client("s3").head_object(Bucket=config.blob_bucket(), Key=key)
    except ClientError:
        return False
    return True


def test_the_scheduled_sweep_deletes_evidence_zips_after_their_window(api: ApiClient, parked: dict[str, Any]) -> None:
    from chalice.test import Client

    import app as app_module
    from chalicelib import bootstrap
    from tests.fakes import FakeClock

    parker, order = parked["parker"], parked["order"]
    assert take_set(api, parker, order, "arrival").status == 200
    export = api.post(f"/orders/{order}/evidence", parker)
    key = _export_key(export.body["url"])
    assert _in_bucket(key) and requests.get(export.body["url"], timeout=10).status_code == 200

    def sweep() -> Any:
        with Client(app_module.app, stage_name="local") as client:
            return client.lambda_.invoke("expire_evidence_exports", client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload

    sweep()
    assert _in_bucket(key)  # still inside its download window
    later = FakeClock(datetime.now(UTC) + timedelta(seconds=export.body["expires_in"] + 1))
    bootstrap.override(bootstrap.build(clock=later))
    try:
        assert len(sweep()["deleted"]) >= 1
        assert not _in_bucket(key)
    finally:
        bootstrap.override(None)


def test_closing_the_account_deletes_every_evidence_zip_and_sealed_photo_at_once(api: ApiClient, parked: dict[str, Any]) -> None:
    parker, sharer, order = parked["parker"], parked["sharer"], parked["order"]
    assert take_set(api, parker, order, "arrival").status == 200
    sealed = [p for s in api.get(f"/orders/{order}/photos", parker).body["sets"] for p in s["photos"]]
    assert len(sealed) == 4
    keys = [_export_key(api.post(f"/orders/{order}/evidence", parker).body["url"]) for _ in range(3)]
    claim = api.post(f"/orders/{order}/claims", parker, {"share_with": ["sharer"], "description": "scratch"}).body
    keys.append(_export_key(api.post(f"/claims/{claim['claim_id']}/evidence", sharer).body["url"]))
    assert all(_in_bucket(k) for k in keys)
    parked_now = api.post("/me/close", parker)
    assert (parked_now.status, parked_now.body["code"]) == (409, "stay_in_progress")  # the car is still in
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    device = parked["device"]
    event = {"event_id": uuid.uuid4().hex, "carpark_id": parked["carpark"]["carpark_id"], "direction": "exit", "plate": parked["plate"]}
    body, headers = gate_request(device["device_id"], device["secret"].encode(), event, int(time.time()))
    assert json.loads(api.client.http.post("/gate/events", headers=headers, body=body).body)["decision"] == "open"
    from chalicelib import bootstrap

    def deliver(raw: bytes, signed: dict[str, str]) -> int:
        return int(api.client.http.post("/payments/webhook", headers=signed, body=raw).status_code)

    bootstrap.deps().payments.settle_due(deliver)  # type: ignore[attr-defined]
    assert api.get(f"/reservations/{order}", parker).body["state"] == "completed"
    closed = api.post("/me/close", parker)
    assert closed.status == 200, closed.body
    assert [k for k in keys if _in_bucket(k)] == []
    assert not any(_in_bucket(f"photos/{order}/arrival/{v}.sealed") for v in VIEWS)
    assert api.post(f"/claims/{claim['claim_id']}/evidence", sharer).status in (403, 404)
