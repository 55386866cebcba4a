"""A gate device on the real local broker (amqtt, mutual TLS), as `make run` starts it: a reserved car goes in and out
and the order completes on the ledger; a certificate not of the platform's CA fails the TLS handshake; a revoked or
rotated-away certificate, or a client id that is not its Thing, is refused at CONNECT; a device cannot reach another's
topics; a duplicated QoS-1 publish has one effect; a staff command reaches the device. Waits poll for an end state with
a generous bound (a real broker and threads are involved), never for a fixed time."""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib import bootstrap, verify
from chalicelib.domain.timeutil import format_instant
from chalicelib.gate_mqtt_sim import MqttDevice
from infra import localstack, mqtt_local
from tests.helpers import ApiClient, User
from tests.order_helpers import World, make_world

BOUND_S = 60


@pytest.fixture(scope="module")
def broker(stack: localstack.LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[mqtt_local.LocalBroker]:
    b = mqtt_local.start(stack.env["CP_RESOURCE_PREFIX"], localstack.REGION, tmp_path_factory.mktemp("mqtt"), mqtt_local.gate_events,
                         errors_queue=stack.env["CP_OUT_GateIngestErrorsUrl"])
    yield b
    b.stop()


@dataclass
class Scene:
    world: World
    broker: mqtt_local.LocalBroker
    owner: User
    carpark_id: str
    files: Path

    def device(self, name: str = "barrier") -> dict[str, Any]:
        r = self.world.api.post(f"/carparks/{self.carpark_id}/devices", self.owner, {"name": name, "mqtt": True})
        assert r.status == 201, r.body
        return dict(r.body)

    def files_of(self, cert: dict[str, Any], tag: str) -> tuple[str, str]:
        pem, key = self.files / f"{tag}.pem", self.files / f"{tag}.key"
        pem.write_text(cert["certificate_pem"])
        key.write_text(cert["private_key_pem"])
        return str(pem), str(key)

    def client(self, cert: dict[str, Any], *, tag: str = "device", client_id: str | None = None) -> MqttDevice:
        pem, key = self.files_of(cert, tag)
        return MqttDevice(self.broker.endpoint, client_id or cert["thing_name"], pem, key, str(self.broker.ca_dir / "ca.pem"))

    def connected(self, cert: dict[str, Any], **kw: Any) -> MqttDevice:
        device = self.client(cert, **kw)
        device.connect(BOUND_S)
        return device


@pytest.fixture
def scene(api: ApiClient, broker: mqtt_local.LocalBroker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Scene]:
    for name, value in broker.env.items():
        monkeypatch.setenv(name, value)
    world = make_world(api, real_ledger=True)
    owner = api.sign_up()
    yield Scene(world, broker, owner, world.carpark(owner)["carpark_id"], tmp_path)
    bootstrap.override(None)


def eventually(probe: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {BOUND_S}s: {what}")


def _foreign_certificate(tmp: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "carparker-local-gd_forged")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    pem, key_file = tmp / "forged.pem", tmp / "forged.key"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(pem), str(key_file)


def _tls_refused(broker: mqtt_local.LocalBroker, cert: tuple[str, str] | None) -> bool:
    """True if the broker ends the TLS session before any MQTT byte is read: a handshake alert, or the connection closed."""
    context = ssl.create_default_context(cafile=str(broker.ca_dir / "ca.pem"))
    if cert:
        context.load_cert_chain(*cert)
    raw = socket.create_connection((broker.host, broker.port), timeout=BOUND_S)
    try:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"\x10\x00")  # the start of a CONNECT; a broker that took the handshake would wait for more
            return tls.recv(1) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


@pytest.mark.parametrize("who", ["no certificate", "a certificate of another CA"])
def test_a_client_without_a_certificate_of_the_platforms_ca_fails_the_tls_handshake(scene: Scene, who: str) -> None:
    assert _tls_refused(scene.broker, None if who == "no certificate" else _foreign_certificate(scene.files))
    genuine = scene.device()["certificate"]  # the same broker takes a real device
    scene.connected(genuine).close()


def test_a_revoked_or_rotated_away_certificate_or_a_borrowed_client_id_is_refused_at_connect(scene: Scene) -> None:
    first, second = scene.device("north"), scene.device("south")
    with pytest.raises(ConnectionRefusedError):
        scene.connected(first["certificate"], client_id=second["thing_name"])  # its certificate, another Thing's name
    rotated = scene.world.api.post(f"/carparks/{scene.carpark_id}/devices/{first['device_id']}/rotate", scene.owner)
    assert rotated.status == 200, rotated.body
    with pytest.raises(ConnectionRefusedError):
        scene.connected(first["certificate"], tag="old")
    scene.connected(rotated.body["certificate"], tag="new").close()
    assert scene.world.api.post(f"/carparks/{scene.carpark_id}/devices/{second['device_id']}/revoke", scene.owner).status == 200
    with pytest.raises(ConnectionRefusedError):
        scene.connected(second["certificate"], tag="revoked")


def test_a_device_cannot_reach_another_devices_topics(scene: Scene) -> None:
    mine, theirs = scene.device("mine"), scene.device("theirs")
    device = scene.client(mine["certificate"])
    device.topics = type(device.topics)(theirs["certificate"]["topics"]["events"], device.topics.heartbeat,
                                        theirs["certificate"]["topics"]["commands"])
    with pytest.raises(PermissionError):
        device.connect(BOUND_S)  # subscribing to their command topic is refused
    device.close()
    spoof = scene.client(mine["certificate"], tag="spoof")
    spoof.connect(BOUND_S)
    spoof.client.publish(theirs["certificate"]["topics"]["heartbeat"], b'{"firmware":"spoofed"}', qos=1)
    eventually(lambda: spoof.disconnects > 0, "the broker disconnects a client that publishes outside its policy")
    spoof.close()
    listed = scene.world.api.get(f"/carparks/{scene.carpark_id}/devices", scene.owner).body["devices"]
    assert {d["device_id"]: d["health"]["firmware"] for d in listed} == {mine["device_id"]: None, theirs["device_id"]: None}


def _reserve(scene: Scene, plate: str) -> tuple[User, str]:
    api, w = scene.world.api, scene.world
    parker = api.sign_up(roles=("parker",))
    space = api.approved_space(scene.owner, w.admin, carpark_id=scene.carpark_id, lot="A1")
    assert api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"}).status == 200
    start = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    r = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": plate, "start": format_instant(start),
                                           "end": format_instant(start + timedelta(hours=1))})
    assert r.status == 201, r.body
    return parker, r.body["reservation_id"]


