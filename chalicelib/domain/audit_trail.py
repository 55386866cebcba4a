"""The car park's audit trail: who did what, and when (pure). Entries are appended, never changed or removed.

Entries name people by user id and things by id; a plate never appears in an entry (plates live, sealed and
erasable, in the records the entry points to: the override, the list entry, the membership).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .errors import InvalidInputError

ACTIONS = (
    "staff.invited", "staff.accepted", "staff.declined", "staff.removed", "staff.left",
    "device.registered", "device.rotated", "device.revoked", "device.command",
    "override.let_in", "override.let_out", "override.mark_left",
    "membership.added", "membership.renewed", "membership.ended",
    "list.added", "list.removed",
    "settings.changed",
    "alert.acknowledged",
    "export.created",
)
AREAS = tuple(sorted({a.split(".")[0] for a in ACTIONS}))


@dataclass(frozen=True)
class AuditEntry:
    carpark_id: str
    entry_id: str
    at: datetime
    actor: str  # a user id, or "platform"
    role: str  # the actor's standing at the car park then: owner, staff, admin (or platform)
    action: str
    target: str  # what it was done to: "<kind>:<id>"
    summary: str  # plain text, no plates
    details: dict[str, str | int | bool | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise InvalidInputError(f"action must be one of {ACTIONS}", field="action")

    @property
    def area(self) -> str:
        return self.action.split(".")[0]
