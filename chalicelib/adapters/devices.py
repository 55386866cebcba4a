"""Gate devices' runtime on AWS: heartbeats and commands in DynamoDB, Things and certificates in AWS IoT, commands
published with iot-data (QoS 1). Locally the same IoT calls go to moto; certificates are signed by the local CA and
registered there, and commands go to the local broker (MqttChannel)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PutError, UpdateError

from ..domain.errors import ConflictError, UnavailableError
from ..domain.gate_devices import ACKED, PENDING, GateCommand, Heartbeat
from ..domain.timeutil import format_instant, parse_instant
from ..services.device_ports import IssuedCertificate
from .dynamo import condition_failed, conditional_save
from .local_ca import LocalCa

HEARTBEAT_SK = "heartbeat"


def _when(text: str | None) -> datetime | None:
    return parse_instant(text, field="stored") if text else None


class DynamoDeviceState:
    def __init__(self, model: Any) -> None:
        self.model = model

    def record_heartbeat(self, hb: Heartbeat) -> bool:
        at = format_instant(hb.at)
        item = self.model(hb.device_id, HEARTBEAT_SK, at=at, firmware=hb.firmware, status=dict(hb.status), via=hb.via)
        try:
            item.save(condition=self.model.at.does_not_exist() | (self.model.at < at))
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def heartbeats(self, device_ids: list[str]) -> dict[str, Heartbeat]:
        out: dict[str, Heartbeat] = {}
        for i in self.model.batch_get([(d, HEARTBEAT_SK) for d in dict.fromkeys(device_ids)]):
            out[i.device_id] = Heartbeat(i.device_id, parse_instant(i.at, field="stored"), i.firmware, dict(i.status or {}), i.via)
        return out

    def add_command(self, c: GateCommand) -> None:
        expires = format_instant(c.expires_at)
        item = self.model(c.device_id, f"cmd#{c.command_id}", action=c.action, reason=c.reason, issued_by=c.issued_by,
                          issued_at=format_instant(c.issued_at), expires_at=expires, state=c.state, reservation_id=c.reservation_id,
                          pending_device=c.device_id if c.state == PENDING else None,
                          pending_key=f"{expires}#{c.command_id}" if c.state == PENDING else None)
        conditional_save(item, self.model.sk.does_not_exist(), ConflictError("a command with this id exists", field="command_id"))

    def _command(self, i: Any) -> GateCommand:
        return GateCommand(i.device_id, i.sk.split("#", 1)[1], i.action, i.reason, i.issued_by, parse_instant(i.issued_at, field="stored"),
                           parse_instant(i.expires_at, field="stored"), i.state, _when(i.acked_at), i.reservation_id)

    def pending(self, device_id: str, now: datetime, limit: int) -> list[GateCommand]:
        cond = self.model.pending_key > format_instant(now) + "$"  # "$" sorts just after "#": expiring now is expired
        return [self._command(i) for i in self.model.by_pending.query(device_id, range_key_condition=cond, limit=limit)]

    def acknowledge(self, device_id: str, command_id: str, at: datetime) -> bool:
        actions = [self.model.state.set(ACKED), self.model.acked_at.set(format_instant(at)), self.model.pending_device.remove(),
                   self.model.pending_key.remove()]
        try:
            self.model(device_id, f"cmd#{command_id}").update(actions=actions, condition=self.model.state == PENDING)
        except UpdateError as exc:
            if condition_failed(exc):
                return False  # unknown, or already acknowledged
            raise
        return True


# ---------------------------------------------------------------- AWS IoT: Things and certificates

Issuer = Callable[[Any, str], tuple[str, str, str, str]]  # (iot client, thing) -> (id, arn, certificate PEM, private key PEM)


def iot_issuer(iot: Any, thing: str) -> tuple[str, str, str, str]:
    """AWS IoT makes the key pair and a certificate signed by its CA; the private key is returned only now."""
    made = iot.create_keys_and_certificate(setAsActive=True)
    return made["certificateId"], made["certificateArn"], made["certificatePem"], made["keyPair"]["PrivateKey"]


class LocalCaIssuer:
    """The local CA signs the device's certificate (CN = its Thing), which is then registered in (moto's) IoT."""

    def __init__(self, ca_dir: Path) -> None:
        self.ca = LocalCa(ca_dir)

    def __call__(self, iot: Any, thing: str) -> tuple[str, str, str, str]:
        made = self.ca.issue(thing)
        registered = iot.register_certificate(certificatePem=made.certificate_pem, caCertificatePem=self.ca.certificate_pem,
                                              setAsActive=True)
        return registered["certificateId"], registered["certificateArn"], made.certificate_pem, made.private_key_pem

    def trust(self) -> str:
        return self.ca.certificate_pem


class IotCertificates:
    def __init__(self, policy_name: str, region: str, issuer: Issuer, endpoint: str | None, trust_pem: str | None = None) -> None:
        self.policy_name = policy_name
        self.client = boto3.client("iot", region_name=region)
        self.issuer = issuer
        self._endpoint = endpoint
        self.trust_pem = trust_pem

    def issue(self, thing: str) -> IssuedCertificate:
        try:
            try:
                self.client.create_thing(thingName=thing)
            except self.client.exceptions.ResourceAlreadyExistsException:
                pass
            cert_id, arn, pem, key = self.issuer(self.client, thing)
            self.client.attach_policy(policyName=self.policy_name, target=arn)
            self.client.attach_thing_principal(thingName=thing, principal=arn)
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError("AWS IoT refused to create the device's Thing or certificate") from exc
        return IssuedCertificate(thing, cert_id, pem, key)

    def deactivate(self, certificate_id: str) -> None:
        try:
            self.client.update_certificate(certificateId=certificate_id, newStatus="INACTIVE")
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError("AWS IoT refused to deactivate the device's certificate") from exc

    def endpoint(self) -> dict[str, Any]:
        if self._endpoint is None:
            try:
                self._endpoint = self.client.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"] + ":8883"
            except (ClientError, BotoCoreError) as exc:
                raise UnavailableError("AWS IoT did not say its endpoint") from exc
        host, _, port = self._endpoint.rpartition(":")
        return {"host": host, "port": int(port), "ca_pem": self.trust_pem}


# ---------------------------------------------------------------- the command topic


class IotDataChannel:
    """iot-data Publish, QoS 1, to the account's data endpoint: AWS_ENDPOINT_URL if set (moto), else the host of
    CP_MQTT_ENDPOINT (the ATS endpoint the stage was given), else the one DescribeEndpoint names."""

    def __init__(self, region: str, endpoint: str | None = None) -> None:
        self.region = region
        self.endpoint = endpoint
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                url = os.environ.get("AWS_ENDPOINT_URL") or (f"https://{self.endpoint.rpartition(':')[0]}" if self.endpoint else None)
                if not url:
                    address = boto3.client("iot", region_name=self.region).describe_endpoint(endpointType="iot:Data-ATS")
                    url = f"https://{address['endpointAddress']}"
                self._client = boto3.client("iot-data", region_name=self.region, endpoint_url=url)
            return self._client

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        try:
            self.client().publish(topic=topic, qos=1, payload=json.dumps(message, separators=(",", ":")).encode())
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError("the command could not be published") from exc


class MqttChannel:
    """The local broker, reached as the platform's own TLS client (only `make run` uses it; paho is a local package).
    One short connection per command: no client thread outlives a publish (a command is a rare, human-made event)."""

    def __init__(self, endpoint: str, ca: Path, cert: Path, key: Path, client_id: str, timeout_s: float = 10) -> None:
        self.host, _, port = endpoint.rpartition(":")
        self.port = int(port)
        self.ca, self.cert, self.key, self.client_id, self.timeout_s = ca, cert, key, client_id, timeout_s
        self._lock = threading.Lock()

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        import paho.mqtt.client as mqtt

        with self._lock:
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id)
            client.tls_set(ca_certs=str(self.ca), certfile=str(self.cert), keyfile=str(self.key))
            try:
                client.connect(self.host, self.port, keepalive=30)
                client.loop_start()
                info = client.publish(topic, json.dumps(message, separators=(",", ":")), qos=1)
                info.wait_for_publish(timeout=self.timeout_s)
                if not info.is_published():
                    raise OSError("not acknowledged by the broker")
            except (OSError, RuntimeError, ValueError) as exc:
                raise UnavailableError("the local broker did not take the command") from exc
            finally:
                client.disconnect()
                client.loop_stop()
