"""Identity verification, validator certificates and the operator's-eye scan, through the API on moto."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import bootstrap, config
from chalicelib.adapters.sealed_fields import ERASED
from chalicelib.domain import certs, envelope
from chalicelib.domain.carparks import local_day
from chalicelib.domain.errors import UnavailableError
from chalicelib.domain.plates import confusion_key, normalise_plate
from tests.fakes import InMemoryLedger
from tests.helpers import ApiClient, User, at
from tests.order_helpers import World, make_world

SIDES = ("front", "back", "selfie")
PLATE = b"QZ-981-XK"


def id_image(user: User, side: str) -> bytes:
    return f"JPEG national ID {side} SURNAME-{user.user_id[:8]} BSN-{user.user_id[-9:]}".encode()


@pytest.fixture
def ledger(api: ApiClient) -> Iterator[InMemoryLedger]:
    """Reads of ID documents are recorded in this in-memory ledger (the Ledger port), where the test can read them."""
    fake = InMemoryLedger()
    bootstrap.override(bootstrap.build(ledger=fake))
    yield fake
    bootstrap.override(None)


def device_upload(api: ApiClient, user: User, side: str) -> dict[str, object]:
    key = api.get("/enclave/public-key").body
    public = serialization.load_pem_public_key(key["public_key_pem"].encode())
    assert isinstance(public, ec.EllipticCurvePublicKey) and key["scheme"] == envelope.SCHEME
    wire = envelope.seal_on_device(public, user.user_id, "id-document", side, id_image(user, side),
                                   ephemeral=ec.generate_private_key(ec.SECP256R1()), nonce=os.urandom(12))
    r = api.post(f"/me/identity/documents/{side}", user, {"content_type": "image/jpeg", "envelope": base64.b64encode(wire).decode()})
    assert r.status == 201, r.body
    return r.body


def verified_case(api: ApiClient, user: User) -> None:
    for side in SIDES:
        device_upload(api, user, side)
    r = api.post("/me/identity/submit", user)
    assert r.status == 200 and r.body["status"] == "open", r.body


def test_verification_flow_reads_are_logged_and_end_with_the_decision(api: ApiClient, ledger: InMemoryLedger) -> None:
    admin, parker = api.sign_up(group="admin"), api.sign_up(roles=("parker",))
    verified_case(api, parker)
    listed = api.get("/admin/identity/cases", admin)
    assert parker.user_id in [c["user_id"] for c in listed.body["cases"]]
    assert api.get("/admin/identity/cases", parker).status == 403
    r = api.get(f"/admin/identity/cases/{parker.user_id}/documents/front", admin)
    assert r.status == 200, r.body
    assert base64.b64decode(r.body["data"]) == id_image(parker, "front") and r.body["retrieve_entry"] == "side:0"
    assert [(e.action, e.user_id, e.sealed["viewer"]) for e in ledger.entries] == [("retrieve", parker.user_id, admin.user_id)]
    assert api.post(f"/admin/identity/cases/{parker.user_id}/approve", admin).body["status"] == "approved"
    assert api.get(f"/admin/identity/cases/{parker.user_id}/documents/back", admin).status == 403
    own = api.get("/me/identity/documents/back", parker)
    assert own.status == 200 and base64.b64decode(own.body["data"]) == id_image(parker, "back")
    assert len(ledger.entries) == 2 and api.get("/me/identity", parker).body["status"] == "approved"


class RefusingLedger:
    """A ledger that cannot record: no document may then be read, since every read must be logged first."""

    def record(self, **_: object) -> object:
        raise UnavailableError("the ledger is unavailable", code="access_log_unavailable")


def test_when_the_ledger_cannot_record_nobody_reads_documents(api: ApiClient) -> None:
    bootstrap.override(bootstrap.build(ledger=RefusingLedger()))  # type: ignore[arg-type]
    try:
        parker = api.sign_up(roles=("parker",))
        device_upload(api, parker, "front")
        r = api.get("/me/identity/documents/front", parker)
        assert r.status == 503 and r.body["code"] == "access_log_unavailable"
    finally:
        bootstrap.override(None)


def test_upload_errors_map_to_http(api: ApiClient) -> None:
    parker = api.sign_up(roles=("parker",))
    assert api.post("/me/identity/documents/front", parker, {"content_type": "image/jpeg", "envelope": "!" * 200}).status == 400
    junk = base64.b64encode(b"\x01" + bytes(200)).decode()
    assert api.post("/me/identity/documents/front", parker, {"content_type": "image/jpeg", "envelope": junk}).status == 400
    assert api.post("/me/identity/submit", parker).status == 404
    device_upload(api, parker, "front")
    assert api.post("/me/identity/submit", parker).status == 422
    assert api.post("/me/identity/documents/passport", parker, {"content_type": "image/jpeg", "envelope": junk}).status == 400


def test_reserving_needs_a_verified_identity_where_the_stage_requires_it(api: ApiClient, monkeypatch: pytest.MonkeyPatch,
                                                                        ledger: InMemoryLedger) -> None:
    admin, sharer, parker = api.sign_up(group="admin"), api.sign_up(), api.sign_up(roles=("parker",))
    space = api.approved_space(sharer, admin, lat=52.3500, lng=4.8700)
    monkeypatch.setenv("CP_REQUIRE_VERIFIED_ID", "1")
    body = {"space_id": space["space_id"], "plate": "ab-123-c", "start": at(30), "end": at(31)}
    refused = api.post("/reservations", parker, body)
    assert refused.status == 422 and refused.body["code"] == "identity_not_verified"
    verified_case(api, parker)
    api.post(f"/admin/identity/cases/{parker.user_id}/approve", admin)
    assert api.post("/reservations", parker, body).status == 201


def test_validators_are_certified_listed_and_revoked(api: ApiClient) -> None:
    admin, someone = api.sign_up(group="admin"), api.sign_up()
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    node_id = f"node-{someone.user_id[:8]}"
    assert api.post("/admin/validators", someone, {"node_id": node_id, "public_key_pem": public}).status == 403
    r = api.post("/admin/validators", admin, {"node_id": node_id, "public_key_pem": public})
    assert r.status == 201, r.body
    ca_pem = api.get("/enclave/ca-certificate").body["certificate_pem"]
    now = datetime.now(UTC)
    assert certs.verify_node_certificate(r.body["certificate_pem"], ca_pem, at=now).node_id == node_id
    assert api.post("/admin/validators", admin, {"node_id": node_id, "public_key_pem": public}).status == 409
    listed = api.get("/enclave/validators").body
    admitted, refused = certs.admit_validators([(v["node_id"], v["certificate_pem"]) for v in listed["validators"]],
                                               listed["ca_certificate_pem"], at=now)
    assert node_id in [n.node_id for n in admitted] and not refused
    assert api.post(f"/admin/validators/{node_id}/revoke", admin).body["status"] == "revoked"
    crl = api.get("/enclave/revocation-list").body["crl_pem"]
    _, refused = certs.admit_validators([(node_id, r.body["certificate_pem"])], ca_pem, at=now, crl_pem=crl)
    assert refused == {node_id: "certificate_revoked"}
    assert api.post("/admin/validators/nobody/revoke", admin).status == 404


def test_closing_the_account_makes_my_documents_gone(api: ApiClient, ledger: InMemoryLedger) -> None:
    admin, parker = api.sign_up(group="admin"), api.sign_up(roles=("parker",))
    verified_case(api, parker)
    assert api.post("/me/close", parker).status == 200
    r = api.get(f"/admin/identity/cases/{parker.user_id}/documents/front", admin)
    assert r.status == 410 and r.body["code"] == "key_erased"


def _every_stored_blob() -> Iterator[tuple[str, bytes]]:
    """What an operator reading DynamoDB and S3 directly sees: every item of every table, every object of every bucket."""
    ddb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    # ListTables answers 100 names a page: a long run's shared moto server holds more (every own_stack adds a template's)
    for table in (t for page in ddb.get_paginator("list_tables").paginate() for t in page["TableNames"]):
        for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page["Items"]:
                yield f"{table}/{item}", repr(item).encode() + b"".join(v["B"] for v in item.values() if "B" in v)
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                yield f"s3://{bucket['Name']}/{obj['Key']}", s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()


def test_an_operator_reading_every_table_and_object_finds_no_id_data_or_sealed_plates(api: ApiClient, ledger: InMemoryLedger) -> None:
    admin, parker = api.sign_up(group="admin"), api.sign_up(roles=("parker",))
    verified_case(api, parker)
    api.get(f"/admin/identity/cases/{parker.user_id}/documents/front", admin)
    sealed_plate = bootstrap.deps().enclave.seal(parker.user_id, "ledger-field", "order-1/plate", PLATE)
    ddb = boto3.client("dynamodb")
    ddb.put_item(TableName=config.table_name("user-keys"), Item={"user_id": {"S": "scan-probe"}, "state": {"S": "probe"},
                                                                 "created_at": {"S": "x"}, "wrapped": {"B": sealed_plate}})
    secrets = [id_image(parker, side) for side in SIDES] + [f"SURNAME-{parker.user_id[:8]}".encode(), PLATE]
    scanned = list(_every_stored_blob())
    assert any("/identity/" in where for where, _ in scanned) and len(scanned) > 10
    leaks = [(where, s) for where, blob in scanned for s in secrets if s in blob]
    assert leaks == []
    # the scan itself would see a leak: a plaintext planted the same way is found
    ddb.put_item(TableName=config.table_name("user-keys"), Item={"user_id": {"S": "scan-probe"}, "state": {"S": "probe"},
                                                                 "created_at": {"S": "x"}, "wrapped": {"B": PLATE}})
    assert any(PLATE in blob for _, blob in _every_stored_blob())
    ddb.delete_item(TableName=config.table_name("user-keys"), Key={"user_id": {"S": "scan-probe"}})


PARKER_PLATE, CAMERA_READ, MEMBER_PLATE, HOLDER = "ZX-404-QW", "2X4O4QW", "MB-757-SB", "Holder Jansen-Visser"


def _plate_forms(*plates: str) -> set[bytes]:
    """Each plate as typed, normalised and confusion-folded: none of them may be stored in clear."""
    forms = {p for raw in plates for p in (raw, normalise_plate(raw), confusion_key(normalise_plate(raw)))}
    return {f.lower().encode() for f in forms}


@pytest.fixture
def real_ledger_world(api: ApiClient, own_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """An order world on moto whose ledger is the real one (DynamoDB, KMS-signed quorum, S3 export), not the fake, on a
    stack of its own: its clock moves hours ahead, and the CA and node certificates the ledger makes then are valid
    from then on. The validators' deadline is generous: on a loaded machine the first block (nodes built, keys read
    from KMS) took over the default 5 s, and these tests are about what is stored, not about how fast validators answer."""
    monkeypatch.setenv("CP_VALIDATOR_DEADLINE_MS", "120000")
    yield make_world(api, real_ledger=True)
    bootstrap.override(None)


def _whole_order(world: World) -> tuple[User, User, dict[str, object], str]:
    """Reserve (with an Idempotency-Key), a member, in and out through the gate (the exit read fuzzily), pay, ledger, export."""
    api = world.api
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, lat=52.3400, lng=4.8600, carpark_id=cp["carpark_id"], lot="A1")
    member = api.post(f"/carparks/{cp['carpark_id']}/memberships", sharer, {"plate": MEMBER_PLATE, "holder": HOLDER, "plan": "monthly"})
    assert member.status == 201, member.body
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    r = api.call("POST", "/reservations", parker, {"space_id": space["space_id"], "plate": PARKER_PLATE, "start": at(1), "end": at(3)},
                 headers={"Idempotency-Key": "scan-order-1"})
    assert r.status == 201, r.body
    rid = r.body["reservation_id"]
    world.clock.set(world.at(1) + timedelta(minutes=5))
    assert world.send(gate, gate.event("entry", PARKER_PLATE)).body["reservation_id"] == rid
    world.clock.set(world.at(2))
    assert world.send(gate, gate.event("entry", MEMBER_PLATE)).body["reason"] == "member"
    world.clock.set(world.at(3))
    assert world.send(gate, gate.event("exit", CAMERA_READ)).body["reason"] == "goodbye"
    world.clock.advance(seconds=20)
    assert [x.body["state"] for x in world.settle_payments() if x.body.get("reservation_id") == rid] == ["completed"]
    assert bootstrap.deps().ledger.cut_due(force=True)
    assert api.post("/ledger/parent/export", world.admin).status in (200, 201)
    return sharer, parker, cp, rid


def test_after_a_whole_order_no_table_or_object_holds_a_plate_in_clear(real_ledger_world: World) -> None:
    world = real_ledger_world
    sharer, parker, cp, rid = _whole_order(world)
    # everyone who may still reads the plates, the holder and the notifications (unsealed in the repositories)
    assert world.reservation(parker, rid)["plate"] == normalise_plate(PARKER_PLATE)
    members = world.api.get(f"/carparks/{cp['carpark_id']}/memberships", sharer).body["memberships"]
    assert [(m["plate"], m["holder"]) for m in members] == [(normalise_plate(MEMBER_PLATE), HOLDER)]
    exit_day = local_day(world.at(3), "Europe/Amsterdam").isoformat()  # the car park's day, not UTC's
    moves = world.api.get(f"/carparks/{cp['carpark_id']}/movements?date={exit_day}", sharer).body
    assert normalise_plate(CAMERA_READ) in str(moves)
    assert normalise_plate(PARKER_PLATE) in str(world.api.get("/me/notifications", parker).body)
    scanned = [(where, blob.lower()) for where, blob in _every_stored_blob()]
    tables = {where.split("/")[0] for where, _ in scanned}
    assert {config.table_name(t) for t in ("reservations", "memberships", "gate-events", "notifications", "idempotency")} <= tables
    assert any(where.startswith("s3://") for where, _ in scanned)
    secrets = _plate_forms(PARKER_PLATE, CAMERA_READ, MEMBER_PLATE) | {HOLDER.lower().encode()}
    assert [(where, s) for where, blob in scanned for s in secrets if s in blob] == []


def test_a_closed_account_leaves_its_plates_erased_and_everything_else_working(real_ledger_world: World) -> None:
    world = real_ledger_world
    sharer, parker, cp, rid = _whole_order(world)
    assert world.api.post("/me/close", parker).status == 200
    listed = world.api.get(f"/carparks/{cp['carpark_id']}/reservations", sharer)
    assert listed.status == 200 and [x["plate"] for x in listed.body["reservations"] if x["reservation_id"] == rid] == [ERASED]
    assert bootstrap.deps().reservations.get(rid).state == "completed"
    # another parker's plate, the same car park's gate and its members still work
    other = world.api.sign_up(roles=("parker",))
    space = world.api.approved_space(sharer, world.admin, lat=52.3410, lng=4.8610, carpark_id=cp["carpark_id"], lot="A2")
    r = world.api.post("/reservations", other, {"space_id": space["space_id"], "plate": PARKER_PLATE, "start": at(30), "end": at(31)})
    assert r.status == 201, r.body
    gate = world.gate(sharer, str(cp["carpark_id"]))
    world.clock.set(world.at(30))
    assert world.send(gate, gate.event("entry", PARKER_PLATE)).body["reservation_id"] == r.body["reservation_id"]
    assert world.send(gate, gate.event("exit", MEMBER_PLATE)).body["reason"] == "member_exit"


def test_the_api_description_lists_the_enclave_routes_and_is_valid(api: ApiClient) -> None:
    from openapi_spec_validator import validate

    doc = api.get("/openapi.json").body
    validate(doc)
    assert {"/me/close", "/enclave/public-key", "/enclave/ca-certificate", "/admin/validators",
            "/admin/identity/cases/{user_id}/documents/{side}"} <= set(doc["paths"])
