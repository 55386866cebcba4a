"""Ports of gate devices' runtime: heartbeats and commands, X.509 identities on AWS IoT Core, the command topic.

Adapters: chalicelib/adapters/devices.py (DynamoDB, AWS IoT / a local CA, iot-data Publish / the local broker).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..domain.gate_devices import GateCommand, Heartbeat


class DeviceStateStore(Protocol):
    def record_heartbeat(self, heartbeat: Heartbeat) -> bool:
        """Store it if it is newer than the one stored (a conditional write); False if it is not."""
        ...

    def heartbeats(self, device_ids: list[str]) -> dict[str, Heartbeat]: ...
    def add_command(self, command: GateCommand) -> None: ...
    def pending(self, device_id: str, now: datetime, limit: int) -> list[GateCommand]:
        """Unacknowledged commands that have not expired, oldest expiry first."""
        ...

    def acknowledge(self, device_id: str, command_id: str, at: datetime) -> bool:
        """pending -> acked (conditional); False if there is no such pending command."""
        ...


@dataclass(frozen=True)
class IssuedCertificate:
    thing_name: str
    certificate_id: str
    certificate_pem: str
    private_key_pem: str  # shown once, never stored


class DeviceCertificates(Protocol):
    """One Thing and one X.509 certificate per MQTT device, attached to the device policy."""

    def issue(self, thing_name: str) -> IssuedCertificate: ...
    def deactivate(self, certificate_id: str) -> None: ...
    def endpoint(self) -> dict[str, Any]:
        """Where devices connect: host, port and the CA (PEM) their TLS client should trust, if not a public one."""
        ...


class CommandChannel(Protocol):
    def publish(self, topic: str, message: dict[str, Any]) -> None:
        """QoS 1 to a device's command topic (at least once)."""
        ...


@dataclass
class DeviceRuntime:
    """What the device services work with besides Orders (the composition root builds it)."""

    state: DeviceStateStore
    certificates: DeviceCertificates | None  # None: this stage issues no certificates (no MQTT devices)
    channel: CommandChannel | None  # None: commands reach devices only in heartbeat replies
    prefix: str  # the stage's resource prefix: Thing names and the rule name derive from it
    quiet_after_s: int
    command_ttl_s: int


class Identities(Protocol):
    """A device's MQTT identity, by device id (its Thing name derives from it)."""

    def issue(self, device_id: str) -> IssuedCertificate: ...
    def deactivate(self, certificate_id: str) -> None: ...
