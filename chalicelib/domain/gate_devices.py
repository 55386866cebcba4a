"""Gate devices on MQTT, their heartbeats and the commands sent to them (pure; docs/gate.md "Devices on MQTT").

Topics (the same on AWS IoT Core and on the local broker):
    device -> platform  $aws/rules/<rule>/carparker/gates/<thing>/events      (Basic Ingest: straight to the rule)
                        $aws/rules/<rule>/carparker/gates/<thing>/heartbeat
    platform -> device  carparker/commands/<thing>                              (QoS 1)
The rule sees the topic without its "$aws/rules/<rule>/" prefix, so topic(3) is the Thing name and topic(4) the kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .errors import InvalidInputError, RuleViolationError
from .timeutil import format_instant

EVENTS, HEARTBEAT = "events", "heartbeat"
INGEST_KINDS = (EVENTS, HEARTBEAT)
OPEN, REFUSE = "open", "refuse"
COMMAND_ACTIONS = (OPEN, REFUSE)
PENDING, ACKED = "pending", "acked"
HTTPS, MQTT = "https", "mqtt"

MAX_FIRMWARE = 64
MAX_STATUS_FIELDS = 16
MAX_STATUS_TEXT = 120
MAX_ACKS = 20
MAX_PENDING = 10  # commands returned in one heartbeat reply (and the soft bound on a device's queue)
MAX_REASON = 200
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_COMMAND_ID = re.compile(r"^[A-Za-z0-9:_.-]{1,160}$")


def rule_name(prefix: str) -> str:
    """IoT rule names allow only [A-Za-z0-9_]: the template derives the same name (Fn::Split '-' / Fn::Join '_')."""
    return prefix.replace("-", "_") + "_gate_ingest"


def thing_name(prefix: str, device_id: str) -> str:
    """One Thing per device, named after the stage too, so two stages in one account never share a Thing."""
    return f"{prefix}-{device_id}"


def device_of_thing(prefix: str, thing: str) -> str | None:
    head = f"{prefix}-"
    return thing[len(head):] if thing.startswith(head) and len(thing) > len(head) else None


@dataclass(frozen=True)
class DeviceTopics:
    events: str
    heartbeat: str
    commands: str

    def as_dict(self) -> dict[str, str]:
        return {"events": self.events, "heartbeat": self.heartbeat, "commands": self.commands}


def ingest_topic(thing: str, kind: str) -> str:
    """The topic the rule sees (and its FROM clause matches)."""
    return f"carparker/gates/{thing}/{kind}"


def command_topic(thing: str) -> str:
    return f"carparker/commands/{thing}"


def topics(prefix: str, thing: str) -> DeviceTopics:
    base = f"$aws/rules/{rule_name(prefix)}/"
    return DeviceTopics(base + ingest_topic(thing, EVENTS), base + ingest_topic(thing, HEARTBEAT), command_topic(thing))


@dataclass(frozen=True)
class Heartbeat:
    device_id: str
    at: datetime
    firmware: str
    status: dict[str, str | int | float | bool]
    via: str  # https or mqtt


@dataclass(frozen=True)
class HeartbeatIn:
    firmware: str
    status: dict[str, str | int | float | bool]
    acks: tuple[str, ...]


def _scalar(key: str, value: Any) -> str | int | float | bool:
    if isinstance(value, bool) or (isinstance(value, (int, float)) and abs(value) < 1e15):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) and len(value) <= MAX_STATUS_TEXT:
        return value
    raise InvalidInputError(f"status.{key} must be a number, a boolean or text of at most {MAX_STATUS_TEXT} characters",
                            field=f"status.{key}")


def parse_acks(data: dict[str, Any]) -> tuple[str, ...]:
    acks = data.get("acks", [])
    if not isinstance(acks, list) or len(acks) > MAX_ACKS or not all(isinstance(a, str) and _COMMAND_ID.match(a) for a in acks):
        raise InvalidInputError(f"acks must be a list of at most {MAX_ACKS} command ids", field="acks")
    return tuple(dict.fromkeys(acks))


def parse_heartbeat(data: Any) -> HeartbeatIn:
    """Bounded: a firmware string, up to 16 flat status fields of small scalars, up to 20 command ids acknowledged."""
    if not isinstance(data, dict):
        raise InvalidInputError("heartbeat body must be a JSON object", field="body")
    firmware = data.get("firmware")
    if not isinstance(firmware, str) or not 1 <= len(firmware) <= MAX_FIRMWARE:
        raise InvalidInputError(f"firmware must be a string of 1 to {MAX_FIRMWARE} characters", field="firmware")
    status = data.get("status", {})
    if not isinstance(status, dict) or len(status) > MAX_STATUS_FIELDS:
        raise InvalidInputError(f"status must be an object of at most {MAX_STATUS_FIELDS} fields", field="status")
    for key in status:
        if not _KEY.match(key):
            raise InvalidInputError("status keys are lower-case words of at most 32 characters", field=f"status.{key}")
    return HeartbeatIn(firmware, {k: _scalar(k, v) for k, v in status.items()}, parse_acks(data))


@dataclass(frozen=True)
class GateCommand:
    """An order to one gate: open the barrier once, or refuse (show the reason). Delivered at least once, until the
    device acknowledges its id or it expires; a late "open" must never lift a barrier long after it was meant to."""

    device_id: str
    command_id: str
    action: str
    reason: str
    issued_by: str  # a user id (staff override) or "platform"
    issued_at: datetime
    expires_at: datetime
    state: str = PENDING
    acked_at: datetime | None = None
    reservation_id: str | None = None

    def __post_init__(self) -> None:
        if self.action not in COMMAND_ACTIONS:
            raise InvalidInputError(f"action must be one of {COMMAND_ACTIONS}", field="action")
        if not 1 <= len(self.reason.strip()) <= MAX_REASON:
            raise InvalidInputError(f"reason must be 1 to {MAX_REASON} characters", field="reason")
        if self.expires_at <= self.issued_at:
            raise InvalidInputError("a command must expire after it is issued", field="ttl_s")

    def acked(self, at: datetime) -> GateCommand:
        if self.state != PENDING:
            raise RuleViolationError("the command was already acknowledged", field="command_id", code="already_acked")
        return replace(self, state=ACKED, acked_at=at)

    def live(self, now: datetime) -> bool:
        return self.state == PENDING and now < self.expires_at

    def message(self) -> dict[str, Any]:
        """What the device receives (in a heartbeat reply, or on its command topic)."""
        return {"type": "command", "command_id": self.command_id, "action": self.action, "reason": self.reason,
                "issued_at": format_instant(self.issued_at), "expires_at": format_instant(self.expires_at),
                "reservation_id": self.reservation_id}


def decision_message(reply: dict[str, Any]) -> dict[str, Any]:
    """The answer to an event published on MQTT, as a command the device acts on. Its id is derived from the event,
    so a redelivered event gets the same command again (the device drops the duplicate by id)."""
    return {"type": "decision", "command_id": f"event:{reply['event_id']}", "action": OPEN if reply["decision"] == "open" else REFUSE,
            "reason": reply["reason"], **reply}


def error_message(event_id: str | None, code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"type": "error", "event_id": event_id, "code": code, "message": message, "field": field}
