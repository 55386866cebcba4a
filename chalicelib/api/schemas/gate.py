"""Wire formats of the gate blueprint (routes/gate.py): devices' plate reads and heartbeats (docs/gate.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# Parsed by the service after the signature check, documented here: one model (services/messages.py).
from ...services.messages import GateEventIn as GateEventIn


class GateDecisionOut(BaseModel):
    event_id: str
    decision: Literal["open", "deny"]
    reason: str
    message: str
    plate: str
    reservation_id: str | None
    membership_id: str | None
    direction: str
    at: str


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