def test_a_reserved_car_goes_in_and_out_through_the_broker_and_the_order_completes_on_the_ledger(scene: Scene) -> None:
    parker, order = _reserve(scene, "IO-42-MQ")
    device = scene.connected(scene.device()["certificate"])
    try:
        device.publish("events", {"event_id": "io-in", "direction": "entry", "plate": "I0-42-MQ", "confidence": 0.95})  # a misread
        entry = device.answer_to("io-in", BOUND_S)
        device.publish("events", {"event_id": "io-out", "direction": "exit", "plate": "IO42MQ"})
        leave = device.answer_to("io-out", BOUND_S)
    finally:
        device.close()
    assert entry is not None and (entry["action"], entry["reason"], entry["reservation_id"]) == ("open", "reservation", order)
    assert leave is not None and (leave["action"], leave["reservation_id"]) == ("open", order)
    assert scene.world.reservation(parker, order)["state"] == "billed"
    assert all(r.status == 200 for r in scene.world.settle_payments())
    done = scene.world.reservation(parker, order)
    assert (done["state"], done["payment_status"]) == ("completed", "succeeded")
    log, seq = done["ledger_entry"].split(":")
    assert scene.world.api.post("/admin/ledger/cut", scene.world.admin).status == 200  # certify the block now
    bundle = scene.world.api.get(f"/ledger/{log}/entries/{seq}/bundle", parker)
    assert bundle.status == 200, bundle.body
    summary = verify.verify_evidence(json.dumps(bundle.body).encode())  # raises unless a quorum certified it
    assert "1 entry verified" in summary.line()


def test_a_duplicated_qos1_publish_has_one_effect(scene: Scene) -> None:
    parker, order = _reserve(scene, "DU-11-PL")
    device = scene.connected(scene.device()["certificate"])
    message = {"event_id": "dup-1", "direction": "entry", "plate": "DU11PL"}
    try:
        for _ in range(2):  # what a device does when its PUBACK is lost: the same message again, at once
            device.publish("events", message)
        first = device.answer_to("dup-1", BOUND_S)  # a copy handled while the first is in progress is not answered twice
        device.publish("events", message)  # and again later, once the first is done: the first answer again
        later = device.answer_to("dup-1", BOUND_S)
    finally:
        device.close()
    assert first is not None and first["action"] == "open" and later == first
    moves = scene.world.api.get(f"/carparks/{scene.carpark_id}/movements", scene.owner).body["movements"]
    assert len([m for m in moves if m["reservation_id"] == order]) == 1
    assert scene.world.reservation(parker, order)["state"] == "entered"


def test_a_staff_command_reaches_the_device_on_its_command_topic_and_is_acknowledged_by_heartbeat(scene: Scene) -> None:
    made = scene.device()
    device = scene.connected(made["certificate"])
    try:
        r = scene.world.api.post(f"/carparks/{scene.carpark_id}/devices/{made['device_id']}/commands", scene.owner,
                                 {"action": "open", "reason": "let out: no entry record"})
        assert r.status == 201, r.body
        got = eventually(lambda: device.next_message(1), "the command on the device's topic")
        assert (got["type"], got["command_id"], got["action"], got["reason"]) == (
            "command", r.body["command_id"], "open", "let out: no entry record")
        device.publish("heartbeat", {"firmware": "sim-mqtt"})  # not acknowledged yet: the answer carries it again
        again = device.reply_of("heartbeat", BOUND_S)
        assert again is not None and [c["command_id"] for c in again["commands"]] == [got["command_id"]]
        device.publish("heartbeat", {"firmware": "sim-mqtt", "acks": [got["command_id"]]})  # acks count even within the second
        done = device.reply_of("heartbeat", BOUND_S)
        assert done is not None and (done["acked"], done["commands"]) == ([got["command_id"]], [])
        [listed] = scene.world.api.get(f"/carparks/{scene.carpark_id}/devices", scene.owner).body["devices"]
        assert (listed["health"]["firmware"], listed["health"]["via"], listed["health"]["quiet"]) == ("sim-mqtt", "mqtt", False)
    finally:
        device.close()
