"""Wire formats of gate devices' MQTT identities, heartbeats and commands (docs/gate.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .schemas import Strict


class MqttEndpointOut(BaseModel):
    host: str
    port: int
    ca_pem: str | None = Field(description="the CA the device's TLS client trusts for the broker; null on AWS: Amazon Root CA 1")


class DeviceCertificateOut(BaseModel):
    thing_name: str = Field(description="the Thing, which is also the MQTT client id the device must connect with")
    certificate_id: str
    certificate_pem: str
    private_key_pem: str = Field(description="returned once, at registration or rotation; never stored")
    endpoint: MqttEndpointOut
    topics: dict[str, str] = Field(description="events and heartbeat (Basic Ingest, publish QoS 1), commands (subscribe QoS 1)")


class DeviceHealthOut(BaseModel):
    last_heartbeat_at: str | None
    firmware: str | None
    status: dict[str, str | int | float | bool]
    via: Literal["https", "mqtt"] | None
    quiet: bool = Field(description="active and silent for longer than CP_DEVICE_QUIET_S (300 s)")


class HeartbeatIn(BaseModel):
    """Signed like gate events: headers X-Gate-Device, X-Gate-Timestamp, X-Gate-Signature."""

    firmware: str = Field(min_length=1, max_length=64)
    status: dict[str, str | int | float | bool] = Field(default={}, max_length=16)
    acks: list[str] = Field(default=[], max_length=20, description="ids of commands carried out (or dropped)")


class CommandMessage(BaseModel):
    type: Literal["command"]
    command_id: str
    action: Literal["open", "refuse"]
    reason: str
    issued_at: str
    expires_at: str
    reservation_id: str | None


class HeartbeatOut(BaseModel):
    device_id: str
    received_at: str
    acked: list[str]
    commands: list[CommandMessage] = Field(description="pending, unexpired commands, oldest first; resent until acknowledged")


class CommandIn(Strict):
    action: Literal["open", "refuse"]
    reason: str = Field(min_length=1, max_length=200, description="why: kept with who issued it")
    ttl_s: int | None = Field(default=None, ge=10, le=3600, description="default CP_GATE_COMMAND_TTL_S (120)")


class CommandOut(BaseModel):
    command_id: str
    device_id: str
    action: str
    reason: str
    issued_by: str
    issued_at: str
    expires_at: str
    state: str
