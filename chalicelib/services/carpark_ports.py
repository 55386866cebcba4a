"""Ports of car parks: the car parks, their staff, gate devices and their secrets, members, and the gate event log.

Adapters implement them on DynamoDB/KMS (chalicelib/adapters/carparks.py, gate_events.py, staff.py); tests/fakes.py in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..domain.carparks import CarPark, Device, Membership
from ..domain.staff import StaffMembership
from .idempotency import Claims


class CarParkRepository(Protocol):
    def add(self, carpark: CarPark) -> None: ...
    def get(self, carpark_id: str) -> CarPark: ...


class StaffRepository(Protocol):
    """Car-park memberships, one item per (car park, user); every write conditional on absence or version."""

    def add(self, membership: StaffMembership) -> None: ...
    def save(self, membership: StaffMembership, expected_version: int) -> None: ...
    def find(self, carpark_id: str, user_id: str) -> StaffMembership | None: ...
    def by_carpark(self, carpark_id: str, limit: int) -> list[StaffMembership]: ...
    def by_user(self, user_id: str, limit: int) -> list[StaffMembership]: ...


class DeviceRepository(Protocol):
    def add(self, device: Device) -> None: ...
    def get(self, device_id: str) -> Device: ...
    def save(self, device: Device, expected_version: int) -> None: ...
    def by_carpark(self, carpark_id: str) -> list[Device]: ...


class MembershipRepository(Protocol):
    def add(self, membership: Membership) -> None: ...
    def by_carpark(self, carpark_id: str, limit: int | None = None) -> list[Membership]: ...
    def for_plate(self, carpark_id: str, plate: str) -> list[Membership]: ...


class SecretBox(Protocol):
    """Seals device secrets (KMS) and opens them again, bound to the device id."""

    def seal(self, device_id: str, secret: bytes) -> bytes: ...
    def open(self, device_id: str, secret_version: int, sealed: bytes) -> bytes: ...


@dataclass(frozen=True)
class GateEventRecord:
    event_key: str
    device_id: str
    carpark_id: str
    request_hash: str
    state: str  # in_progress or done
    occurred_at: datetime
    direction: str | None = None
    plate: str | None = None
    response: dict[str, object] | None = None


class GateEventLog(Claims[GateEventRecord, dict[str, object]], Protocol):
    """The car park's movements, and the claims of their event ids (services/idempotency.py): an event is claimed
    in_progress, then finished with its direction, plate and reply, or released."""

    def by_carpark(self, carpark_id: str, since: datetime, until: datetime, limit: int | None = None) -> list[GateEventRecord]:
        """Events in [since, until), newest first."""
        ...

    def by_plate(self, carpark_id: str, plate: str, limit: int) -> list[GateEventRecord]:
        """Finished events at the car park whose read a camera could confuse with this plate (a blind-index query)."""
        ...

    def erase(self, record: GateEventRecord) -> None:
        """Keep the movement, forget whose car it was: the plate (and the reply's) become ERASED, the index goes."""
        ...
